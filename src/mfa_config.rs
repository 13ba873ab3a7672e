//! A pool's multi-factor settings, as SetUserPoolMfaConfig sets them and
//! GetUserPoolMfaConfig returns them (in Cognito's names): which second
//! factors users may turn on, the message that carries email codes, and the
//! pool's passkey settings (`WebAuthnConfiguration`). `MfaConfiguration`
//! itself (OFF, OPTIONAL, ON) is one of the pool's settings DescribeUserPool
//! returns; these are not, and [`MfaSettings::NAMES`] lists them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth_factors::MfaFactor;

/// A texted second-factor code's message when the pool sets none.
const DEFAULT_SMS_MESSAGE: &str = "Your authentication code is {####}.";
/// The subject and message of a mailed second-factor code when the pool sets none.
const DEFAULT_EMAIL_SUBJECT: &str = "Your sign-in code";
const DEFAULT_EMAIL_MESSAGE: &str = "Your sign-in code is {####}. It works once, within three minutes. \
     If you did not try to sign in, change your password.";

/// Whether password sign-ins take a second factor: never, for users who
/// turned one on, or always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum MfaConfiguration {
    #[default]
    Off,
    On,
    Optional,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MfaSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) software_token_mfa_configuration: Option<SoftwareTokenMfaConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email_mfa_configuration: Option<EmailMfaConfiguration>,
    /// Cognito's `SmsMfaConfigType`: its `SmsAuthenticationMessage` is used
    /// (text messages go to the outbox, there being no SMS here), the rest kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sms_mfa_configuration: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) web_authn_configuration: Option<WebAuthnConfiguration>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SoftwareTokenMfaConfiguration {
    #[serde(default)]
    pub(crate) enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EmailMfaConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<String>,
}

/// Cognito's `WebAuthnConfigurationType`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WebAuthnConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) relying_party_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_verification: Option<UserVerification>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UserVerification {
    Required,
    Preferred,
}

impl MfaSettings {
    /// Their names in a pool's settings, which DescribeUserPool leaves out.
    pub(crate) const NAMES: [&'static str; 4] = [
        "SoftwareTokenMfaConfiguration",
        "EmailMfaConfiguration",
        "SmsMfaConfiguration",
        "WebAuthnConfiguration",
    ];

    /// Settings that offer `factors` with the default email message.
    pub(crate) fn offering(factors: &[MfaFactor]) -> MfaSettings {
        MfaSettings {
            software_token_mfa_configuration: factors
                .contains(&MfaFactor::SoftwareToken)
                .then_some(SoftwareTokenMfaConfiguration { enabled: true }),
            email_mfa_configuration: factors
                .contains(&MfaFactor::Email)
                .then(EmailMfaConfiguration::default),
            sms_mfa_configuration: factors
                .contains(&MfaFactor::Sms)
                .then(|| Value::Object(serde_json::Map::new())),
            ..MfaSettings::default()
        }
    }

    /// The second factors users of the pool may turn on.
    pub(crate) fn factors(&self) -> Vec<MfaFactor> {
        let totp = self
            .software_token_mfa_configuration
            .is_some_and(|c| c.enabled);
        let email = self.email_mfa_configuration.is_some();
        let sms = self.sms_mfa_configuration.is_some();
        MfaFactor::ALL
            .into_iter()
            .filter(|f| match f {
                MfaFactor::SoftwareToken => totp,
                MfaFactor::Email => email,
                MfaFactor::Sms => sms,
            })
            .collect()
    }

    /// The text (with `{####}`) of a texted second-factor code.
    pub(crate) fn sms_message(&self) -> &str {
        self.sms_mfa_configuration
            .as_ref()
            .and_then(|c| c.get("SmsAuthenticationMessage"))
            .and_then(Value::as_str)
            .filter(|m| m.contains("{####}"))
            .unwrap_or(DEFAULT_SMS_MESSAGE)
    }

    /// The subject and the message (with `{####}`) of a mailed second-factor code.
    pub(crate) fn email_message(&self) -> (&str, &str) {
        let config = self.email_mfa_configuration.as_ref();
        (
            config
                .and_then(|c| c.subject.as_deref())
                .unwrap_or(DEFAULT_EMAIL_SUBJECT),
            config
                .and_then(|c| c.message.as_deref())
                .unwrap_or(DEFAULT_EMAIL_MESSAGE),
        )
    }

    /// Cognito's bounds, with its messages.
    pub(crate) fn check(&self) -> Result<(), String> {
        let sms_message = self
            .sms_mfa_configuration
            .as_ref()
            .and_then(|c| c.get("SmsAuthenticationMessage"));
        if let Some(message) = sms_message
            && !message.as_str().is_some_and(|m| m.contains("{####}"))
        {
            return Err(
                "1 validation error detected: Value at 'smsMfaConfiguration.smsAuthenticationMessage' failed to satisfy constraint: Member must contain {####}".to_owned(),
            );
        }
        if let Some(email) = &self.email_mfa_configuration {
            if let Some(message) = &email.message
                && (!(6..=20_000).contains(&message.chars().count()) || !message.contains("{####}"))
            {
                return Err(
                    "1 validation error detected: Value at 'emailMfaConfiguration.message' failed to satisfy constraint: Member must have length between 6 and 20000 and contain {####}".to_owned(),
                );
            }
            if let Some(subject) = &email.subject
                && !(1..=140).contains(&subject.chars().count())
            {
                return Err(
                    "1 validation error detected: Value at 'emailMfaConfiguration.subject' failed to satisfy constraint: Member must have length between 1 and 140".to_owned(),
                );
            }
        }
        if let Some(id) = self
            .web_authn_configuration
            .as_ref()
            .and_then(|w| w.relying_party_id.as_deref())
        {
            let domain = url::Host::parse(id).ok();
            if !matches!(domain, Some(url::Host::Domain(_))) || id.contains(['/', ':']) {
                return Err(format!(
                    "WebAuthnConfiguration.RelyingPartyId {id} must be a domain name, not an address or URL."
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_follow_the_settings_and_messages_their_bounds() {
        assert!(MfaSettings::default().factors().is_empty());
        let settings: MfaSettings = serde_json::from_value(serde_json::json!({
            "SoftwareTokenMfaConfiguration": {"Enabled": true},
            "EmailMfaConfiguration": {"Subject": "Code", "Message": "It is {####}"},
        }))
        .unwrap();
        assert_eq!(
            settings.factors(),
            [MfaFactor::SoftwareToken, MfaFactor::Email]
        );
        assert_eq!(settings.email_message(), ("Code", "It is {####}"));
        assert!(settings.check().is_ok());
        let no_placeholder = MfaSettings {
            email_mfa_configuration: Some(EmailMfaConfiguration {
                message: Some("no code here".to_owned()),
                subject: None,
            }),
            ..MfaSettings::default()
        };
        assert!(no_placeholder.check().is_err());
        let address = MfaSettings {
            web_authn_configuration: Some(WebAuthnConfiguration {
                relying_party_id: Some("127.0.0.1".to_owned()),
                user_verification: None,
            }),
            ..MfaSettings::default()
        };
        assert!(address.check().is_err());
    }
}
