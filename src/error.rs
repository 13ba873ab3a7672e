//! Every error the pool can produce, and the one place where each kind is mapped
//! to its wire shape: an HTML page for browsers, a redirect back to a validated
//! client URL, an OAuth 2.0 JSON error for the token endpoint, or an RFC 6750
//! bearer-token error for userInfo.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::hosted_ui::pages;

/// What `Retry-After` says when password hashing is saturated.
pub(crate) const RETRY_AFTER_SECONDS: &str = "1";

/// Internal failures: nothing a client did wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create the data directory: {0}")]
    DataDir(#[source] std::io::Error),
    #[error("database: {0}{hint}", hint = storage_hint(.0))]
    Database(#[from] sqlx::Error),
    #[error("the database file {} is not a SQLite database", .0.display())]
    NotSqlite(std::path::PathBuf),
    #[error("the database file {} is damaged: integrity check failed: {findings}", file.display())]
    DamagedDatabase {
        file: std::path::PathBuf,
        findings: String,
    },
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("signing key: {0}")]
    Key(String),
    #[error("the system random number generator failed")]
    Random,
    #[error("password hashing: {0}")]
    PasswordHash(String),
    #[error("rendering a page: {0}")]
    Template(#[from] askama::Error),
    #[error("the signed-in user no longer exists")]
    UserGone,
    /// Too many password hashes running and waiting: try again shortly.
    #[error("too many sign-ins at once")]
    Busy,
    #[error("encoding a token: {0}")]
    Json(#[from] serde_json::Error),
}

/// What an operator should do about a storage failure, where the database's code says.
fn storage_hint(error: &sqlx::Error) -> &'static str {
    if let Some(code) = sqlite_code(error) {
        return match code {
            13 => " (the disk holding the database is full; writes resume once space is freed)",
            8 => " (the database file or its directory is read-only)",
            10 => " (an I/O error on the disk holding the database)",
            11 => " (the database file is damaged)",
            _ => "",
        };
    }
    match error
        .as_database_error()
        .and_then(|error| error.code())
        .as_deref()
    {
        Some("53100") => " (the disk holding PostgreSQL's data is full)",
        Some("25006") => " (PostgreSQL is read-only: a standby, or default_transaction_read_only)",
        _ => "",
    }
}

/// SQLite's primary result code (the extended code's low byte) of a database
/// error; `None` for other errors and other databases.
pub(crate) fn sqlite_code(error: &sqlx::Error) -> Option<i32> {
    let error = error.as_database_error()?;
    error.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    Some(error.code()?.parse::<i32>().ok()? & 0xff)
}

/// What a browser-facing endpoint (authorize, hosted UI, logout) can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// The request cannot be trusted to name a place to redirect to: show the pool's error page.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The CSRF cookie and form field do not match; `retry` restarts the same page.
    #[error("CSRF token mismatch")]
    Csrf { retry: String },
    /// An OAuth error for a validated client and redirect URI (RFC 6749 §4.1.2.1):
    /// the full URL, with `error`, `error_description` and `state`.
    #[error("redirecting an OAuth error to the client")]
    ToClient(String),
    #[error(transparent)]
    Internal(#[from] Error),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message, retry) = match self {
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, message, None),
            PageError::Csrf { retry } => (
                StatusCode::FORBIDDEN,
                "Your session on this page expired or the form was submitted from elsewhere. Please start again.".to_owned(),
                Some(retry),
            ),
            PageError::ToClient(url) => return crate::found(&url),
            PageError::Internal(Error::Busy) => {
                let mut page = pages::error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Too many people are signing in right now. Please try again in a moment.",
                    None,
                );
                page.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
                return page;
            }
            PageError::Internal(error) => {
                tracing::error!(%error, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong. Please try again later.".to_owned(),
                    None,
                )
            }
        };
        pages::error_page(status, &message, retry.as_deref())
    }
}

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

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        PageError::Internal(self).into_response()
    }
}
