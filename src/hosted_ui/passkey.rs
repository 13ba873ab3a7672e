//! Signing in with a passkey (`WEB_AUTHN`, where the pool's policy allows it
//! and the server has a relying party): the sign-in page's "Sign in with a
//! passkey" posts the name to `/passkey`, which shows a page whose script
//! (`/static/passkey.js`, the only script the pool serves) asks the browser
//! for the account's passkey and posts its answer to `/passkey/confirm`.
//! Without a passkey for the name (or without an account) the sign-in page
//! says so, in the same words either way.

use axum::extract::Form;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::forms::{Posted, Username, after_sign_in, check_post, login_form, render};
use super::pages::PasskeyPage;
use crate::UserPool;
use crate::passkeys;
use crate::user_auth;
use crate::web::{OWN_SCRIPT, PageError};

const SCRIPT: &str = include_str!("passkey.js");

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
        return login_form(&pool, jar, &request, username, None, Some(NO_PASSKEY));
    };
    let options = options.to_string();
    let mut page = render(&pool, jar, &request, |form| PasskeyPage {
        form,
        username,
        session: &session,
        options: &options,
        info: None,
        error: None,
    })?;
    page.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(OWN_SCRIPT),
    );
    Ok(page)
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

pub(super) async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}
