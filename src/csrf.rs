//! CSRF protection for the hosted UI's forms, with Cognito's names: the token
//! rides in the `XSRF-TOKEN` cookie (HttpOnly, SameSite=Lax) and the `_csrf`
//! hidden field, which must be equal. A plain double-submit token would adopt
//! any cookie planted from a sibling subdomain, so tokens are bound to the pool:
//! `<random>.<HMAC-SHA256 of it>` under a secret every replica shares (see
//! `keys::pool_secret`), and a token without a valid MAC is never kept or accepted.

use aws_lc_rs::hmac;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::SameSite;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::config::Config;
use crate::error::Error;
use crate::secrets;

const COOKIE: &str = "XSRF-TOKEN";

/// The key that signs the pool's CSRF tokens.
pub(crate) struct CsrfKey(hmac::Key);

impl CsrfKey {
    pub(crate) fn new(secret: &[u8]) -> CsrfKey {
        CsrfKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    fn sign(&self) -> Result<String, Error> {
        let nonce = secrets::token()?;
        let tag = hmac::sign(&self.0, nonce.as_bytes());
        Ok(format!("{nonce}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref())))
    }

    /// Whether this key made `token` (the MAC is compared in constant time).
    fn made(&self, token: &str) -> bool {
        let Some((nonce, tag)) = token.split_once('.') else {
            return false;
        };
        URL_SAFE_NO_PAD
            .decode(tag)
            .is_ok_and(|tag| hmac::verify(&self.0, nonce.as_bytes(), &tag).is_ok())
    }
}

/// The token to put in a page's forms, and the jar that carries it. A token
/// the pool made is kept, so several open tabs keep working; anything else in
/// the cookie is replaced.
pub(crate) fn issue(
    config: &Config,
    key: &CsrfKey,
    jar: CookieJar,
) -> Result<(CookieJar, String), Error> {
    if let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned())
        && key.made(&token)
    {
        return Ok((jar, token));
    }
    let token = key.sign()?;
    let cookie = crate::web::cookie(COOKIE, token.clone(), config, None, SameSite::Lax);
    Ok((jar.add(cookie), token))
}

/// Whether the submitted `_csrf` field matches the cookie, and the pool made it.
pub(crate) fn verify(key: &CsrfKey, jar: &CookieJar, submitted: Option<&str>) -> bool {
    match (jar.get(COOKIE), submitted) {
        (Some(cookie), Some(field)) => {
            secrets::equal(cookie.value().as_bytes(), field.as_bytes()) && key.made(field)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum_extra::extract::cookie::Cookie;

    fn config() -> Config {
        Config::from_toml(crate::tests::CONFIG).unwrap()
    }

    fn jar_with(token: &str) -> CookieJar {
        CookieJar::new().add(Cookie::new(COOKIE, token.to_owned()))
    }

    #[test]
    fn a_planted_token_is_replaced_not_adopted() {
        let key = CsrfKey::new(b"this pool's secret");
        // What an attacker may plant: a plain random token (what the pool used to
        // issue), or one shaped like the pool's with a MAC they made up.
        let plain = secrets::token().unwrap();
        let forged = format!("{plain}.{}", URL_SAFE_NO_PAD.encode([0u8; 32]));
        for planted in [plain.as_str(), forged.as_str(), "", "."] {
            let (jar, token) = issue(&config(), &key, jar_with(planted)).unwrap();
            assert_ne!(token, planted);
            assert_eq!(jar.get(COOKIE).unwrap().value(), token);
            assert!(verify(&key, &jar, Some(&token)));
            // The pair of the attacker's choosing does not pass.
            assert!(
                !verify(&key, &jar_with(planted), Some(planted)),
                "{planted:?}"
            );
        }
        // A token the pool made is kept.
        let (jar, token) = issue(&config(), &key, CookieJar::new()).unwrap();
        let (again, same) = issue(&config(), &key, jar).unwrap();
        assert_eq!(same, token);
        assert!(verify(&key, &again, Some(&token)));
        // The field must equal the cookie, even when both are the pool's.
        let (_, other) = issue(&config(), &key, CookieJar::new()).unwrap();
        assert!(!verify(&key, &again, Some(&other)));
        assert!(!verify(&key, &again, None));
        assert!(!verify(&key, &CookieJar::new(), Some(&token)));
    }

    #[test]
    fn a_token_of_another_secret_fails() {
        let ours = CsrfKey::new(b"this pool's secret");
        let theirs = CsrfKey::new(b"another pool's secret");
        let (jar, token) = issue(&config(), &theirs, CookieJar::new()).unwrap();
        assert!(verify(&theirs, &jar, Some(&token)));
        assert!(!verify(&ours, &jar, Some(&token)));
        let (_, replaced) = issue(&config(), &ours, jar).unwrap();
        assert_ne!(replaced, token);
    }
}
