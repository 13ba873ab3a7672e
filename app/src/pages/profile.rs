//! The profile page: who the server says is signed in, their groups and when
//! the session's tokens expire, and a way to fetch fresh tokens (so a group an
//! administrator just granted shows at once). All of it is server-rendered.

use leptos::prelude::*;

use super::UserNav;
use crate::api::RefreshSession;
use crate::user::{Session, SignedInUser};
use crate::{AuthResources, ErrorNotice};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let AuthResources { session, .. } = expect_context();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Session::SignedIn(user)) => view! { <Profile user/> }.into_any(),
                    Ok(_) => view! { <SignInFirst/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// **Refresh my session** is a plain form: the server function gets new
/// tokens, stores them in the cookies and redirects back here, so the page is
/// drawn again from what the new tokens say.
#[component]
fn Profile(user: SignedInUser) -> impl IntoView {
    let groups = if user.groups.is_empty() {
        "none".to_owned()
    } else {
        user.groups.join(", ")
    };
    let refresh = ServerAction::<RefreshSession>::new();
    view! {
        <h1>"Your profile"</h1>
        <UserNav user=user.clone()/>
        <dl class="profile">
            <dt>"Email"</dt>
            <dd>{user.email}</dd>
            <dt>"Groups"</dt>
            <dd class="groups">{groups}</dd>
            <dt>"Session expires"</dt>
            <dd>
                <time>{expiry(user.expires_at)}</time>
            </dd>
        </dl>
        <ActionForm action=refresh>
            <button type="submit">"Refresh my session"</button>
        </ActionForm>
    }
}

/// A Unix time in UTC, RFC 3339 (the same on the server and in the browser).
fn expiry(unix_seconds: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_seconds);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// Shown on pages that need a signed-in user.
#[component]
pub fn SignInFirst() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::UNAUTHORIZED);
    }
    view! {
        <h1>"Please sign in"</h1>
        <p>"This page is for signed-in users."</p>
        <a href="/">"Home"</a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_shown_in_utc() {
        assert_eq!(expiry(0), "1970-01-01T00:00:00Z");
        assert_eq!(expiry(951_825_600), "2000-02-29T12:00:00Z");
    }
}
