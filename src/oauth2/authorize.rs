//! `GET /oauth2/authorize`: a request naming an upstream identity provider goes
//! there (`upstream`); a live SSO session is answered at once
//! (`signin::answer`); anyone else is sent to the hosted UI's sign-in page.

use axum::extract::Query;
use axum::response::Response;
use axum_extra::extract::CookieJar;

use super::upstream;
use crate::UserPool;
use crate::signin::answer::respond;
use crate::signin::request::{OAuthParams, validate};
use crate::signin::session;
use crate::web::{PageError, found};

pub(super) async fn authorize(
    pool: UserPool,
    jar: CookieJar,
    Query(params): Query<OAuthParams>,
) -> Result<Response, PageError> {
    let request = validate(pool.pool(), &params)?;
    let now = crate::now();
    if let Some(provider) = upstream::provider_of(&pool, &request)? {
        return upstream::send(&pool, jar, &request, &provider, now).await;
    }
    if let Some(session) = session::current(&pool, &jar, now).await? {
        let (location, code) = respond(&pool, &request, &session, now).await?;
        if let Some(code) = code {
            pool.store().insert_auth_code(&code, now).await?;
        }
        return Ok(found(&location));
    }
    Ok(found(&format!("/login?{}", params.query(&[]))))
}
