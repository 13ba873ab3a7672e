//! CSRF protection for the hosted UI's forms, with Cognito's names: a
//! double-submit token in the `XSRF-TOKEN` cookie (HttpOnly, SameSite=Lax) and the
//! `_csrf` hidden field, compared in constant time.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::SameSite;

use crate::config::Config;
use crate::error::Error;
use crate::secrets;

const COOKIE: &str = "XSRF-TOKEN";

/// The token to put in a page's forms, and the jar that carries it. An existing
/// well-formed token is kept, so several open tabs keep working.
pub(crate) fn issue(config: &Config, jar: CookieJar) -> Result<(CookieJar, String), Error> {
    if let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned())
        && token.len() == 43
    {
        return Ok((jar, token));
    }
    let token = secrets::token()?;
    let cookie = crate::hosted_ui::cookie(COOKIE, token.clone(), config, None, SameSite::Lax);
    Ok((jar.add(cookie), token))
}

/// Whether the submitted `_csrf` field matches the cookie.
pub(crate) fn verify(jar: &CookieJar, submitted: Option<&str>) -> bool {
    match (jar.get(COOKIE), submitted) {
        (Some(cookie), Some(field)) if !field.is_empty() => {
            secrets::equal(cookie.value().as_bytes(), field.as_bytes())
        }
        _ => false,
    }
}
