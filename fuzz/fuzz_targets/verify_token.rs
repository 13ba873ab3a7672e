//! The app server's token verification on arbitrary input: the bytes as an id
//! and an access token, and, when they are JSON, as claims signed with the
//! pool's real key, so the claim checks and not only the parser see odd input.
//! Nothing may panic, and what passes must satisfy the checks.
#![no_main]

use std::sync::LazyLock;

use app::test_tokens::{CLIENT, Pool, now};
use app::verify::Verifier;
use libfuzzer_sys::fuzz_target;

struct Harness {
    runtime: tokio::runtime::Runtime,
    pool: Pool,
    verifier: Verifier,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (pool, verifier) = runtime.block_on(async {
        let pool = Pool::serve().await;
        let verifier = pool.verifier().await;
        (pool, verifier)
    });
    Harness {
        runtime,
        pool,
        verifier,
    }
});

fuzz_target!(|data: &[u8]| {
    let harness = &*HARNESS;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    harness.runtime.block_on(async {
        // Raw bytes are never a genuine token.
        assert!(harness.verifier.verify_id(text, None).await.is_err());
        assert!(harness.verifier.verify_access(text).await.is_err());
        let Ok(claims) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let token = harness.pool.sign(&claims);
        if let Ok(id) = harness.verifier.verify_id(&token, None).await {
            assert_eq!(id.token_use, "id");
            let aud = &claims["aud"];
            assert!(
                aud == CLIENT || aud.as_array().is_some_and(|a| a.iter().any(|v| v == CLIENT)),
                "{aud}"
            );
            assert_eq!(claims["iss"].as_str(), Some(harness.pool.issuer.as_str()));
            assert!(id.exp + 30 >= now());
        }
        if let Ok(access) = harness.verifier.verify_access(&token).await {
            assert_eq!(access.token_use, "access");
            assert_eq!(access.client_id, CLIENT);
            assert!(access.exp + 30 >= now());
        }
    });
});
