//! Outgoing mail and the outbox. With `[smtp]`, mail goes to that server
//! (`smtp`), and stays out of the database; without it, and for text messages
//! to phone numbers (there is no SMS here), every message is kept in the outbox
//! table, and in `dev_outbox` mode also printed to the log and shown by the
//! hosted UI at `/_dev/outbox` (`hosted_ui::outbox`). This module is the only
//! place where a verification code may reach a log.

pub(crate) mod smtp;

use crate::UserPool;
use crate::error::Error;
use crate::lambda_config::Trigger;
use crate::pools::Pool;
use crate::store::User;
use crate::triggers::event::{self, Caller};
use crate::triggers::message::{self, CODE_PARAMETER, Mailing, MessageSource, USERNAME_PARAMETER};

#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) subject: String,
    pub(crate) body: String,
    /// The HTML part as written by the CustomMessage trigger (Cognito's
    /// `emailMessage` is HTML), where it has markup; otherwise the body's
    /// paragraphs make the HTML part, escaped.
    pub(crate) html: Option<String>,
}

/// The message carrying a code to `to`, from the pool's template: a text
/// message for a phone number (it lands in the outbox like mail, there being
/// no SMS here), an email otherwise.
pub(crate) fn verification(pool: &Pool, to: &str, code: &str) -> Message {
    let (subject, message) = if crate::pools::plausible_phone_number(to) {
        ("SMS".to_owned(), pool.settings.verification_text())
    } else {
        pool.settings.verification_email()
    };
    Message {
        subject,
        body: message.replace("{####}", code),
        html: None,
    }
}

/// The message carrying `code` for `user` to `to`: the CustomMessage trigger's,
/// where the pool has one and it wrote one (mail only: texts keep the
/// template), else `standard`. The trigger is told the user's `attributes`
/// (None: those stored).
pub(crate) async fn code_message(
    pool: &UserPool,
    caller: Caller<'_>,
    source: MessageSource,
    (user, attributes): (&User, Option<&[(String, String)]>),
    to: &str,
    code: &str,
    standard: Message,
) -> Result<Message, Error> {
    if crate::pools::plausible_phone_number(to) || !event::configured(pool, Trigger::CustomMessage)
    {
        return Ok(standard);
    }
    let attributes = match attributes {
        Some(attributes) => attributes.to_vec(),
        None => crate::claims::of(pool.store(), user).await?,
    };
    let mailing = Mailing {
        source,
        username: &user.username,
        attributes: event::user_attributes(user, &attributes),
    };
    Ok(
        match message::custom_message(pool, caller, mailing).await? {
            Some(written) => {
                // An invitation names the name signed in with: the address, where it is one.
                let name = match (pool.pool().naming(), &user.email) {
                    (crate::pools::Naming::Attributes(_), Some(email)) => email,
                    _ => &user.username,
                };
                let body = written
                    .body
                    .replace(USERNAME_PARAMETER, name)
                    .replace(CODE_PARAMETER, code);
                Message {
                    subject: written.subject.unwrap_or(standard.subject),
                    html: body.contains('<').then(|| body.clone()),
                    body,
                }
            }
            None => standard,
        },
    )
}

/// An address or phone number as Cognito shows where a code went:
/// `a***@e***`, `+*******0100`.
pub(crate) fn masked(to: &str) -> String {
    if crate::pools::plausible_phone_number(to) {
        let last: String = to
            .chars()
            .skip(to.chars().count().saturating_sub(4))
            .collect();
        return format!("+*******{last}");
    }
    let first = |part: &str| part.chars().next().map(String::from).unwrap_or_default();
    let (local, domain) = to.split_once('@').unwrap_or((to, ""));
    format!("{}***@{}***", first(local), first(domain))
}

/// A second-factor code (`EMAIL_OTP` after a password), from the pool's
/// `EmailMfaConfiguration`.
pub(crate) fn second_factor_code(pool: &Pool, code: &str) -> Message {
    let (subject, message) = pool.settings.mfa.email_message();
    Message {
        subject: subject.to_owned(),
        body: message.replace("{####}", code),
        html: None,
    }
}

/// A second-factor code by text message (`SMS_MFA`), from the pool's
/// `SmsMfaConfiguration`; it lands in the outbox, there being no SMS here.
pub(crate) fn second_factor_text(pool: &Pool, code: &str) -> Message {
    Message {
        subject: "SMS".to_owned(),
        body: pool.settings.mfa.sms_message().replace("{####}", code),
        html: None,
    }
}

/// A one-time code to sign in with (`EMAIL_OTP`).
pub(crate) fn sign_in_code(code: &str) -> Message {
    Message {
        subject: "Your sign-in code".to_owned(),
        body: format!(
            "Your sign-in code is {code}. It works once, within three minutes. \
             If you did not try to sign in, you can ignore this message."
        ),
        html: None,
    }
}

/// Sent instead of a code when someone signs up with the address of a confirmed
/// account: the page cannot say so without revealing the account exists.
pub(crate) fn account_exists() -> Message {
    Message {
        subject: "Sign-up attempt with your email address".to_owned(),
        body:
            "Someone tried to create an account with this email address, but you already have one. \
               If it was you, sign in instead (you can reset your password if you forgot it). \
               Otherwise, you can ignore this message."
                .to_owned(),
        html: None,
    }
}

/// The invitation of a user an administrator created, from the pool's template.
pub(crate) fn invitation(pool: &Pool, username: &str, temporary_password: &str) -> Message {
    let (subject, body) = pool.settings.invitation(username, temporary_password);
    Message {
        subject,
        body,
        html: None,
    }
}

pub(crate) async fn send(pool: &UserPool, to: &str, message: &Message) -> Result<(), Error> {
    if let Some(mailer) = pool.mailer()
        && !crate::pools::plausible_phone_number(to)
    {
        return mailer
            .send(to, message.clone())
            .map_err(|smtp::QueueFull| Error::MailQueueFull);
    }
    pool.store()
        .insert_mail(to, &message.subject, &message.body, crate::now())
        .await?;
    if pool.config().dev_outbox() {
        tracing::info!(%to, subject = %message.subject, body = %message.body, "dev outbox: mail sent");
    } else {
        tracing::warn!(%to, "no mail transport is configured: the message stays in the outbox table");
    }
    Ok(())
}
