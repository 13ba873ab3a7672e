//! The profile page: who the server says is signed in, their groups and when
//! the session's tokens expire, and a way to fetch fresh tokens (so a group an
//! administrator just granted shows at once), all server-rendered; and, with a
//! Cognito pool, the user's passkeys and second sign-in step, lazy islands, since
//! making a passkey takes the browser and setting up an app shows its key. The expiry's
//! moment is an island too: only the browser knows its reader's time zone.

use leptos::prelude::*;

use super::{IslandScripts, PageTitle, UserNav};
use crate::api::{
    RefreshSession, complete_passkey_registration, confirm_app, delete_passkey, list_passkeys,
    list_second_factors, set_second_factor, start_app_setup, start_passkey_registration,
};
use crate::mfa::{AppSetup, Factor, SecondFactors};
use crate::passkeys::PasskeySummary;
use crate::user::{Session, SignedInUser};
use crate::{AuthResources, ErrorNotice};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let AuthResources { session, pool } = expect_context();
    view! {
        <PageTitle page="Profile"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                // Passkeys and second factors are a Cognito pool's, through its API.
                let pool_api = pool.await.is_ok_and(|pool| pool.is_cognito_pool());
                match session.await {
                    Ok(Session::SignedIn(user)) => view! { <Profile user pool_api/> }.into_any(),
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
fn Profile(user: SignedInUser, pool_api: bool) -> impl IntoView {
    let groups = if user.groups.is_empty() {
        "none".to_owned()
    } else {
        user.groups.join(", ")
    };
    let refresh = ServerAction::<RefreshSession>::new();
    // Where "Refresh my session" returns to.
    let refreshed = leptos_router::hooks::use_query_map()
        .with_untracked(|query| query.get("refreshed").is_some());
    view! {
        <h1>"Your profile"</h1>
        <UserNav user=user.clone() here="/profile"/>
        {refreshed.then(|| view! {
            <p class="notice success" role="status">"Your session has been refreshed: these are the pool's latest tokens."</p>
        })}
        <dl class="profile">
            <dt>"Email"</dt>
            <dd>{user.email}</dd>
            <dt>"Groups"</dt>
            <dd class="groups">{groups}</dd>
            <dt>"Session expires"</dt>
            <dd>
                {in_words(user.expires_at, unix_now())} " (" <LocalTime unix_seconds=user.expires_at/> ")"
            </dd>
        </dl>
        <ActionForm action=refresh>
            <button type="submit">"Refresh my session"</button>
        </ActionForm>
        // Erased: the profile's view type is deep enough for release builds' limit already.
        {pool_api.then(|| view! { <Passkeys/> <SecondStep/> }.into_any())}
        <IslandScripts/>
    }
}

/// What a change to the passkeys did, in words.
type Outcome = Result<&'static str, String>;

/// Makes a passkey in this browser and keeps it at the pool.
async fn add_passkey() -> Outcome {
    let options = start_passkey_registration()
        .await
        .map_err(|e| e.to_string())?;
    #[cfg(feature = "hydrate")]
    let credential = crate::passkeys::create_in_browser(&options).await?;
    #[cfg(not(feature = "hydrate"))]
    let credential = options;
    complete_passkey_registration(credential)
        .await
        .map_err(|e| e.to_string())?;
    Ok("Passkey added. You can sign in with it instead of your password.")
}

/// The user's passkeys: listed, added (the browser makes one) and deleted.
#[island(lazy)]
fn Passkeys() -> impl IntoView {
    let changes = RwSignal::new(0_u32);
    let listed = Resource::new(move || changes.get(), |_| list_passkeys());
    let add = Action::new_unsync_local(|_: &()| add_passkey());
    let delete = Action::new_unsync_local(|id: &String| {
        let id = id.clone();
        async move {
            delete_passkey(id).await.map_err(|e| e.to_string())?;
            Ok::<_, String>("Passkey deleted.")
        }
    });
    let outcome = RwSignal::new(None::<Outcome>);
    report(add, outcome, changes);
    report(delete, outcome, changes);
    view! {
        <h2>"Passkeys"</h2>
        <noscript><p>"Adding or deleting passkeys needs JavaScript."</p></noscript>
        <Transition fallback=|| view! { <p>"Loading your passkeys…"</p> }>
            {move || Suspend::new(async move {
                match listed.await {
                    Ok(passkeys) if passkeys.is_empty() => view! { <p>"You have no passkeys yet."</p> }.into_any(),
                    Ok(passkeys) => view! { <PasskeyList passkeys delete/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <button type="button" on:click=move |_| { add.dispatch_local(()); }
            disabled=move || add.pending().get()>
            "Add a passkey"
        </button>
        {move || outcome.get().map(|outcome| match outcome {
            Ok(message) => view! { <p class="notice success" role="status">{message}</p> }.into_any(),
            Err(error) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
        })}
    }
}

/// The second sign-in step after the password: an authenticator app (set up
/// by scanning its key, confirmed with a first code) and codes by email,
/// each turned on or off.
#[island(lazy)]
fn SecondStep() -> impl IntoView {
    // The buttons wait for the island: a click before it hydrated would do nothing.
    let ready = RwSignal::new(false);
    Effect::new(move || ready.set(true));
    let changes = RwSignal::new(0_u32);
    let factors = Resource::new(move || changes.get(), |_| list_second_factors());
    let setup = RwSignal::new(None::<AppSetup>);
    let start = Action::new_unsync_local(move |_: &()| async move {
        let started = start_app_setup().await.map_err(|e| e.to_string())?;
        setup.set(Some(started));
        Ok::<_, String>("Scan the key with your authenticator app, then enter the code it shows.")
    });
    let code = RwSignal::new(String::new());
    let confirm = Action::new_unsync_local(move |_: &()| async move {
        confirm_app(code.get_untracked())
            .await
            .map_err(|e| e.to_string())?;
        setup.set(None);
        code.set(String::new());
        Ok::<_, String>("Your authenticator app is on: sign-ins now ask for its code.")
    });
    let switch = Action::new_unsync_local(|&(factor, on): &(Factor, bool)| async move {
        set_second_factor(factor, on)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(match (factor, on) {
            (Factor::App, _) => "Your authenticator app is off.",
            (Factor::Email, true) => {
                "Email codes are on: sign-ins now ask for a code we email you."
            }
            (Factor::Email, false) => "Email codes are off.",
        })
    });
    let outcome = RwSignal::new(None::<Outcome>);
    report(start, outcome, changes);
    report(confirm, outcome, changes);
    report(switch, outcome, changes);
    view! {
        <h2>"Second sign-in step"</h2>
        <noscript><p>"Changing the second sign-in step needs JavaScript."</p></noscript>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match factors.await {
                    Ok(factors) => view! { <FactorList factors switch start ready/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || setup.get().map(|AppSetup { secret, uri }| view! {
            <div class="app-setup">
                <p>"Add this key to your authenticator app: "
                    <code id="app-secret">{secret}</code></p>
                <p><a href=uri>"Open in an authenticator app"</a></p>
                <form on:submit=move |event| { event.prevent_default(); confirm.dispatch_local(()); }>
                    <label for="app-code">"Code from the app"</label>
                    <input id="app-code" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="6"
                        autocomplete="one-time-code" required
                        prop:value=move || code.get()
                        on:input=move |event| code.set(event_target_value(&event))/>
                    <button type="submit" disabled=move || confirm.pending().get()>"Turn on"</button>
                </form>
            </div>
        })}
        {move || outcome.get().map(|outcome| match outcome {
            Ok(message) => view! { <p class="notice success" role="status">{message}</p> }.into_any(),
            Err(error) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
        })}
    }
}

/// What is on, with the way to change it.
#[component]
fn FactorList(
    factors: SecondFactors,
    switch: Action<(Factor, bool), Outcome>,
    start: Action<(), Outcome>,
    ready: RwSignal<bool>,
) -> impl IntoView {
    let state = |on: bool| if on { "on" } else { "off" };
    let app = if factors.app {
        view! {
            <button type="button" class="secondary" disabled=move || !ready.get()
                on:click=move |_| { switch.dispatch_local((Factor::App, false)); }>
                "Turn off"
            </button>
        }
        .into_any()
    } else {
        view! {
            <button type="button" disabled=move || !ready.get()
                on:click=move |_| { start.dispatch_local(()); }>
                "Set up an authenticator app"
            </button>
        }
        .into_any()
    };
    let email_on = factors.email;
    view! {
        <ul class="factors">
            <li>"Authenticator app: " <strong class="app-state">{state(factors.app)}</strong> " " {app}</li>
            <li>"Email codes: " <strong class="email-state">{state(email_on)}</strong> " "
                <button type="button" class="secondary" disabled=move || !ready.get()
                    on:click=move |_| { switch.dispatch_local((Factor::Email, !email_on)); }>
                    {if email_on { "Turn off" } else { "Turn on" }}
                </button>
            </li>
        </ul>
    }
}

/// Shows what `action` did when it is done, and reloads the list.
fn report<I: 'static>(
    action: Action<I, Outcome>,
    outcome: RwSignal<Option<Outcome>>,
    changes: RwSignal<u32>,
) {
    Effect::new(move |_| {
        if let Some(done) = action.value().get() {
            outcome.set(Some(done));
            changes.update(|n| *n += 1);
        }
    });
}

/// The passkeys, each with the way to delete it.
#[component]
fn PasskeyList(passkeys: Vec<PasskeySummary>, delete: Action<String, Outcome>) -> impl IntoView {
    let items = passkeys
        .into_iter()
        .map(|passkey| {
            let kind = match passkey.attachment.as_deref() {
                Some("platform") => "on a device's own authenticator",
                Some("cross-platform") => "on a security key or another device",
                _ => "",
            };
            let added = expiry(u64::try_from(passkey.created_at).unwrap_or_default());
            let id = passkey.credential_id;
            view! {
                <li>
                    "Passkey added " <time>{added}</time> " " {kind}
                    <button type="button" class="secondary"
                        on:click=move |_| { delete.dispatch_local(id.clone()); }>
                        "Delete"
                    </button>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="passkeys">{items}</ul> }
}

/// A moment in the reader's own time zone and locale: the server cannot know
/// them, so it renders UTC, and the browser rewrites it once the island runs.
/// Lazy, as the profile's other islands: its prop's JSON decoding stays out of
/// the WASM every page loads.
#[island(lazy)]
fn LocalTime(unix_seconds: u64) -> impl IntoView {
    let shown = RwSignal::new(expiry(unix_seconds));
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        shown.set(local_time(unix_seconds));
    });
    view! { <time datetime=expiry(unix_seconds)>{move || shown.get()}</time> }
}

/// `unix_seconds` as the browser writes dates for its user ("02/12/2026, 19:00:00").
#[cfg(feature = "hydrate")]
fn local_time(unix_seconds: u64) -> String {
    let millis = unix_seconds as f64 * 1000.0;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
    date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

/// A Unix time in UTC, RFC 3339 (the same on the server and in the browser).
fn expiry(unix_seconds: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_seconds);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// Seconds since the Unix epoch, on the server that renders the page.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// How long from `now` until `at`, as people say it: "in 59 minutes".
fn in_words(at: u64, now: u64) -> String {
    let Some(left) = at.checked_sub(now).filter(|left| *left > 0) else {
        return "now".to_owned();
    };
    let (count, unit) = match left {
        0..60 => (left, "second"),
        60..3_600 => (left / 60, "minute"),
        3_600..86_400 => (left / 3_600, "hour"),
        _ => (left / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("in {count} {unit}{plural}")
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

    #[test]
    fn the_time_left_reads_as_words() {
        assert_eq!(in_words(1_000 + 3_540, 1_000), "in 59 minutes");
        assert_eq!(in_words(1_000 + 3_600, 1_000), "in 1 hour");
        assert_eq!(in_words(1_000 + 1, 1_000), "in 1 second");
        assert_eq!(in_words(1_000 + 2 * 86_400, 1_000), "in 2 days");
        assert_eq!(in_words(1_000, 1_000), "now");
        assert_eq!(in_words(999, 1_000), "now");
    }
}
