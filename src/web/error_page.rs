//! The pool's own error page (askama, auto-escaped).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    message: &'a str,
    retry: Option<&'a str>,
}

/// The pool's own error page; `retry` offers a way to start again.
pub(crate) fn error_page(status: StatusCode, message: &str, retry: Option<&str>) -> Response {
    match (ErrorPage { message, retry }).render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering the error page");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}
