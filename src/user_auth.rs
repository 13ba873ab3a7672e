//! Cognito's choice-based sign-in (`USER_AUTH`): which first challenges a user
//! may choose (the pool's `SignInPolicy`), and the `Session` that carries a
//! sign-in from one step to the next. A session is used once, within three
//! minutes, by the client it was given to, for the account (or the name
//! without one) it began with; only its digest is stored. A sign-up confirmed
//! through the API gets one too, with which the new user signs in once
//! without giving a password or code again (Amplify's `autoSignIn`).
//!
//! The password steps are the password flows' (`accounts`,
//! `password_verifier`); the one-time code mailed for `EMAIL_OTP` is this
//! module's: eight digits, good for the session's three minutes, rationed
//! like the other codes, each wrong guess counted toward the account's
//! lockout as a wrong password is.

use serde::Serialize;

use crate::accounts::{self, Attempts, FreshCode, Refusal, SignIn};
use crate::auth_factors::AuthFactor;
use crate::error::Error;
use crate::passkeys::{self, PasskeyRefusal};
use crate::pools::MfaConfiguration;
use crate::store::{AuthSession, SessionStep, User, VerificationCode};
use crate::triggers::event::Caller;
use crate::triggers::message::MessageSource;
use crate::{UserPool, challenge, mail, secrets};

/// Digits of a mailed sign-in code.
const SIGN_IN_CODE_DIGITS: u32 = 8;

/// A first challenge a user may choose, in Cognito's names
/// (`AvailableChallenges`, `PREFERRED_CHALLENGE`, `SELECT_CHALLENGE`'s `ANSWER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Choice {
    /// The password itself.
    Password,
    /// The password proven by SRP (the `PASSWORD_VERIFIER` challenge).
    PasswordSrp,
    /// A one-time code mailed to the user's verified address.
    EmailOtp,
    /// One of the user's passkeys.
    WebAuthn,
}

impl Choice {
    pub(crate) fn parse(name: &str) -> Option<Choice> {
        match name {
            "PASSWORD" => Some(Choice::Password),
            "PASSWORD_SRP" => Some(Choice::PasswordSrp),
            "EMAIL_OTP" => Some(Choice::EmailOtp),
            "WEB_AUTHN" => Some(Choice::WebAuthn),
            _ => None,
        }
    }
}

/// What `user` may choose from, as the pool's policy allows: the password
/// (unless they signed up without one), a mailed code where their address is
/// verified, and their passkeys if they have any. A name without an account
/// is offered what an account with a verified address and no passkey is, so
/// that the offer does not tell those apart.
pub(crate) async fn choices(pool: &UserPool, user: Option<&User>) -> Result<Vec<Choice>, Error> {
    let policy = &pool.pool().settings.policies.sign_in_policy;
    let mut offered = Vec::new();
    if policy.allows(AuthFactor::Password) && !user.is_some_and(|u| u.passwordless) {
        offered.extend([Choice::PasswordSrp, Choice::Password]);
    }
    // Where every sign-in takes a second factor, a mailed code alone does not sign in.
    let mfa_required = pool.pool().settings.mfa_configuration == MfaConfiguration::On;
    if policy.allows(AuthFactor::EmailOtp) && !mfa_required {
        let reachable = match user {
            Some(user) => verified_email(pool, user).await?.is_some(),
            None => true,
        };
        if reachable {
            offered.push(Choice::EmailOtp);
        }
    }
    if let Some(user) = user
        && passkeys::enabled(pool)
        && passkeys::has_passkeys(pool, user).await?
    {
        offered.push(Choice::WebAuthn);
    }
    Ok(offered)
}

/// The user's phone number, where it is verified: where texted codes go.
pub(crate) async fn verified_phone(pool: &UserPool, user: &User) -> Result<Option<String>, Error> {
    let attributes = pool.store().attributes(&user.sub).await?;
    let verified = accounts::attribute(&attributes, "phone_number_verified") == Some("true");
    Ok(accounts::attribute(&attributes, "phone_number")
        .filter(|_| verified)
        .map(str::to_owned))
}

pub(crate) async fn verified_email(pool: &UserPool, user: &User) -> Result<Option<String>, Error> {
    let attributes = pool.store().attributes(&user.sub).await?;
    Ok(user
        .email
        .clone()
        .filter(|_| crate::claims::email_verified(user, &attributes)))
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
    let stored = waiting(pool, client_id, name, user, step, now);
    keep(pool, &stored, now).await
}

/// As [`open`], keeping `state` (JSON) with the session for its next step.
pub(crate) async fn open_holding(
    pool: &UserPool,
    client_id: &str,
    name: &str,
    user: Option<&User>,
    step: SessionStep,
    state: String,
    now: i64,
) -> Result<String, Error> {
    let stored = AuthSession {
        state: Some(state),
        ..waiting(pool, client_id, name, user, step, now)
    };
    keep(pool, &stored, now).await
}

/// A new session of `client_id` for `name` (and its account), waiting for `step`.
fn waiting(
    pool: &UserPool,
    client_id: &str,
    name: &str,
    user: Option<&User>,
    step: SessionStep,
    now: i64,
) -> AuthSession {
    AuthSession {
        client_id: client_id.to_owned(),
        failure_key: accounts::failure_key(pool, user, name),
        sub: user.map(|u| u.sub.clone()),
        step,
        code_hash: None,
        attempts: 0,
        state: None,
        expires_at: now + challenge::SESSION_SECONDS,
    }
}

/// Stores a new session; returns its value.
async fn keep(pool: &UserPool, stored: &AuthSession, now: i64) -> Result<String, Error> {
    let session = secrets::token()?;
    pool.store()
        .put_auth_session(&secrets::digest(&session), stored, now)
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
    Ok(taken(pool, session, client_id, name, &[step], now)
        .await?
        .map(|(user, _)| user))
}

async fn taken(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    steps: &[SessionStep],
    now: i64,
) -> Result<Result<(Option<User>, AuthSession), Refusal>, Error> {
    let Some(stored) = pool
        .store()
        .take_auth_session(&secrets::digest(session), now)
        .await?
    else {
        return Ok(Err(Refusal::SessionExpired));
    };
    let user = accounts::user_named(pool, name).await?;
    let same_holder = stored.client_id == client_id
        && steps.contains(&stored.step)
        && stored.failure_key == accounts::failure_key(pool, user.as_ref(), name)
        && stored.sub == user.as_ref().map(|u| u.sub.clone());
    if !same_holder {
        return Ok(Err(Refusal::SessionExpired));
    }
    Ok(Ok((user, stored)))
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

/// The account a live session waiting for `step` is of, taken by its value
/// alone (AssociateSoftwareToken and VerifySoftwareToken carry no name or
/// client); None for any other session, which is spent all the same.
pub(crate) async fn take_holder(
    pool: &UserPool,
    session: &str,
    step: SessionStep,
    now: i64,
) -> Result<Option<(User, AuthSession)>, Error> {
    let store = pool.store();
    let Some(stored) = store
        .take_auth_session(&secrets::digest(session), now)
        .await?
        .filter(|s| s.step == step)
    else {
        return Ok(None);
    };
    let Some(sub) = &stored.sub else {
        return Ok(None);
    };
    Ok(store
        .user(sub)
        .await?
        .filter(|u| u.enabled)
        .map(|user| (user, stored)))
}

/// A new session for the holder of `stored` (taken just now), waiting for `step`.
pub(crate) async fn reopen(
    pool: &UserPool,
    stored: &AuthSession,
    step: SessionStep,
    now: i64,
) -> Result<String, Error> {
    let next = AuthSession {
        step,
        code_hash: None,
        attempts: 0,
        state: None,
        expires_at: now + challenge::SESSION_SECONDS,
        ..stored.clone()
    };
    keep(pool, &next, now).await
}

/// Puts back `stored`, taken for an answer that was wrong, under the same
/// value for another try (its expiry unchanged), counting the wrong answer.
pub(crate) async fn retry(
    pool: &UserPool,
    session: &str,
    stored: AuthSession,
    now: i64,
) -> Result<(), Error> {
    let retry = AuthSession {
        attempts: stored.attempts + 1,
        ..stored
    };
    pool.store()
        .put_auth_session(&secrets::digest(session), &retry, now)
        .await
}

/// A session taken for an answer, with the failed sign-ins of its name; an
/// account locked out now answers nothing.
pub(crate) async fn answering(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    steps: &[SessionStep],
    now: i64,
) -> Result<Result<(Option<User>, AuthSession, Attempts), Refusal>, Error> {
    let (user, stored) = match taken(pool, session, client_id, name, steps, now).await? {
        Ok(taken) => taken,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let attempts = Attempts::of(pool, stored.failure_key.clone(), now).await?;
    if attempts.locked {
        return Ok(Err(Refusal::LockedOut));
    }
    Ok(Ok((user, stored, attempts)))
}

/// As [`answering`], for a step only an account reaches (a passkey's, an
/// app's code): a name without one answers as an expired session.
pub(crate) async fn answering_account(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    steps: &[SessionStep],
    now: i64,
) -> Result<Result<(User, AuthSession, Attempts), Refusal>, Error> {
    Ok(
        match answering(pool, session, client_id, name, steps, now).await? {
            Ok((Some(user), stored, attempts)) => Ok((user, stored, attempts)),
            Ok((None, ..)) => Err(Refusal::SessionExpired),
            Err(refusal) => Err(refusal),
        },
    )
}

/// Where a sign-in code went, or why none was sent.
pub(crate) enum CodeSent {
    /// The session that the code answers, and the address it went to (for a
    /// name without an account, or without a verified address, where it would
    /// have gone: nothing is sent).
    Sent {
        session: String,
        destination: String,
    },
    /// The name had its ration of codes this hour.
    OverLimit,
}

/// What a mailed sign-in code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MailedCode {
    /// The first factor (`USER_AUTH`'s `EMAIL_OTP`).
    SignIn,
    /// The second factor after a password (`EMAIL_OTP` as MFA).
    SecondFactor,
    /// The first code to the address given in `MFA_SETUP`, which turns email
    /// codes on as the account's second factor.
    SecondFactorSetup,
    /// The second factor by text message to the verified phone number (`SMS_MFA`).
    TextedSecondFactor,
}

impl MailedCode {
    fn step(self) -> SessionStep {
        match self {
            MailedCode::SignIn | MailedCode::SecondFactor => SessionStep::EmailOtp,
            MailedCode::SecondFactorSetup => SessionStep::EmailMfaSetup,
            MailedCode::TextedSecondFactor => SessionStep::SmsMfa,
        }
    }

    /// Cognito's: eight digits for passwordless sign-in, six for MFA.
    fn digits(self) -> u32 {
        match self {
            MailedCode::SignIn => SIGN_IN_CODE_DIGITS,
            MailedCode::SecondFactor
            | MailedCode::SecondFactorSetup
            | MailedCode::TextedSecondFactor => 6,
        }
    }
}

/// Mails `name`'s account a one-time sign-in code, and opens the `EMAIL_OTP`
/// session it answers.
pub(crate) async fn send_code(
    pool: &UserPool,
    client_id: &str,
    name: &str,
    user: Option<&User>,
    purpose: MailedCode,
    now: i64,
) -> Result<CodeSent, Error> {
    let failure_key = accounts::failure_key(pool, user, name);
    let store = pool.store();
    let previous = store.sign_in_code_issuance(&failure_key).await?;
    let lifetime = challenge::SESSION_SECONDS;
    let Some(fresh) = FreshCode::of_length(previous, lifetime, now, purpose.digits())? else {
        return Ok(CodeSent::OverLimit);
    };
    let stale_before = now - accounts::CODE_WINDOW_SECONDS;
    store
        .put_sign_in_code_issuance(&failure_key, fresh.issuance, stale_before)
        .await?;
    let to = match (user, purpose) {
        (Some(user), MailedCode::TextedSecondFactor) => verified_phone(pool, user).await?,
        (Some(user), _) => verified_email(pool, user).await?,
        (None, _) => None,
    };
    if let (Some(to), Some(user)) = (&to, user) {
        let standard = match purpose {
            MailedCode::SignIn => mail::sign_in_code(&fresh.code),
            MailedCode::SecondFactor | MailedCode::SecondFactorSetup => {
                mail::second_factor_code(pool.pool(), &fresh.code)
            }
            MailedCode::TextedSecondFactor => mail::second_factor_text(pool.pool(), &fresh.code),
        };
        let (caller, source) = (Caller::of(client_id), MessageSource::Authentication);
        let code = &fresh.code;
        let message =
            mail::code_message(pool, caller, source, (user, None), to, code, standard).await?;
        mail::send(pool, to, &message).await?;
    }
    let stored = AuthSession {
        code_hash: Some(fresh.hash),
        expires_at: fresh.expires_at,
        ..waiting(pool, client_id, name, user, purpose.step(), now)
    };
    Ok(CodeSent::Sent {
        session: keep(pool, &stored, now).await?,
        destination: to.unwrap_or_else(|| accounts::decoy_destination(pool, name)),
    })
}

/// Signs in with the code of an `EMAIL_OTP` session (the first factor, the
/// second, or the second's set-up, which turns email codes on) or of an
/// `SMS_MFA` one. A wrong code
/// counts toward the lockout and leaves the session (as a new one, under the
/// same value) for another try, until the code's guesses run out.
pub(crate) async fn answer_code(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    code: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let steps = [
        SessionStep::EmailOtp,
        SessionStep::EmailMfaSetup,
        SessionStep::SmsMfa,
    ];
    let (user, stored, attempts) =
        match answering(pool, session, client_id, name, &steps, now).await? {
            Ok(answering) => answering,
            Err(refusal) => return Ok(SignIn::Refused(refusal)),
        };
    let pending = VerificationCode {
        code_hash: stored.code_hash.clone().unwrap_or_default(),
        expires_at: stored.expires_at,
        attempts: stored.attempts,
    };
    match (accounts::judge_code(Some(&pending), code, now), user) {
        (Ok(()), Some(user)) => {
            if stored.step == SessionStep::EmailMfaSetup {
                pool.store().enable_email_mfa(&user.sub).await?;
            }
            accounts::completed(pool, client_id, user, &attempts, now).await
        }
        (Err(Refusal::WrongCode), _) | (Ok(()), None) => {
            retry(pool, session, stored, now).await?;
            wrong_code(pool, &attempts, now).await
        }
        (Err(refusal), _) => Ok(SignIn::Refused(refusal)),
    }
}

/// A wrong one-time code: counted toward the lockout, refused as a wrong code
/// (or as the lockout it brought on).
pub(crate) async fn wrong_code(
    pool: &UserPool,
    attempts: &Attempts,
    now: i64,
) -> Result<SignIn, Error> {
    match accounts::failed(pool, attempts, now).await? {
        SignIn::Refused(Refusal::IncorrectCredentials) => Ok(SignIn::Refused(Refusal::WrongCode)),
        locked => Ok(locked),
    }
}

/// Opens a `WEB_AUTHN` session for `user`'s passkeys; returns it with the
/// options for the browser (`CREDENTIAL_REQUEST_OPTIONS`).
pub(crate) async fn start_passkey(
    pool: &UserPool,
    client_id: &str,
    user: &User,
    now: i64,
) -> Result<Result<(String, serde_json::Value), PasskeyRefusal>, Error> {
    let (options, state) = match passkeys::start_sign_in(pool, user).await? {
        Ok(started) => started,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let stored = AuthSession {
        state: Some(state),
        ..waiting(
            pool,
            client_id,
            &user.username,
            Some(user),
            SessionStep::WebAuthn,
            now,
        )
    };
    Ok(Ok((keep(pool, &stored, now).await?, options)))
}

/// Signs in with a passkey's answer to a `WEB_AUTHN` session. An answer that
/// fails counts toward the lockout as a wrong password does.
pub(crate) async fn answer_passkey(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    credential: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let steps = [SessionStep::WebAuthn];
    let (user, stored, attempts) =
        match answering_account(pool, session, client_id, name, &steps, now).await? {
            Ok(answering) => answering,
            Err(refusal) => return Ok(SignIn::Refused(refusal)),
        };
    let state = stored.state.unwrap_or_default();
    match passkeys::finish_sign_in(pool, &user, &state, credential).await? {
        Ok(()) => accounts::completed(pool, client_id, user, &attempts, now).await,
        Err(refusal) => {
            tracing::info!(sub = %user.sub, %refusal, "passkey sign-in refused");
            accounts::failed(pool, &attempts, now).await
        }
    }
}

/// Opens a `WEB_AUTHN` session of `client_id` for whichever passkey the
/// browser offers in the sign-in page's autofill (no name given yet); returns
/// it with the options for the browser.
pub(crate) async fn start_discoverable_passkey(
    pool: &UserPool,
    client_id: &str,
    now: i64,
) -> Result<Result<(String, serde_json::Value), PasskeyRefusal>, Error> {
    let (options, state) = match passkeys::start_discoverable_sign_in(pool)? {
        Ok(started) => started,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let stored = AuthSession {
        state: Some(state),
        ..waiting(pool, client_id, "", None, SessionStep::WebAuthn, now)
    };
    Ok(Ok((keep(pool, &stored, now).await?, options)))
}

/// Signs in the account whose passkey answered a session of
/// [`start_discoverable_passkey`]. A session opened for a name is refused
/// here, as this one is by the named answer ([`answer_passkey`]).
pub(crate) async fn answer_discoverable_passkey(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    credential: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let (_, stored) =
        match taken(pool, session, client_id, "", &[SessionStep::WebAuthn], now).await? {
            Ok(taken) => taken,
            Err(refusal) => return Ok(SignIn::Refused(refusal)),
        };
    let state = stored.state.unwrap_or_default();
    match passkeys::finish_discoverable_sign_in(pool, &state, credential).await? {
        Ok(user) => {
            let key = accounts::failure_key(pool, Some(&user), &user.username);
            let attempts = Attempts::of(pool, key, now).await?;
            if attempts.locked {
                return Ok(SignIn::Refused(Refusal::LockedOut));
            }
            accounts::completed(pool, client_id, user, &attempts, now).await
        }
        Err(refusal) => {
            tracing::info!(%refusal, "passkey sign-in from autofill refused");
            Ok(SignIn::Refused(Refusal::IncorrectCredentials))
        }
    }
}
