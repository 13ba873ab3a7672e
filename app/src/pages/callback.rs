//! The page the hosted UI redirects back to (`/callback?code=…&state=…`). In
//! the browser it finishes the sign-in, then replaces itself with the home
//! page, which drops `?code` from the address bar. Failures say what happened
//! and offer a fresh start.

use leptos::prelude::*;

use super::StartButtons;
use crate::{AuthResources, ErrorNotice};

#[derive(Clone, Debug, PartialEq)]
// Only the browser finishes a sign-in, so only it ever fails one.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Progress {
    Working,
    Failed(String),
}

#[component]
pub fn CallbackPage() -> impl IntoView {
    let AuthResources { pool, .. } = expect_context();
    let progress = RwSignal::new(Progress::Working);

    #[cfg(feature = "hydrate")]
    {
        use leptos_router::{NavigateOptions, hooks::use_navigate, hooks::use_query_map};

        let query = use_query_map().get_untracked();
        let callback = crate::login::Callback {
            code: query.get("code"),
            state: query.get("state"),
            error: query.get("error"),
            error_description: query.get("error_description"),
        };
        let session = expect_context::<AuthResources>().session;
        let navigate = use_navigate();
        Effect::new(move || {
            let callback = callback.clone();
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                let outcome = match pool.await {
                    Ok(pool) => crate::login::finish(&pool, callback)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(error) => Err(error.to_string()),
                };
                match outcome {
                    Ok(_) => {
                        session.refetch();
                        navigate(
                            "/",
                            NavigateOptions {
                                replace: true,
                                ..Default::default()
                            },
                        );
                    }
                    Err(message) => progress.set(Progress::Failed(message)),
                }
            });
        });
    }

    view! {
        {move || match progress.get() {
            Progress::Working => {
                view! {
                    <h1>"Signing you in…"</h1>
                    <noscript>"Signing in needs JavaScript."</noscript>
                }
                    .into_any()
            }
            Progress::Failed(message) => {
                view! {
                    <h1>"Sign-in did not complete"</h1>
                    <p class="error" role="alert">{message}</p>
                    <p>"You can start again:"</p>
                    <Suspense>
                        {move || Suspend::new(async move {
                            match pool.await {
                                Ok(pool) => view! { <StartButtons pool/> }.into_any(),
                                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                            }
                        })}
                    </Suspense>
                }
                    .into_any()
            }
        }}
    }
}
