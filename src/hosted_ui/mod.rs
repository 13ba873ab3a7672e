//! The hosted UI: the sign-in, sign-up, confirmation and password-reset pages
//! with Cognito's paths (`/login`, `/signup`, `/confirm`, `/forgotPassword`,
//! `/confirmForgotPassword`, and `/newPassword` for a temporary password), signing
//! in with a mailed code (`email_code`) or a passkey (`passkey`), the second
//! factor after a password (`mfa`), their
//! stylesheet, icon and scripts (the forms', the passkey pages'), the branding's
//! stylesheets and logos (SetUICustomization), and in `dev_outbox` mode the mail
//! outbox (`outbox`).

mod email_code;
mod flow;
mod forms;
mod mfa;
pub(crate) mod outbox;
pub(crate) mod pages;
mod passkey;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::UserPool;
use crate::web::{refuse_nul_page, security_headers};

const STYLESHEET: &str = include_str!("hosted-ui.css");
/// Every form page's script: show the password, say that a form is being sent.
const FORMS_SCRIPT: &str = include_str!("forms.js");
/// The app's icon (one file for both servers).
const FAVICON: &str = include_str!("../../public/favicon.svg");

pub(crate) fn routes() -> Router<UserPool> {
    Router::new()
        .route("/login", get(forms::login_page).post(forms::login))
        .route("/signup", get(forms::signup_page).post(forms::signup))
        .route("/confirm", get(forms::confirm_page).post(forms::confirm))
        .route("/resend", post(forms::resend))
        .route("/newPassword", post(forms::new_password))
        .route("/emailCode", post(email_code::send))
        .route("/emailCode/confirm", post(email_code::confirm))
        .route("/mfa", post(mfa::answer))
        .route("/mfa/choose", post(mfa::choose))
        .route("/mfa/setup", post(mfa::setup))
        .route("/passkey", post(passkey::start))
        .route("/passkey/confirm", post(passkey::confirm))
        .route("/passkey/add", post(passkey::add))
        .route("/passkey/autofill", post(passkey::autofill))
        .route(
            "/forgotPassword",
            get(forms::forgot_password_page).post(forms::forgot_password),
        )
        .route(
            "/confirmForgotPassword",
            get(forms::confirm_forgot_password_page).post(forms::confirm_forgot_password),
        )
        .layer(axum::middleware::from_fn(refuse_nul_page))
        .layer(axum::middleware::map_response(security_headers))
        .route("/static/hosted-ui.css", get(stylesheet))
        .route("/static/passkey.js", get(passkey_script))
        .route("/static/forms.js", get(forms_script))
        .route("/static/favicon.svg", get(favicon))
        .route(crate::web::brand::CSS_ROUTE, get(customized_stylesheet))
        .route(crate::web::brand::THEME_ROUTE, get(theme))
        .route(crate::web::brand::LOGO_ROUTE, get(logo))
}

async fn stylesheet() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn forms_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", FORMS_SCRIPT)
}

async fn passkey_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", passkey::SCRIPT)
}

/// The pool's icon, or the one `[branding]` gives the declared pool. It may be
/// SVG: opened on its own, it runs nothing.
async fn favicon(pool: UserPool) -> Response {
    let mut icon = match pool.look().and_then(|look| look.favicon.clone()) {
        Some(icon) => asset(icon.content_type, icon.bytes).into_response(),
        None => asset("image/svg+xml", FAVICON).into_response(),
    };
    icon.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    icon
}

/// The declared pool's accent colours (`[branding]`).
async fn theme(pool: UserPool) -> Response {
    asset_or_not_found(
        pool.look()
            .and_then(|look| look.theme.clone())
            .map(|css| ("text/css; charset=utf-8", css.into_bytes())),
    )
}

/// The stylesheet of a customization (`ALL` or an app client's), as checked when it was set.
async fn customized_stylesheet(pool: UserPool, Path(client): Path<String>) -> Response {
    asset_or_not_found(
        pool.branding()
            .exactly(&client)
            .and_then(|custom| custom.css.clone())
            .map(|css| ("text/css; charset=utf-8", css.into_bytes())),
    )
}

/// The logo of a customization.
async fn logo(pool: UserPool, Path(client): Path<String>) -> Response {
    asset_or_not_found(
        pool.branding()
            .exactly(&client)
            .and_then(|custom| custom.logo.clone())
            .map(|logo| (logo.kind.content_type(), logo.bytes)),
    )
}

/// A configured asset, or 404 where there is none.
fn asset_or_not_found(found: Option<(&'static str, Vec<u8>)>) -> Response {
    match found {
        Some((content_type, body)) => asset(content_type, body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn asset<B: IntoResponse>(content_type: &'static str, body: B) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
}
