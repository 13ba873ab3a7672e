//! The app's pages and the pieces they share.

mod callback;
mod home;

pub use callback::CallbackPage;
pub use home::HomePage;

use leptos::prelude::*;

use crate::pool::{PoolEndpoints, Start};

/// The **Sign In** and **Register** buttons: each starts a new sign-in attempt at the hosted UI.
#[component]
pub fn StartButtons(pool: PoolEndpoints) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let start = move |start: Start| {
        let _ = (&pool, start);
        #[cfg(feature = "hydrate")]
        if let Err(e) = crate::login::begin(&pool, start) {
            problem.set(Some(e.to_string()));
        }
    };
    let sign_in = {
        let start = start.clone();
        move |_| start(Start::SignIn)
    };
    let register = move |_| start(Start::Register);
    view! {
        <div class="actions">
            <button class="primary" on:click=sign_in>"Sign In"</button>
            <button on:click=register>"Register"</button>
        </div>
        {move || problem.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
    }
}
