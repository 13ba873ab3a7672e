//! A stand-in user pool for the server-side tests: an RSA signing key (and an
//! RSA key published for encryption only), their JWKS served over HTTP on
//! 127.0.0.1, and helpers that mint (and forge) tokens with them.
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test support (the server's tests use it too): a failure here fails the test"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256, RsaEncoding,
};
use aws_lc_rs::{hmac, rand::SystemRandom};
use axum::{Json, Router, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

pub use crate::session::now;

/// Serves `router` on 127.0.0.1 until the test's runtime ends, as a pool's
/// endpoints (`/oauth2/*` and the JSON API at `/`) for the app's client "client".
pub async fn pool_serving(router: Router) -> crate::pool::PoolEndpoints {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    crate::pool::PoolEndpoints::cognito(
        &format!("http://{address}"),
        &format!("http://{address}/"),
        "client",
        "http://127.0.0.1:3000/callback",
        "http://127.0.0.1:3000/",
    )
}

pub struct Pool {
    pub issuer: String,
    pub kid: String,
    key: KeyPair,
    /// Published with `"use": "enc"` under [`ENC_KID`]: never valid for signatures.
    enc_key: KeyPair,
    /// What the JWKS endpoint serves; `rotate` adds to it.
    jwks: Arc<RwLock<Value>>,
    jwks_requests: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

/// A key the pool rotated to: published beside the old one, and signing from now on.
pub struct RotatedKey {
    kid: String,
    key: KeyPair,
}

impl RotatedKey {
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        rsa_sign(&self.key, &RSA_PKCS1_SHA256, &header, claims)
    }
}

pub const ENC_KID: &str = "test-enc-key";
/// The app client the tokens are issued to.
pub const CLIENT: &str = "client-1";

fn jwk(key: &KeyPair, kid: &str, use_: &str) -> Value {
    let public = PublicKeyComponents::<Vec<u8>>::from(key.public_key());
    json!({
        "kty": "RSA", "alg": "RS256", "use": use_, "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(&public.n),
        "e": URL_SAFE_NO_PAD.encode(&public.e),
    })
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

impl Pool {
    /// Generates a key and serves its JWKS until the test's runtime ends.
    /// A verifier for this pool's tokens to [`CLIENT`], its keys already fetched.
    pub async fn verifier(&self) -> crate::verify::Verifier {
        let verifier = crate::verify::Verifier::new(&self.issuer, CLIENT).expect("http client");
        verifier.prefetch().await;
        verifier
    }

    pub async fn serve() -> Pool {
        let key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let enc_key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let kid = "test-key-1".to_owned();
        let jwks = Arc::new(RwLock::new(
            json!({"keys": [jwk(&key, &kid, "sig"), jwk(&enc_key, ENC_KID, "enc")]}),
        ));
        let jwks_requests = Arc::new(AtomicUsize::new(0));
        let counter = jwks_requests.clone();
        let served = jwks.clone();
        let router = Router::new().route(
            "/pool/.well-known/jwks.json",
            get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let jwks = served.read().expect("jwks lock").clone();
                async move { Json(jwks) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Pool {
            issuer: format!("http://{addr}/pool"),
            kid,
            key,
            enc_key,
            jwks,
            jwks_requests,
            server,
        }
    }

    /// Publishes a new signing key (keeping the old one published) and returns it.
    pub fn rotate(&self) -> RotatedKey {
        let key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let kid = "test-key-2".to_owned();
        let mut jwks = self.jwks.write().expect("jwks lock");
        if let Some(keys) = jwks["keys"].as_array_mut() {
            keys.push(jwk(&key, &kid, "sig"));
        }
        RotatedKey { kid, key }
    }

    /// Takes the pool off the network: its JWKS can no longer be fetched.
    pub async fn stop(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
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
        rsa_sign(&self.key, &RSA_PKCS1_SHA256, header, claims)
    }

    /// Signs with the pool's key and another RSA scheme (RS384, PS256, ...).
    pub fn sign_rsa(
        &self,
        scheme: &'static dyn RsaEncoding,
        header: &Value,
        claims: &Value,
    ) -> String {
        rsa_sign(&self.key, scheme, header, claims)
    }

    /// A proper RS256 signature by the key published for encryption.
    pub fn sign_with_enc_key(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": ENC_KID, "typ": "JWT"});
        rsa_sign(&self.enc_key, &RSA_PKCS1_SHA256, &header, claims)
    }

    /// The public key as PKCS#1 DER and as PEM: what key-confusion attacks use as an HMAC secret.
    pub fn public_key_der_and_pem(&self) -> (Vec<u8>, Vec<u8>) {
        let der = self.key.public_key().as_ref().to_vec();
        let body = base64::engine::general_purpose::STANDARD.encode(&der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("base64"))
            .collect();
        let pem = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
            lines.join("\n")
        );
        (der, pem.into_bytes())
    }

    pub fn unsigned_with_header(&self, header: &Value, claims: &Value) -> String {
        format!("{}.{}.", b64(header), b64(claims))
    }

    /// The classic key-confusion forgery: HMAC keyed with the public key's bytes.
    pub fn hs256_with_public_key(&self, claims: &Value) -> String {
        let (der, _) = self.public_key_der_and_pem();
        hmac_sign("HS256", hmac::HMAC_SHA256, &der, &self.kid, claims)
    }
}

fn rsa_sign(
    key: &KeyPair,
    scheme: &'static dyn RsaEncoding,
    header: &Value,
    claims: &Value,
) -> String {
    let message = format!("{}.{}", b64(header), b64(claims));
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        scheme,
        &SystemRandom::new(),
        message.as_bytes(),
        &mut signature,
    )
    .expect("sign");
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// An HMAC-signed token claiming `alg`, keyed with `secret`.
pub fn hmac_sign(
    alg: &str,
    hmac_alg: hmac::Algorithm,
    secret: &[u8],
    kid: &str,
    claims: &Value,
) -> String {
    let message = format!("{}.{}", b64(&json!({"alg": alg, "kid": kid})), b64(claims));
    let tag = hmac::sign(&hmac::Key::new(hmac_alg, secret), message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// An ES256 token from a fresh P-256 key, under the pool's `kid`.
pub fn es256_sign(kid: &str, claims: &Value) -> String {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("EC key");
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).expect("EC key");
    let message = format!(
        "{}.{}",
        b64(&json!({"alg": "ES256", "kid": kid})),
        b64(claims)
    );
    let signature = key.sign(&rng, message.as_bytes()).expect("sign");
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

/// Base64url of raw bytes, for hand-built token parts.
pub fn b64_bytes(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Pool {
    /// Id-token claims as the pool issues them to [`CLIENT`], nonce `n-1`.
    pub fn id_claims(&self) -> Value {
        json!({
            "sub": "5f0c1a4e-0000-4000-8000-000000000001",
            "aud": CLIENT,
            "email": "ada@example.com",
            "email_verified": true,
            "token_use": "id",
            "nonce": "n-1",
            "iss": self.issuer,
            "iat": now(),
            "exp": now() + 3600,
        })
    }

    /// Access-token claims as the pool issues them to [`CLIENT`], in group `Admin`.
    pub fn access_claims(&self) -> Value {
        json!({
            "sub": "5f0c1a4e-0000-4000-8000-000000000001",
            "client_id": CLIENT,
            "token_use": "access",
            "scope": "openid email profile",
            "cognito:groups": ["Admin"],
            "iss": self.issuer,
            "iat": now(),
            "exp": now() + 3600,
        })
    }

    /// Forged and malformed tokens, in the spirit of RFC 8725 and
    /// aws-jwt-verify's negative tests: each one, offered as an id token and as
    /// an access token, is refused.
    pub fn forgeries(&self, other_pool: &Pool) -> Vec<(&'static str, String)> {
        let pool = self;
        let id = pool.id_claims();
        let with = |name: &str, value: Value| {
            let mut claims = pool.id_claims();
            claims[name] = value;
            claims
        };
        let without = |name: &str| {
            let mut claims = pool.id_claims();
            claims.as_object_mut().expect("object").remove(name);
            claims
        };
        let header = |alg: &str| json!({"alg": alg, "kid": pool.kid, "typ": "JWT"});
        let (der, pem) = pool.public_key_der_and_pem();
        let valid = pool.sign(&id);
        let (signed_part, signature) = valid.rsplit_once('.').expect("three parts");
        let (header_part, _) = signed_part.split_once('.').expect("three parts");
        let attacker_jwk = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": pool.kid});
        let mut deep = json!("x");
        for _ in 0..200 {
            deep = json!([deep]);
        }
        vec![
            ("alg none", pool.unsigned_with_header(&header("none"), &id)),
            ("alg None", pool.unsigned_with_header(&header("None"), &id)),
            ("alg NONE", pool.unsigned_with_header(&header("NONE"), &id)),
            ("alg none, real signature kept", format!("{}.{}.{signature}", b64(&header("none")), b64(&id))),
            ("alg missing", pool.sign_with_header(&json!({"kid": pool.kid}), &id)),
            ("HS256 keyed with the public key (DER)", hmac_sign("HS256", hmac::HMAC_SHA256, &der, &pool.kid, &id)),
            ("HS256 keyed with the public key (PEM)", hmac_sign("HS256", hmac::HMAC_SHA256, &pem, &pool.kid, &id)),
            ("HS384 keyed with the public key", hmac_sign("HS384", hmac::HMAC_SHA384, &der, &pool.kid, &id)),
            ("HS512 keyed with the public key", hmac_sign("HS512", hmac::HMAC_SHA512, &pem, &pool.kid, &id)),
            ("RS384 by the pool's key", pool.sign_rsa(&RSA_PKCS1_SHA384, &header("RS384"), &id)),
            ("RS512 by the pool's key", pool.sign_rsa(&RSA_PKCS1_SHA512, &header("RS512"), &id)),
            ("PS256 by the pool's key", pool.sign_rsa(&RSA_PSS_SHA256, &header("PS256"), &id)),
            ("RS384 signature labelled RS256", pool.sign_rsa(&RSA_PKCS1_SHA384, &header("RS256"), &id)),
            ("ES256 under the pool's kid", es256_sign(&pool.kid, &id)),
            ("kid missing", pool.sign_with_header(&json!({"alg": "RS256"}), &id)),
            ("kid unknown", pool.sign_with_header(&json!({"alg": "RS256", "kid": "nope"}), &id)),
            ("kid of the encryption key", pool.sign_with_enc_key(&id)),
            ("kid of the encryption key, signed by the signing key", pool.sign_with_header(&json!({"alg": "RS256", "kid": ENC_KID}), &id)),
            ("jku pointing elsewhere", other_pool.sign_with_header(&json!({"alg": "RS256", "kid": pool.kid, "jku": format!("{}/.well-known/jwks.json", other_pool.issuer)}), &id)),
            ("x5u pointing elsewhere", other_pool.sign_with_header(&json!({"alg": "RS256", "kid": pool.kid, "x5u": "http://127.0.0.1:1/cert.pem"}), &id)),
            ("embedded jwk", other_pool.sign_with_header(&json!({"alg": "RS256", "kid": pool.kid, "jwk": attacker_jwk}), &id)),
            ("another pool's key and issuer", other_pool.sign(&other_pool.id_claims())),
            ("another pool's key, this issuer", other_pool.sign(&id)),
            ("signature stripped", format!("{signed_part}.")),
            ("signature of another token", format!("{}.{signature}", pool.sign(&with("sub", json!("someone-else"))).rsplit_once('.').expect("parts").0)),
            ("payload swapped under a real signature", format!("{header_part}.{}.{signature}", b64(&with("email", json!("mallory@example.com"))))),
            ("signature bit-flipped", format!("{signed_part}.{}", signature.replacen(&signature[..1], if signature.starts_with('A') { "B" } else { "A" }, 1))),
            ("iss wrong", pool.sign(&with("iss", json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")))),
            ("iss with a trailing slash", pool.sign(&with("iss", json!(format!("{}/", pool.issuer))))),
            ("iss missing", pool.sign(&without("iss"))),
            ("aud another client", pool.sign(&with("aud", json!("client-2")))),
            ("aud missing", pool.sign(&without("aud"))),
            ("token_use missing", pool.sign(&without("token_use"))),
            ("token_use refresh", pool.sign(&with("token_use", json!("refresh")))),
            ("expired", pool.sign(&with("exp", json!(now() - 3600)))),
            ("exp missing", pool.sign(&without("exp"))),
            ("exp as a string", pool.sign(&with("exp", json!((now() + 3600).to_string())))),
            ("nbf in the future", pool.sign(&with("nbf", json!(now() + 3600)))),
            ("sub missing", pool.sign(&without("sub"))),
            ("iat missing", pool.sign(&without("iat"))),
            ("email missing", pool.sign(&without("email"))),
            ("nested JWT as the payload", format!("{}.{}.{signature}", b64(&header("RS256")), b64_bytes(valid.as_bytes()))),
            (
                "deeply nested JSON under a real signature",
                format!("{header_part}.{}.{signature}", b64(&with("deep", deep))),
            ),
            ("oversized (100 KB), though signed", pool.sign(&with("padding", json!("x".repeat(100_000))))),
            ("non-base64url bytes", format!("{header_part}.eyJ$%^&*().{signature}")),
            ("four segments", format!("{valid}.{signature}")),
            ("empty", String::new()),
        ]
    }
}
