//! `POST /oauth2/token`: the `authorization_code` grant (single-use codes bound to
//! client, redirect URI and PKCE challenge; a replayed code revokes what it
//! issued) and the `refresh_token` grant (new ID and access tokens from the same
//! authentication event, no new refresh token).

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::TokenError;
use crate::store::{Redeemed, RefreshToken};
use crate::tokens::{self, Grant};
use crate::{UserPool, pkce, secrets};

#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    expires_in: i64,
    token_type: &'static str,
}

pub(super) async fn token(
    State(pool): State<UserPool>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, TokenError> {
    let Form(request) = form.map_err(|_| TokenError::InvalidRequest)?;
    let tokens = match request.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(&pool, &request).await?,
        Some("refresh_token") => refresh(&pool, &request).await?,
        Some(_) => return Err(TokenError::UnsupportedGrantType),
        None => return Err(TokenError::InvalidRequest),
    };
    let mut response = Json(tokens).into_response();
    // Tokens must not be cached (RFC 6749 §5.1).
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

pub(super) fn required(value: &Option<String>) -> Result<&str, TokenError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or(TokenError::InvalidRequest)
}

/// The client a request names. All clients are public: one presenting a secret is refused.
pub(super) fn public_client(
    pool: &UserPool,
    client_id: &Option<String>,
    client_secret: &Option<String>,
) -> Result<String, TokenError> {
    let id = required(client_id)?;
    let client = pool.config().client(id).ok_or(TokenError::InvalidClient)?;
    if client_secret.is_some() {
        return Err(TokenError::InvalidClient);
    }
    Ok(client.id.clone())
}

async fn exchange_code(
    pool: &UserPool,
    request: &TokenRequest,
) -> Result<TokenResponse, TokenError> {
    let client_id = public_client(pool, &request.client_id, &request.client_secret)?;
    let code = required(&request.code)?;
    let redirect_uri = required(&request.redirect_uri)?;
    let verifier = required(&request.code_verifier)?;

    let now = crate::now();
    let code_hash = secrets::digest(code);
    let issued = match pool.store().redeem_auth_code(&code_hash, now).await? {
        Redeemed::Fresh(issued) => issued,
        Redeemed::Replayed | Redeemed::Unknown => return Err(TokenError::InvalidGrant),
    };
    // The code is spent whatever happens next, so a wrong verifier cannot be retried.
    if issued.expires_at <= now
        || issued.client_id != client_id
        || issued.redirect_uri != redirect_uri
        || !pkce::verify_s256(verifier, &issued.code_challenge)
    {
        return Err(TokenError::InvalidGrant);
    }
    let user = match pool.store().user(&issued.sub).await? {
        Some(user) if user.confirmed => user,
        _ => return Err(TokenError::InvalidGrant),
    };
    let groups = pool.store().groups(&user.sub).await?;
    let origin_jti = secrets::uuid()?;
    let grant = Grant {
        sub: &user.sub,
        email: &user.email,
        groups: &groups,
        client_id: &client_id,
        scope: &issued.scope,
        auth_time: issued.auth_time,
        origin_jti: &origin_jti,
        event_id: &issued.event_id,
        nonce: issued.nonce.as_deref(),
    };
    let signed = tokens::issue(pool.config(), pool.key(), &grant, now)?;

    let refresh_token = secrets::token()?;
    pool.store()
        .insert_refresh_token(&RefreshToken {
            token_hash: secrets::digest(&refresh_token),
            client_id: client_id.clone(),
            sub: user.sub.clone(),
            scope: issued.scope.clone(),
            auth_time: issued.auth_time,
            origin_jti,
            event_id: issued.event_id.clone(),
            auth_code_hash: code_hash,
            expires_at: now + pool.config().refresh_token_seconds(),
        })
        .await?;
    Ok(TokenResponse {
        id_token: signed.id_token,
        access_token: signed.access_token,
        refresh_token: Some(refresh_token),
        expires_in: pool.config().access_token_seconds(),
        token_type: "Bearer",
    })
}

async fn refresh(pool: &UserPool, request: &TokenRequest) -> Result<TokenResponse, TokenError> {
    let client_id = public_client(pool, &request.client_id, &request.client_secret)?;
    let presented = required(&request.refresh_token)?;
    let now = crate::now();
    let stored = pool
        .store()
        .live_refresh_token(&secrets::digest(presented), now)
        .await?
        .filter(|t| t.client_id == client_id)
        .ok_or(TokenError::InvalidGrant)?;
    let user = match pool.store().user(&stored.sub).await? {
        Some(user) if user.confirmed => user,
        _ => return Err(TokenError::InvalidGrant),
    };
    let groups = pool.store().groups(&user.sub).await?;
    let grant = Grant {
        sub: &user.sub,
        email: &user.email,
        groups: &groups,
        client_id: &client_id,
        scope: &stored.scope,
        auth_time: stored.auth_time,
        origin_jti: &stored.origin_jti,
        event_id: &stored.event_id,
        // The nonce belongs to the original authentication response only.
        nonce: None,
    };
    let signed = tokens::issue(pool.config(), pool.key(), &grant, now)?;
    Ok(TokenResponse {
        id_token: signed.id_token,
        access_token: signed.access_token,
        refresh_token: None,
        expires_in: pool.config().access_token_seconds(),
        token_type: "Bearer",
    })
}
