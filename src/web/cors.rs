//! Cross-origin access to the endpoints browser apps call directly.

use axum::http::{HeaderName, Method, header};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// Browser apps call the token endpoint, JWKS and discovery cross-origin. No
/// credentials are involved (the token request carries everything), so any origin will do.
pub(crate) fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any)
}

/// The JSON API from the pages of the origins `allowed` admits (an app
/// client's, typically): the headers the AWS SDK for JavaScript and Amplify
/// send, and the ones their error handling reads.
pub(crate) fn cors_for(allowed: impl Fn(&str) -> bool + Send + Sync + 'static) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin.to_str().is_ok_and(&allowed)
        }))
        .allow_methods([Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::CACHE_CONTROL,
            HeaderName::from_static("x-amz-target"),
            HeaderName::from_static("x-amz-user-agent"),
            HeaderName::from_static("amz-sdk-invocation-id"),
            HeaderName::from_static("amz-sdk-request"),
        ])
        .expose_headers([
            HeaderName::from_static("x-amzn-requestid"),
            HeaderName::from_static("x-amzn-errortype"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}
