//! The JSON API's multi-factor operations: an authenticator app set up by the
//! user (AssociateSoftwareToken and VerifySoftwareToken, with an access token
//! or in a sign-in's `MFA_SETUP` step by its `Session`), the user's factors
//! turned on and off (SetUserMFAPreference, AdminSetUserMFAPreference), and
//! the pool's settings
//! (SetUserPoolMfaConfig, GetUserPoolMfaConfig). See `mfa`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::{Empty, token_holder};
use super::{ApiError, named_user};
use crate::UserPool;
use crate::accounts::Refusal;
use crate::auth_factors::MfaFactor;
use crate::mfa::{self, Setting};
use crate::mfa_config::{
    EmailMfaConfiguration, MfaSettings, SoftwareTokenMfaConfiguration, WebAuthnConfiguration,
};
use crate::pools::MfaConfiguration;
use crate::store::User;

fn totp_not_offered() -> ApiError {
    ApiError::SoftwareTokenMfaNotFound
}

fn offers_totp(pool: &UserPool) -> bool {
    pool.pool()
        .settings
        .mfa
        .factors()
        .contains(&MfaFactor::SoftwareToken)
}

/// Who a request authorized by an access token or by a sign-in's `Session` is for.
enum Caller<'a> {
    Token(User),
    Session(&'a str),
}

async fn caller<'a>(
    pool: &UserPool,
    access_token: Option<&str>,
    session: Option<&'a str>,
) -> Result<Caller<'a>, ApiError> {
    match (access_token, session) {
        (Some(token), _) => Ok(Caller::Token(token_holder(pool, token).await?)),
        (None, Some(session)) => Ok(Caller::Session(session)),
        (None, None) => Err(ApiError::InvalidParameter(
            "Either AccessToken or Session must be given.".to_owned(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AssociateSoftwareTokenRequest {
    access_token: Option<String>,
    session: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AssociateSoftwareTokenResponse {
    secret_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<String>,
}

pub(super) async fn associate_software_token(
    pool: UserPool,
    request: AssociateSoftwareTokenRequest,
) -> Result<AssociateSoftwareTokenResponse, ApiError> {
    let caller = caller(
        &pool,
        request.access_token.as_deref(),
        request.session.as_deref(),
    )
    .await?;
    if !offers_totp(&pool) {
        return Err(totp_not_offered());
    }
    match caller {
        Caller::Token(user) => Ok(AssociateSoftwareTokenResponse {
            secret_code: mfa::associate(&pool, &user).await?,
            session: None,
        }),
        Caller::Session(session) => {
            let (secret_code, session) = mfa::associate_in_sign_in(&pool, session, crate::now())
                .await?
                .ok_or(Refusal::SessionExpired)?;
            Ok(AssociateSoftwareTokenResponse {
                secret_code,
                session: Some(session),
            })
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VerifySoftwareTokenRequest {
    access_token: Option<String>,
    session: Option<String>,
    user_code: String,
    friendly_device_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VerifySoftwareTokenResponse {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<String>,
}

pub(super) async fn verify_software_token(
    pool: UserPool,
    request: VerifySoftwareTokenRequest,
) -> Result<VerifySoftwareTokenResponse, ApiError> {
    if request.user_code.len() != 6 || !request.user_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::InvalidParameter(
            "1 validation error detected: Value at 'userCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]+ and have length 6".to_owned(),
        ));
    }
    let device_name = request.friendly_device_name.as_deref();
    if device_name.is_some_and(|name| name.chars().count() > 128) {
        return Err(ApiError::InvalidParameter(
            "1 validation error detected: Value at 'friendlyDeviceName' failed to satisfy constraint: Member must have length less than or equal to 128".to_owned(),
        ));
    }
    let caller = caller(
        &pool,
        request.access_token.as_deref(),
        request.session.as_deref(),
    )
    .await?;
    if !offers_totp(&pool) {
        return Err(totp_not_offered());
    }
    let now = crate::now();
    let code = &request.user_code;
    let session = match caller {
        Caller::Token(user) => {
            if !mfa::verify(&pool, &user, code, device_name, false, now).await? {
                return Err(ApiError::EnableSoftwareTokenMfa);
            }
            None
        }
        Caller::Session(session) => {
            match mfa::verify_in_sign_in(&pool, session, code, device_name, now).await? {
                Ok(session) => Some(session),
                Err(Refusal::WrongCode) => return Err(ApiError::EnableSoftwareTokenMfa),
                Err(refusal) => return Err(refusal.into()),
            }
        }
    };
    Ok(VerifySoftwareTokenResponse {
        status: "SUCCESS",
        session,
    })
}

/// Cognito's `SoftwareTokenMfaSettingsType`, `EmailMfaSettingsType` and `SMSMfaSettingsType`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FactorSettings {
    enabled: Option<bool>,
    preferred_mfa: Option<bool>,
}

impl From<Option<FactorSettings>> for Setting {
    fn from(settings: Option<FactorSettings>) -> Setting {
        let settings = settings.unwrap_or_default();
        Setting {
            enabled: settings.enabled,
            preferred: settings.preferred_mfa,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Preferences {
    software_token_mfa_settings: Option<FactorSettings>,
    email_mfa_settings: Option<FactorSettings>,
    #[serde(rename = "SMSMfaSettings")]
    sms_mfa_settings: Option<FactorSettings>,
}

async fn set_preferences(
    pool: &UserPool,
    user: &User,
    preferences: Preferences,
) -> Result<Empty, ApiError> {
    let settings = [
        (
            MfaFactor::SoftwareToken,
            preferences.software_token_mfa_settings.into(),
        ),
        (MfaFactor::Email, preferences.email_mfa_settings.into()),
        (MfaFactor::Sms, preferences.sms_mfa_settings.into()),
    ];
    mfa::set_preference(pool, user, settings)
        .await?
        .map_err(|refusal| ApiError::InvalidParameter(refusal.to_string()))?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SetUserMfaPreferenceRequest {
    access_token: String,
    #[serde(flatten)]
    preferences: Preferences,
}

pub(super) async fn set_user_mfa_preference(
    pool: UserPool,
    request: SetUserMfaPreferenceRequest,
) -> Result<Empty, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    set_preferences(&pool, &user, request.preferences).await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AdminSetUserMfaPreferenceRequest {
    username: String,
    #[serde(flatten)]
    preferences: Preferences,
}

pub(super) async fn admin_set_user_mfa_preference(
    pool: UserPool,
    request: AdminSetUserMfaPreferenceRequest,
) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    set_preferences(&pool, &user, request.preferences).await
}

/// GetUserPoolMfaConfig's answer, SetUserPoolMfaConfig's too.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PoolMfaConfig {
    mfa_configuration: MfaConfiguration,
    #[serde(flatten)]
    settings: MfaSettings,
}

fn pool_mfa_config(pool: &UserPool) -> PoolMfaConfig {
    let settings = &pool.pool().settings;
    PoolMfaConfig {
        mfa_configuration: settings.mfa_configuration,
        settings: settings.mfa.clone(),
    }
}

pub(super) async fn get_user_pool_mfa_config(
    pool: UserPool,
    _: Value,
) -> Result<PoolMfaConfig, ApiError> {
    Ok(pool_mfa_config(&pool))
}

/// What is left out stays as it is.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SetUserPoolMfaConfigRequest {
    mfa_configuration: Option<MfaConfiguration>,
    software_token_mfa_configuration: Option<SoftwareTokenMfaConfiguration>,
    email_mfa_configuration: Option<EmailMfaConfiguration>,
    sms_mfa_configuration: Option<Value>,
    web_authn_configuration: Option<WebAuthnConfiguration>,
}

pub(super) async fn set_user_pool_mfa_config(
    pool: UserPool,
    request: SetUserPoolMfaConfigRequest,
) -> Result<PoolMfaConfig, ApiError> {
    let mut settings = pool.pool().settings.clone();
    if let Some(configuration) = request.mfa_configuration {
        settings.mfa_configuration = configuration;
    }
    let mfa = &mut settings.mfa;
    if let Some(totp) = request.software_token_mfa_configuration {
        mfa.software_token_mfa_configuration = Some(totp);
    }
    if let Some(email) = request.email_mfa_configuration {
        mfa.email_mfa_configuration = Some(email);
    }
    if let Some(sms) = request.sms_mfa_configuration {
        mfa.sms_mfa_configuration = Some(sms);
    }
    if let Some(web_authn) = request.web_authn_configuration {
        mfa.web_authn_configuration = Some(web_authn);
    }
    mfa.check().map_err(ApiError::InvalidParameter)?;
    if settings.mfa_configuration != MfaConfiguration::Off
        && mfa.factors().is_empty()
        && mfa.sms_mfa_configuration.is_none()
    {
        return Err(ApiError::InvalidParameter(
            "Invalid MFA configuration given, can't turn on MFA without any enabled MFA factor."
                .to_owned(),
        ));
    }
    let name = pool.pool().name.clone();
    let pool = pool.change_pool(&name, &settings, crate::now()).await?;
    Ok(pool_mfa_config(&pool))
}
