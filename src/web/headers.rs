//! The security headers of every browser-facing response.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// Headers for every page: no framing, no inline code, no referrer leaking the
/// OAuth parameters, no caching. No `form-action`: Chrome applies it to the
/// redirect that follows a form post, which goes to the app's origin.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    const HEADERS: [(HeaderName, &str); 5] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
