//! The hosted UI's single sign-on session: the `cognito` cookie (an opaque id,
//! HttpOnly, SameSite=Lax, one hour) and its row in the database. While it lives,
//! `/oauth2/authorize` returns a code without showing the sign-in page.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::SameSite;

use crate::UserPool;
use crate::error::Error;
use crate::secrets;
use crate::store::{AuthCode, Session};

const COOKIE: &str = "cognito";
const LIFETIME_SECONDS: i64 = 3600;

/// Starts a session for a user who just authenticated, storing `code` (the
/// one the browser is sent back with) in the same transaction.
pub(crate) async fn start(
    pool: &UserPool,
    jar: CookieJar,
    session: &Session,
    code: Option<&AuthCode>,
    now: i64,
) -> Result<CookieJar, Error> {
    let id = secrets::token()?;
    pool.store()
        .insert_session(
            &secrets::digest(&id),
            session,
            now + LIFETIME_SECONDS,
            code,
            now,
        )
        .await?;
    Ok(jar.add(crate::web::cookie(
        COOKIE,
        id,
        pool.config(),
        Some(LIFETIME_SECONDS),
        SameSite::Lax,
    )))
}

pub(crate) async fn current(
    pool: &UserPool,
    jar: &CookieJar,
    now: i64,
) -> Result<Option<Session>, Error> {
    match jar.get(COOKIE) {
        Some(cookie) => {
            pool.store()
                .live_session(&secrets::digest(cookie.value()), now)
                .await
        }
        None => Ok(None),
    }
}

/// Deletes the session and clears the cookie.
pub(crate) async fn end(pool: &UserPool, jar: CookieJar) -> Result<CookieJar, Error> {
    if let Some(cookie) = jar.get(COOKIE) {
        pool.store()
            .delete_session(&secrets::digest(cookie.value()))
            .await?;
    }
    Ok(jar.add(crate::web::cookie(
        COOKIE,
        String::new(),
        pool.config(),
        Some(0),
        SameSite::Lax,
    )))
}
