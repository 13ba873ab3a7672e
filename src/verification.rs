//! Proving an email address or a phone number after sign-up: the code that
//! GetUserAttributeVerificationCode sends, VerifyUserAttribute's check of it,
//! and a user's change of address, which takes effect only once the new
//! address is proved, as with Cognito's `AttributesRequireVerificationBeforeUpdate`
//! (until then the old address stays the user's, and their sign-in name).
//! Codes are rationed and limited in guesses as sign-up codes are.

use crate::accounts::{self, FreshCode, Refusal};
use crate::error::Error;
use crate::store::{NewAttributeCode, Proof, User};
use crate::triggers::event::Caller;
use crate::triggers::message::MessageSource;
use crate::{UserPool, mail};

/// Codes that prove an attribute live a day, as Cognito's do.
const CODE_LIFETIME_SECONDS: i64 = 24 * 3600;

/// The attributes a code can prove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verifiable {
    Email,
    PhoneNumber,
}

impl Verifiable {
    pub(crate) fn parse(name: &str) -> Option<Verifiable> {
        match name {
            "email" => Some(Verifiable::Email),
            "phone_number" => Some(Verifiable::PhoneNumber),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Verifiable::Email => "email",
            Verifiable::PhoneNumber => "phone_number",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Verifiable::Email => "email_verified",
            Verifiable::PhoneNumber => "phone_number_verified",
        }
    }
}

/// What asking for a code did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// To this address or phone number.
    To(String),
    /// The user has no such attribute to prove.
    NothingToProve,
    /// The window's codes for this attribute were all sent.
    OverLimit,
}

/// The value a code for `attribute` proves: the new address of a change
/// under way, else the user's current one.
async fn value_to_prove(
    pool: &UserPool,
    user: &User,
    attribute: Verifiable,
    now: i64,
) -> Result<Option<String>, Error> {
    if let Some(pending) = pool
        .store()
        .attribute_code(&user.sub, attribute.name())
        .await?
        .filter(|pending| pending.code.expires_at > now)
    {
        return Ok(Some(pending.value));
    }
    match attribute {
        Verifiable::Email => Ok(user.email.clone()),
        Verifiable::PhoneNumber => phone_number(pool, user).await,
    }
}

/// GetUserAttributeVerificationCode: a code to the attribute's value (the
/// new address, for a change under way).
pub(crate) async fn send_code(
    pool: &UserPool,
    user: &User,
    attribute: Verifiable,
    now: i64,
) -> Result<Sent, Error> {
    let Some(value) = value_to_prove(pool, user, attribute, now).await? else {
        return Ok(Sent::NothingToProve);
    };
    Ok(
        if send_code_for(
            pool,
            user,
            attribute,
            &value,
            MessageSource::VerifyUserAttribute,
            now,
        )
        .await?
        {
            Sent::To(value)
        } else {
            Sent::OverLimit
        },
    )
}

/// Sends a code proving that `value` of `attribute` is the user's; false,
/// sending nothing, when the window's codes for it were all sent.
async fn send_code_for(
    pool: &UserPool,
    user: &User,
    attribute: Verifiable,
    value: &str,
    source: MessageSource,
    now: i64,
) -> Result<bool, Error> {
    let store = pool.store();
    let previous = store
        .attribute_code_issuance(&user.sub, attribute.name())
        .await?;
    let Some(fresh) = FreshCode::next(previous, CODE_LIFETIME_SECONDS, now)? else {
        return Ok(false);
    };
    store
        .put_attribute_code(
            &user.sub,
            &NewAttributeCode {
                attribute: attribute.name(),
                value,
                code_hash: &fresh.hash,
                expires_at: fresh.expires_at,
                issuance: fresh.issuance,
            },
        )
        .await?;
    let standard = mail::verification(pool.pool(), value, &fresh.code);
    let caller = Caller::administrator();
    let code = &fresh.code;
    let message =
        mail::code_message(pool, caller, source, (user, None), value, code, standard).await?;
    mail::send(pool, value, &message).await?;
    Ok(true)
}

/// A user's change of address to `email` (normalized, not theirs now, and
/// not another user's sign-in name: see [`email_taken`]): a code to it, the
/// old address kept until the code proves the new one. False, sending
/// nothing, over the code ration.
pub(crate) async fn change_email(
    pool: &UserPool,
    user: &User,
    email: &str,
    now: i64,
) -> Result<bool, Error> {
    let source = MessageSource::UpdateUserAttribute;
    send_code_for(pool, user, Verifiable::Email, email, source, now).await
}

/// An administrator's change of address: at once, verified as they say;
/// false, changing nothing, when another user of the pool signs in with it.
pub(crate) async fn set_email(
    pool: &UserPool,
    user: &User,
    email: &str,
    verified: bool,
    now: i64,
) -> Result<bool, Error> {
    let key = pool.pool().naming().keys(Some(email), &[]).email;
    let proof = Proof {
        attribute: Verifiable::Email.name(),
        flag: Verifiable::Email.flag(),
        verified,
        new_email: Some((email, key.as_deref())),
    };
    pool.store().settle_attribute(&user.sub, &proof, now).await
}

/// Whether another user of the pool signs in with `email`.
pub(crate) async fn email_taken(pool: &UserPool, user: &User, email: &str) -> Result<bool, Error> {
    let naming = pool.pool().naming();
    let Some(key) = naming.keys(Some(email), &[]).email else {
        return Ok(false);
    };
    let lookup = crate::pools::NameLookup {
        username: String::new(),
        keys: crate::pools::SignInKeys {
            email: Some(key),
            ..Default::default()
        },
    };
    Ok(pool
        .store()
        .user_by_username(&lookup)
        .await?
        .is_some_and(|other| other.sub != user.sub))
}

/// Why VerifyUserAttribute refused a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotVerified {
    Code(Refusal),
    /// The new address is another user's sign-in name by now.
    Taken,
}

/// VerifyUserAttribute: checks the code; a right one marks the attribute
/// verified and, for a change of address, moves the user to the new one.
pub(crate) async fn verify(
    pool: &UserPool,
    user: &User,
    attribute: Verifiable,
    code: &str,
    now: i64,
) -> Result<Result<(), NotVerified>, Error> {
    let store = pool.store();
    let pending = store.attribute_code(&user.sub, attribute.name()).await?;
    if let Err(refusal) = accounts::judge_code(pending.as_ref().map(|p| &p.code), code, now) {
        if refusal == Refusal::WrongCode {
            store
                .count_attribute_code_attempt(&user.sub, attribute.name())
                .await?;
        }
        return Ok(Err(NotVerified::Code(refusal)));
    }
    let Some(pending) = pending else {
        return Ok(Err(NotVerified::Code(Refusal::ExpiredCode)));
    };
    let new_email = (attribute == Verifiable::Email
        && user.email.as_deref() != Some(pending.value.as_str()))
    .then(|| pool.pool().naming().keys(Some(&pending.value), &[]).email);
    if attribute == Verifiable::PhoneNumber {
        // The number may have changed since the code was sent: the code proves the old one only.
        let current = phone_number(pool, user).await?;
        if current.as_deref() != Some(pending.value.as_str()) {
            return Ok(Err(NotVerified::Code(Refusal::ExpiredCode)));
        }
    }
    let proof = Proof {
        attribute: attribute.name(),
        flag: attribute.flag(),
        verified: true,
        new_email: new_email
            .as_ref()
            .map(|key| (pending.value.as_str(), key.as_deref())),
    };
    if !store.settle_attribute(&user.sub, &proof, now).await? {
        return Ok(Err(NotVerified::Taken));
    }
    if proof.new_email.is_some() {
        tracing::info!(sub = %user.sub, "email address changed");
    }
    Ok(Ok(()))
}

/// The user's phone number now.
async fn phone_number(pool: &UserPool, user: &User) -> Result<Option<String>, Error> {
    let attributes = pool.store().attributes(&user.sub).await?;
    Ok(accounts::attribute(&attributes, "phone_number").map(str::to_owned))
}
