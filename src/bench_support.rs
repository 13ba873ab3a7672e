//! What the benchmarks (`benches/`) measure inside the pool, behind the
//! `bench-support` feature: issuing a sign-in's tokens, the signing key for the
//! raw-signature baseline, and one Argon2id verification with the pool's parameters.

use crate::tokens::{self, Grant};
use crate::{Error, UserPool, password};

impl UserPool {
    /// Signs the ID and access tokens of a sample sign-in, as the token endpoint does.
    pub fn issue_sample_tokens(&self, groups: &[String]) -> Result<(String, String), Error> {
        let attributes = crate::claims::id_token(
            &[
                ("email".to_owned(), "bench@example.com".to_owned()),
                ("email_verified".to_owned(), "true".to_owned()),
            ],
            None,
        );
        let issued = tokens::issue(
            self.pool(),
            self.key(),
            &Grant {
                sub: "0b7c2f1e-0000-4000-8000-000000000000",
                username: "0b7c2f1e-0000-4000-8000-000000000000",
                attributes: &attributes,
                groups,
                roles: &[],
                preferred_role: None,
                client_id: "1ocal4pp5c1ient0leptos0cog",
                scope: &crate::scope::Scope::parse("openid email profile"),
                id_token: true,
                auth_time: crate::now(),
                origin_jti: "5d3f1a2b-0000-4000-8000-000000000000",
                event_id: "7a9c4e6d-0000-4000-8000-000000000000",
                nonce: Some("n0nce"),
                id_changes: None,
                access_changes: None,
            },
            crate::now(),
        )?;
        Ok((issued.id_token.unwrap_or_default(), issued.access_token))
    }

    /// The key that signs now, PKCS#8 DER.
    pub fn signing_key_pkcs8(&self) -> Result<Vec<u8>, Error> {
        self.key().signing_pkcs8()
    }
}

/// One Argon2id verification, as the argon2 crate does it (what a sign-in costs at least).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// An Argon2id hash with the pool's parameters.
pub fn hash_password(password: &str) -> Result<String, Error> {
    password::hash_blocking(password)
}
