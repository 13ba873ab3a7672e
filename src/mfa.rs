//! Multi-factor sign-in: the second factor a password sign-in takes where the
//! pool's `MfaConfiguration` asks for one (`OPTIONAL`: of users who turned one
//! on; `ON`: of everyone, who first sets one up), each user's factors (an
//! authenticator app's TOTP secret, codes by email or by text message) and
//! preference, and the
//! steps that carry a sign-in through them (`SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`,
//! `SELECT_MFA_TYPE`, `MFA_SETUP`) on `user_auth`'s single-use sessions.
//!
//! An app's code is good once: the last step a code was accepted for is kept,
//! and a code of that step or an earlier one is refused. Wrong codes count
//! toward the account's lockout as wrong passwords do. Secrets are sealed
//! with the key-encryption key when one is configured.

use crate::accounts::{self, Refusal, SignIn};
use crate::auth_factors::MfaFactor;
use crate::error::Error;
use crate::pools::MfaConfiguration;
use crate::store::{SessionStep, User};
use crate::user_auth::{self, CodeSent, MailedCode};
use crate::{UserPool, keys, totp};

/// A user's second factors: those on (`UserMFASettingList`) and the one preferred.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Factors {
    pub(crate) enabled: Vec<MfaFactor>,
    pub(crate) preferred: Option<MfaFactor>,
}

pub(crate) async fn factors(pool: &UserPool, user: &User) -> Result<Factors, Error> {
    let stored = pool.store().user_mfa(&user.sub).await?;
    let enabled = stored.enabled();
    Ok(Factors {
        preferred: stored.preferred.filter(|p| enabled.contains(p)),
        enabled,
    })
}

/// What a password sign-in takes before tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// A code of this factor.
    Code(MfaFactor),
    /// The user picks one of these (`SELECT_MFA_TYPE`).
    Choose(Vec<MfaFactor>),
    /// The pool requires a second factor and the user has none: one of these
    /// to set up first (`MFA_SETUP`).
    SetUp(Vec<MfaFactor>),
}

/// The step after a password, from the pool's configuration, the factors the
/// user can use now, their preference, and those they could set up.
fn next_step(
    configuration: MfaConfiguration,
    usable: &[MfaFactor],
    preferred: Option<MfaFactor>,
    can_set_up: Vec<MfaFactor>,
) -> Option<Next> {
    match (configuration, usable) {
        (MfaConfiguration::Off, _) => None,
        (MfaConfiguration::Optional, []) => None,
        (MfaConfiguration::On, []) => Some(Next::SetUp(can_set_up)),
        (_, [only]) => Some(Next::Code(*only)),
        (_, several) => Some(match preferred.filter(|p| several.contains(p)) {
            Some(preferred) => Next::Code(preferred),
            None => Next::Choose(several.to_vec()),
        }),
    }
}

/// The second factors `user` can answer with now: on for them, offered by the
/// pool, and for codes an address or number still verified.
pub(crate) async fn usable(pool: &UserPool, user: &User) -> Result<Vec<MfaFactor>, Error> {
    let enabled = factors(pool, user).await?.enabled;
    usable_of(pool, user, enabled).await
}

async fn usable_of(
    pool: &UserPool,
    user: &User,
    enabled: Vec<MfaFactor>,
) -> Result<Vec<MfaFactor>, Error> {
    let offered = pool.pool().settings.mfa.factors();
    let mut usable = Vec::new();
    for factor in enabled.into_iter().filter(|f| offered.contains(f)) {
        if reachable(pool, user, factor).await? {
            usable.push(factor);
        }
    }
    Ok(usable)
}

/// Whether `factor`'s codes can reach `user`: an app always, mail and texts
/// at a verified address or number.
async fn reachable(pool: &UserPool, user: &User, factor: MfaFactor) -> Result<bool, Error> {
    Ok(match factor {
        MfaFactor::SoftwareToken => true,
        MfaFactor::Email => user_auth::verified_email(pool, user).await?.is_some(),
        MfaFactor::Sms => user_auth::verified_phone(pool, user).await?.is_some(),
    })
}

/// What `user`, whose password was right, takes before tokens; None for tokens at once.
pub(crate) async fn next(pool: &UserPool, user: &User) -> Result<Option<Next>, Error> {
    let configuration = pool.pool().settings.mfa_configuration;
    if configuration == MfaConfiguration::Off {
        return Ok(None);
    }
    let Factors { enabled, preferred } = factors(pool, user).await?;
    let usable = usable_of(pool, user, enabled).await?;
    // What MFA_SETUP offers (Cognito's clients set up apps and email codes).
    let mut can_set_up = Vec::new();
    if usable.is_empty() {
        for factor in pool.pool().settings.mfa.factors() {
            let settable = match factor {
                MfaFactor::SoftwareToken => true,
                MfaFactor::Email => user_auth::verified_email(pool, user).await?.is_some(),
                MfaFactor::Sms => false,
            };
            if settable {
                can_set_up.push(factor);
            }
        }
    }
    Ok(next_step(configuration, &usable, preferred, can_set_up))
}

/// A second-factor step opened: the session that answers it, and what the
/// client shows.
#[derive(Debug)]
pub(crate) enum Challenge {
    SoftwareToken {
        session: String,
        device_name: Option<String>,
    },
    /// A code was mailed or texted (`factor`) to `destination`.
    Sent {
        factor: MfaFactor,
        session: String,
        destination: String,
    },
    Choose {
        session: String,
        factors: Vec<MfaFactor>,
    },
    SetUp {
        session: String,
        factors: Vec<MfaFactor>,
    },
}

/// Opens the step `next` of `user`'s sign-in through `client_id` (mailing
/// the code of an email step); a refusal when the account had its ration
/// of mailed codes.
pub(crate) async fn open(
    pool: &UserPool,
    client_id: &str,
    user: &User,
    next: Next,
    now: i64,
) -> Result<Result<Challenge, Refusal>, Error> {
    let session = |step| user_auth::open(pool, client_id, &user.username, Some(user), step, now);
    Ok(Ok(match next {
        Next::Code(MfaFactor::SoftwareToken) => Challenge::SoftwareToken {
            session: session(SessionStep::SoftwareTokenMfa).await?,
            device_name: pool.store().user_mfa(&user.sub).await?.totp_device_name,
        },
        Next::Code(MfaFactor::Email) => {
            return mail_code(pool, client_id, user, MailedCode::SecondFactor, now).await;
        }
        Next::Code(MfaFactor::Sms) => {
            return mail_code(pool, client_id, user, MailedCode::TextedSecondFactor, now).await;
        }
        Next::Choose(factors) => Challenge::Choose {
            session: session(SessionStep::SelectMfaType).await?,
            factors,
        },
        Next::SetUp(factors) => Challenge::SetUp {
            session: session(SessionStep::MfaSetup).await?,
            factors,
        },
    }))
}

async fn mail_code(
    pool: &UserPool,
    client_id: &str,
    user: &User,
    purpose: MailedCode,
    now: i64,
) -> Result<Result<Challenge, Refusal>, Error> {
    let sent = user_auth::send_code(pool, client_id, &user.username, Some(user), purpose, now);
    let factor = match purpose {
        MailedCode::TextedSecondFactor => MfaFactor::Sms,
        _ => MfaFactor::Email,
    };
    Ok(match sent.await? {
        CodeSent::Sent {
            session,
            destination,
        } => Ok(Challenge::Sent {
            factor,
            session,
            destination,
        }),
        CodeSent::OverLimit => Err(Refusal::CodeAttemptsExceeded),
    })
}

/// Signs in with the app's code of a `SOFTWARE_TOKEN_MFA` session. A wrong or
/// used code counts toward the lockout and leaves the session for another
/// try, until its guesses run out.
pub(crate) async fn answer_software_token(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    code: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let steps = [SessionStep::SoftwareTokenMfa];
    let (user, stored, attempts) =
        match user_auth::answering_account(pool, session, client_id, name, &steps, now).await? {
            Ok(answering) => answering,
            Err(refusal) => return Ok(SignIn::Refused(refusal)),
        };
    if stored.attempts >= accounts::CODE_MAX_ATTEMPTS {
        return Ok(SignIn::Refused(Refusal::CodeAttemptsExceeded));
    }
    let mfa = pool.store().user_mfa(&user.sub).await?;
    let step = match (mfa.totp_enabled, unseal(pool, &user, mfa.totp_secret)?) {
        (true, Some(secret)) => totp::step_of(&secret, code.trim(), now),
        _ => None,
    };
    let accepted = match step {
        Some(step) => pool.store().use_totp_step(&user.sub, step).await?,
        None => false,
    };
    if accepted {
        return accounts::completed(pool, client_id, user, &attempts, now).await;
    }
    user_auth::retry(pool, session, stored, now).await?;
    user_auth::wrong_code(pool, &attempts, now).await
}

/// `SELECT_MFA_TYPE`'s answer: `factor` (one the user can use, which the
/// caller checked) is asked for.
pub(crate) async fn choose(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    factor: MfaFactor,
    now: i64,
) -> Result<Result<Challenge, Refusal>, Error> {
    let step = SessionStep::SelectMfaType;
    match user_auth::resume(pool, session, client_id, name, step, now).await? {
        Ok(Some(user)) => open(pool, client_id, &user, Next::Code(factor), now).await,
        Ok(None) | Err(_) => Ok(Err(Refusal::SessionExpired)),
    }
}

fn aad(user: &User) -> String {
    format!("totp/{}", user.sub)
}

fn unseal(pool: &UserPool, user: &User, stored: Option<String>) -> Result<Option<String>, Error> {
    let kek = pool.config().key_encryption_key();
    stored
        .map(|stored| keys::unseal_text(kek, &aad(user), &stored))
        .transpose()
}

/// A new authenticator-app secret for `user` to prove with a first code
/// (AssociateSoftwareToken); a secret proven before stays until then.
pub(crate) async fn associate(pool: &UserPool, user: &User) -> Result<String, Error> {
    let secret = totp::new_secret()?;
    let sealed = keys::seal_text(pool.config().key_encryption_key(), &aad(user), &secret)?;
    pool.store().put_totp_pending(&user.sub, &sealed).await?;
    Ok(secret)
}

/// AssociateSoftwareToken in an `MFA_SETUP` step: the secret, and the
/// session that goes on; None for a session that is not such a step.
pub(crate) async fn associate_in_sign_in(
    pool: &UserPool,
    session: &str,
    now: i64,
) -> Result<Option<(String, String)>, Error> {
    let step = SessionStep::MfaSetup;
    let Some((user, stored)) = user_auth::take_holder(pool, session, step, now).await? else {
        return Ok(None);
    };
    let secret = associate(pool, &user).await?;
    let next = user_auth::reopen(pool, &stored, step, now).await?;
    Ok(Some((secret, next)))
}

/// Whether `code` proves the secret `user` was given last; it then becomes
/// their app's (named `device_name`), and with `enable` TOTP is turned on.
pub(crate) async fn verify(
    pool: &UserPool,
    user: &User,
    code: &str,
    device_name: Option<&str>,
    enable: bool,
    now: i64,
) -> Result<bool, Error> {
    let Some(pending) = pool.store().user_mfa(&user.sub).await?.totp_pending else {
        return Ok(false);
    };
    let Some(secret) = unseal(pool, user, Some(pending.clone()))? else {
        return Ok(false);
    };
    let Some(step) = totp::step_of(&secret, code.trim(), now) else {
        return Ok(false);
    };
    pool.store()
        .prove_totp(&user.sub, &pending, device_name, step, enable)
        .await
}

/// VerifySoftwareToken in an `MFA_SETUP` step: TOTP is on, and the session
/// `MFA_SETUP`'s answer signs in with is returned. A wrong code leaves the
/// step for another try, until its guesses run out.
pub(crate) async fn verify_in_sign_in(
    pool: &UserPool,
    session: &str,
    code: &str,
    device_name: Option<&str>,
    now: i64,
) -> Result<Result<String, Refusal>, Error> {
    let step = SessionStep::MfaSetup;
    let Some((user, stored)) = user_auth::take_holder(pool, session, step, now).await? else {
        return Ok(Err(Refusal::SessionExpired));
    };
    if stored.attempts >= accounts::CODE_MAX_ATTEMPTS {
        return Ok(Err(Refusal::CodeAttemptsExceeded));
    }
    if verify(pool, &user, code, device_name, true, now).await? {
        let next = user_auth::reopen(pool, &stored, SessionStep::MfaSetUp, now).await?;
        return Ok(Ok(next));
    }
    user_auth::retry(pool, session, stored, now).await?;
    Ok(Err(Refusal::WrongCode))
}

/// `MFA_SETUP`'s answer once the app's first code was right: the sign-in ends.
pub(crate) async fn finish_setup(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let steps = [SessionStep::MfaSetUp];
    match user_auth::answering_account(pool, session, client_id, name, &steps, now).await? {
        Ok((user, _, attempts)) => accounts::completed(pool, client_id, user, &attempts, now).await,
        Err(refusal) => Ok(SignIn::Refused(refusal)),
    }
}

/// `MFA_SETUP`'s answer with an address (the user's verified one, which the
/// caller checked): a code goes there, and answering it turns email codes on.
pub(crate) async fn set_up_email(
    pool: &UserPool,
    session: &str,
    client_id: &str,
    name: &str,
    now: i64,
) -> Result<Result<Challenge, Refusal>, Error> {
    let step = SessionStep::MfaSetup;
    match user_auth::resume(pool, session, client_id, name, step, now).await? {
        Ok(Some(user)) => {
            mail_code(pool, client_id, &user, MailedCode::SecondFactorSetup, now).await
        }
        Ok(None) | Err(_) => Ok(Err(Refusal::SessionExpired)),
    }
}

/// A change to one factor (Cognito's `SoftwareTokenMfaSettings` and
/// `EmailMfaSettings`): what is left out stays as it is.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Setting {
    pub(crate) enabled: Option<bool>,
    pub(crate) preferred: Option<bool>,
}

/// Why SetUserMFAPreference (or its admin form) changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PreferenceRefusal {
    #[error("MFA is not enabled for this user pool.")]
    PoolOff,
    #[error("User has not verified software token mfa")]
    SoftwareTokenNotVerified,
    #[error("User does not have a verified email address to turn on EMAIL_OTP.")]
    NoVerifiedEmail,
    #[error("User does not have delivery config set to turn on SMS_MFA")]
    NoVerifiedPhone,
    #[error("The user pool does not offer {}.", .0.name())]
    NotOffered(MfaFactor),
    #[error("Only one MFA method can be preferred.")]
    TwoPreferred,
    #[error("A preferred MFA method must be enabled.")]
    PreferredNotEnabled,
}

/// Turns `user`'s factors on or off and sets the preferred one.
pub(crate) async fn set_preference(
    pool: &UserPool,
    user: &User,
    settings: [(MfaFactor, Setting); 3],
) -> Result<Result<(), PreferenceRefusal>, Error> {
    let stored = pool.store().user_mfa(&user.sub).await?;
    let offered = pool.pool().settings.mfa.factors();
    let mut enabled = stored.enabled();
    let mut preferred = stored.preferred;
    let mut preferred_count = 0;
    for (factor, setting) in settings {
        let turning_on = setting.enabled == Some(true) && !enabled.contains(&factor);
        if turning_on {
            if pool.pool().settings.mfa_configuration == MfaConfiguration::Off {
                return Ok(Err(PreferenceRefusal::PoolOff));
            }
            if !offered.contains(&factor) {
                return Ok(Err(PreferenceRefusal::NotOffered(factor)));
            }
            let ready = match factor {
                MfaFactor::SoftwareToken => stored.totp_secret.is_some(),
                _ => reachable(pool, user, factor).await?,
            };
            if !ready {
                return Ok(Err(match factor {
                    MfaFactor::SoftwareToken => PreferenceRefusal::SoftwareTokenNotVerified,
                    MfaFactor::Email => PreferenceRefusal::NoVerifiedEmail,
                    MfaFactor::Sms => PreferenceRefusal::NoVerifiedPhone,
                }));
            }
            enabled.push(factor);
        }
        if setting.enabled == Some(false) {
            enabled.retain(|f| *f != factor);
        }
        match setting.preferred {
            Some(true) => {
                preferred_count += 1;
                preferred = Some(factor);
            }
            Some(false) if preferred == Some(factor) => preferred = None,
            _ => {}
        }
    }
    if preferred_count > 1 {
        return Ok(Err(PreferenceRefusal::TwoPreferred));
    }
    if preferred_count == 1 && preferred.is_some_and(|p| !enabled.contains(&p)) {
        return Ok(Err(PreferenceRefusal::PreferredNotEnabled));
    }
    let preferred = preferred.filter(|p| enabled.contains(p));
    pool.store()
        .set_mfa_preference(&user.sub, &enabled, preferred)
        .await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use MfaFactor::{Email, SoftwareToken};

    #[test]
    fn the_step_after_a_password_follows_the_pool_and_the_user() {
        let both = vec![SoftwareToken, Email];
        use MfaConfiguration::{Off, On, Optional};
        assert_eq!(next_step(Off, &both, None, both.clone()), None);
        assert_eq!(next_step(Optional, &[], None, both.clone()), None);
        assert_eq!(
            next_step(On, &[], None, both.clone()),
            Some(Next::SetUp(both.clone()))
        );
        assert_eq!(
            next_step(Optional, &[Email], Some(SoftwareToken), both.clone()),
            Some(Next::Code(Email))
        );
        assert_eq!(
            next_step(On, &both, Some(Email), both.clone()),
            Some(Next::Code(Email))
        );
        assert_eq!(
            next_step(Optional, &both, None, both.clone()),
            Some(Next::Choose(both.clone()))
        );
    }
}
