//! Generation of random secrets (opaque tokens, 6-digit codes, UUIDs) and their
//! at-rest form: only a SHA-256 of each bearer secret is stored, so a copy of the
//! database does not hand out live codes, sessions or refresh tokens.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::Error;

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Random)?;
    Ok(bytes)
}

/// 256 random bits, base64url: authorization codes, refresh tokens, session ids, CSRF tokens.
pub(crate) fn token() -> Result<String, Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// A uniformly random code of `digits` digits (at most 9; leading zeros kept).
pub(crate) fn digit_code(digits: u32) -> Result<String, Error> {
    let modulus = 10u32.pow(digits.min(9));
    // Rejection sampling avoids the modulo bias of `x % modulus`.
    let limit = u32::MAX - (u32::MAX % modulus);
    loop {
        let n = u32::from_be_bytes(random_bytes::<4>()?);
        if n < limit {
            return Ok(format!(
                "{:0width$}",
                n % modulus,
                width = digits.min(9) as usize
            ));
        }
    }
}

/// A random (version 4) UUID: user `sub`s, `jti`s, `event_id`s.
pub(crate) fn uuid() -> Result<String, Error> {
    Ok(uuid::Builder::from_random_bytes(random_bytes::<16>()?)
        .into_uuid()
        .to_string())
}

/// A temporary password for a user an administrator creates: 96 random bits
/// (16 base64url characters), longer than any minimum the policy allows
/// below 16; the user replaces it at first sign-in.
pub(crate) fn temporary_password(minimum_length: usize) -> Result<String, Error> {
    let mut password = URL_SAFE_NO_PAD.encode(random_bytes::<12>()?);
    while password.len() < minimum_length {
        password.push_str(&URL_SAFE_NO_PAD.encode(random_bytes::<12>()?));
    }
    // One of each character class a password policy may require (the 96
    // random bits are the secret).
    password.push_str("Aa1!");
    Ok(password)
}

/// Cognito's `SECRET_HASH`: base64(HMAC-SHA256(client secret, username ‖ client id)).
pub(crate) fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, client_secret.as_bytes());
    let tag = hmac::sign(&key, format!("{username}{client_id}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// A server secret for what answers about names without an account must make
/// up: the same for one name each time, and unpredictable without the key.
pub(crate) struct DecoyKey(aws_lc_rs::hmac::Key);

impl DecoyKey {
    pub(crate) fn new(secret: &[u8]) -> DecoyKey {
        DecoyKey(aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            secret,
        ))
    }

    /// `count` lower-case letters that `name` (of `pool_id`) stands for.
    pub(crate) fn letters(&self, pool_id: &str, name: &str, count: usize) -> String {
        let tag = aws_lc_rs::hmac::sign(&self.0, format!("{pool_id}\0{name}").as_bytes());
        tag.as_ref()
            .iter()
            .take(count)
            .map(|byte| char::from(b'a' + byte % 26))
            .collect()
    }
}

/// The stored form of a bearer secret.
pub(crate) fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality, so comparing secrets leaks nothing through timing.
pub(crate) fn equal(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

pub(crate) fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_digits_and_tokens_differ() {
        for _ in 0..100 {
            let code = digit_code(6).unwrap();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
            let long = digit_code(8).unwrap();
            assert_eq!(long.len(), 8);
            assert!(long.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_ne!(token().unwrap(), token().unwrap());
        assert_eq!(token().unwrap().len(), 43);
        let id = uuid::Uuid::parse_str(&uuid().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }

    #[test]
    fn secret_hash_matches_the_aws_documentation_recipe() {
        // Computed independently: printf 'aliceclient' | openssl dgst -sha256 -hmac secret -binary | base64
        assert_eq!(
            secret_hash("secret", "alice", "client"),
            "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0="
        );
    }

    #[test]
    fn temporary_passwords_meet_the_minimum() {
        assert_eq!(temporary_password(8).unwrap().len(), 20);
        assert!(temporary_password(40).unwrap().len() >= 40);
    }

    #[test]
    fn equal_compares_contents() {
        assert!(equal(b"abc", b"abc"));
        assert!(!equal(b"abc", b"abd"));
        assert!(!equal(b"abc", b"abcd"));
    }

    #[test]
    fn decoy_letters_are_stable_per_name_and_key() {
        let key = DecoyKey::new(b"one key");
        let letters = key.letters("pool", "alice", 2);
        assert_eq!(letters.len(), 2);
        assert!(letters.chars().all(|c| c.is_ascii_lowercase()));
        assert_eq!(key.letters("pool", "alice", 2), letters);
        let names: std::collections::HashSet<String> = (0..50)
            .map(|n| key.letters("pool", &format!("user{n}"), 2))
            .collect();
        assert!(names.len() > 10, "{names:?}");
        let other = DecoyKey::new(b"another key");
        let differ = (0..20).any(|n| {
            let name = format!("user{n}");
            key.letters("pool", &name, 2) != other.letters("pool", &name, 2)
        });
        assert!(differ);
    }
}
