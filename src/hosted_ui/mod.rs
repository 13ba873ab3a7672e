//! The hosted UI: the sign-in, sign-up, confirmation and password-reset pages
//! with Cognito's paths (`/login`, `/signup`, `/confirm`, `/forgotPassword`,
//! `/confirmForgotPassword`, and `/newPassword` for a temporary password), their stylesheet, the cookies they set and the
//! security headers every browser-facing response gets.

mod forms;
pub(crate) mod pages;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::UserPool;
use crate::config::Config;

const STYLESHEET: &str = include_str!("hosted-ui.css");

pub(crate) fn routes() -> Router<UserPool> {
    Router::new()
        .route("/login", get(forms::login_page).post(forms::login))
        .route("/signup", get(forms::signup_page).post(forms::signup))
        .route("/confirm", get(forms::confirm_page).post(forms::confirm))
        .route("/resend", post(forms::resend))
        .route("/newPassword", post(forms::new_password))
        .route(
            "/forgotPassword",
            get(forms::forgot_password_page).post(forms::forgot_password),
        )
        .route(
            "/confirmForgotPassword",
            get(forms::confirm_forgot_password_page).post(forms::confirm_forgot_password),
        )
        .layer(axum::middleware::from_fn(crate::input::refuse_nul_page))
        .layer(axum::middleware::map_response(security_headers))
        .route("/static/hosted-ui.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

/// Headers for every page: no framing, no inline code, no referrer leaking the
/// OAuth parameters, no caching. No `form-action`: Chrome applies it to the
/// redirect that follows a form post, which goes to the app's origin.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    const HEADERS: [(HeaderName, &str); 5] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A cookie of the hosted UI: HttpOnly, whole-site, `Secure` when served over https.
pub(crate) fn cookie(
    name: &'static str,
    value: String,
    config: &Config,
    max_age_seconds: Option<i64>,
    same_site: SameSite,
) -> Cookie<'static> {
    let mut builder = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(config.secure_cookies())
        .same_site(same_site);
    if let Some(seconds) = max_age_seconds {
        builder = builder.max_age(cookie::time::Duration::seconds(seconds));
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sso_cookie_is_http_only_lax_and_secure_over_https() {
        for (public_url, secure) in [
            ("http://127.0.0.1:9229", false),
            ("https://auth.example.com", true),
        ] {
            let text = crate::tests::CONFIG.replace(
                "public_url = \"http://127.0.0.1:9229\"",
                &format!("public_url = \"{public_url}\""),
            );
            let config = Config::from_toml(&text).expect("config");
            let cookie = cookie("cognito", "id".into(), &config, Some(3600), SameSite::Lax);
            let text = cookie.to_string();
            assert!(text.contains("HttpOnly"), "{text}");
            assert!(text.contains("SameSite=Lax"), "{text}");
            assert!(text.contains("Path=/"), "{text}");
            assert_eq!(text.contains("Secure"), secure, "{text}");
        }
    }
}
