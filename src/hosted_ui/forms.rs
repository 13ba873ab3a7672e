//! The hosted UI's handlers of its password pages (sign-in, sign-up,
//! confirmation, the new-password challenge, password reset). Each one
//! re-validates the OAuth parameters it carries, checks CSRF on posts (with
//! `flow`), hands the work to `accounts`, and either renders a page or
//! redirects.

use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::flow::{
    Posted, Username, after_sign_in, check_post, failed_attempt, login_form, page_for, render,
};
use super::mfa;
use super::pages::{
    ConfirmForgotPasswordPage, ConfirmPage, ForgotPasswordPage, NewPasswordPage, PasskeyOfferPage,
    SignupPage,
};
use crate::accounts::{self, Refusal, Resent, SignIn};
use crate::signin::answer::{signed_in, signed_in_to};
use crate::signin::request::{AuthRequest, OAuthParams, validate};
use crate::store::User;
use crate::triggers::event::{Caller, NO_METADATA};
use crate::web::{PageError, found};
use crate::{UserPool, challenge, passkeys};

/// Where a confirmation code went, masked (`a***@e***`), in the same words
/// whether or not the name has an account: the address is the one typed.
fn code_sent(username: &str, again: bool) -> String {
    let to = crate::mail::masked(&accounts::normalize_email(username));
    if again {
        format!("We have sent a new code by email to {to}. Enter it below to confirm your account.")
    } else {
        // A sign-up with the address of an account gets a mail that says so, not a code.
        format!(
            "We have sent an email to {to}. Enter the code in it below to confirm your account; \
             if you already have an account, the email says how to sign in instead."
        )
    }
}
/// Shown whether or not the address has an account.
const RESET_CODE_SENT: &str = "If an account exists for this email, we have sent it a code. Enter it below with your new password.";
const PASSWORD_RESET: &str = "Your password has been changed. Sign in with your new password.";

#[derive(Deserialize)]
pub(super) struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub(super) struct CodeFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub(super) struct NewPasswordFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

// --- sign in ---

/// The sign-in page's query: the authorization request, the name to fill in,
/// and what just happened (shown as a notice; only the pool's own words).
#[derive(Deserialize)]
pub(super) struct LoginQuery {
    #[serde(flatten)]
    oauth: OAuthParams,
    #[serde(default)]
    username: String,
    #[serde(default)]
    notice: Option<Notice>,
}

/// What the sign-in page was sent back to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Notice {
    /// A reset password was set (the form's POST then redirects here, so that
    /// reloading the page posts nothing again).
    PasswordReset,
}

pub(super) async fn login_page(
    pool: UserPool,
    jar: CookieJar,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let request = validate(pool.pool(), &query.oauth)?;
    let info = query.notice.map(|notice| match notice {
        Notice::PasswordReset => PASSWORD_RESET,
    });
    login_form(&pool, jar, &request, query.username.trim(), info, None).await
}

pub(super) async fn login(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<Credentials>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let now = crate::now();
    let Credentials { username, password } = &posted.fields;
    let caller = Caller::of(&request.client_id);
    let outcome = accounts::sign_in(&pool, caller, username, password, now).await?;
    if let SignIn::Authenticated(user) = &outcome {
        if let Some(page) = mfa::second_step(&pool, &jar, &request, user, username, now).await? {
            return Ok(page);
        }
        if let Some(offer) = offer_passkey(&pool, &jar, &request, user, now).await? {
            return Ok(offer);
        }
    }
    after_sign_in(&pool, jar, &request, username, outcome, now).await
}

/// After a password sign-in, where the hosted UI can make passkeys and the
/// user has none: signs them in (the SSO session and the client's code, as
/// ever) and offers, before going back to the client, to add one. None where
/// there is nothing to offer.
async fn offer_passkey(
    pool: &UserPool,
    jar: &CookieJar,
    request: &AuthRequest,
    user: &User,
    now: i64,
) -> Result<Option<Response>, PageError> {
    if !passkeys::usable_at(pool, pool.config().public_url())
        || passkeys::has_passkeys(pool, user).await?
    {
        return Ok(None);
    }
    let Ok(options) = passkeys::start_registration(pool, user, now).await? else {
        return Ok(None);
    };
    let (jar, back) = signed_in_to(pool, jar.clone(), request, &user.sub, now).await?;
    let options = options.to_string();
    let page = render(pool, jar, request, |form| PasskeyOfferPage {
        form,
        options: &options,
        back: &back,
        info: None,
        error: None,
    })?;
    Ok(Some(page))
}

#[derive(Deserialize)]
pub(super) struct ChallengeAnswer {
    #[serde(default)]
    username: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    password: String,
}

/// Answers the `NEW_PASSWORD_REQUIRED` challenge; the user is then signed in.
pub(super) async fn new_password(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<ChallengeAnswer>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let ChallengeAnswer {
        username,
        session,
        password,
    } = &posted.fields;
    let client_id = &request.client_id;
    let now = crate::now();
    match challenge::answer(&pool, session, client_id, username, password, now).await? {
        Ok(user) => {
            if let Some(page) =
                mfa::second_step(&pool, &jar, &request, &user, username, now).await?
            {
                return Ok(page);
            }
            let (jar, redirect) = signed_in(&pool, jar, &request, &user.sub, now).await?;
            Ok((jar, redirect).into_response())
        }
        // Forged, expired or spent: start again from the sign-in page.
        Err(refusal @ Refusal::SessionExpired) => {
            let message = refusal.to_string();
            login_form(&pool, jar, &request, username, None, Some(&message))
                .await
                .map(failed_attempt)
        }
        Err(refusal) => {
            let message = refusal.to_string();
            render(&pool, jar, &request, |form| NewPasswordPage {
                form,
                username,
                session,
                minimum_length: pool.pool().password_policy().minimum_length,
                info: None,
                error: Some(&message),
            })
        }
    }
}

// --- sign up ---

pub(super) async fn signup_page(
    pool: UserPool,
    jar: CookieJar,
    Query(params): Query<OAuthParams>,
) -> Result<Response, PageError> {
    let request = validate(pool.pool(), &params)?;
    render(&pool, jar, &request, |form| SignupPage {
        form,
        username: "",
        minimum_length: pool.pool().password_policy().minimum_length,
        info: None,
        error: None,
    })
}

pub(super) async fn signup(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<Credentials>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/signup", &[])?;
    let Credentials { username, password } = &posted.fields;
    let via = accounts::Via::HostedUi;
    let applicant = accounts::Applicant {
        username: None,
        email: Some(username),
        validation_data: &NO_METADATA,
    };
    let caller = Caller::of(&request.client_id);
    let now = crate::now();
    match accounts::sign_up(&pool, caller, &applicant, Some(password), &[], via, now).await? {
        Ok(accounts::SignedUp::Created {
            sub,
            confirmed: true,
        }) => {
            // Confirmed by the PreSignUp trigger: signed in at once, as from the confirm page.
            let (jar, redirect) = signed_in(&pool, jar, &request, &sub, now).await?;
            Ok((jar, redirect).into_response())
        }
        Ok(_) => Ok(found(&page_for(
            "/confirm",
            &request,
            &accounts::normalize_email(username),
        ))),
        Err(refusal) => {
            let message = refusal.to_string();
            render(&pool, jar, &request, |form| SignupPage {
                form,
                username,
                minimum_length: pool.pool().password_policy().minimum_length,
                info: None,
                error: Some(&message),
            })
        }
    }
}

// --- confirmation ---

/// The query of a page that works on one account's behalf.
#[derive(Deserialize)]
pub(super) struct UsernameQuery {
    #[serde(flatten)]
    oauth: OAuthParams,
    #[serde(default)]
    username: String,
}

pub(super) async fn confirm_page(
    pool: UserPool,
    jar: CookieJar,
    Query(query): Query<UsernameQuery>,
) -> Result<Response, PageError> {
    let request = validate(pool.pool(), &query.oauth)?;
    let sent = code_sent(&query.username, false);
    render(&pool, jar, &request, |form| ConfirmPage {
        form,
        username: &query.username,
        info: Some(&sent),
        error: None,
    })
}

pub(super) async fn confirm(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<CodeFields>>,
) -> Result<Response, PageError> {
    let request = check_post(
        &pool,
        &jar,
        &posted,
        "/confirm",
        &[("username", &posted.fields.username)],
    )?;
    let CodeFields { username, code } = &posted.fields;
    let now = crate::now();
    match accounts::confirm(&pool, Caller::of(&request.client_id), username, code, now).await? {
        Ok(user) => {
            let (jar, redirect) = signed_in(&pool, jar, &request, &user.sub, now).await?;
            Ok((jar, redirect).into_response())
        }
        Err(refusal) => {
            let message = refusal.to_string();
            let sent = code_sent(username, false);
            render(&pool, jar, &request, |form| ConfirmPage {
                form,
                username,
                info: Some(&sent),
                error: Some(&message),
            })
            .map(failed_attempt)
        }
    }
}

pub(super) async fn resend(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<Username>>,
) -> Result<Response, PageError> {
    let request = check_post(
        &pool,
        &jar,
        &posted,
        "/confirm",
        &[("username", &posted.fields.username)],
    )?;
    let username = &posted.fields.username;
    let now = crate::now();
    // The same words whether or not the name has an account (see `accounts::resend_code`).
    let (info, error) =
        match accounts::resend_code(&pool, Caller::of(&request.client_id), username, now).await? {
            Resent::OverLimit { until } => {
                let minutes = ((until - now).max(1) + 59) / 60;
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                let message = format!("Too many codes were sent. Try again in {minutes} {unit}.");
                (None, Some(message))
            }
            _ => (Some(code_sent(username, true)), None),
        };
    render(&pool, jar, &request, |form| ConfirmPage {
        form,
        username,
        info: info.as_deref(),
        error: error.as_deref(),
    })
}

// --- forgotten password ---

pub(super) async fn forgot_password_page(
    pool: UserPool,
    jar: CookieJar,
    Query(query): Query<UsernameQuery>,
) -> Result<Response, PageError> {
    let request = validate(pool.pool(), &query.oauth)?;
    render(&pool, jar, &request, |form| ForgotPasswordPage {
        form,
        username: &query.username,
        info: None,
        error: None,
    })
}

pub(super) async fn forgot_password(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<Username>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/forgotPassword", &[])?;
    let username = accounts::normalize_email(&posted.fields.username);
    let caller = Caller::of(&request.client_id);
    accounts::forgot_password(&pool, caller, &username, crate::now()).await?;
    Ok(found(&page_for(
        "/confirmForgotPassword",
        &request,
        &username,
    )))
}

pub(super) async fn confirm_forgot_password_page(
    pool: UserPool,
    jar: CookieJar,
    Query(query): Query<UsernameQuery>,
) -> Result<Response, PageError> {
    let request = validate(pool.pool(), &query.oauth)?;
    render(&pool, jar, &request, |form| ConfirmForgotPasswordPage {
        form,
        username: &query.username,
        minimum_length: pool.pool().password_policy().minimum_length,
        info: Some(RESET_CODE_SENT),
        error: None,
    })
}

pub(super) async fn confirm_forgot_password(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<NewPasswordFields>>,
) -> Result<Response, PageError> {
    let request = check_post(
        &pool,
        &jar,
        &posted,
        "/confirmForgotPassword",
        &[("username", &posted.fields.username)],
    )?;
    let NewPasswordFields {
        username,
        code,
        password,
    } = &posted.fields;
    let now = crate::now();
    let caller = Caller::of(&request.client_id);
    match accounts::confirm_forgot_password(&pool, caller, username, code, password, now).await? {
        Ok(()) => {
            let query = request
                .params
                .query(&[("username", username), ("notice", "password_reset")]);
            Ok(found(&format!("/login?{query}")))
        }
        Err(refusal) => {
            let message = refusal.to_string();
            render(&pool, jar, &request, |form| ConfirmForgotPasswordPage {
                form,
                username,
                minimum_length: pool.pool().password_policy().minimum_length,
                info: None,
                error: Some(&message),
            })
            // A policy refusal is not a wrong code.
            .map(|page| match refusal {
                Refusal::Password(_) => page,
                _ => failed_attempt(page),
            })
        }
    }
}
