//! `POST /oauth2/revoke` (RFC 7009): revokes a refresh token and every refresh
//! token of the same sign-in (its `origin_jti` family), so an app's logout
//! leaves nothing at the pool that could mint new tokens.

use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::token::{authenticate_client, required};
use super::token_error::TokenError;
use crate::{UserPool, secrets};

#[derive(Debug, Deserialize)]
pub(super) struct RevokeRequest {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Answers 200 whether or not the token was live (RFC 7009 §2.2): an unknown,
/// expired or other client's token tells the caller nothing and changes nothing.
/// A client with revocation turned off (`EnableTokenRevocation`) is refused.
pub(super) async fn revoke(
    pool: UserPool,
    headers: HeaderMap,
    form: Result<Form<RevokeRequest>, FormRejection>,
) -> Result<Response, TokenError> {
    let Form(request) = form.map_err(|_| TokenError::InvalidRequest)?;
    let client = authenticate_client(
        pool.pool(),
        &headers,
        &request.client_id,
        &request.client_secret,
    )?;
    let token = required(&request.token)?;
    if client.revocation_disabled {
        return Err(TokenError::UnauthorizedClient);
    }
    let revoked = pool
        .store()
        .revoke_refresh_family(&secrets::digest(token), &client.id, crate::now())
        .await?;
    tracing::info!(revoked, "refresh tokens revoked");
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
