//! The errors of `/oauth2/token` and `/oauth2/revoke`, in RFC 6749 §5.2's JSON
//! shape with Cognito's codes.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::input::refuse_nul;

/// The token endpoint's errors, with Cognito's codes (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("invalid_request")]
    InvalidRequest,
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_grant")]
    InvalidGrant,
    #[error("unauthorized_client")]
    UnauthorizedClient,
    #[error("invalid_scope")]
    InvalidScope,
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error(transparent)]
    Internal(#[from] Error),
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            TokenError::InvalidRequest => (StatusCode::BAD_REQUEST, "invalid_request"),
            // An unknown client: 401, as RFC 6749 §5.2 describes for failed client authentication.
            TokenError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            TokenError::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant"),
            TokenError::UnauthorizedClient => (StatusCode::BAD_REQUEST, "unauthorized_client"),
            TokenError::InvalidScope => (StatusCode::BAD_REQUEST, "invalid_scope"),
            TokenError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            TokenError::Internal(error) => {
                tracing::error!(%error, "internal error at the token endpoint");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        let mut response = (status, Json(serde_json::json!({ "error": code }))).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Middleware for `/oauth2/token` and `/oauth2/revoke`: U+0000 anywhere in the
/// query or the form is `invalid_request`, 400.
pub(crate) async fn refuse_nul_token(request: Request, next: Next) -> Response {
    refuse_nul(request, next, || TokenError::InvalidRequest).await
}
