//! OpenID Connect discovery and the JWKS of each pool, under its issuer's path
//! (`/{pool id}/.well-known/...`) as Cognito publishes them, and the same
//! metadata where RFC 8414 looks for an OAuth 2.0 authorization server's
//! (`/.well-known/oauth-authorization-server/{pool id}`, the well-known part
//! inserted before the issuer's path). Only endpoints that exist are advertised.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::UserPool;
use crate::config::SUPPORTED_SCOPES;

pub(crate) fn routes() -> Router<UserPool> {
    Router::new()
        .route(
            "/{pool_id}/.well-known/openid-configuration",
            get(discovery),
        )
        .route(
            "/.well-known/oauth-authorization-server/{pool_id}",
            get(discovery),
        )
        .route("/{pool_id}/.well-known/jwks.json", get(jwks))
        .layer(crate::web::cors())
}

/// The pool the path names, or the 404 (or 500) to answer instead.
async fn named(server: &UserPool, id: &str) -> Result<UserPool, Response> {
    match server.in_pool(id).await {
        Ok(Some(pool)) => Ok(pool),
        Ok(None) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(error) => Err(crate::web::PageError::from(error).into_response()),
    }
}

async fn discovery(State(server): State<UserPool>, Path(id): Path<String>) -> Response {
    match named(&server, &id).await {
        Ok(pool) => Json(discovery_document(&pool)).into_response(),
        Err(refusal) => refusal,
    }
}

async fn jwks(State(server): State<UserPool>, Path(id): Path<String>) -> Response {
    match named(&server, &id).await {
        Ok(pool) => Json(pool.key().jwks()).into_response(),
        Err(refusal) => refusal,
    }
}

fn discovery_document(server: &UserPool) -> Value {
    let pool = server.pool();
    let issuer = pool.issuer();
    let keys_url = server.config().public_url();
    // The endpoints are the pool's domain's, if it has one (as Cognito's are).
    let public_url = match &pool.domain {
        Some(domain) => server.domain_url(domain),
        None => keys_url.to_owned(),
    };
    // The scopes some client may actually be granted, in a stable order.
    let scopes: Vec<&str> = SUPPORTED_SCOPES
        .iter()
        .copied()
        .filter(|s| {
            pool.clients()
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
        "jwks_uri": format!("{keys_url}/{}/.well-known/jwks.json", pool.id),
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
