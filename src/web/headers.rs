//! The security headers of every browser-facing response.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The pages' policy: no script, no inline code.
const NO_SCRIPT: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a page that runs the pool's own script (`/static/*.js`), still no inline code.
pub(crate) const OWN_SCRIPT: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers for every page: no framing, no inline code (no script at all unless
/// the page asked for [`OWN_SCRIPT`]), no referrer leaking the OAuth parameters,
/// no caching. No `form-action`: Chrome applies it to the redirect that follows
/// a form post, which goes to the app's origin.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let own_script = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .is_some_and(|policy| policy == OWN_SCRIPT);
    const HEADERS: [(HeaderName, &str); 5] = [
        (header::CONTENT_SECURITY_POLICY, NO_SCRIPT),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        if !(own_script && name == header::CONTENT_SECURITY_POLICY) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
