//! CustomMessage: before the pool mails a code, the function may write the
//! message itself. It sees `{####}` where the code goes (and `{username}` in
//! an invitation), never the code; the pool puts the code in afterwards, and
//! refuses a message without a place for it.

use serde::Deserialize;
use serde_json::json;

use super::event::{self, Caller, Event};
use crate::UserPool;
use crate::error::Error;
use crate::lambda_config::Trigger;

/// Where the code goes in a custom message.
pub(crate) const CODE_PARAMETER: &str = "{####}";
/// Where the username goes in a custom invitation.
pub(crate) const USERNAME_PARAMETER: &str = "{username}";

/// Why a code is mailed (`CustomMessage_<source>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageSource {
    SignUp,
    ResendCode,
    ForgotPassword,
    AdminCreateUser,
    UpdateUserAttribute,
    VerifyUserAttribute,
    Authentication,
}

impl MessageSource {
    fn name(self) -> &'static str {
        match self {
            MessageSource::SignUp => "CustomMessage_SignUp",
            MessageSource::ResendCode => "CustomMessage_ResendCode",
            MessageSource::ForgotPassword => "CustomMessage_ForgotPassword",
            MessageSource::AdminCreateUser => "CustomMessage_AdminCreateUser",
            MessageSource::UpdateUserAttribute => "CustomMessage_UpdateUserAttribute",
            MessageSource::VerifyUserAttribute => "CustomMessage_VerifyUserAttribute",
            MessageSource::Authentication => "CustomMessage_Authentication",
        }
    }
}

/// A message the function wrote, with the code's place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) subject: Option<String>,
    pub(crate) body: String,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageResponse {
    email_message: Option<String>,
    email_subject: Option<String>,
}

/// The mail that is about to go out.
pub(crate) struct Mailing<'a> {
    pub(crate) source: MessageSource,
    /// Cognito's username of the user it is for.
    pub(crate) username: &'a str,
    /// The user's attributes, as events carry them.
    pub(crate) attributes: serde_json::Value,
}

/// Asks CustomMessage for the message, if the pool has it: None keeps the pool's
/// own. A message without `{####}` (where a code goes) does not read.
pub(crate) async fn custom_message(
    pool: &UserPool,
    caller: Caller<'_>,
    mailing: Mailing<'_>,
) -> Result<Option<Written>, Error> {
    let Some(response) = event::send(
        pool,
        Event {
            trigger: Trigger::CustomMessage,
            source: mailing.source.name(),
            user_name: Some(mailing.username),
            caller,
            request: json!({
                "userAttributes": mailing.attributes,
                "codeParameter": CODE_PARAMETER,
                "linkParameter": "{##Click Here##}",
                "usernameParameter": (mailing.source == MessageSource::AdminCreateUser).then_some(USERNAME_PARAMETER),
                "clientMetadata": event::metadata(caller.metadata),
            }),
            response: json!({ "smsMessage": null, "emailMessage": null, "emailSubject": null }),
            version: "1",
        },
    )
    .await?
    else {
        return Ok(None);
    };
    let answer: MessageResponse =
        serde_json::from_value(response).map_err(|_| super::invalid_response())?;
    let Some(body) = answer.email_message.filter(|m| !m.trim().is_empty()) else {
        return Ok(None);
    };
    if !body.contains(CODE_PARAMETER) || body.chars().count() > 20_000 {
        return Err(super::invalid_response());
    }
    Ok(Some(Written {
        subject: answer.email_subject.filter(|s| !s.trim().is_empty()),
        body,
    }))
}
