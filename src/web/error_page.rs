//! The pool's own error page (askama, auto-escaped).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    message: &'a str,
    retry: Option<&'a str>,
    back: Option<(&'a str, &'a str)>,
}

/// The pool's own error page; `retry` offers a way to start again.
pub(crate) fn error_page(status: StatusCode, message: &str, retry: Option<&str>) -> Response {
    error_page_back_to(status, message, retry, None)
}

/// The error page, with a link `back` to the app (its name and URL) where the
/// request named a known client: only then is the URL one of the client's own.
pub(crate) fn error_page_back_to(
    status: StatusCode,
    message: &str,
    retry: Option<&str>,
    back: Option<(&str, &str)>,
) -> Response {
    match (ErrorPage {
        message,
        retry,
        back,
    })
    .render()
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering the error page");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}
