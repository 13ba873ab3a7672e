//! The pool's own error page (askama, auto-escaped), and the middleware that
//! gives it the name and branding of the pool (and app client) a request was for.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::brand::Brand;
use super::client_url::error_url;
use crate::UserPool;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    content: &'a ErrorContent,
    brand: Option<Brand>,
}

/// What an error page says; kept on its response so that [`brand_error_pages`]
/// can render it again for the pool the request was for.
#[derive(Debug, Clone)]
struct ErrorContent {
    message: String,
    retry: Option<String>,
    back: Option<(String, String)>,
}

impl ErrorContent {
    fn render(&self, brand: Option<Brand>) -> Result<String, askama::Error> {
        ErrorPage {
            content: self,
            brand,
        }
        .render()
    }
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
    let content = ErrorContent {
        message: message.to_owned(),
        retry: retry.map(str::to_owned),
        back: back.map(|(app, url)| (app.to_owned(), url.to_owned())),
    };
    match content.render(None) {
        Ok(html) => {
            let mut page = (status, Html(html)).into_response();
            page.extensions_mut().insert(content);
            page
        }
        Err(error) => {
            tracing::error!(%error, "rendering the error page");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

/// Middleware: an error page answering a request for one of the pool's hosts
/// names that pool, with the branding of the app client its query names, and
/// a way back to that app where the query names one of its callback URLs.
pub(crate) async fn brand_error_pages(
    State(server): State<UserPool>,
    request: Request,
    next: Next,
) -> Response {
    let host = request.headers().get(header::HOST).cloned();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let Some(mut content) = response.extensions().get::<ErrorContent>().cloned() else {
        return response;
    };
    let host = host.as_ref().and_then(|host| host.to_str().ok());
    let Ok(Some(pool)) = server.for_host(host).await else {
        return response;
    };
    let query = |wanted: &str| {
        uri.query().and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == wanted)
                .map(|(_, value)| value.into_owned())
        })
    };
    let client_id = query("client_id");
    // Where the query names a client and one of its own callback URLs, the page
    // can lead back to the app, as its Cancel would.
    if content.back.is_none()
        && let Some(client) = client_id.as_deref().and_then(|id| pool.pool().client(id))
        && let Some(redirect_uri) =
            query("redirect_uri").filter(|uri| client.callback_urls.iter().any(|url| url == uri))
    {
        let state = query("state");
        let url = error_url(&redirect_uri, "access_denied", None, state.as_deref());
        content.back = Some((client.name.clone(), url));
    }
    let brand = Brand::of(&pool, client_id.as_deref());
    match content.render(Some(brand)) {
        Ok(html) => {
            let (mut parts, _) = response.into_parts();
            // The replaced page's length, which the router inside set.
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Html(html).into_response().into_body())
        }
        Err(_) => response,
    }
}
