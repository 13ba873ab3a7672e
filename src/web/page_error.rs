//! What a browser-facing endpoint (authorize, the hosted UI, logout, the dev
//! outbox) answers instead of success: the pool's error page, or a redirect of an
//! OAuth error to a validated client URL.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error_page::{error_page, error_page_back_to};
use super::redirect::found;
use crate::error::{Error, RETRY_AFTER_SECONDS};
use crate::input::refuse_nul;

/// What a browser-facing endpoint (authorize, hosted UI, logout) can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// The request cannot be trusted to name a place to redirect to: show the pool's error page.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The CSRF cookie and form field do not match; `retry` restarts the same page,
    /// `back` (the app client's name, and its cancel URL) leaves for the app.
    #[error("CSRF token mismatch")]
    Csrf {
        retry: String,
        back: (String, String),
    },
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
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, message, None::<String>),
            PageError::Csrf {
                retry,
                back: (app, url),
            } => {
                return error_page_back_to(
                    StatusCode::FORBIDDEN,
                    "Your session on this page expired or the form was submitted from elsewhere. Please start again.",
                    Some(&retry),
                    Some((&app, &url)),
                );
            }
            PageError::ToClient(url) => return found(&url),
            PageError::Internal(Error::Busy) => {
                let mut page = error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Too many people are signing in right now. Please try again in a moment.",
                    None,
                );
                page.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                );
                return page;
            }
            PageError::Internal(Error::MailQueueFull) => (
                StatusCode::SERVICE_UNAVAILABLE,
                crate::error::MAIL_UNAVAILABLE.to_owned(),
                None,
            ),
            // The pool's own trigger said no (or failed): its words, as Cognito's hosted UI shows them.
            PageError::Internal(Error::Trigger { message, .. }) => {
                (StatusCode::BAD_REQUEST, message, None)
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
        error_page(status, &message, retry.as_deref())
    }
}

/// Middleware for pages (the hosted UI, `/oauth2/authorize`, `/logout`): U+0000
/// anywhere in the query or the form gets the error page, 400.
pub(crate) async fn refuse_nul_page(request: Request, next: Next) -> Response {
    refuse_nul(request, next, || {
        PageError::BadRequest(
            "The request contains the character U+0000, which no field accepts.".into(),
        )
    })
    .await
}
