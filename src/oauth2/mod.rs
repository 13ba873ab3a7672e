//! The OAuth 2.0 / OpenID Connect endpoints with Cognito's paths:
//! `/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`, `/oauth2/userInfo`
//! and `/logout`, plus the pieces the hosted UI
//! shares with them (validated authorization requests, SSO sessions).

mod authorize;
mod logout;
pub(crate) mod request;
mod revoke;
pub(crate) mod session;
mod token;
mod userinfo;

use axum::Router;
use axum::http::Method;
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

use crate::UserPool;

pub(crate) use authorize::signed_in;

pub(crate) fn routes() -> Router<UserPool> {
    let browser = Router::new()
        .route("/oauth2/authorize", get(authorize::authorize))
        .route("/logout", get(logout::logout))
        .layer(axum::middleware::from_fn(crate::input::refuse_nul_page))
        .layer(axum::middleware::map_response(
            crate::hosted_ui::security_headers,
        ));
    let api = Router::new()
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/revoke", post(revoke::revoke))
        .layer(axum::middleware::from_fn(crate::input::refuse_nul_token))
        .route(
            "/oauth2/userInfo",
            get(userinfo::user_info).post(userinfo::user_info),
        )
        .layer(cors());
    browser.merge(api)
}

/// Browser apps call the token endpoint, JWKS and discovery cross-origin. No
/// credentials are involved (the token request carries everything), so any origin will do.
pub(crate) fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any)
}
