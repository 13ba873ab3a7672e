//! PKCE (RFC 7636), S256 only: checking the shape of challenges at authorize time
//! and verifiers at token time, and the constant-time verification itself.

use sha2::{Digest, Sha256};

use crate::secrets;

/// Both verifiers and S256 challenges are 43–128 characters of
/// `[A-Za-z0-9-._~]` (RFC 7636 §4.1; a S256 challenge is always exactly 43).
fn well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether a `code_challenge` can be the output of S256.
pub(crate) fn challenge_is_valid(challenge: &str) -> bool {
    challenge.len() == 43 && well_formed(challenge)
}

/// `BASE64URL(SHA256(verifier)) == challenge`, compared in constant time.
pub(crate) fn verify_s256(verifier: &str, challenge: &str) -> bool {
    well_formed(verifier)
        && secrets::equal(
            secrets::b64url(Sha256::digest(verifier.as_bytes())).as_bytes(),
            challenge.as_bytes(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636, Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b() {
        assert!(challenge_is_valid(CHALLENGE));
        assert!(verify_s256(VERIFIER, CHALLENGE));
    }

    #[test]
    fn rejects_wrong_or_malformed_verifiers() {
        assert!(!verify_s256(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            CHALLENGE
        ));
        assert!(!verify_s256(CHALLENGE, CHALLENGE));
        assert!(!verify_s256("short", CHALLENGE));
        assert!(!verify_s256(&format!("{VERIFIER} "), CHALLENGE));
        assert!(!challenge_is_valid("plain-challenge"));
    }
}
