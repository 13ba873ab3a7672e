//! Redirects with the status Cognito answers them with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error_page::error_page;

/// A 302 Found to `location`. (axum's `Redirect` offers 303 and 307; Cognito uses 302.)
pub(crate) fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        // Every location is built with `url`'s encoder, so this is a bug, not a user error.
        Err(_) => error_page(StatusCode::BAD_REQUEST, "Invalid redirect location.", None),
    }
}
