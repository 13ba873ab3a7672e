//! A stand-in user pool for the server-side tests: an RSA key, its JWKS served
//! over HTTP on 127.0.0.1, and helpers that mint (and forge) tokens with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use aws_lc_rs::{hmac, rand::SystemRandom};
use axum::{Json, Router, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

pub struct Pool {
    pub issuer: String,
    pub kid: String,
    key: KeyPair,
    jwks_requests: Arc<AtomicUsize>,
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

impl Pool {
    /// Generates a key and serves its JWKS until the test's runtime ends.
    pub async fn serve() -> Pool {
        let key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let kid = "test-key-1".to_owned();
        let public = PublicKeyComponents::<Vec<u8>>::from(key.public_key());
        let jwks = json!({"keys": [{
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&public.n),
            "e": URL_SAFE_NO_PAD.encode(&public.e),
        }]});
        let jwks_requests = Arc::new(AtomicUsize::new(0));
        let counter = jwks_requests.clone();
        let router = Router::new().route(
            "/pool/.well-known/jwks.json",
            get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let jwks = jwks.clone();
                async move { Json(jwks) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Pool {
            issuer: format!("http://{addr}/pool"),
            kid,
            key,
            jwks_requests,
        }
    }

    pub fn jwks_requests(&self) -> usize {
        self.jwks_requests.load(Ordering::SeqCst)
    }

    /// A token as the pool signs it.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"}),
            claims,
        )
    }

    /// Signs with the pool's key whatever header it is given.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let message = format!("{}.{}", b64(header), b64(claims));
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message.as_bytes(),
                &mut signature,
            )
            .expect("sign");
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    pub fn unsigned_with_header(&self, header: &Value, claims: &Value) -> String {
        format!("{}.{}.", b64(header), b64(claims))
    }

    /// The classic key-confusion forgery: HMAC keyed with the public key's bytes.
    pub fn hs256_with_public_key(&self, claims: &Value) -> String {
        let message = format!(
            "{}.{}",
            b64(&json!({"alg": "HS256", "kid": self.kid})),
            b64(claims)
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.public_key().as_ref());
        let tag = hmac::sign(&key, message.as_bytes());
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }
}
