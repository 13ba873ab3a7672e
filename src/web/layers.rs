//! The HTTP layers shared by the pool and the app. Bodies over 136 KiB (the
//! largest request Cognito takes: SetUICustomization's logo and stylesheet) are
//! refused (413): before they are read when they declare their length, and
//! while they are buffered, before any handler runs, when they come chunked
//! (a handler that met the limit itself would answer its own error, e.g. a
//! server function's 500); a request that takes over 30 s is answered 408. Every request gets an `x-request-id` (kept if the caller sent
//! one, echoed in the response) and a tracing span with that id, the method and
//! the path. Only the path: query strings carry authorization codes and
//! `state`, which are never logged.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::FromRequest;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service, ServiceBuilder};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const MAX_BODY_BYTES: usize = 136 * 1024;
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
    // Outermost first.
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .map_request(with_axum_body)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(buffer_body));
    around(router, layers)
}

/// `layers` around the whole of `router`, as one service. `Router::layer` wraps
/// each route in the layer, boxed, and axum clones a route's service for every
/// request it routes: with one box per layer, each layer's call clones all the
/// boxes inside it again (about a tenth of a signed-in page's time).
pub fn around<L>(router: Router, layers: L) -> Router
where
    L: Layer<Router>,
    L::Service: Service<Request<Body>, Error = Infallible> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request<Body>>>::Response: IntoResponse + 'static,
    <L::Service as Service<Request<Body>>>::Future: Send + 'static,
{
    Router::new().fallback_service(layers.layer(router))
}

/// The body the limit wraps, as the body axum's middleware takes.
fn with_axum_body<B>(request: Request<B>) -> Request<Body>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    request.map(Body::new)
}

/// Reads the whole body (limited by the layer around it) before the handler
/// runs. axum's `Bytes` extractor answers the limit with 413, and other read
/// failures with 400.
async fn buffer_body(request: axum::extract::Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    // Only the body matters to `Bytes`; the parts wait for the rebuilt request.
    match Bytes::from_request(Request::new(body), &()).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(rejection) => rejection.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_body_over_the_limit_without_a_declared_length_never_reaches_the_handler() {
        // Like a Leptos server function: a failed read of the body is its own 500.
        let handler = |body: Body| async {
            match axum::body::to_bytes(body, usize::MAX).await {
                Ok(bytes) => (StatusCode::OK, bytes.len().to_string()),
                Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
            }
        };
        let app = http_layers(Router::new().route("/", axum::routing::post(handler)));
        let send = |size: usize| {
            // No Content-Length header: the limit applies while the body is read.
            let request = Request::post("/")
                .body(Body::from(vec![b'x'; size]))
                .unwrap();
            app.clone().oneshot(request)
        };
        let response = send(MAX_BODY_BYTES + 1).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let response = send(MAX_BODY_BYTES).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body, MAX_BODY_BYTES.to_string());
    }

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
