//! The pool's cookies (the SSO session, the CSRF token): how each is built.

use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::config::Config;

/// A cookie of the pool: HttpOnly, whole-site, `Secure` when served over https.
pub(crate) fn cookie(
    name: &'static str,
    value: String,
    config: &Config,
    max_age_seconds: Option<i64>,
    same_site: SameSite,
) -> Cookie<'static> {
    let mut builder = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(config.secure_cookies())
        .same_site(same_site);
    if let Some(seconds) = max_age_seconds {
        builder = builder.max_age(cookie::time::Duration::seconds(seconds));
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sso_cookie_is_http_only_lax_and_secure_over_https() {
        for (public_url, secure) in [
            ("http://127.0.0.1:9229", false),
            ("https://auth.example.com", true),
        ] {
            let text = crate::tests::CONFIG.replace(
                "public_url = \"http://127.0.0.1:9229\"",
                &format!("public_url = \"{public_url}\""),
            );
            let config = Config::from_toml(&text).expect("config");
            let cookie = cookie("cognito", "id".into(), &config, Some(3600), SameSite::Lax);
            let text = cookie.to_string();
            assert!(text.contains("HttpOnly"), "{text}");
            assert!(text.contains("SameSite=Lax"), "{text}");
            assert!(text.contains("Path=/"), "{text}");
            assert_eq!(text.contains("Secure"), secure, "{text}");
        }
    }
}
