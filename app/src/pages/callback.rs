//! The page the hosted UI redirects back to (`/callback?code=…&state=…`). The
//! server renders a placeholder; the `FinishSignIn` island finishes the sign-in
//! in the browser, then replaces the page with the home page, which drops
//! `?code` from the address bar and history. Failures say what happened and
//! offer a fresh start.

use leptos::prelude::*;

use super::{IslandScripts, PageTitle, StartButtons};
use crate::pool::PoolEndpoints;
use crate::{AuthResources, ErrorNotice};

#[component]
pub fn CallbackPage() -> impl IntoView {
    let AuthResources { pool, .. } = expect_context();
    view! {
        <PageTitle page="Signing in"/>
        <Suspense fallback=|| view! { <h1>"Signing you in…"</h1> }>
            {move || Suspend::new(async move {
                match pool.await {
                    Ok(pool) => {
                        view! {
                            <FinishSignIn pool=pool.clone()>
                                <StartButtons pool/>
                            </FinishSignIn>
                            <IslandScripts/>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Debug, PartialEq)]
// Only the browser finishes a sign-in, so only it ever fails one.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Progress {
    Working,
    Failed(String),
}

/// Finishes the sign-in; if it fails, says why and shows its `children`, the
/// way to start again (rendered by the server, hidden until then).
#[island(lazy)]
fn FinishSignIn(pool: PoolEndpoints, children: Children) -> impl IntoView {
    let progress = RwSignal::new(Progress::Working);
    // The server only renders the island; `pool` is sent along for the browser.
    #[cfg(not(feature = "hydrate"))]
    let _ = pool;

    #[cfg(feature = "hydrate")]
    {
        // Runs once, in the browser, when the island hydrates.
        Effect::new(move || {
            let pool = pool.clone();
            leptos::task::spawn_local(async move {
                let finished = async {
                    let callback = crate::login::callback_from_location()?;
                    crate::login::finish(&pool, callback).await?;
                    crate::login::replace_location("/")
                };
                if let Err(error) = finished.await {
                    progress.set(Progress::Failed(error.to_string()));
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
                }
                    .into_any()
            }
        }}
        <div hidden=move || progress.with(|progress| *progress == Progress::Working)>
            {children()}
        </div>
    }
}
