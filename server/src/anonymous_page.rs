//! The home page as every visitor without cookies gets it, rendered once.
//!
//! Without cookies the home page depends only on the build and the configuration
//! (the sign-in buttons, the pool's endpoints), apart from the CSP nonce each
//! response carries. Rendering it was most of the server's work for an anonymous
//! visitor (`make bench`), so the first such response is kept, cut at its nonce,
//! and later ones are put together from the pieces around their own nonce. Any
//! other request (a cookie, a query, another path or method) is rendered as usual.
//! `cargo leptos watch` turns the keeping off, so that edits show on reload.
//!
//! Keep it true: whatever the cookie-less home page shows must come from the build
//! or the configuration, never from the request.

use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;

/// The kept page: `None` when keeping is off, an empty cell until the first render.
#[derive(Clone)]
pub struct AnonymousPage {
    page: Option<Arc<OnceLock<Page>>>,
}

struct Page {
    headers: HeaderMap,
    /// The body cut at each place the nonce it was rendered with appeared.
    pieces: Vec<Bytes>,
}

impl AnonymousPage {
    /// Off while `cargo leptos watch` serves the app.
    pub fn from_environment() -> Self {
        Self::new(!app::watched())
    }

    fn new(keep: bool) -> Self {
        AnonymousPage {
            page: keep.then(Arc::default),
        }
    }
}

impl Page {
    /// `None` if the body is not text (then it is not kept).
    fn cut(headers: HeaderMap, body: &Bytes, nonce: &str) -> Option<Page> {
        let text = std::str::from_utf8(body).ok()?;
        let mut pieces = Vec::new();
        let mut start = 0;
        for (at, _) in text.match_indices(nonce) {
            pieces.push(body.slice(start..at));
            start = at + nonce.len();
        }
        pieces.push(body.slice(start..));
        Some(Page { headers, pieces })
    }

    fn body_with(&self, nonce: &str) -> Vec<u8> {
        let mut pieces = self.pieces.iter();
        let first = pieces.next().map(Bytes::as_ref).unwrap_or_default();
        let mut body = Vec::with_capacity(
            self.pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * self.pieces.len(),
        );
        body.extend_from_slice(first);
        for piece in pieces {
            body.extend_from_slice(nonce.as_bytes());
            body.extend_from_slice(piece);
        }
        body
    }

    fn with_nonce(&self, nonce: &str) -> Response {
        (StatusCode::OK, self.headers.clone(), self.body_with(nonce)).into_response()
    }
}

/// The request's nonce, if the request asks for the cookie-less home page.
fn anonymous_home(request: &Request) -> Option<String> {
    let asks = request.method() == Method::GET
        && request.uri().path() == "/"
        && request.uri().query().is_none()
        && !request.headers().contains_key(header::COOKIE);
    asks.then(|| request.extensions().get::<Nonce>().map(ToString::to_string))
        .flatten()
}

/// Middleware: answers the cookie-less home page from the kept copy, keeping the
/// first successful rendering of it.
pub async fn serve_anonymous_page(
    State(kept): State<AnonymousPage>,
    request: Request,
    next: Next,
) -> Response {
    let (Some(kept), Some(nonce)) = (kept.page, anonymous_home(&request)) else {
        return next.run(request).await;
    };
    if let Some(page) = kept.get() {
        return page.with_nonce(&nonce);
    }
    let response = next.run(request).await;
    // A cookie set for one visitor must never be handed to the next.
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        // The render failed part way: nothing to keep, and nothing whole to send.
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(page) = Page::cut(parts.headers.clone(), &body, &nonce) {
        // Another request may have kept its rendering first: either is the same page.
        let _ = kept.set(page);
    }
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A home page that counts its renders and shows its nonce, behind the
    /// middleware, with a fresh nonce per request as `add_security_headers` gives.
    fn counted_home(renders: Arc<AtomicUsize>, set_cookie: bool) -> Router {
        let home = move |request: Request| async move {
            renders.fetch_add(1, Ordering::SeqCst);
            let nonce = request.extensions().get::<Nonce>().map(ToString::to_string);
            let page = format!("<script nonce=\"{}\"></script>", nonce.unwrap_or_default());
            let mut response = page.into_response();
            if set_cookie {
                let cookie = header::HeaderValue::from_static("seen=1");
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        };
        Router::new()
            .route("/", get(home))
            .layer(axum::middleware::from_fn_with_state(
                AnonymousPage::new(true),
                serve_anonymous_page,
            ))
            .layer(axum::middleware::map_request(
                |mut request: Request| async {
                    request.extensions_mut().insert(Nonce::new());
                    request
                },
            ))
    }

    /// The page's nonce, as the handler wrote it.
    async fn nonce_of(app: &Router, request: axum::http::request::Builder) -> String {
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let page = String::from_utf8(body.to_vec()).expect("text");
        page.trim_start_matches("<script nonce=\"")
            .trim_end_matches("\"></script>")
            .to_owned()
    }

    #[tokio::test]
    async fn the_cookie_less_home_page_is_rendered_once_and_everything_else_each_time() {
        let renders = Arc::new(AtomicUsize::new(0));
        let app = counted_home(renders.clone(), false);
        let home = || Request::get("/");
        let first = nonce_of(&app, home()).await;
        let second = nonce_of(&app, home()).await;
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert!(!second.is_empty() && first != second, "{first} {second}");

        nonce_of(&app, home().header(header::COOKIE, "id_token=x")).await;
        nonce_of(&app, Request::get("/?error=access_denied")).await;
        assert_eq!(renders.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_page_that_sets_a_cookie_is_never_kept() {
        let renders = Arc::new(AtomicUsize::new(0));
        let app = counted_home(renders.clone(), true);
        nonce_of(&app, Request::get("/")).await;
        nonce_of(&app, Request::get("/")).await;
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_kept_page_carries_each_responses_nonce() {
        let rendered = Bytes::from_static(b"<script nonce=\"N0\">a</script><p>N0</p>");
        let page = Page::cut(HeaderMap::new(), &rendered, "N0").expect("text");
        assert_eq!(
            page.body_with("other"),
            b"<script nonce=\"other\">a</script><p>other</p>"
        );
        let without = Page::cut(HeaderMap::new(), &Bytes::from_static(b"N"), "N0").expect("text");
        assert_eq!(without.body_with("other"), b"N");
        assert!(Page::cut(HeaderMap::new(), &Bytes::from_static(b"\xff"), "N0").is_none());
    }
}
