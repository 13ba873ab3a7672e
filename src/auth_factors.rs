//! The first factors a pool lets people sign in with through the choice-based
//! `USER_AUTH` flow: Cognito's `SignInPolicy.AllowedFirstAuthFactors`, in the
//! pool's settings and in `userpool.toml`, and the rules a list of them must
//! meet; and the second factors (`MfaFactor`) a password sign-in may ask for.

use serde::{Deserialize, Serialize};

/// A first factor, in Cognito's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum AuthFactor {
    /// The password, sent as it is (`PASSWORD`) or proven by SRP (`PASSWORD_SRP`).
    Password,
    /// A one-time code mailed to the user's verified address.
    EmailOtp,
    SmsOtp,
    WebAuthn,
    /// A name Cognito does not know; kept so that settings stored before the
    /// policy was checked still load, and refused by [`check`].
    #[serde(other)]
    Unrecognized,
}

impl AuthFactor {
    /// Those this pool can sign people in with.
    fn served(self) -> bool {
        matches!(
            self,
            AuthFactor::Password | AuthFactor::EmailOtp | AuthFactor::WebAuthn
        )
    }

    fn name(self) -> &'static str {
        match self {
            AuthFactor::Password => "PASSWORD",
            AuthFactor::EmailOtp => "EMAIL_OTP",
            AuthFactor::SmsOtp => "SMS_OTP",
            AuthFactor::WebAuthn => "WEB_AUTHN",
            AuthFactor::Unrecognized => "UNRECOGNIZED",
        }
    }
}

/// A second factor, in Cognito's names (`UserMFASettingList`, `MFAS_CAN_SETUP`,
/// `SELECT_MFA_TYPE`'s `ANSWER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum MfaFactor {
    /// A code of an authenticator app (TOTP).
    #[serde(rename = "SOFTWARE_TOKEN_MFA")]
    SoftwareToken,
    /// A code mailed to the user's verified address.
    #[serde(rename = "EMAIL_OTP")]
    Email,
    /// A code texted to the user's verified phone number (the outbox holds
    /// text messages: there is no SMS here).
    #[serde(rename = "SMS_MFA")]
    Sms,
}

impl MfaFactor {
    pub(crate) const ALL: [MfaFactor; 3] =
        [MfaFactor::SoftwareToken, MfaFactor::Email, MfaFactor::Sms];

    pub(crate) fn name(self) -> &'static str {
        match self {
            MfaFactor::SoftwareToken => "SOFTWARE_TOKEN_MFA",
            MfaFactor::Email => "EMAIL_OTP",
            MfaFactor::Sms => "SMS_MFA",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<MfaFactor> {
        MfaFactor::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Cognito's `SignInPolicyType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SignInPolicy {
    pub(crate) allowed_first_auth_factors: Vec<AuthFactor>,
}

/// A new pool's: passwords only.
impl Default for SignInPolicy {
    fn default() -> SignInPolicy {
        SignInPolicy {
            allowed_first_auth_factors: vec![AuthFactor::Password],
        }
    }
}

impl SignInPolicy {
    pub(crate) fn allows(&self, factor: AuthFactor) -> bool {
        factor.served() && self.allowed_first_auth_factors.contains(&factor)
    }
}

/// Why a list of factors is refused, in Cognito's words where it has them.
pub(crate) fn check(factors: &[AuthFactor]) -> Result<(), String> {
    const FIELD: &str = "policies.signInPolicy.allowedFirstAuthFactors";
    if factors.is_empty() || factors.len() > 4 {
        return Err(format!(
            "1 validation error detected: Value at '{FIELD}' failed to satisfy constraint: Member must have length between 1 and 4"
        ));
    }
    if factors.contains(&AuthFactor::Unrecognized) {
        return Err(format!(
            "1 validation error detected: Value at '{FIELD}' failed to satisfy constraint: Member must satisfy enum value set: [PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN]"
        ));
    }
    if !factors.contains(&AuthFactor::Password) {
        return Err("AllowedFirstAuthFactors must include PASSWORD.".to_owned());
    }
    if let Some(unserved) = factors.iter().find(|f| !f.served()) {
        return Err(format!(
            "{} is not available as a first factor in this user pool.",
            unserved.name()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_needs_the_password_and_known_served_factors() {
        assert!(check(&[AuthFactor::Password]).is_ok());
        assert!(check(&[AuthFactor::Password, AuthFactor::EmailOtp]).is_ok());
        assert!(check(&[AuthFactor::Password, AuthFactor::SmsOtp]).is_err());
        assert!(check(&[]).is_err());
        assert!(check(&[AuthFactor::Unrecognized, AuthFactor::Password]).is_err());
        assert_eq!(
            check(&[AuthFactor::SmsOtp]).unwrap_err(),
            "AllowedFirstAuthFactors must include PASSWORD."
        );
        let parsed: SignInPolicy =
            serde_json::from_str(r#"{"AllowedFirstAuthFactors":["PASSWORD","BOGUS"]}"#).unwrap();
        assert_eq!(
            parsed.allowed_first_auth_factors,
            [AuthFactor::Password, AuthFactor::Unrecognized]
        );
    }
}
