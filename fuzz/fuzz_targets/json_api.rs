//! The user pool's JSON API on arbitrary requests: the first line names the
//! operation (`X-Amz-Target`), the rest is the body, sent signed so the admin
//! operations are reached too. Every answer must be a Cognito-shaped success or
//! client error: no panic, and no 500 (which would be a bug, not bad input).
#![no_main]

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _data: tempfile::TempDir,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let data = tempfile::tempdir().expect("data directory");
    let mut config =
        userpool::Config::from_toml(include_str!("../../userpool.toml")).expect("configuration");
    config.set_data_dir(data.path());
    let pool = runtime
        .block_on(userpool::UserPool::open(config))
        .expect("user pool");
    Harness {
        runtime,
        router: pool.router(),
        _data: data,
    }
});

fuzz_target!(|data: &[u8]| {
    let harness = &*HARNESS;
    let (operation, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(operation) = std::str::from_utf8(operation) else {
        return;
    };
    let Ok(request) = Request::post("/")
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .header(header::AUTHORIZATION, "AWS4-HMAC-SHA256 Credential=fuzz")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let response = harness
        .runtime
        .block_on(harness.router.clone().oneshot(request))
        .expect("infallible");
    let status = response.status();
    assert!(
        matches!(
            status,
            StatusCode::OK
                | StatusCode::BAD_REQUEST
                | StatusCode::FORBIDDEN
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::TOO_MANY_REQUESTS
        ),
        "{operation}: {status}"
    );
});
