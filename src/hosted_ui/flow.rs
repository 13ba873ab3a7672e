//! What the hosted UI's forms share, below their handlers: a posted form
//! (its fields, the CSRF token, the OAuth parameters) and its checks, a page
//! rendered with a fresh CSRF token, the sign-in page, and where a sign-in
//! leads once a step of it is done.

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::pages::{FormContext, LoginPage, NewPasswordPage};
use crate::accounts::SignIn;
use crate::auth_factors::AuthFactor;
use crate::signin::answer::signed_in;
use crate::signin::request::{AuthRequest, OAuthParams, validate};
use crate::web::{Brand, OWN_SCRIPT, PageError, found};
use crate::{UserPool, challenge, csrf, user_auth};

const NEW_PASSWORD_REQUIRED: &str =
    "Your password was set by an administrator. Choose your own to continue.";

/// A posted form: its own fields, the CSRF field and the OAuth parameters.
#[derive(Deserialize)]
pub(super) struct Posted<T> {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(flatten)]
    oauth: OAuthParams,
    #[serde(flatten)]
    pub(super) fields: T,
}

#[derive(Deserialize)]
pub(super) struct Username {
    #[serde(default)]
    pub(super) username: String,
}

/// Validates the OAuth parameters of a post, then its CSRF token; on a
/// mismatch, the error page links back to `page` with the same parameters
/// (and `extra` ones), and back to the app (the client is known by then).
pub(super) fn check_post<T>(
    pool: &UserPool,
    jar: &CookieJar,
    posted: &Posted<T>,
    page: &str,
    extra: &[(&str, &str)],
) -> Result<AuthRequest, PageError> {
    let request = validate(pool.pool(), &posted.oauth)?;
    if !csrf::verify(pool.csrf_key(), jar, posted.csrf.as_deref()) {
        let app = pool
            .pool()
            .client(&request.client_id)
            .map_or_else(String::new, |client| client.name.clone());
        return Err(PageError::Csrf {
            retry: format!("{page}?{}", posted.oauth.query(extra)),
            back: (app, request.cancel_url()),
        });
    }
    Ok(request)
}

/// Renders a page built from the form context, setting the CSRF cookie if needed;
/// it runs the forms' script (`/static/forms.js`).
pub(super) fn render<P: Template>(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    page: impl FnOnce(FormContext) -> P,
) -> Result<Response, PageError> {
    let (jar, token) = csrf::issue(pool.config(), pool.csrf_key(), jar)?;
    let brand = Brand::of(pool, Some(&request.client_id));
    let html = page(FormContext::new(request, token, brand))
        .render()
        .map_err(crate::error::Error::from)?;
    Ok(with_script((jar, Html(html)).into_response()))
}

/// Marks a page that refused a password or code, so it counts against the
/// caller's address (see `throttle`).
pub(super) fn failed_attempt(mut response: Response) -> Response {
    response
        .extensions_mut()
        .insert(crate::web::throttle::FailedAttempt);
    response
}

/// `page`, keeping the OAuth parameters, for `username`.
pub(super) fn page_for(page: &str, request: &AuthRequest, username: &str) -> String {
    format!("{page}?{}", request.params.query(&[("username", username)]))
}

/// The sign-in page, offering a mailed code where the pool allows it, and
/// passkeys where the page's own address can hold a ceremony: by name, and in
/// the username field's autofill (conditional UI, with the page's script),
/// unless the page shows a refusal: a browser that picks a passkey unasked
/// (or one refused just now) would take the user away from the message.
pub(super) async fn login_form(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    username: &str,
    info: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let policy = &pool.pool().settings.policies.sign_in_policy;
    let passkey = crate::passkeys::usable_at(pool, pool.config().public_url());
    let autofill = if passkey && error.is_none() {
        let now = crate::now();
        user_auth::start_discoverable_passkey(pool, &request.client_id, now)
            .await?
            .ok()
            .map(|(session, options)| (session, options.to_string()))
    } else {
        None
    };
    let page = render(pool, jar, request, |form| LoginPage {
        form,
        username,
        email_code: policy.allows(AuthFactor::EmailOtp),
        passkey,
        autofill: autofill
            .as_ref()
            .map(|(session, options)| (session.as_str(), options.as_str())),
        providers: providers(pool, request),
        info,
        error,
    })?;
    Ok(page)
}

/// The client's upstream identity providers that the pool has, each with the
/// query that sends this authorization request to it.
fn providers(pool: &UserPool, request: &AuthRequest) -> Vec<(String, String)> {
    let Some(client) = pool.pool().client(&request.client_id) else {
        return Vec::new();
    };
    client
        .identity_providers
        .iter()
        .filter(|name| pool.identity_provider(name).is_some())
        .map(|name| {
            let params = OAuthParams {
                identity_provider: Some(name.clone()),
                idp_identifier: None,
                ..request.params.clone()
            };
            (name.clone(), params.query(&[]))
        })
        .collect()
}

/// A page that runs the pool's own scripts (no inline code).
fn with_script(mut page: Response) -> Response {
    page.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(OWN_SCRIPT),
    );
    page
}

/// Where a first factor (a password, a mailed code) leads: back to the
/// client, to the next step, or to the sign-in page with the refusal.
pub(super) async fn after_sign_in(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    username: &str,
    outcome: SignIn,
    now: i64,
) -> Result<Response, PageError> {
    match outcome {
        SignIn::Authenticated(user) => {
            let (jar, redirect) = signed_in(pool, jar, request, &user.sub, now).await?;
            Ok((jar, redirect).into_response())
        }
        SignIn::NeedsConfirmation => Ok(found(&page_for("/confirm", request, username))),
        // The administrator's reset sent a code: the user sets a new password with it.
        SignIn::PasswordResetRequired => Ok(found(&page_for(
            "/confirmForgotPassword",
            request,
            username,
        ))),
        SignIn::NewPasswordRequired(user) => {
            let session = challenge::session(pool, &user, &request.client_id, now)?;
            render(pool, jar, request, |form| NewPasswordPage {
                form,
                username: user.email.as_deref().unwrap_or(&user.username),
                session: &session,
                minimum_length: pool.pool().password_policy().minimum_length,
                info: Some(NEW_PASSWORD_REQUIRED),
                error: None,
            })
        }
        SignIn::Refused(refusal) => {
            let message = refusal.to_string();
            login_form(pool, jar, request, username, None, Some(&message))
                .await
                .map(failed_attempt)
        }
    }
}
