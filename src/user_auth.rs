//! Cognito's choice-based sign-in (`USER_AUTH`): which first challenges a user
//! may choose (the pool's `SignInPolicy`), and the `Session` that carries a
//! sign-in from one step to the next. A session is used once, within three
//! minutes, by the client it was given to, for the account (or the name
//! without one) it began with; only its digest is stored. A sign-up confirmed
//! through the API gets one too, with which the new user signs in once
//! without giving a password or code again (Amplify's `autoSignIn`).
//!
//! The steps themselves are the password flows' (`accounts`,
//! `password_verifier`): this module only decides what is on offer and
//! whether a session is good.

use serde::Serialize;

use crate::accounts::{self, Refusal};
use crate::auth_factors::AuthFactor;
use crate::error::Error;
use crate::store::{AuthSession, SessionStep, User};
use crate::{UserPool, challenge, secrets};

/// A first challenge a user may choose, in Cognito's names
/// (`AvailableChallenges`, `PREFERRED_CHALLENGE`, `SELECT_CHALLENGE`'s `ANSWER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Choice {
    /// The password itself.
    Password,
    /// The password proven by SRP (the `PASSWORD_VERIFIER` challenge).
    PasswordSrp,
}

impl Choice {
    pub(crate) fn parse(name: &str) -> Option<Choice> {
        match name {
            "PASSWORD" => Some(Choice::Password),
            "PASSWORD_SRP" => Some(Choice::PasswordSrp),
            _ => None,
        }
    }
}

/// What anyone may choose from. The same for every name, with an account or
/// not, so that the offer reveals nothing; every account here has a password.
pub(crate) fn choices(pool: &UserPool) -> Vec<Choice> {
    let policy = &pool.pool().settings.policies.sign_in_policy;
    let mut offered = Vec::new();
    if policy.allows(AuthFactor::Password) {
        offered.extend([Choice::PasswordSrp, Choice::Password]);
    }
    offered
}

/// Opens a session of `client_id` for `name` (and its account, if it has one),
/// waiting for `step`; returns the value to hand out.
pub(crate) async fn open(
    pool: &UserPool,
    client_id: &str,
    name: &str,
    user: Option<&User>,
    step: SessionStep,
    now: i64,
) -> Result<String, Error> {
    let session = secrets::token()?;
    let stored = AuthSession {
        client_id: client_id.to_owned(),
        failure_key: accounts::failure_key(pool, user, name),
        sub: user.map(|u| u.sub.clone()),
        step,
        code_hash: None,
        attempts: 0,
        expires_at: now + challenge::SESSION_SECONDS,
    };
    pool.store()
        .put_auth_session(&secrets::digest(&session), &stored, now)
        .await?;
    Ok(session)
}

/// Takes `session` if it is live, was opened for `client_id` and the account
/// `name` reaches now (or the same name without one), and waits for `step`.
/// Returns the account, None for a name without one; a session that fails
/// any check is spent all the same.
pub(crate) async fn resume(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    step: SessionStep,
    now: i64,
) -> Result<Result<Option<User>, Refusal>, Error> {
    let Some(stored) = pool
        .store()
        .take_auth_session(&secrets::digest(session), now)
        .await?
    else {
        return Ok(Err(Refusal::SessionExpired));
    };
    let user = accounts::user_named(pool, name).await?;
    let same_holder = stored.client_id == client_id
        && stored.step == step
        && stored.failure_key == accounts::failure_key(pool, user.as_ref(), name)
        && stored.sub == user.as_ref().map(|u| u.sub.clone());
    if !same_holder {
        return Ok(Err(Refusal::SessionExpired));
    }
    Ok(Ok(user))
}

/// The session a just-confirmed sign-up gets from ConfirmSignUp.
pub(crate) async fn signed_up(
    pool: &UserPool,
    client_id: &str,
    user: &User,
    now: i64,
) -> Result<String, Error> {
    open(
        pool,
        client_id,
        &user.username,
        Some(user),
        SessionStep::SignedUp,
        now,
    )
    .await
}

/// The user a sign-up session signs in: confirmed by the code they just
/// gave, and still allowed in.
pub(crate) async fn sign_in_signed_up(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    now: i64,
) -> Result<Result<User, Refusal>, Error> {
    let resumed = resume(pool, session, client_id, name, SessionStep::SignedUp, now).await?;
    match resumed {
        Ok(Some(user)) if user.enabled && user.confirmed => Ok(Ok(user)),
        Ok(Some(_)) => Ok(Err(Refusal::Disabled)),
        Ok(None) | Err(_) => Ok(Err(Refusal::SessionExpired)),
    }
}
