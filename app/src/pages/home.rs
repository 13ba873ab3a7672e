//! The home page: a greeting and **Logout** for a signed-in user, **Sign In**
//! and **Register** for everybody else. Rendered on the server from the
//! session cookies, so the greeting is in the HTML before any WASM runs.

use leptos::prelude::*;

use super::{IslandScripts, StartButtons, UserNav};
use crate::api::EndSession;
use crate::user::{Session, SignedInUser};
use crate::{AuthResources, ErrorNotice};

#[component]
pub fn HomePage() -> impl IntoView {
    let AuthResources { pool, session } = expect_context();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (session.await, pool.await) {
                    (Ok(Session::SignedIn(user)), _) => view! { <Greeting user/> }.into_any(),
                    (Ok(session), Ok(pool)) => {
                        let notice = match session {
                            Session::Expired => Some(("notice warning", "Your session has expired. Please sign in again.")),
                            Session::Ended => Some(("notice info", "You have been signed out.")),
                            Session::SignedIn(_) | Session::SignedOut => None,
                        };
                        view! {
                            <h1>"Welcome"</h1>
                            {notice.map(|(class, notice)| view! { <p class=class role="status">{notice}</p> })}
                            <p>"Sign in or create an account to continue."</p>
                            <StartButtons pool/>
                            <IslandScripts/>
                        }
                            .into_any()
                    }
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The home page of a signed-in visitor whose session needs nothing done first
/// (no refresh, no cookie to clear): the greeting `HomePage` shows, rendered
/// without the router (`plain_page`). The server checks the session and falls back
/// to the routed page for everything else.
#[cfg(feature = "ssr")]
pub fn signed_in_home(options: &LeptosOptions, user: SignedInUser) -> String {
    crate::plain_page(options, crate::APP_NAME, || view! { <Greeting user/> })
}

/// Logout is a plain form: the server function clears the cookies and answers
/// with a redirect to the pool's logout, so it needs no WASM.
#[component]
fn Greeting(user: SignedInUser) -> impl IntoView {
    let logout = ServerAction::<EndSession>::new();
    view! {
        // One text node, so the HTML reads "Hello <email>" with no hydration marker inside.
        <h1>{format!("Hello {}", user.email)}</h1>
        <UserNav user=user.clone() here="/"/>
        <ActionForm action=logout>
            <button type="submit">"Logout"</button>
        </ActionForm>
    }
}
