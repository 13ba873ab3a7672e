//! `GET /oauth2/authorize`, and issuing the authorization code once the user is
//! authenticated (here through a live SSO session, or by the hosted UI).

use axum::extract::{Query, State};
use axum::response::Response;
use axum_extra::extract::CookieJar;

use super::request::{AuthRequest, OAuthParams, validate};
use super::session;
use crate::error::{Error, PageError};
use crate::store::{AuthCode, Session};
use crate::{UserPool, found, secrets};

/// Authorization codes are short-lived (Cognito: 5 minutes).
const CODE_LIFETIME_SECONDS: i64 = 300;

pub(super) async fn authorize(
    State(pool): State<UserPool>,
    jar: CookieJar,
    Query(params): Query<OAuthParams>,
) -> Result<Response, PageError> {
    let request = validate(pool.config(), &params)?;
    if let Some(session) = session::current(&pool, &jar).await? {
        return Ok(found(&issue_code(&pool, &request, &session).await?));
    }
    Ok(found(&format!("/login?{}", params.query(&[]))))
}

/// Issues a code for `request` and returns the client URL that carries it.
async fn issue_code(
    pool: &UserPool,
    request: &AuthRequest,
    session: &Session,
) -> Result<String, Error> {
    let code = secrets::token()?;
    let now = crate::now();
    pool.store()
        .insert_auth_code(
            &AuthCode {
                code_hash: secrets::digest(&code),
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                sub: session.sub.clone(),
                scope: request.scope.clone(),
                nonce: request.nonce.clone(),
                code_challenge: request.code_challenge.clone(),
                auth_time: session.auth_time,
                event_id: secrets::uuid()?,
                expires_at: now + CODE_LIFETIME_SECONDS,
            },
            now,
        )
        .await?;
    Ok(request.success_url(&code))
}

/// A user just authenticated in the hosted UI: start the SSO session and send
/// the browser back to the client with a code.
pub(crate) async fn signed_in(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    sub: &str,
) -> Result<(CookieJar, Response), Error> {
    let session = Session {
        sub: sub.to_owned(),
        auth_time: crate::now(),
    };
    let jar = session::start(pool, jar, &session).await?;
    let location = issue_code(pool, request, &session).await?;
    Ok((jar, found(&location)))
}
