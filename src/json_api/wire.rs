//! The request shapes that an app operation and its admin twin share
//! (InitiateAuth and AdminInitiateAuth, RespondToAuthChallenge and
//! AdminRespondToAuthChallenge; the admin ones' `UserPoolId` is checked before
//! dispatch), the `Limit` / `NextToken` paging of the admin listings, the
//! authentication flows InitiateAuth can name, and what GetUser and
//! AdminGetUser both say of a user's second factors.

use std::collections::HashMap;

use crate::triggers::event::Metadata;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::UserPool;
use crate::config::ExplicitAuthFlow;
use crate::store::User;

/// InitiateAuth and AdminInitiateAuth.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InitiateAuthRequest {
    /// Parsed by [`AuthFlow::parse`], so that an unknown flow gets Cognito's error.
    pub(super) auth_flow: String,
    pub(super) client_id: String,
    #[serde(default)]
    pub(super) auth_parameters: HashMap<String, String>,
    /// `USER_AUTH` only: the session of a sign-up ConfirmSignUp just confirmed.
    pub(super) session: Option<String>,
    /// For the triggers.
    #[serde(default)]
    pub(super) client_metadata: Metadata,
}

/// RespondToAuthChallenge and AdminRespondToAuthChallenge.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RespondToAuthChallengeRequest {
    pub(super) client_id: String,
    pub(super) challenge_name: String,
    pub(super) session: Option<String>,
    #[serde(default)]
    pub(super) challenge_responses: HashMap<String, String>,
    /// For the triggers.
    #[serde(default)]
    pub(super) client_metadata: Metadata,
}

/// A page of a listing that pages by `NextToken` (ListUsers says `PaginationToken`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NextTokenPage {
    pub(super) limit: Option<i64>,
    pub(super) next_token: Option<String>,
}

/// A page of a listing that takes `MaxResults` (pools, app clients, resource servers).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MaxResultsPage {
    pub(super) max_results: Option<i64>,
    pub(super) next_token: Option<String>,
}

impl MaxResultsPage {
    /// `MaxResults` within 1 to `max`; when absent, `max`, unless the
    /// operation requires it (ListUserPools).
    pub(super) fn limit(&self, max: i64, required: bool) -> Result<i64, super::ApiError> {
        match self.max_results {
            None if !required => Ok(max),
            Some(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(super::ApiError::InvalidParameter(format!(
                "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must {}have value between 1 and {max}",
                if required {
                    "not be null and must "
                } else {
                    ""
                }
            ))),
        }
    }
}

/// The authentication flows the pool knows (Cognito's `AuthFlowType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuthFlow {
    /// `USER_PASSWORD_AUTH`, InitiateAuth only.
    UserPassword,
    /// `ADMIN_USER_PASSWORD_AUTH` (or its old name `ADMIN_NO_SRP_AUTH`), AdminInitiateAuth only.
    AdminUserPassword,
    /// `REFRESH_TOKEN_AUTH` (or `REFRESH_TOKEN`), on either operation.
    RefreshToken,
    /// `USER_SRP_AUTH`, on either operation.
    UserSrp,
    /// The choice-based `USER_AUTH`, on either operation.
    UserAuth,
    /// `CUSTOM_AUTH`, run by the pool's triggers, on either operation.
    CustomAuth,
}

impl AuthFlow {
    /// The flow `name` names, if the operation (AdminInitiateAuth when `admin`)
    /// offers it; otherwise Cognito's answer to a flow the client has not enabled.
    pub(super) fn parse(name: &str, admin: bool) -> Result<AuthFlow, ApiError> {
        match (name, admin) {
            ("USER_PASSWORD_AUTH", false) => Ok(AuthFlow::UserPassword),
            ("ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", true) => {
                Ok(AuthFlow::AdminUserPassword)
            }
            ("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN", _) => Ok(AuthFlow::RefreshToken),
            ("USER_SRP_AUTH", _) => Ok(AuthFlow::UserSrp),
            ("USER_AUTH", _) => Ok(AuthFlow::UserAuth),
            ("CUSTOM_AUTH", _) => Ok(AuthFlow::CustomAuth),
            _ => Err(not_enabled(name)),
        }
    }

    /// The client setting that enables this flow.
    pub(super) fn enabled_by(self) -> ExplicitAuthFlow {
        match self {
            AuthFlow::UserPassword => ExplicitAuthFlow::UserPassword,
            AuthFlow::AdminUserPassword => ExplicitAuthFlow::AdminUserPassword,
            AuthFlow::RefreshToken => ExplicitAuthFlow::RefreshToken,
            AuthFlow::UserSrp => ExplicitAuthFlow::UserSrp,
            AuthFlow::UserAuth => ExplicitAuthFlow::UserAuth,
            AuthFlow::CustomAuth => ExplicitAuthFlow::CustomAuth,
        }
    }
}

/// Cognito's words for a flow that is unknown, not offered by the operation or
/// not enabled for the client, naming it as the request did.
pub(super) fn not_enabled(name: &str) -> ApiError {
    ApiError::InvalidParameter(format!("{name} flow not enabled for this client"))
}

/// The challenges the pool sets (Cognito's `ChallengeNameType`):
/// `NEW_PASSWORD_REQUIRED` for users an administrator created, SRP's
/// `PASSWORD_VERIFIER`, `USER_AUTH`'s `SELECT_CHALLENGE`, `EMAIL_OTP` and
/// `WEB_AUTHN`, and the second factors' `SOFTWARE_TOKEN_MFA`, `SMS_MFA`,
/// `SELECT_MFA_TYPE` and `MFA_SETUP` (and `EMAIL_OTP` again), and
/// `CUSTOM_AUTH`'s `CUSTOM_CHALLENGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ChallengeName {
    NewPasswordRequired,
    PasswordVerifier,
    SelectChallenge,
    EmailOtp,
    WebAuthn,
    SoftwareTokenMfa,
    SmsMfa,
    SelectMfaType,
    MfaSetup,
    CustomChallenge,
}

impl ChallengeName {
    /// The challenge a RespondToAuthChallenge names; Cognito's refusal otherwise.
    pub(super) fn parse(name: &str) -> Result<ChallengeName, ApiError> {
        match name {
            "NEW_PASSWORD_REQUIRED" => Ok(ChallengeName::NewPasswordRequired),
            "PASSWORD_VERIFIER" => Ok(ChallengeName::PasswordVerifier),
            "SELECT_CHALLENGE" => Ok(ChallengeName::SelectChallenge),
            "EMAIL_OTP" => Ok(ChallengeName::EmailOtp),
            "WEB_AUTHN" => Ok(ChallengeName::WebAuthn),
            "SOFTWARE_TOKEN_MFA" => Ok(ChallengeName::SoftwareTokenMfa),
            "SMS_MFA" => Ok(ChallengeName::SmsMfa),
            "SELECT_MFA_TYPE" => Ok(ChallengeName::SelectMfaType),
            "MFA_SETUP" => Ok(ChallengeName::MfaSetup),
            "CUSTOM_CHALLENGE" => Ok(ChallengeName::CustomChallenge),
            _ => Err(ApiError::InvalidParameter(format!(
                "Challenge {name} is not supported by this user pool."
            ))),
        }
    }
}

/// AdminCreateUser's `MessageAction`: no invitation, or a new invitation (and
/// temporary password) for a user who has not signed in yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MessageAction {
    Suppress,
    Resend,
}

impl MessageAction {
    pub(super) fn parse(name: Option<&str>) -> Result<Option<MessageAction>, ApiError> {
        match name {
            None => Ok(None),
            Some("SUPPRESS") => Ok(Some(MessageAction::Suppress)),
            Some("RESEND") => Ok(Some(MessageAction::Resend)),
            Some(_) => Err(ApiError::InvalidParameter(
                "MessageAction must be SUPPRESS or RESEND.".to_owned(),
            )),
        }
    }
}

/// What GetUser and AdminGetUser say of a user's second factors (nothing
/// for a user with none on).
#[derive(Debug, Default, Serialize)]
pub(super) struct MfaFields {
    #[serde(rename = "UserMFASettingList", skip_serializing_if = "Vec::is_empty")]
    enabled: Vec<crate::auth_factors::MfaFactor>,
    #[serde(
        rename = "PreferredMfaSetting",
        skip_serializing_if = "Option::is_none"
    )]
    preferred: Option<crate::auth_factors::MfaFactor>,
}

pub(super) async fn mfa_fields(pool: &UserPool, user: &User) -> Result<MfaFields, ApiError> {
    let factors = crate::mfa::factors(pool, user).await?;
    Ok(MfaFields {
        enabled: factors.enabled,
        preferred: factors.preferred,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_and_message_actions_parse_by_cognito_names() {
        assert_eq!(
            ChallengeName::parse("NEW_PASSWORD_REQUIRED").ok(),
            Some(ChallengeName::NewPasswordRequired)
        );
        assert_eq!(
            serde_json::to_value(ChallengeName::NewPasswordRequired).ok(),
            Some(serde_json::json!("NEW_PASSWORD_REQUIRED"))
        );
        assert!(ChallengeName::parse("DEVICE_SRP_AUTH").is_err());
        assert_eq!(MessageAction::parse(None).ok(), Some(None));
        assert_eq!(
            MessageAction::parse(Some("RESEND")).ok(),
            Some(Some(MessageAction::Resend))
        );
        assert!(MessageAction::parse(Some("resend")).is_err());
    }

    #[test]
    fn flows_parse_by_cognito_names_and_aliases_on_their_operations() {
        for (name, admin, flow) in [
            ("USER_PASSWORD_AUTH", false, AuthFlow::UserPassword),
            (
                "ADMIN_USER_PASSWORD_AUTH",
                true,
                AuthFlow::AdminUserPassword,
            ),
            ("ADMIN_NO_SRP_AUTH", true, AuthFlow::AdminUserPassword),
            ("REFRESH_TOKEN_AUTH", false, AuthFlow::RefreshToken),
            ("REFRESH_TOKEN", true, AuthFlow::RefreshToken),
            ("USER_SRP_AUTH", false, AuthFlow::UserSrp),
            ("USER_SRP_AUTH", true, AuthFlow::UserSrp),
            ("CUSTOM_AUTH", false, AuthFlow::CustomAuth),
        ] {
            assert_eq!(AuthFlow::parse(name, admin).unwrap(), flow, "{name}");
        }
        for (name, admin) in [
            ("USER_PASSWORD_AUTH", true),
            ("ADMIN_USER_PASSWORD_AUTH", false),
            ("user_password_auth", false),
        ] {
            let error = AuthFlow::parse(name, admin).unwrap_err();
            assert!(
                matches!(&error, ApiError::InvalidParameter(m) if *m == format!("{name} flow not enabled for this client")),
                "{name}: {error:?}"
            );
        }
    }
}
