//! Passkeys in the hosted UI (where the pool's policy allows `WEB_AUTHN` and
//! its own address is under the relying party's name). Signing in: the sign-in
//! page's "Sign in with a passkey" posts the name to `/passkey`, which shows a
//! page whose script (`/static/passkey.js`)
//! asks the browser for the account's passkey and posts its answer to
//! `/passkey/confirm`; without a passkey for the name (or without an account)
//! the sign-in page says so, in the same words either way. Adding one: after a
//! password sign-in of a user without a passkey, the offer (`forms`) posts the
//! browser's new passkey to `/passkey/add`, for the user the SSO session names.
//! In the autofill: the sign-in page itself (`flow::login_form`) carries a
//! challenge for whichever passkey the browser offers in the username field,
//! and the script posts the one the user picks to `/passkey/autofill`.

use axum::extract::Form;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::flow::{
    Posted, Username, after_sign_in, check_post, failed_attempt, login_form, render,
};
use super::pages::PasskeyPage;
use crate::accounts::{Refusal, SignIn};
use crate::signin::session;
use crate::web::{PageError, found};
use crate::{UserPool, passkeys, user_auth};

pub(super) const SCRIPT: &str = include_str!("passkey.js");

/// A passkey from the autofill that is not (or no longer) one of an account's.
const AUTOFILL_REFUSED: &str =
    "That passkey did not sign you in. Sign in with your email and password, or another passkey.";

/// Shown alike for a name without an account and an account without a passkey.
const NO_PASSKEY: &str =
    "There is no passkey for this account here. Sign in with your password or an emailed code.";

/// The challenge for the named account's passkeys, on a page that asks the browser for one.
pub(super) async fn start(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<Username>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let username = posted.fields.username.trim();
    let now = crate::now();
    let user = crate::accounts::user_named(&pool, username).await?;
    let started = match &user {
        Some(user) if passkeys::has_passkeys(&pool, user).await? => {
            user_auth::start_passkey(&pool, &request.client_id, user, now)
                .await?
                .ok()
        }
        _ => None,
    };
    let Some((session, options)) = started else {
        return login_form(&pool, jar, &request, username, None, Some(NO_PASSKEY)).await;
    };
    let options = options.to_string();
    render(&pool, jar, &request, |form| PasskeyPage {
        form,
        username,
        session: &session,
        options: &options,
        info: None,
        error: None,
    })
}

#[derive(Deserialize)]
pub(super) struct AutofillAnswer {
    #[serde(default)]
    session: String,
    #[serde(default)]
    credential: String,
}

/// Signs in the account whose passkey the user picked in the autofill.
pub(super) async fn autofill(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<AutofillAnswer>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let AutofillAnswer {
        session,
        credential,
    } = &posted.fields;
    let now = crate::now();
    let outcome =
        user_auth::answer_discoverable_passkey(&pool, session, &request.client_id, credential, now)
            .await?;
    let username = match &outcome {
        SignIn::Authenticated(user) => user.email.clone().unwrap_or_else(|| user.username.clone()),
        SignIn::Refused(refusal) => {
            let message = match refusal {
                Refusal::IncorrectCredentials => AUTOFILL_REFUSED.to_owned(),
                other => other.to_string(),
            };
            return login_form(&pool, jar, &request, "", None, Some(&message))
                .await
                .map(failed_attempt);
        }
        _ => String::new(),
    };
    after_sign_in(&pool, jar, &request, &username, outcome, now).await
}

#[derive(Deserialize)]
pub(super) struct NewPasskey {
    #[serde(default)]
    credential: String,
}

/// Keeps the passkey the browser made for the user signed in at the pool, then
/// goes on to the client through `/oauth2/authorize`, which the SSO session answers.
pub(super) async fn add(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<NewPasskey>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let now = crate::now();
    let signed_in = session::current(&pool, &jar, now).await?;
    let user = match signed_in {
        Some(session) => pool.store().user(&session.sub).await?,
        None => None,
    };
    let credential = serde_json::from_str(&posted.fields.credential).ok();
    if let (Some(user), Some(credential)) = (user, credential)
        && let Err(refusal) =
            passkeys::complete_registration(&pool, &user, &credential, now).await?
    {
        tracing::info!(sub = %user.sub, %refusal, "passkey not added after sign-in");
    }
    Ok(found(&format!(
        "/oauth2/authorize?{}",
        request.params.query(&[])
    )))
}

#[derive(Deserialize)]
pub(super) struct PasskeyAnswer {
    #[serde(default)]
    username: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    credential: String,
}

/// Signs in with the browser's answer (`AuthenticationResponseJSON`).
pub(super) async fn confirm(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<PasskeyAnswer>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let PasskeyAnswer {
        username,
        session,
        credential,
    } = &posted.fields;
    let now = crate::now();
    let client_id = &request.client_id;
    let outcome =
        user_auth::answer_passkey(&pool, session, client_id, username, credential, now).await?;
    after_sign_in(&pool, jar, &request, username, outcome, now).await
}
