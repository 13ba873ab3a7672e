//! `GET`/`POST /oauth2/userInfo` (OpenID Connect Core §5.3): the attributes of
//! the user an access token with the `openid` scope was issued to. The token
//! must be one this pool signed, unexpired, and from a sign-in that was not
//! revoked since.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::web::bearer_token;
use crate::{UserPool, claims, grants};

/// Cognito's answer: the attributes as strings (`email_verified` too, unlike
/// in the ID token), and the username.
#[derive(Debug, Serialize)]
pub(super) struct UserInfo {
    #[serde(flatten)]
    attributes: Map<String, Value>,
    username: String,
}

pub(super) async fn user_info(
    pool: UserPool,
    headers: HeaderMap,
) -> Result<Json<UserInfo>, BearerError> {
    let token = bearer_token(&headers).ok_or(BearerError::Missing)?;
    let holder = grants::holder(&pool, token)
        .await?
        .ok_or(BearerError::InvalidToken)?;
    if !holder.has_scope("openid") {
        return Err(BearerError::InsufficientScope);
    }
    let attributes = claims::of(pool.store(), &holder.user).await?;
    Ok(Json(UserInfo {
        attributes: claims::user_info(
            &attributes,
            pool.pool().client(&holder.client_id),
            &holder.scope,
        ),
        username: holder.user.username,
    }))
}

/// The userInfo endpoint's errors (RFC 6750 §3).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BearerError {
    #[error("no access token")]
    Missing,
    /// Malformed, forged, expired, not an access token, revoked, or its user is gone.
    #[error("invalid_token")]
    InvalidToken,
    #[error("insufficient_scope")]
    InsufficientScope,
    #[error(transparent)]
    Internal(#[from] Error),
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge, code, description) = match &self {
            // A request without credentials gets a bare challenge (RFC 6750 §3.1).
            BearerError::Missing => (
                StatusCode::UNAUTHORIZED,
                "Bearer",
                "invalid_request",
                "Access token is missing",
            ),
            BearerError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                r#"Bearer error="invalid_token""#,
                "invalid_token",
                "Access token is expired, disabled, or deleted, or the user has globally signed out.",
            ),
            BearerError::InsufficientScope => (
                StatusCode::FORBIDDEN,
                r#"Bearer error="insufficient_scope", scope="openid""#,
                "insufficient_scope",
                "The access token lacks the openid scope.",
            ),
            BearerError::Internal(error) => {
                tracing::error!(%error, "internal error at the userInfo endpoint");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(serde_json::json!({ "error": "server_error" })),
                )
                    .into_response();
            }
        };
        (
            status,
            [
                (header::WWW_AUTHENTICATE, challenge),
                (header::CACHE_CONTROL, "no-store"),
            ],
            Json(serde_json::json!({ "error": code, "error_description": description })),
        )
            .into_response()
    }
}
