//! The app's pages and the pieces they share.
//!
//! Pages are rendered on the server only. The few parts that need the browser
//! are islands (`#[island]`), the only code sent to it as WASM: the fields a
//! sign-in attempt adds to the **Sign In** / **Register** form, finishing a
//! sign-in on the callback page, and the admin console. The last two are lazy:
//! a release build (`make release`) splits their code out of the main WASM
//! module, so only their own pages load it. Logout and the profile's refresh are
//! plain forms posting to server functions, which answer with a redirect. A page
//! that shows an island includes `IslandScripts`, which loads the WASM; the
//! others load none.

mod admin;
mod callback;
mod home;
mod profile;

pub use admin::AdminPage;
pub use callback::CallbackPage;
pub use home::HomePage;
#[cfg(feature = "ssr")]
pub use home::signed_in_home;
pub use profile::ProfilePage;

use leptos::ev::MouseEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::pool::{PoolEndpoints, Start};
use crate::user::SignedInUser;

/// The page's `<title>`: its name, then the app's (the home page keeps the app's alone).
#[component]
pub fn PageTitle(page: &'static str) -> impl IntoView {
    view! { <leptos_meta::Title text=format!("{page} · {}", crate::APP_NAME)/> }
}

/// The script that loads the WASM and hydrates the page's islands, once in every
/// page that shows one. Pages without islands load no WASM at all.
#[component]
pub fn IslandScripts() -> impl IntoView {
    let options = expect_context::<LeptosOptions>();
    view! { <HydrationScripts options islands=true/> }
}

/// Links for a signed-in user; the admin console's only for members of `Admin`
/// (the server refuses everyone else anyway). `here` is the page showing them:
/// its own path, not the router's location, so that a page rendered without the
/// router (`plain_page`) shows them too.
#[component]
pub fn UserNav(user: SignedInUser, here: &'static str) -> impl IntoView {
    // The link to the page being shown says so (to screen readers too).
    let link = move |href: &'static str, text: &'static str| {
        let current = (here == href).then_some("page");
        view! { <a href=href aria-current=current>{text}</a> }
    };
    view! {
        <nav>
            {link("/", "Home")}
            {link("/profile", "Profile")}
            {user.is_admin().then(|| link("/admin", "Admin"))}
        </nav>
    }
}

/// The **Sign In** and **Register** buttons: a form that leaves for the hosted UI's
/// authorize or sign-up page. The server writes the client's fixed parameters into
/// it; `AttemptFields` adds each attempt's own at the click.
#[component]
pub fn StartButtons(pool: PoolEndpoints) -> impl IntoView {
    let fixed = pool
        .authorize_params()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value.to_owned()/> });
    let register = pool.start_action(Start::Register);
    view! {
        <form method="get" action=pool.start_action(Start::SignIn)>
            {fixed.into_iter().collect_view()}
            <AttemptFields>
                <button class="primary" type="submit">
                    "Sign In"
                </button>
                <button class="secondary" type="submit" formaction=register>
                    "Register"
                </button>
            </AttemptFields>
        </form>
        <noscript>
            <p class="notice warning">"Signing in needs JavaScript: turn it on for this site and reload the page."</p>
        </noscript>
    }
}

/// An attempt's `state`, `nonce` and PKCE challenge: made and stored in the
/// browser when one of the buttons (`children`) is clicked, just before the form
/// leaves. The island takes no props, so the WASM that every page with
/// islands loads needs no JSON.
#[island]
fn AttemptFields(children: Children) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    // Until the island has hydrated, the fieldset keeps the buttons disabled: the
    // form would leave without PKCE. Effects run only in the browser, after hydration.
    let ready = RwSignal::new(false);
    Effect::new(move || ready.set(true));
    let state = NodeRef::<Input>::new();
    let nonce = NodeRef::<Input>::new();
    let code_challenge = NodeRef::<Input>::new();
    let fill = move |event: MouseEvent| {
        let _ = (&event, state, nonce, code_challenge);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let on_a_button = event
                .target()
                .is_some_and(|target| target.is_instance_of::<web_sys::HtmlButtonElement>());
            if !on_a_button {
                return;
            }
            match crate::login::begin() {
                Ok(attempt) => {
                    for (field, value) in [
                        (state, attempt.state),
                        (nonce, attempt.nonce),
                        (code_challenge, attempt.code_challenge),
                    ] {
                        if let Some(input) = field.get_untracked() {
                            input.set_value(&value);
                        }
                    }
                }
                Err(error) => {
                    event.prevent_default();
                    problem.set(Some(error.to_string()));
                }
            }
        }
    };
    view! {
        <fieldset class="actions" disabled=move || !ready.get() on:click=fill>
            <input type="hidden" name="state" node_ref=state/>
            <input type="hidden" name="code_challenge" node_ref=code_challenge/>
            <input type="hidden" name="nonce" node_ref=nonce/>
            {children()}
            // Says why the buttons do not answer yet; gone once they do.
            {move || (!ready.get()).then(|| view! { <span class="loading" aria-live="polite">"Loading…"</span> })}
        </fieldset>
        {move || problem.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
    }
}
