//! PKCE (RFC 7636) with the S256 method: the verifier the browser keeps and the
//! challenge it sends to the authorize endpoint.
//!
//! The hashing is plain Rust so it is tested natively; only the randomness comes
//! from the browser (`crypto.getRandomValues`).

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

/// The only method this app sends; the pool rejects anything else.
pub const METHOD: &str = "S256";

/// `BASE64URL(SHA256(verifier))`, without padding.
pub fn challenge(verifier: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()))
}

/// Encodes random bytes the way PKCE verifiers, `state` and `nonce` are written:
/// 32 bytes become 43 URL-safe characters.
pub fn encode_random(bytes: &[u8; 32]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// 32 bytes from the browser's cryptographic random generator, encoded.
#[cfg(feature = "hydrate")]
pub fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    let crypto = web_sys::window()
        .ok_or("no window")?
        .crypto()
        .map_err(|_| "this browser has no Web Crypto")?;
    crypto
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|_| "the browser refused to produce random bytes")?;
    Ok(encode_random(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn rfc_7636_appendix_b_verifier_is_its_octets_encoded() {
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = encode_random(&octets);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(verifier.len(), 43);
    }
}
