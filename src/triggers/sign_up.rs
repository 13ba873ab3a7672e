//! The sign-up triggers: PreSignUp, which may refuse a sign-up or confirm it
//! (and verify its address) at once, and PostConfirmation, told of a confirmed
//! account or a completed password reset.

use serde_json::json;

use super::event::{self, Caller, Event, Metadata};
use crate::UserPool;
use crate::error::Error;
use crate::lambda_config::Trigger;
use crate::store::User;

/// Who a sign-up comes from (`PreSignUp_SignUp`, `PreSignUp_AdminCreateUser`,
/// `PreSignUp_ExternalProvider`: an upstream identity provider's user, at their first sign-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignUpSource {
    SignUp,
    AdminCreateUser,
    ExternalProvider,
}

/// What PreSignUp decided, beyond letting the sign-up go on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admitted {
    /// Confirmed at once, without a code (not for users an administrator creates).
    pub(crate) confirm: bool,
    pub(crate) verify_email: bool,
    pub(crate) verify_phone: bool,
}

impl Admitted {
    /// `attributes` with the addresses the trigger verified marked so.
    pub(crate) fn mark_verified(&self, attributes: &mut Vec<(String, String)>) {
        for (verified, attribute) in [
            (self.verify_email, "email_verified"),
            (self.verify_phone, "phone_number_verified"),
        ] {
            if verified {
                attributes.retain(|(name, _)| name != attribute);
                attributes.push((attribute.to_owned(), "true".to_owned()));
            }
        }
    }
}

/// The attributes the trigger is told of: the given ones, with the address
/// where it is kept apart from them (a pool that signs in with it).
pub(crate) fn told_attributes(
    attributes: &[(String, String)],
    email: Option<&str>,
) -> Vec<(String, String)> {
    let mut told = attributes.to_vec();
    if let Some(email) = email {
        told.insert(0, ("email".to_owned(), email.to_owned()));
    }
    told
}

/// The applicant about to be signed up.
pub(crate) struct Applicant<'a> {
    /// Cognito's username of the new account (its sub, where the email is the username).
    pub(crate) username: &'a str,
    pub(crate) attributes: &'a [(String, String)],
    pub(crate) validation_data: &'a Metadata,
}

/// Runs PreSignUp, if the pool has it: an error refuses the sign-up, and nothing is stored.
pub(crate) async fn pre_sign_up(
    pool: &UserPool,
    caller: Caller<'_>,
    source: SignUpSource,
    applicant: &Applicant<'_>,
) -> Result<Admitted, Error> {
    let request = json!({
        "userAttributes": event::attribute_map(applicant.attributes),
        "validationData": event::metadata(applicant.validation_data),
        "clientMetadata": event::metadata(caller.metadata),
    });
    let Some(response) = event::send(
        pool,
        Event {
            trigger: Trigger::PreSignUp,
            source: match source {
                SignUpSource::SignUp => "PreSignUp_SignUp",
                SignUpSource::AdminCreateUser => "PreSignUp_AdminCreateUser",
                SignUpSource::ExternalProvider => "PreSignUp_ExternalProvider",
            },
            user_name: Some(applicant.username),
            caller,
            request,
            response: json!({
                "autoConfirmUser": false,
                "autoVerifyEmail": false,
                "autoVerifyPhone": false,
            }),
            version: "1",
        },
    )
    .await?
    else {
        return Ok(Admitted::default());
    };
    let has = |name: &str| applicant.attributes.iter().any(|(n, _)| n == name);
    Ok(Admitted {
        // An administrator's new user sets a password first, whatever the function says
        // (and an upstream's is confirmed already).
        confirm: source == SignUpSource::SignUp && event::field(&response, "autoConfirmUser")?,
        verify_email: has("email") && event::field(&response, "autoVerifyEmail")?,
        verify_phone: has("phone_number") && event::field(&response, "autoVerifyPhone")?,
    })
}

/// What was confirmed (`PostConfirmation_ConfirmSignUp`, `_ConfirmForgotPassword`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confirmed {
    SignUp,
    ForgotPassword,
}

/// Runs PostConfirmation, if the pool has it. As in Cognito, what was confirmed
/// stays so if the function fails; the caller is told of the failure.
pub(crate) async fn post_confirmation(
    pool: &UserPool,
    caller: Caller<'_>,
    confirmed: Confirmed,
    user: &User,
) -> Result<(), Error> {
    if !event::configured(pool, Trigger::PostConfirmation) {
        return Ok(());
    }
    let attributes = crate::claims::of(pool.store(), user).await?;
    event::send(
        pool,
        Event {
            trigger: Trigger::PostConfirmation,
            source: match confirmed {
                Confirmed::SignUp => "PostConfirmation_ConfirmSignUp",
                Confirmed::ForgotPassword => "PostConfirmation_ConfirmForgotPassword",
            },
            user_name: Some(&user.username),
            caller,
            request: json!({
                "userAttributes": event::user_attributes(user, &attributes),
                "clientMetadata": event::metadata(caller.metadata),
            }),
            response: json!({}),
            version: "1",
        },
    )
    .await?;
    Ok(())
}
