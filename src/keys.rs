//! The pool's RSA-2048 signing keys: persisted as PKCS#8 in the database, kept
//! parsed in memory, published as a JWKS, used to sign JWTs with RS256
//! (RSASSA-PKCS1-v1_5 with SHA-256) and to check the pool's own tokens when they
//! come back as bearer tokens.
//!
//! Keys rotate (`userpool keys rotate`): a new key is published before it signs
//! anything (it takes over at its `active_from`), and the key it replaces stays
//! published until every token that key signed has expired. A running pool
//! reloads its keys every half minute, so rotation needs no restart.
//!
//! The pool's other secrets (the key of its CSRF tokens) are kept here too,
//! sealed like the signing keys when a key-encryption key is configured.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::config::KeyEncryptionKey;
use crate::error::Error;
use crate::secrets::b64url;
use crate::store::{Store, StoredKey};

/// Marks a stored key encrypted with the key-encryption key: then nonce, ciphertext, tag.
const SEALED: &[u8] = b"UPK1";
/// Marks a stored pool secret encrypted with the key-encryption key: then
/// base64url of the sealed form. (`:` is not base64url, so a plain one never starts so.)
const SEALED_SECRET: &str = "sealed:";

/// A replaced key stays published this long after its successor took over:
/// longer than any token lives (Cognito's longest id/access lifetime is a day).
const RETIRED_KEY_PUBLISHED_SECONDS: i64 = 86_400;
/// By default a rotated-in key is published this long before it signs, so
/// verifiers that cache the JWKS have seen it first.
pub(crate) const PUBLISH_AHEAD_SECONDS: i64 = 120;
/// How often a running pool looks for keys added by another process.
pub(crate) const RELOAD_INTERVAL: Duration = Duration::from_secs(30);

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
    /// signature, `kid`, `iss` and (unless `expiry` says otherwise) `exp` check
    /// out; None for anything else. The audience is the caller's to check.
    fn verify<T: DeserializeOwned>(&self, token: &str, issuer: &str, expiry: Expiry) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(self.kid.as_str()) {
            return None;
        }
        let mut rules = Validation::new(Algorithm::RS256);
        rules.set_issuer(&[issuer]);
        rules.set_required_spec_claims(&["exp", "iss", "sub"]);
        rules.leeway = 0;
        rules.validate_aud = false;
        rules.validate_exp = expiry == Expiry::Enforced;
        jsonwebtoken::decode::<T>(token, &self.decoding_key, &rules)
            .ok()
            .map(|data| data.claims)
    }

    fn jwk(&self) -> Jwk {
        let public = self.key_pair.public_key();
        Jwk {
            alg: "RS256",
            e: b64url(public.exponent().big_endian_without_leading_zero()),
            kid: self.kid.clone(),
            kty: "RSA",
            n: b64url(public.modulus().big_endian_without_leading_zero()),
            use_: "sig",
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

/// The keys in use: the one that signs, and every one that is published.
struct Ring {
    signing: Arc<SigningKey>,
    published: Vec<Arc<SigningKey>>,
}

pub(crate) struct KeyRing {
    store: Store,
    kek: Option<KeyEncryptionKey>,
    ring: RwLock<Arc<Ring>>,
}

/// Encrypts a key for storage, bound to its name (`aad`: a signing key's kid)
/// with AES-256-GCM and a random nonce.
fn seal(kek: &KeyEncryptionKey, aad: &str, plain: &[u8]) -> Result<Vec<u8>, Error> {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, RandomizedNonceKey};
    let key =
        RandomizedNonceKey::new(&AES_256_GCM, &kek.0).map_err(|e| Error::Key(e.to_string()))?;
    let mut sealed = plain.to_vec();
    let nonce = key
        .seal_in_place_append_tag(Aad::from(aad.as_bytes()), &mut sealed)
        .map_err(|e| Error::Key(e.to_string()))?;
    Ok([SEALED, nonce.as_ref(), &sealed].concat())
}

/// A stored key named `aad` as it was given to `seal`, decrypting it if it was sealed.
fn unseal(kek: Option<&KeyEncryptionKey>, aad: &str, stored: &[u8]) -> Result<Vec<u8>, Error> {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
    let Some(sealed) = stored.strip_prefix(SEALED) else {
        return Ok(stored.to_vec());
    };
    let kek = kek.ok_or_else(|| {
        Error::Key("the pool's keys are encrypted: set USERPOOL_KEY_ENCRYPTION_KEY".to_owned())
    })?;
    let key =
        RandomizedNonceKey::new(&AES_256_GCM, &kek.0).map_err(|e| Error::Key(e.to_string()))?;
    let (nonce, ciphertext) = sealed
        .split_at_checked(NONCE_LEN)
        .ok_or_else(|| Error::Key("a stored key is truncated".to_owned()))?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|e| Error::Key(e.to_string()))?;
    let mut buffer = ciphertext.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buffer)
        .map_err(|_| {
            Error::Key("a stored key does not decrypt with USERPOOL_KEY_ENCRYPTION_KEY".to_owned())
        })?;
    Ok(plain.to_vec())
}

/// Which stored keys (oldest first) sign and are published at `now`: the
/// newest active key signs; upcoming keys, it, and keys it replaced less than
/// `RETIRED_KEY_PUBLISHED_SECONDS` ago are published. None if no key is active.
fn arrange(keys: &[StoredKey], now: i64) -> Option<(usize, Vec<usize>)> {
    let signing = keys.iter().rposition(|k| k.active_from <= now)?;
    let published = (0..keys.len())
        .filter(|&i| {
            i >= signing
                // Its successor took over recently: tokens it signed may still live.
                || keys
                    .get(i + 1)
                    .is_some_and(|next| next.active_from + RETIRED_KEY_PUBLISHED_SECONDS > now)
        })
        .collect();
    Some((signing, published))
}

impl KeyRing {
    /// Loads the keys, creating the first one if the pool has none. With a
    /// key-encryption key, new keys are stored encrypted.
    pub(crate) async fn open(
        store: Store,
        kek: Option<KeyEncryptionKey>,
    ) -> Result<KeyRing, Error> {
        if store.signing_keys().await?.is_empty() {
            add_key(&store, kek.as_ref(), 0).await?;
        }
        let ring = load(&store, kek.as_ref(), &[]).await?;
        Ok(KeyRing {
            store,
            kek,
            ring: RwLock::new(Arc::new(ring)),
        })
    }

    /// Adds a key that takes over at `active_from`; returns its kid.
    pub(crate) async fn add(&self, active_from: i64) -> Result<String, Error> {
        let kid = add_key(&self.store, self.kek.as_ref(), active_from).await?;
        self.reload().await?;
        Ok(kid)
    }

    /// Picks up keys added since, and lets time move keys on.
    pub(crate) async fn reload(&self) -> Result<(), Error> {
        let current = self.current();
        let ring = load(&self.store, self.kek.as_ref(), &current.published).await?;
        *self
            .ring
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(ring);
        Ok(())
    }

    fn current(&self) -> Arc<Ring> {
        self.ring
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn sign(&self, claims: &impl Serialize) -> Result<String, Error> {
        self.current().signing.sign(claims)
    }

    /// The claims of an unexpired token one of the published keys signed for `issuer`.
    pub(crate) fn verify<T: DeserializeOwned>(&self, token: &str, issuer: &str) -> Option<T> {
        self.verify_with(token, issuer, Expiry::Enforced)
    }

    /// As [`KeyRing::verify`], expired or not: what an `id_token_hint` may be
    /// (OpenID Connect RP-Initiated Logout §2).
    pub(crate) fn verify_hint<T: DeserializeOwned>(&self, token: &str, issuer: &str) -> Option<T> {
        self.verify_with(token, issuer, Expiry::Ignored)
    }

    fn verify_with<T: DeserializeOwned>(
        &self,
        token: &str,
        issuer: &str,
        expiry: Expiry,
    ) -> Option<T> {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let ring = self.current();
        let key = ring.published.iter().find(|k| k.kid == kid)?;
        key.verify(token, issuer, expiry)
    }

    /// The key that signs now, PKCS#8 DER (for the benchmarks' raw baseline).
    #[cfg(feature = "bench-support")]
    pub(crate) fn signing_pkcs8(&self) -> Result<Vec<u8>, Error> {
        let der = self.current().signing.key_pair.as_der();
        der.map(|der| der.as_ref().to_vec())
            .map_err(|e| Error::Key(e.to_string()))
    }

    pub(crate) fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.current().published.iter().map(|k| k.jwk()).collect(),
        }
    }

    #[cfg(test)]
    fn signing_kid(&self) -> String {
        self.current().signing.kid.clone()
    }
}

/// Generates a key that takes over at `active_from` and stores it; returns its kid.
async fn add_key(
    store: &Store,
    kek: Option<&KeyEncryptionKey>,
    active_from: i64,
) -> Result<String, Error> {
    // Generating an RSA key takes a noticeable moment: keep it off the async threads.
    let key = tokio::task::spawn_blocking(SigningKey::generate)
        .await
        .map_err(|e| Error::Key(e.to_string()))??;
    let pkcs8 = key
        .key_pair
        .as_der()
        .map_err(|e| Error::Key(e.to_string()))?;
    let stored = match kek {
        Some(kek) => seal(kek, &key.kid, pkcs8.as_ref())?,
        None => pkcs8.as_ref().to_vec(),
    };
    store
        .insert_signing_key(&key.kid, &stored, active_from, crate::now())
        .await?;
    tracing::info!(kid = %key.kid, active_from, "created a new signing key");
    Ok(key.kid)
}

/// The pool's secret called `name` (256 random bits), the same for every
/// replica on the database and across restarts: the first one stored wins.
pub(crate) async fn pool_secret(
    store: &Store,
    kek: Option<&KeyEncryptionKey>,
    name: &str,
) -> Result<Vec<u8>, Error> {
    let aad = format!("pool_secrets/{name}");
    let candidate = seal_text(kek, &aad, &crate::secrets::token()?)?;
    let stored = store.pool_secret(name, &candidate).await?;
    Ok(unseal_text(kek, &aad, &stored)?.into_bytes())
}

/// A secret named `aad` as the store is to keep it: sealed when there is a
/// key-encryption key, as it is otherwise.
pub(crate) fn seal_text(
    kek: Option<&KeyEncryptionKey>,
    aad: &str,
    plain: &str,
) -> Result<String, Error> {
    Ok(match kek {
        Some(kek) => format!(
            "{SEALED_SECRET}{}",
            b64url(seal(kek, aad, plain.as_bytes())?)
        ),
        None => plain.to_owned(),
    })
}

/// A secret named `aad` as [`seal_text`] stored it.
pub(crate) fn unseal_text(
    kek: Option<&KeyEncryptionKey>,
    aad: &str,
    stored: &str,
) -> Result<String, Error> {
    let Some(sealed) = stored.strip_prefix(SEALED_SECRET) else {
        return Ok(stored.to_owned());
    };
    let corrupt = || Error::Key(format!("the stored secret {aad} is corrupt"));
    let sealed = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| corrupt())?;
    String::from_utf8(unseal(kek, aad, &sealed)?).map_err(|_| corrupt())
}

/// The ring as of now; keys already parsed (`known`) are reused.
async fn load(
    store: &Store,
    kek: Option<&KeyEncryptionKey>,
    known: &[Arc<SigningKey>],
) -> Result<Ring, Error> {
    let stored = store.signing_keys().await?;
    let (signing, published) = arrange(&stored, crate::now())
        .ok_or_else(|| Error::Key("no signing key is active yet".to_owned()))?;
    let parse = |record: &StoredKey| -> Result<Arc<SigningKey>, Error> {
        if let Some(key) = known.iter().find(|k| k.kid == record.kid) {
            return Ok(key.clone());
        }
        let key_pair = KeyPair::from_pkcs8(&unseal(kek, &record.kid, &record.pkcs8)?)
            .map_err(|e| Error::Key(e.to_string()))?;
        Ok(Arc::new(SigningKey::new(record.kid.clone(), key_pair)))
    };
    let published = published
        .iter()
        .filter_map(|&i| stored.get(i))
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
    let signing = stored
        .get(signing)
        .and_then(|record| published.iter().find(|k| k.kid == record.kid))
        .cloned()
        .ok_or_else(|| Error::Key("the signing key is not published".to_owned()))?;
    Ok(Ring { signing, published })
}

/// Whether a token's `exp` counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Enforced,
    Ignored,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

    #[tokio::test]
    async fn jwks_verifies_what_the_key_signs_and_the_key_persists() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_database(dir.path()).await)
            .await
            .unwrap();
        let keys = KeyRing::open(store.clone(), None).await.unwrap();

        let claims = serde_json::json!({ "sub": "abc", "iss": "me", "exp": crate::now() + 60 });
        let jwt = keys.sign(&claims).unwrap();

        let header = decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid, Some(keys.signing_kid()));
        assert_eq!(header.typ.as_deref(), Some("JWT"));

        let jwks = serde_json::to_value(keys.jwks()).unwrap();
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
        let again = KeyRing::open(store, None).await.unwrap();
        assert_eq!(again.signing_kid(), keys.signing_kid());
        assert_eq!(serde_json::to_value(again.jwks()).unwrap(), jwks);
    }

    fn stored(kid: &str, active_from: i64) -> StoredKey {
        StoredKey {
            kid: kid.to_owned(),
            pkcs8: Vec::new(),
            active_from,
        }
    }

    #[test]
    fn a_new_key_is_published_first_and_the_old_one_until_its_tokens_expire() {
        let keys = [stored("a", 0), stored("b", 1000)];
        // Before b takes over: a signs, both are published.
        assert_eq!(arrange(&keys, 999), Some((0, vec![0, 1])));
        // After: b signs, a is still published for the tokens it signed.
        assert_eq!(arrange(&keys, 1000), Some((1, vec![0, 1])));
        assert_eq!(
            arrange(&keys, 1000 + RETIRED_KEY_PUBLISHED_SECONDS - 1),
            Some((1, vec![0, 1]))
        );
        // Then a goes.
        assert_eq!(
            arrange(&keys, 1000 + RETIRED_KEY_PUBLISHED_SECONDS),
            Some((1, vec![1]))
        );
        // Nothing active yet: no ring.
        assert_eq!(arrange(&[stored("c", 50)], 10), None);
    }

    #[tokio::test]
    async fn a_rotation_is_picked_up_without_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_database(dir.path()).await)
            .await
            .unwrap();
        let keys = KeyRing::open(store.clone(), None).await.unwrap();
        let old = keys.signing_kid();
        let claims = serde_json::json!({ "sub": "abc", "iss": "me", "exp": crate::now() + 60 });
        let before = keys.sign(&claims).unwrap();

        // Rotated in for later: published at once, not signing yet.
        let upcoming = keys.add(crate::now() + 3600).await.unwrap();
        assert_eq!(keys.signing_kid(), old);
        assert_eq!(keys.jwks().keys.len(), 2);

        // Another rotation that is already due: it signs after the next reload.
        let due = add_key(&store, None, crate::now() - 1).await.unwrap();
        keys.reload().await.unwrap();
        assert_eq!(keys.signing_kid(), due);
        let kids: Vec<String> = keys.jwks().keys.into_iter().map(|k| k.kid).collect();
        assert!(kids.contains(&old) && kids.contains(&due) && kids.contains(&upcoming));
        // Tokens of the old key still verify, and so do the new key's.
        let after = keys.sign(&claims).unwrap();
        assert!(keys.verify::<serde_json::Value>(&before, "me").is_some());
        assert!(keys.verify::<serde_json::Value>(&after, "me").is_some());
    }

    #[tokio::test]
    async fn with_a_key_encryption_key_keys_are_stored_encrypted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_database(dir.path()).await)
            .await
            .unwrap();
        let kek = KeyEncryptionKey([7; 32]);
        let keys = KeyRing::open(store.clone(), Some(kek.clone()))
            .await
            .unwrap();
        let stored = store.signing_keys().await.unwrap();
        assert!(stored[0].pkcs8.starts_with(SEALED));
        // DER of a PKCS#8 RSA key starts with a SEQUENCE tag; nothing of it shows.
        assert!(
            !stored[0]
                .pkcs8
                .windows(4)
                .any(|w| w == [0x02, 0x82, 0x01, 0x01])
        );

        // Reopened with the same key: the same signing key.
        let again = KeyRing::open(store.clone(), Some(kek)).await.unwrap();
        assert_eq!(again.signing_kid(), keys.signing_kid());
        // Without it, or with another, the pool refuses to start.
        assert!(KeyRing::open(store.clone(), None).await.is_err());
        assert!(
            KeyRing::open(store, Some(KeyEncryptionKey([8; 32])))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_pool_secret_is_made_once_and_sealed_with_a_key_encryption_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_database(dir.path()).await)
            .await
            .unwrap();
        let kek = KeyEncryptionKey([7; 32]);
        let first = pool_secret(&store, Some(&kek), "csrf").await.unwrap();
        assert_eq!(first.len(), 43);
        // Later opens (other replicas, restarts) get the same one, not their own.
        assert_eq!(
            pool_secret(&store, Some(&kek), "csrf").await.unwrap(),
            first
        );
        // Another name, another secret.
        assert_ne!(
            pool_secret(&store, Some(&kek), "other").await.unwrap(),
            first
        );
        // At rest it is sealed: nothing of it shows.
        let stored = store.pool_secret("csrf", "unused").await.unwrap();
        assert!(stored.starts_with(SEALED_SECRET), "{stored}");
        assert!(!stored.contains(std::str::from_utf8(&first).unwrap()));
        // Without the key-encryption key, or with another, it cannot be read.
        assert!(pool_secret(&store, None, "csrf").await.is_err());
        assert!(
            pool_secret(&store, Some(&KeyEncryptionKey([8; 32])), "csrf")
                .await
                .is_err()
        );
        // Without a key-encryption key, a new secret is stored as it is.
        let plain = pool_secret(&store, None, "plain").await.unwrap();
        assert_eq!(
            store
                .pool_secret("plain", "unused")
                .await
                .unwrap()
                .as_bytes(),
            plain
        );
    }
}
