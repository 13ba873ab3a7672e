//! The HTTP layers shared by the pool and the app. Bodies over 64 KiB are
//! refused (413) before they are read; a request that takes over 30 s is
//! answered 408. Every request gets an `x-request-id` (kept if the caller sent
//! one, echoed in the response) and a tracing span with that id, the method and
//! the path. Only the path: query strings carry authorization codes and
//! `state`, which are never logged.

use std::time::Duration;

use axum::Router;
use axum::http::{Request, StatusCode};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const MAX_BODY_BYTES: usize = 64 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Wraps `router` in the body limit, the timeout, request ids and request spans.
pub fn http_layers(router: Router) -> Router {
    let span = |request: &Request<_>| {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!(
            "request",
            id,
            method = %request.method(),
            path = request.uri().path(),
        )
    };
    router
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn each_response_carries_a_request_id_and_a_given_one_is_kept() {
        let app = http_layers(Router::new().route("/", get(|| async { "ok" })));
        let response = app
            .clone()
            .oneshot(Request::get("/?code=secret").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);

        let response = app
            .oneshot(
                Request::get("/")
                    .header("x-request-id", "from-the-proxy")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "from-the-proxy");
    }
}
