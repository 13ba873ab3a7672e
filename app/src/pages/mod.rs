//! The app's pages and the pieces they share.
//!
//! Pages are rendered on the server only. The few parts that need the browser
//! are islands (`#[island]`), the only code sent to it as WASM: the **Sign In** /
//! **Register** buttons, finishing a sign-in on the callback page, and the admin
//! console. The last two are lazy: a release build (`make release`) splits their
//! code out of the main WASM module, so only their own pages load it. Logout and
//! the profile's refresh are plain forms posting to server functions, which
//! answer with a redirect.

mod admin;
mod callback;
mod home;
mod profile;

pub use admin::AdminPage;
pub use callback::CallbackPage;
pub use home::HomePage;
pub use profile::ProfilePage;

use leptos::prelude::*;

use crate::pool::{PoolEndpoints, Start};
use crate::user::SignedInUser;

/// Links for a signed-in user; the admin console's only for members of `Admin`
/// (the server refuses everyone else anyway).
#[component]
pub fn UserNav(user: SignedInUser) -> impl IntoView {
    view! {
        <nav>
            <a href="/">"Home"</a>
            <a href="/profile">"Profile"</a>
            {user.is_admin().then(|| view! { <a href="/admin">"Admin"</a> })}
        </nav>
    }
}

/// The **Sign In** and **Register** buttons: each starts a new sign-in attempt at the hosted UI.
#[island]
pub fn StartButtons(pool: PoolEndpoints) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    // The buttons need the WASM (it makes the PKCE verifier): until the island
    // has hydrated they are disabled, rather than dead to a click. Effects run
    // only in the browser, after hydration.
    let ready = RwSignal::new(false);
    Effect::new(move || ready.set(true));
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
            <button class="primary" on:click=sign_in disabled=move || !ready.get()>
                "Sign In"
            </button>
            <button on:click=register disabled=move || !ready.get()>
                "Register"
            </button>
        </div>
        {move || problem.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
    }
}
