//! What the pool's two expensive steps cost, each against a baseline measured in
//! the same run:
//! - issuing a sign-in's ID and access tokens, against two raw aws-lc-rs
//!   RSA-2048 PKCS#1 SHA-256 signatures of the same bytes (target: at most 1.2×);
//! - a hosted-UI sign-in POST (the router in-process: CSRF check, Argon2id,
//!   SSO session and authorization code written to SQLite), against one Argon2id
//!   verification as the argon2 crate does it (target: at most 1.1×).
//!
//! `make bench` runs it; the ratios are printed at the end.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a benchmark stops at its first failure"
)]

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;
use userpool::{Config, UserPool, bench_support};

#[path = "support/timing.rs"]
mod timing;

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "correct horse battery";

fn report(what: &str, figure: Duration, baseline_name: &str, baseline: Duration, target: f64) {
    println!(
        "{what}: {:.3} ms, {baseline_name} {:.3} ms, ratio {:.3} (target ≤ {target})",
        figure.as_secs_f64() * 1e3,
        baseline.as_secs_f64() * 1e3,
        figure.as_secs_f64() / baseline.as_secs_f64()
    );
}

async fn open_pool(dir: &std::path::Path) -> UserPool {
    let mut config = Config::load("userpool.toml").expect("userpool.toml");
    config.set_data_dir(dir);
    let pool = UserPool::open(config).await.expect("the pool opens");
    pool.seed_user(EMAIL, PASSWORD, &["Admin"])
        .await
        .expect("a user");
    pool
}

fn signing(c: &mut Criterion, pool: &UserPool) {
    let groups = vec!["Admin".to_owned()];
    let (id, access) = pool.issue_sample_tokens(&groups).expect("tokens");
    let inputs: Vec<Vec<u8>> = [id, access]
        .iter()
        .map(|jwt| jwt.rsplit_once('.').expect("a JWS").0.as_bytes().to_vec())
        .collect();
    let key = KeyPair::from_pkcs8(&pool.signing_key_pkcs8().expect("the key")).expect("PKCS#8");
    let rng = SystemRandom::new();
    let mut signature = vec![0; key.public_modulus_len()];
    let mut raw = || {
        for input in &inputs {
            key.sign(&RSA_PKCS1_SHA256, &rng, black_box(input), &mut signature)
                .expect("signed");
        }
    };
    let mut issue = || {
        black_box(
            pool.issue_sample_tokens(black_box(&groups))
                .expect("tokens"),
        );
    };
    let mut group = c.benchmark_group("token signing");
    group.bench_function("two raw aws-lc-rs RSA-2048 signs", |b| b.iter(&mut raw));
    group.bench_function("issue ID + access tokens", |b| b.iter(&mut issue));
    group.finish();
    let [issued, raw] = timing::per_call(200, [&mut issue, &mut raw]);
    report(
        "token signing: ID + access tokens",
        issued,
        "two raw RSA signs",
        raw,
        1.2,
    );
}

/// The hosted UI's sign-in form, submitted with the CSRF cookie and field of a
/// sign-in page fetched once.
struct SignInForm {
    cookie: String,
    body: String,
}

async fn sign_in_form(router: &axum::Router) -> SignInForm {
    let params = [
        ("response_type", "code"),
        ("client_id", "1ocal4pp5c1ient0leptos0cog"),
        ("redirect_uri", "http://127.0.0.1:3000/callback"),
        ("state", "bench"),
        ("scope", "openid email"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ];
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let page = router
        .clone()
        .oneshot(
            Request::get(format!("/login?{query}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("the sign-in page");
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = page
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ");
    let html = axum::body::to_bytes(page.into_body(), 1 << 20)
        .await
        .expect("the page");
    let html = String::from_utf8_lossy(&html);
    let marker = r#"name="_csrf" value=""#;
    let start = html.find(marker).expect("a _csrf field") + marker.len();
    let csrf = &html[start..start + html[start..].find('"').expect("its end")];
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .extend_pairs([("_csrf", csrf), ("username", EMAIL), ("password", PASSWORD)])
        .finish();
    SignInForm { cookie, body }
}

fn login(c: &mut Criterion, runtime: &tokio::runtime::Runtime, pool: &UserPool) {
    let router = pool.router();
    let form = runtime.block_on(sign_in_form(&router));
    let hash = bench_support::hash_password(PASSWORD).expect("a hash");
    let mut argon2 = || {
        assert!(bench_support::verify_password(black_box(PASSWORD), &hash));
    };
    let mut sign_in = || {
        let reply = runtime
            .block_on(
                router.clone().oneshot(
                    Request::post("/login")
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .header(header::COOKIE, &form.cookie)
                        .body(Body::from(form.body.clone()))
                        .expect("request"),
                ),
            )
            .expect("a reply");
        assert_eq!(reply.status(), StatusCode::FOUND, "signed in");
    };
    let mut group = c.benchmark_group("sign-in");
    group.sample_size(20);
    group.bench_function("one Argon2id verification", |b| b.iter(&mut argon2));
    group.bench_function("hosted UI sign-in POST", |b| b.iter(&mut sign_in));
    group.finish();
    let [signed_in, hashed] = timing::per_call(20, [&mut sign_in, &mut argon2]);
    report(
        "login cost: hosted UI sign-in POST",
        signed_in,
        "one Argon2id verification",
        hashed,
        1.1,
    );
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir_in("target").expect("a data directory");
    let pool = runtime.block_on(open_pool(dir.path()));
    signing(c, &pool);
    login(c, &runtime, &pool);
}

criterion_group!(pool_benches, benches);
criterion_main!(pool_benches);
