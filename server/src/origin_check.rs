//! Cross-site request refusal: a state-changing request (anything but GET, HEAD
//! and OPTIONS) that a browser sends from another origin is answered 403
//! before it reaches a server function. Browsers always send `Origin` on such
//! requests; clients that send none are not browsers and carry no ambient cookies.
//! Under the app's `Referrer-Policy: no-referrer` a browser's own-origin POST says
//! `Origin: null`; it is accepted when the browser also says `Sec-Fetch-Site:
//! same-origin`, a header pages cannot set.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header::ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The app's own origin, e.g. `http://127.0.0.1:3000`.
#[derive(Clone)]
pub struct AppOrigin(pub Arc<str>);

impl AppOrigin {
    /// The origin (scheme, host and port) of `app_url`.
    pub fn of(app_url: &str) -> Self {
        let after_scheme = app_url.find("://").map_or(0, |i| i + 3);
        let end = app_url[after_scheme..]
            .find('/')
            .map_or(app_url.len(), |i| after_scheme + i);
        AppOrigin(app_url[..end].into())
    }

    fn allows(&self, method: &Method, origin: Option<&[u8]>, fetch_site: Option<&[u8]>) -> bool {
        let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        safe || match origin {
            None => true,
            Some(b"null") => fetch_site == Some(b"same-origin".as_slice()),
            Some(origin) => origin == self.0.as_bytes(),
        }
    }
}

pub async fn refuse_cross_site(
    State(app): State<AppOrigin>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let origin = headers.get(ORIGIN).map(|value| value.as_bytes());
    let fetch_site = headers.get("sec-fetch-site").map(|value| value.as_bytes());
    if app.allows(request.method(), origin, fetch_site) {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not accepted.",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        assert_eq!(
            &*AppOrigin::of("http://127.0.0.1:3000").0,
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            &*AppOrigin::of("https://app.example.com/base/").0,
            "https://app.example.com"
        );
    }

    #[test]
    fn posts_from_another_origin_are_refused() {
        let app = AppOrigin::of("http://127.0.0.1:3000");
        let same: Option<&[u8]> = Some(b"same-origin");
        assert!(app.allows(&Method::POST, Some(b"http://127.0.0.1:3000"), None));
        assert!(app.allows(&Method::POST, None, None));
        assert!(app.allows(&Method::GET, Some(b"https://evil.example"), None));
        assert!(!app.allows(&Method::POST, Some(b"https://evil.example"), None));
        assert!(!app.allows(&Method::POST, Some(b"https://evil.example"), same));
        assert!(!app.allows(
            &Method::POST,
            Some(b"http://127.0.0.1:3000.evil.example"),
            None
        ));
        // `Origin: null` (no-referrer, sandboxed frames, file: pages): only the browser's
        // own word that the request is same-origin lets it through.
        assert!(!app.allows(&Method::POST, Some(b"null"), None));
        assert!(!app.allows(&Method::POST, Some(b"null"), Some(b"cross-site")));
        assert!(app.allows(&Method::POST, Some(b"null"), same));
    }
}
