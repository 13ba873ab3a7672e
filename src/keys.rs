//! The pool's RSA-2048 signing key: created once and persisted as PKCS#8 in the
//! database, kept parsed in memory, published as a JWKS, used to sign JWTs with
//! RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and to check the pool's own tokens
//! when they come back as bearer tokens.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::secrets::b64url;
use crate::store::Store;

pub(crate) struct SigningKey {
    kid: String,
    key_pair: KeyPair,
    /// The public half, for verifying bearer tokens.
    decoding_key: DecodingKey,
}

#[derive(Debug, Serialize)]
pub(crate) struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Serialize)]
struct Jwk {
    alg: &'static str,
    e: String,
    kid: String,
    kty: &'static str,
    n: String,
    #[serde(rename = "use")]
    use_: &'static str,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'static str,
}

impl SigningKey {
    pub(crate) async fn load_or_create(store: &Store) -> Result<SigningKey, Error> {
        if let Some((kid, pkcs8)) = store.signing_key().await? {
            let key_pair = KeyPair::from_pkcs8(&pkcs8).map_err(|e| Error::Key(e.to_string()))?;
            return Ok(SigningKey::new(kid, key_pair));
        }
        // Generating an RSA key takes a noticeable moment: keep it off the async threads.
        let key = tokio::task::spawn_blocking(SigningKey::generate)
            .await
            .map_err(|e| Error::Key(e.to_string()))??;
        let pkcs8 = key
            .key_pair
            .as_der()
            .map_err(|e| Error::Key(e.to_string()))?;
        store
            .insert_signing_key(&key.kid, pkcs8.as_ref(), crate::now())
            .await?;
        tracing::info!(kid = %key.kid, "created a new signing key");
        Ok(key)
    }

    fn generate() -> Result<SigningKey, Error> {
        let key_pair =
            KeyPair::generate(KeySize::Rsa2048).map_err(|e| Error::Key(e.to_string()))?;
        // The kid is derived from the public key, so it names exactly this key.
        let kid = b64url(Sha256::digest(key_pair.public_key().as_ref()));
        Ok(SigningKey::new(kid, key_pair))
    }

    fn new(kid: String, key_pair: KeyPair) -> SigningKey {
        let public = key_pair.public_key();
        let decoding_key = DecodingKey::from_rsa_raw_components(
            public.modulus().big_endian_without_leading_zero(),
            public.exponent().big_endian_without_leading_zero(),
        );
        SigningKey {
            kid,
            key_pair,
            decoding_key,
        }
    }

    /// The claims of a token this key signed for `issuer`, if its RS256
    /// signature, `kid`, `iss` and `exp` check out; None for anything else.
    pub(crate) fn verify<T: DeserializeOwned>(&self, token: &str, issuer: &str) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(self.kid.as_str()) {
            return None;
        }
        let mut rules = Validation::new(Algorithm::RS256);
        rules.set_issuer(&[issuer]);
        rules.set_required_spec_claims(&["exp", "iss", "sub"]);
        rules.leeway = 0;
        jsonwebtoken::decode::<T>(token, &self.decoding_key, &rules)
            .ok()
            .map(|data| data.claims)
    }

    pub(crate) fn jwks(&self) -> Jwks {
        let public = self.key_pair.public_key();
        Jwks {
            keys: vec![Jwk {
                alg: "RS256",
                e: b64url(public.exponent().big_endian_without_leading_zero()),
                kid: self.kid.clone(),
                kty: "RSA",
                n: b64url(public.modulus().big_endian_without_leading_zero()),
                use_: "sig",
            }],
        }
    }

    /// A compact JWS: base64url(header).base64url(claims).base64url(signature).
    pub(crate) fn sign(&self, claims: &impl Serialize) -> Result<String, Error> {
        let header = Header {
            alg: "RS256",
            kid: &self.kid,
            typ: "JWT",
        };
        let signing_input = format!(
            "{}.{}",
            b64url(serde_json::to_vec(&header)?),
            b64url(serde_json::to_vec(claims)?)
        );
        let mut signature = vec![0; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|e| Error::Key(e.to_string()))?;
        Ok(format!("{signing_input}.{}", b64url(signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

    #[tokio::test]
    async fn jwks_verifies_what_the_key_signs_and_the_key_persists() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let key = SigningKey::load_or_create(&store).await.unwrap();

        let claims = serde_json::json!({ "sub": "abc", "iss": "me", "exp": crate::now() + 60 });
        let jwt = key.sign(&claims).unwrap();

        let header = decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        assert_eq!(header.typ.as_deref(), Some("JWT"));

        let jwks = serde_json::to_value(key.jwks()).unwrap();
        let jwk = &jwks["keys"][0];
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["e"], "AQAB");
        let decoding = DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap(),
            jwk["e"].as_str().unwrap(),
        )
        .unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&["me"]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data = decode::<serde_json::Value>(&jwt, &decoding, &validation).unwrap();
        assert_eq!(data.claims["sub"], "abc");

        // A tampered payload fails verification.
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged = b64url(br#"{"sub":"evil","iss":"me","exp":9999999999}"#);
        parts[1] = &forged;
        assert!(decode::<serde_json::Value>(&parts.join("."), &decoding, &validation).is_err());

        // Reopening loads the same key rather than minting a new one.
        let again = SigningKey::load_or_create(&store).await.unwrap();
        assert_eq!(again.kid, key.kid);
        assert_eq!(serde_json::to_value(again.jwks()).unwrap(), jwks);
    }
}
