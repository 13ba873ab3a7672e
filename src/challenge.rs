//! The `NEW_PASSWORD_REQUIRED` challenge: a user an administrator created signs
//! in with the temporary password and must choose their own before getting
//! tokens. The challenge's `Session` is a token signed by the pool, naming the
//! user and the client, valid three minutes; setting the password spends it.
//! The JSON API (RespondToAuthChallenge) and the hosted UI both answer it here.

use serde::{Deserialize, Serialize};

use crate::accounts::Refusal;
use crate::directory::{self, PasswordUse};
use crate::error::Error;
use crate::store::User;
use crate::{UserPool, secrets};

/// Cognito's session lifetime for a challenge.
pub(crate) const SESSION_SECONDS: i64 = 180;

#[derive(Serialize, Deserialize)]
struct SessionClaims {
    sub: String,
    client_id: String,
    token_use: String,
    iss: String,
    exp: i64,
    jti: String,
}

/// A session for `user`, who gave the right temporary password to `client_id`.
pub(crate) fn session(
    pool: &UserPool,
    user: &User,
    client_id: &str,
    now: i64,
) -> Result<String, Error> {
    pool.key().sign(&SessionClaims {
        sub: user.sub.clone(),
        client_id: client_id.to_owned(),
        // No verifier of access or ID tokens accepts this use.
        token_use: "challenge".to_owned(),
        iss: pool.pool().issuer().to_owned(),
        exp: now + SESSION_SECONDS,
        jti: secrets::uuid()?,
    })
}

/// Sets the new password if `session` is live, was issued to `client_id` for
/// `username`, and the user still has to change theirs; returns the user, who
/// may now hold tokens.
pub(crate) async fn answer(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    username: &str,
    new_password: &str,
    now: i64,
) -> Result<Result<User, Refusal>, Error> {
    let Some(claims) = pool
        .key()
        .verify::<SessionClaims>(session, pool.pool().issuer())
        .filter(|c| c.token_use == "challenge" && c.client_id == client_id)
    else {
        return Ok(Err(Refusal::SessionExpired));
    };
    let Some(user) = pool
        .store()
        .user_by_username(&pool.pool().naming().lookup(username))
        .await?
        .filter(|u| u.sub == claims.sub && u.force_password_change && u.enabled)
    else {
        return Ok(Err(Refusal::SessionExpired));
    };
    if let Err(refusal) =
        directory::set_password(pool, &user, new_password, PasswordUse::Permanent, now).await?
    {
        return Ok(Err(refusal));
    }
    Ok(Ok(User {
        force_password_change: false,
        ..user
    }))
}
