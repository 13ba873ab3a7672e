//! OpenID Connect discovery and the JWKS, under the issuer's path
//! (`/{pool id}/.well-known/...`) as Cognito publishes them. Only endpoints that
//! exist are advertised.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::UserPool;
use crate::config::{Config, SUPPORTED_SCOPES};

pub(crate) fn routes(config: &Config) -> Router<UserPool> {
    let base = format!("/{}/.well-known", config.pool_id());
    Router::new()
        .route(&format!("{base}/openid-configuration"), get(discovery))
        .route(&format!("{base}/jwks.json"), get(jwks))
        .layer(crate::web::cors())
}

async fn discovery(State(pool): State<UserPool>) -> Json<Value> {
    Json(discovery_document(pool.config()))
}

async fn jwks(State(pool): State<UserPool>) -> Json<crate::keys::Jwks> {
    Json(pool.key().jwks())
}

fn discovery_document(config: &Config) -> Value {
    let issuer = config.issuer();
    let public_url = config.public_url();
    // The scopes some client may actually be granted, in a stable order.
    let scopes: Vec<&str> = SUPPORTED_SCOPES
        .iter()
        .copied()
        .filter(|s| {
            config
                .clients()
                .iter()
                .any(|c| c.allowed_scopes.iter().any(|a| a == s))
        })
        .collect();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{public_url}/oauth2/authorize"),
        "token_endpoint": format!("{public_url}/oauth2/token"),
        "end_session_endpoint": format!("{public_url}/logout"),
        "revocation_endpoint": format!("{public_url}/oauth2/revoke"),
        "userinfo_endpoint": format!("{public_url}/oauth2/userInfo"),
        "jwks_uri": config.jwks_url(),
        "response_types_supported": ["code", "token"],
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": ["authorization_code", "refresh_token", "implicit", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "aud", "auth_time", "cognito:groups", "cognito:username", "email",
            "email_verified", "exp", "iat", "iss", "nonce", "sub", "token_use"
        ],
    })
}
