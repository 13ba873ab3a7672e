//! Answering an authorization request once its user is authenticated (through a
//! live SSO session, or just now in the hosted UI): with an authorization code,
//! or for implicit clients with tokens in the fragment.

use axum::response::Response;
use axum_extra::extract::CookieJar;

use super::request::{AuthRequest, ResponseType};
use super::session;
use crate::error::Error;
use crate::grants::{self, Authentication, Source};
use crate::lambda_config::Trigger;
use crate::store::{AuthCode, Session};
use crate::triggers::event::Caller;
use crate::web::found;
use crate::{UserPool, secrets};

/// Authorization codes are short-lived (Cognito: 5 minutes).
const CODE_LIFETIME_SECONDS: i64 = 300;

/// Answers `request` for the signed-in `session`: the client URL that carries
/// the code or the tokens, and the code, which the caller stores.
pub(crate) async fn respond(
    pool: &UserPool,
    request: &AuthRequest,
    session: &Session,
    now: i64,
) -> Result<(String, Option<AuthCode>), Error> {
    let code_challenge = match &request.response {
        ResponseType::Code { code_challenge } => code_challenge,
        ResponseType::Token => {
            let user = pool
                .store()
                .user(&session.sub)
                .await?
                .ok_or(Error::UserGone)?;
            let tokens = grants::implicit(
                pool,
                &Authentication {
                    user: &user,
                    client_id: &request.client_id,
                    scope: &request.scope,
                    auth_time: session.auth_time,
                    event_id: &secrets::uuid()?,
                    nonce: request.nonce.as_deref(),
                    source: Source::Implicit,
                },
                now,
            )
            .await?;
            return Ok((request.token_url(&tokens), None));
        }
    };
    let code = secrets::token()?;
    let record = AuthCode {
        code_hash: secrets::digest(&code),
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        sub: session.sub.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: code_challenge.clone(),
        auth_time: session.auth_time,
        event_id: secrets::uuid()?,
        expires_at: now + CODE_LIFETIME_SECONDS,
    };
    Ok((request.success_url(&code), Some(record)))
}

/// A user just authenticated in the hosted UI: start the SSO session and send
/// the browser back to the client with a code. The session and the code are
/// stored in one transaction: a sign-in costs one flush to disk, not two.
pub(crate) async fn signed_in(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    sub: &str,
    now: i64,
) -> Result<(CookieJar, Response), Error> {
    let (jar, location) = signed_in_to(pool, jar, request, sub, now).await?;
    Ok((jar, found(&location)))
}

/// As [`signed_in`], returning the client URL instead of a redirect to it,
/// for a page that shows one more step first.
pub(crate) async fn signed_in_to(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    sub: &str,
    now: i64,
) -> Result<(CookieJar, String), Error> {
    // The pool's PostAuthentication trigger may still stop the sign-in.
    if crate::triggers::event::configured(pool, Trigger::PostAuthentication) {
        let user = pool.store().user(sub).await?.ok_or(Error::UserGone)?;
        let caller = Caller::of(&request.client_id);
        crate::triggers::authentication::post_authentication(pool, caller, &user).await?;
    }
    let session = Session {
        sub: sub.to_owned(),
        auth_time: now,
    };
    let (location, code) = respond(pool, request, &session, now).await?;
    let jar = session::start(pool, jar, &session, code.as_ref(), now).await?;
    Ok((jar, location))
}
