//! Cross-origin access to the endpoints browser apps call directly.

use axum::http::Method;
use tower_http::cors::{Any, CorsLayer};

/// Browser apps call the token endpoint, JWKS and discovery cross-origin. No
/// credentials are involved (the token request carries everything), so any origin will do.
pub(crate) fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any)
}
