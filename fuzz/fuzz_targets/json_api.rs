//! The user pool's JSON API on arbitrary requests: the first line names the
//! operation (`X-Amz-Target`), the rest is the body, sent signed (AWS SigV4, by
//! aws-sigv4 as the app signs, with the pool's admin key pair) so the admin
//! operations are reached too. Every answer must be a Cognito-shaped success or
//! client error: no panic, and no 500 (which would be a bug, not bad input).
#![no_main]

use std::sync::LazyLock;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    identity: Identity,
    region: String,
    _data: tempfile::TempDir,
}

const HOST: &str = "127.0.0.1:9229";

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let data = tempfile::tempdir().expect("data directory");
    let mut config =
        userpool::Config::from_toml(include_str!("../../userpool.toml")).expect("configuration");
    config.set_data_dir(data.path());
    let (key, secret) = config.admin_credential().expect("an admin key pair");
    let identity: Identity = Credentials::new(key, secret, None, None, "fuzz").into();
    let region = config.region().to_owned();
    let pool = runtime
        .block_on(userpool::UserPool::open(config))
        .expect("user pool");
    Harness {
        runtime,
        router: pool.router(),
        identity,
        region,
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
    let target = format!("AWSCognitoIdentityProviderService.{operation}");
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("host", HOST),
        ("x-amz-target", target.as_str()),
    ];
    let Some(signature) = sign_headers(harness, &headers, body) else {
        return;
    };
    let mut request = Request::post("/");
    for (name, value) in headers
        .iter()
        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
        .chain(signature)
    {
        request = request.header(name, value);
    }
    let Ok(request) = request.body(Body::from(body.to_vec())) else {
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

/// The `x-amz-date` and `authorization` headers for `headers` and `body`;
/// `None` for a target that is no header value.
fn sign_headers(
    harness: &Harness,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Vec<(String, String)>> {
    let params = v4::SigningParams::builder()
        .identity(&harness.identity)
        .region(&harness.region)
        .name("cognito-idp")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .ok()?
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("http://{HOST}/"),
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .ok()?;
    let (instructions, _) = sign(signable, &params).ok()?.into_parts();
    Some(
        instructions
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect(),
    )
}
