//! What validating a session costs the server: an RS256 Cognito-shaped id token
//! checked by `Verifier::verify_id` with the JWKS already cached, against a raw
//! aws-lc-rs RSA-2048 PKCS#1 SHA-256 verification of the same bytes (the
//! in-run baseline), and the repeat of a token already verified (the cache).
//! Criterion reports all three; the ratio and the repeat are printed at the end.
//!
//! `make bench` runs it; the targets are a ratio of at most 1.2 and a repeat under 1 µs.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a benchmark stops at its first failure"
)]

use std::hint::black_box;

use app::test_tokens::Pool;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../../benches/support/timing.rs"]
mod timing;

fn verification(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The full check every time, and the cached repeat of a session's request.
    let (pool, verifier, cached) = runtime.block_on(async {
        let pool = Pool::serve().await;
        let verifier = pool.verifier().await.without_cache();
        let cached = pool.verifier().await;
        (pool, verifier, cached)
    });
    let token = pool.sign(&pool.id_claims());
    let (signed, signature) = token.rsplit_once('.').expect("a JWS");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    let (der, _) = pool.public_key_der_and_pem();
    let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der);

    let mut raw = || {
        key.verify(black_box(signed.as_bytes()), black_box(&signature))
            .expect("valid signature")
    };
    let mut full = || {
        runtime
            .block_on(verifier.verify_id(black_box(&token), None))
            .expect("valid token");
    };
    let mut repeat = || {
        runtime
            .block_on(cached.verify_id(black_box(&token), None))
            .expect("valid token");
    };
    let mut group = c.benchmark_group("token verification");
    group.bench_function("raw aws-lc-rs RSA-2048 verify", |b| b.iter(&mut raw));
    group.bench_function("Verifier::verify_id", |b| b.iter(&mut full));
    group.bench_function("Verifier::verify_id, repeated (cached)", |b| {
        b.iter(&mut repeat)
    });
    group.finish();

    let [raw, full, repeat] = timing::per_call(2_000, [&mut raw, &mut full, &mut repeat]);
    println!(
        "token verification: verify_id {:.1} µs, raw RSA verify {:.1} µs, ratio {:.2} (target ≤ 1.2)",
        full.as_secs_f64() * 1e6,
        raw.as_secs_f64() * 1e6,
        full.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "repeated verification: {:.2} µs from the cache (target ≤ 1 µs)",
        repeat.as_secs_f64() * 1e6
    );
}

criterion_group!(benches, verification);
criterion_main!(benches);
