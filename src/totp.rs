//! Authenticator-app codes (TOTP, RFC 6238 as Cognito uses it: HMAC-SHA-1,
//! six digits, 30-second steps, a step either side accepted), with `totp-rs`:
//! new secrets, the `otpauth://` URI an app scans, and which step a code is
//! of, so that a caller can refuse a code used before.

use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::Error;

const DIGITS: usize = 6;
const STEP_SECONDS: u64 = 30;
/// Steps either side of now a code may be of (clocks drift, people type slowly).
const SKEW: i64 = 1;

/// A new secret: 160 random bits (RFC 4226's recommendation), base32 as apps take it.
pub(crate) fn new_secret() -> Result<String, Error> {
    let bytes = crate::secrets::random_bytes::<20>()?;
    Ok(Secret::Raw(bytes.to_vec()).to_encoded().to_string())
}

fn totp(secret: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    // The label's parts cannot hold `:` (it separates them).
    let label = |s: &str| s.replace(':', " ");
    Some(TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        bytes,
        Some(label(issuer)),
        label(account),
    ))
}

/// The URI an authenticator app scans to take `secret` (as a QR code) for
/// `account` of `issuer`.
pub(crate) fn uri(secret: &str, issuer: &str, account: &str) -> Option<String> {
    totp(secret, issuer, account).map(|t| t.get_url())
}

/// The step (Unix time / 30) `code` is of for `secret` at `now`, if it is
/// one within the skew.
pub(crate) fn step_of(secret: &str, code: &str, now: i64) -> Option<i64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "", "")?;
    let current = now.div_euclid(STEP_SECONDS as i64);
    (current - SKEW..=current + SKEW).find(|&step| {
        let at = u64::try_from(step).unwrap_or(0) * STEP_SECONDS;
        crate::secrets::equal(totp.generate(at).as_bytes(), code.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret, "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        // The RFC's eight-digit codes end in these six digits.
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            let step = time / 30;
            assert_eq!(step_of(RFC_SECRET, code, time), Some(step), "{time}");
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_two_are_not() {
        let totp = totp(RFC_SECRET, "", "").unwrap();
        let now = 1_234_567_890;
        let code_at = |t: i64| totp.generate(u64::try_from(t).unwrap());
        assert_eq!(
            step_of(RFC_SECRET, &code_at(now - 30), now),
            Some(now / 30 - 1)
        );
        assert_eq!(
            step_of(RFC_SECRET, &code_at(now + 30), now),
            Some(now / 30 + 1)
        );
        assert_eq!(step_of(RFC_SECRET, &code_at(now - 60), now), None);
        assert_eq!(step_of(RFC_SECRET, &code_at(now + 60), now), None);
        for bad in ["", "12345", "1234567", "12345a", "０１２３４５"] {
            assert_eq!(step_of(RFC_SECRET, bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn new_secrets_differ_and_make_scannable_uris() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret().unwrap());
        let uri = uri(&secret, "My Pool", "alice:x@example.com").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    }
}
