//! App clients as resources of their pool, as Cognito's API manages them: a
//! client's settings in Cognito's names (`UserPoolClientType`, stored as JSON),
//! their checks, and how they become the [`Client`] the rest of the crate reads.
//! The clients `userpool.toml` declares take the same form when they are stored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{Client, ExplicitAuthFlow, OAuthFlow, SUPPORTED_SCOPES, TokenConfig};
use crate::pools::InvalidSetting;

/// Settings CreateUserPoolClient accepts and DescribeUserPoolClient returns,
/// which the pool keeps as given without acting on them.
const KEPT_AS_GIVEN: &[&str] = &[
    "AnalyticsConfiguration",
    "AuthSessionValidity",
    "DefaultRedirectURI",
    "EnablePropagateAdditionalUserContextData",
    "ReadAttributes",
    "WriteAttributes",
];

/// A client's settings in Cognito's names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ClientSettings {
    #[serde(default)]
    pub(crate) explicit_auth_flows: Vec<String>,
    #[serde(default, rename = "AllowedOAuthFlows")]
    pub(crate) allowed_oauth_flows: Vec<String>,
    #[serde(default, rename = "AllowedOAuthScopes")]
    pub(crate) allowed_oauth_scopes: Vec<String>,
    #[serde(default, rename = "AllowedOAuthFlowsUserPoolClient")]
    pub(crate) allowed_oauth_flows_user_pool_client: bool,
    #[serde(default, rename = "CallbackURLs")]
    pub(crate) callback_urls: Vec<String>,
    #[serde(default, rename = "LogoutURLs")]
    pub(crate) logout_urls: Vec<String>,
    #[serde(default)]
    pub(crate) supported_identity_providers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token_validity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token_validity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token_validity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) token_validity_units: Option<TokenValidityUnits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) prevent_user_existence_errors: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) enable_token_revocation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token_rotation: Option<RefreshTokenRotation>,
    /// [`KEPT_AS_GIVEN`] settings by name.
    #[serde(flatten)]
    pub(crate) kept: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TokenValidityUnits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token: Option<TimeUnit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<TimeUnit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<TimeUnit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    fn seconds(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3600,
            TimeUnit::Days => 86_400,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RefreshTokenRotation {
    pub(crate) feature: Feature,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retry_grace_period_seconds: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Feature {
    Enabled,
    Disabled,
}

/// A client's row.
#[derive(Debug, Clone)]
pub(crate) struct StoredClient {
    pub(crate) client_id: String,
    pub(crate) pool_id: String,
    pub(crate) name: String,
    pub(crate) secret: Option<String>,
    pub(crate) settings: ClientSettings,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

fn invalid(message: impl Into<String>) -> InvalidSetting {
    InvalidSetting::Parameter(message.into())
}

fn invalid_flow(message: impl Into<String>) -> InvalidSetting {
    InvalidSetting::OAuthFlow(message.into())
}

/// The explicit flows a new Cognito client gets when it is given none.
const DEFAULT_FLOWS: &[&str] = &[
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
];

/// Cognito's explicit flows: those this pool answers, and their old names.
const KNOWN_FLOWS: &[&str] = &[
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
];

fn explicit_flow(name: &str) -> Option<ExplicitAuthFlow> {
    match name {
        "ALLOW_USER_PASSWORD_AUTH" | "USER_PASSWORD_AUTH" => Some(ExplicitAuthFlow::UserPassword),
        "ALLOW_ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
            Some(ExplicitAuthFlow::AdminUserPassword)
        }
        "ALLOW_REFRESH_TOKEN_AUTH" => Some(ExplicitAuthFlow::RefreshToken),
        "ALLOW_USER_SRP_AUTH" => Some(ExplicitAuthFlow::UserSrp),
        "ALLOW_USER_AUTH" => Some(ExplicitAuthFlow::UserAuth),
        "ALLOW_CUSTOM_AUTH" | "CUSTOM_AUTH_FLOW_ONLY" => Some(ExplicitAuthFlow::CustomAuth),
        _ => None,
    }
}

fn oauth_flow(name: &str) -> Option<OAuthFlow> {
    match name {
        "code" => Some(OAuthFlow::Code),
        "implicit" => Some(OAuthFlow::Implicit),
        "client_credentials" => Some(OAuthFlow::ClientCredentials),
        _ => None,
    }
}

/// `validity` in `unit` (Cognito's default unit when none is given), in seconds.
fn seconds(validity: Option<i64>, unit: Option<TimeUnit>, default_unit: TimeUnit) -> Option<i64> {
    validity.map(|v| v.saturating_mul(unit.unwrap_or(default_unit).seconds()))
}

impl ClientSettings {
    /// Checks the settings as Cognito does and fills in its defaults; `secret`
    /// says whether the client has a secret, `custom_scopes` which scopes the
    /// pool's resource servers make, `providers` the names of its identity providers.
    pub(crate) fn validated(
        mut self,
        secret: bool,
        custom_scopes: &[String],
        providers: &[String],
    ) -> Result<ClientSettings, InvalidSetting> {
        self.kept
            .retain(|name, _| KEPT_AS_GIVEN.contains(&name.as_str()));
        if self.explicit_auth_flows.is_empty() {
            self.explicit_auth_flows = DEFAULT_FLOWS.iter().map(|f| (*f).to_owned()).collect();
        }
        if let Some(bad) = self
            .explicit_auth_flows
            .iter()
            .find(|f| !KNOWN_FLOWS.contains(&f.as_str()))
        {
            return Err(invalid(format!(
                "1 validation error detected: Value '[{bad}]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy enum value set"
            )));
        }
        if let Some(bad) = self
            .allowed_oauth_flows
            .iter()
            .find(|f| oauth_flow(f).is_none())
        {
            return Err(invalid(format!(
                "1 validation error detected: Value '[{bad}]' at 'allowedOAuthFlows' failed to satisfy constraint: Member must satisfy enum value set: [implicit, client_credentials, code]"
            )));
        }
        if let Some(bad) = self
            .allowed_oauth_scopes
            .iter()
            .find(|s| !SUPPORTED_SCOPES.contains(&s.as_str()) && !custom_scopes.contains(s))
        {
            return Err(InvalidSetting::Scope(format!(
                "Invalid scope requested: {bad}"
            )));
        }
        let flows = &self.allowed_oauth_flows;
        if flows.iter().any(|f| f == "client_credentials") {
            if flows.len() > 1 {
                return Err(invalid_flow(
                    "client_credentials flow can not be selected with either implicit or code.",
                ));
            }
            if !secret {
                return Err(invalid_flow(
                    "client_credentials flow can not be selected if client does not have a client secret.",
                ));
            }
        }
        if self.allowed_oauth_flows_user_pool_client {
            if flows.is_empty() || self.allowed_oauth_scopes.is_empty() {
                return Err(invalid_flow(
                    "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows.",
                ));
            }
            if flows.iter().any(|f| f != "client_credentials") && self.callback_urls.is_empty() {
                return Err(invalid_flow(
                    "CallbackUrls can not be empty when code flow or implicit flow is selected",
                ));
            }
        }
        for url in self.callback_urls.iter().chain(&self.logout_urls) {
            let parsed = url::Url::parse(url).ok();
            let local = parsed.as_ref().is_some_and(|u| {
                u.scheme() == "http"
                    && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
            });
            let fragment = parsed.as_ref().is_some_and(|u| u.fragment().is_some());
            if parsed.is_none()
                || fragment
                || !(local || url.starts_with("https://") || !url.starts_with("http"))
            {
                return Err(invalid(format!(
                    "{url} is not a valid redirect URI: https, http on localhost, or an app's own scheme, without a fragment"
                )));
            }
        }
        match self.prevent_user_existence_errors.as_deref() {
            None => self.prevent_user_existence_errors = Some("LEGACY".to_owned()),
            Some("LEGACY" | "ENABLED") => {}
            Some(bad) => {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{bad}' at 'preventUserExistenceErrors' failed to satisfy constraint: Member must satisfy enum value set: [LEGACY, ENABLED]"
                )));
            }
        }
        self.enable_token_revocation.get_or_insert(true);
        let units = self.token_validity_units.unwrap_or_default();
        let bounds = [
            (
                "AccessToken",
                seconds(
                    self.access_token_validity,
                    units.access_token,
                    TimeUnit::Hours,
                ),
                300,
                86_400,
            ),
            (
                "IdToken",
                seconds(self.id_token_validity, units.id_token, TimeUnit::Hours),
                300,
                86_400,
            ),
            (
                "RefreshToken",
                seconds(
                    self.refresh_token_validity,
                    units.refresh_token,
                    TimeUnit::Days,
                ),
                3600,
                315_360_000,
            ),
        ];
        for (token, given, low, high) in bounds {
            if given.is_some_and(|s| !(low..=high).contains(&s)) {
                return Err(invalid(format!(
                    "Invalid range for token validity: {token} must be between {low} and {high} seconds."
                )));
            }
        }
        if let Some(rotation) = self.refresh_token_rotation
            && rotation
                .retry_grace_period_seconds
                .is_some_and(|s| !(0..=60).contains(&s))
        {
            return Err(invalid("RetryGracePeriodSeconds must be between 0 and 60."));
        }
        if let Some(unknown) = self
            .supported_identity_providers
            .iter()
            .find(|p| *p != "COGNITO" && !providers.contains(p))
        {
            return Err(invalid(format!(
                "The provider {unknown} does not exist for User Pool."
            )));
        }
        Ok(self)
    }

    /// A kept list of attribute names (`ReadAttributes`, `WriteAttributes`).
    fn attribute_list(&self, name: &str) -> Vec<String> {
        self.kept
            .get(name)
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The settings a client of `userpool.toml` stands for.
    pub(crate) fn of(client: &Client) -> ClientSettings {
        let tokens = client.tokens.as_ref();
        ClientSettings {
            explicit_auth_flows: client
                .auth_flows
                .iter()
                .map(|flow| flow.cognito_name().to_owned())
                .collect(),
            allowed_oauth_flows: client
                .oauth_flows
                .iter()
                .map(|flow| flow.cognito_name().to_owned())
                .collect(),
            allowed_oauth_scopes: client.allowed_scopes.clone(),
            allowed_oauth_flows_user_pool_client: !client.oauth_flows.is_empty(),
            callback_urls: client.callback_urls.clone(),
            logout_urls: client.logout_urls.clone(),
            supported_identity_providers: vec!["COGNITO".to_owned()],
            access_token_validity: tokens.map(|t| t.access_token_minutes),
            id_token_validity: tokens.map(|t| t.id_token_minutes),
            refresh_token_validity: tokens.map(|t| t.refresh_token_days),
            token_validity_units: tokens.map(|_| TokenValidityUnits {
                access_token: Some(TimeUnit::Minutes),
                id_token: Some(TimeUnit::Minutes),
                refresh_token: Some(TimeUnit::Days),
            }),
            prevent_user_existence_errors: Some("ENABLED".to_owned()),
            enable_token_revocation: Some(true),
            refresh_token_rotation: client
                .refresh_token_rotation
                .then_some(RefreshTokenRotation {
                    feature: Feature::Enabled,
                    retry_grace_period_seconds: Some(client.refresh_token_grace_seconds),
                }),
            kept: Map::new(),
        }
    }
}

impl StoredClient {
    /// The client as the pool runs it.
    pub(crate) fn client(&self) -> Client {
        let settings = &self.settings;
        let units = settings.token_validity_units.unwrap_or_default();
        let given = settings.access_token_validity.is_some()
            || settings.id_token_validity.is_some()
            || settings.refresh_token_validity.is_some();
        let defaults = TokenConfig::default();
        // The pool keeps minutes and days; a refresh validity below a day is rounded up to one.
        let minutes = |validity, unit, default| {
            seconds(validity, unit, TimeUnit::Hours).map_or(default, |s: i64| (s + 59) / 60)
        };
        let tokens = given.then(|| TokenConfig {
            access_token_minutes: minutes(
                settings.access_token_validity,
                units.access_token,
                defaults.access_token_minutes,
            ),
            id_token_minutes: minutes(
                settings.id_token_validity,
                units.id_token,
                defaults.id_token_minutes,
            ),
            refresh_token_days: seconds(
                settings.refresh_token_validity,
                units.refresh_token,
                TimeUnit::Days,
            )
            .map_or(defaults.refresh_token_days, |s| (s + 86_399) / 86_400),
        });
        let rotation = settings
            .refresh_token_rotation
            .filter(|r| r.feature == Feature::Enabled);
        Client {
            name: self.name.clone(),
            id: self.client_id.clone(),
            secret: self.secret.clone(),
            auth_flows: settings
                .explicit_auth_flows
                .iter()
                .filter_map(|f| explicit_flow(f))
                .collect(),
            oauth_flows: if settings.allowed_oauth_flows_user_pool_client {
                settings
                    .allowed_oauth_flows
                    .iter()
                    .filter_map(|f| oauth_flow(f))
                    .collect()
            } else {
                Vec::new()
            },
            tokens,
            refresh_token_rotation: rotation.is_some(),
            refresh_token_grace_seconds: rotation
                .and_then(|r| r.retry_grace_period_seconds)
                .unwrap_or(0),
            callback_urls: settings.callback_urls.clone(),
            logout_urls: settings.logout_urls.clone(),
            allowed_scopes: settings.allowed_oauth_scopes.clone(),
            read_attributes: settings.attribute_list("ReadAttributes"),
            write_attributes: settings.attribute_list("WriteAttributes"),
            legacy_user_existence_errors: settings.prevent_user_existence_errors.as_deref()
                != Some("ENABLED"),
            revocation_disabled: settings.enable_token_revocation == Some(false),
            identity_providers: settings
                .supported_identity_providers
                .iter()
                .filter(|p| *p != "COGNITO")
                .cloned()
                .collect(),
        }
    }
}

const ID_ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// `length` random lowercase letters and digits (Cognito's client ids are 26, secrets 51).
pub(crate) fn random_id(length: usize) -> Result<String, crate::error::Error> {
    let mut bytes = vec![0u8; length];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| crate::error::Error::Random)?;
    Ok(bytes
        .iter()
        .map(|b| {
            let index = usize::from(*b) % ID_ALPHABET.len();
            ID_ALPHABET.get(index).map_or('0', |c| char::from(*c))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(value: Value) -> ClientSettings {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_client_given_nothing_gets_cognitos_default_flows() {
        let validated = settings(serde_json::json!({}))
            .validated(false, &[], &[])
            .unwrap();
        assert_eq!(validated.explicit_auth_flows, DEFAULT_FLOWS);
        let stored = StoredClient {
            client_id: "c".into(),
            pool_id: "p".into(),
            name: "n".into(),
            secret: None,
            settings: validated,
            created_at: 0,
            updated_at: 0,
        };
        let client = stored.client();
        assert_eq!(
            client.auth_flows,
            [
                ExplicitAuthFlow::UserSrp,
                ExplicitAuthFlow::CustomAuth,
                ExplicitAuthFlow::RefreshToken
            ]
        );
        assert!(client.oauth_flows.is_empty());
        assert!(client.tokens.is_none());
    }

    #[test]
    fn token_validities_follow_their_units() {
        let stored = StoredClient {
            client_id: "c".into(),
            pool_id: "p".into(),
            name: "n".into(),
            secret: None,
            settings: settings(serde_json::json!({
                "AccessTokenValidity": 10,
                "TokenValidityUnits": {"AccessToken": "minutes"},
                "IdTokenValidity": 2,
                "RefreshTokenValidity": 5
            }))
            .validated(false, &[], &[])
            .unwrap(),
            created_at: 0,
            updated_at: 0,
        };
        let tokens = stored.client().tokens.unwrap();
        assert_eq!(
            (
                tokens.access_token_minutes,
                tokens.id_token_minutes,
                tokens.refresh_token_days
            ),
            (10, 120, 5)
        );
    }

    #[test]
    fn settings_cognito_refuses_are_refused() {
        for (bad, secret) in [
            (
                serde_json::json!({"ExplicitAuthFlows": ["ALLOW_EVERYTHING"]}),
                false,
            ),
            (
                serde_json::json!({"AllowedOAuthFlows": ["password"]}),
                false,
            ),
            (serde_json::json!({"AllowedOAuthScopes": ["admin"]}), false),
            (
                serde_json::json!({"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["openid"], "AllowedOAuthFlowsUserPoolClient": true}),
                false,
            ),
            (
                serde_json::json!({"AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid"], "AllowedOAuthFlowsUserPoolClient": true}),
                true,
            ),
            (
                serde_json::json!({"CallbackURLs": ["http://example.com/cb"]}),
                false,
            ),
            (
                serde_json::json!({"CallbackURLs": ["https://example.com/cb#x"]}),
                false,
            ),
            (serde_json::json!({"AccessTokenValidity": 25}), false),
            (
                serde_json::json!({"SupportedIdentityProviders": ["Google"]}),
                false,
            ),
        ] {
            assert!(
                settings(bad.clone()).validated(secret, &[], &[]).is_err(),
                "{bad}"
            );
        }
        assert!(
            settings(
                serde_json::json!({"CallbackURLs": ["http://localhost:3000/cb", "myapp://cb"]})
            )
            .validated(false, &[], &[])
            .is_ok()
        );
    }
}
