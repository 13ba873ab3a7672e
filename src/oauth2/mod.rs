//! The OAuth 2.0 / OpenID Connect endpoints with Cognito's paths:
//! `/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`, `/oauth2/userInfo`,
//! `/logout` and `/oauth2/idpresponse` (upstream identity providers' answers). What they share with the hosted UI (the authorization request,
//! the SSO session) is in `signin`.

mod authorize;
mod logout;
mod revoke;
mod token;
mod token_error;
mod upstream;
mod userinfo;

use axum::Router;
use axum::routing::{get, post};

use crate::UserPool;
use crate::web::{refuse_nul_page, security_headers};

pub(crate) fn routes() -> Router<UserPool> {
    let browser = Router::new()
        .route("/oauth2/authorize", get(authorize::authorize))
        .route("/logout", get(logout::logout))
        .route(
            crate::federation::CALLBACK_PATH,
            get(upstream::idp_response),
        )
        .layer(axum::middleware::from_fn(refuse_nul_page))
        .layer(axum::middleware::map_response(security_headers));
    let api = Router::new()
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/revoke", post(revoke::revoke))
        .layer(axum::middleware::from_fn(token_error::refuse_nul_token))
        .route(
            "/oauth2/userInfo",
            get(userinfo::user_info).post(userinfo::user_info),
        )
        .layer(crate::web::cors());
    browser.merge(api)
}
