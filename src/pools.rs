//! User pools as resources, as Cognito's API manages them: a pool's settings
//! (what CreateUserPool and UpdateUserPool are given, stored as JSON and
//! returned by DescribeUserPool), the running [`Pool`] the rest of the crate
//! reads (its clients, password policy, messages and issuer), and the ids and
//! ARNs pools get. The pool `userpool.toml` declares is one of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::auth_factors::{self, SignInPolicy};
use crate::config::{Client, Config, TokenConfig};
use crate::lambda_config::LambdaConfig;
pub(crate) use crate::mfa_config::MfaConfiguration;
use crate::mfa_config::MfaSettings;
pub(crate) use crate::password::PasswordPolicy;
use crate::schema::SchemaAttribute;

/// Why Cognito refuses a pool's or a client's settings, with its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InvalidSetting {
    /// `InvalidParameterException`.
    #[error("{0}")]
    Parameter(String),
    /// `InvalidOAuthFlowException`: OAuth flows a client cannot have as configured.
    #[error("{0}")]
    OAuthFlow(String),
    /// `ScopeDoesNotExistException`.
    #[error("{0}")]
    Scope(String),
}

fn invalid(message: impl Into<String>) -> InvalidSetting {
    InvalidSetting::Parameter(message.into())
}

/// Settings that CreateUserPool accepts and DescribeUserPool returns, which
/// the pool keeps as given without acting on them (Lambda triggers, SMS, devices...).
const KEPT_AS_GIVEN: &[&str] = &[
    "AccountRecoverySetting",
    "AdminCreateUserConfig",
    "DeviceConfiguration",
    "EmailConfiguration",
    "LambdaConfig",
    "SmsAuthenticationMessage",
    "SmsConfiguration",
    "SmsVerificationMessage",
    "UserAttributeUpdateSettings",
    "UserPoolAddOns",
    "UserPoolTier",
    "VerificationMessageTemplate",
];

/// A pool's settings in Cognito's names (`UserPoolType`'s own fields): the
/// stored JSON, and the body of DescribeUserPool besides ids, dates and counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PoolSettings {
    #[serde(default)]
    pub(crate) policies: Policies,
    #[serde(default)]
    pub(crate) deletion_protection: DeletionProtection,
    /// Whether password sign-ins take a second factor: never, for users who
    /// turned one on, or always (`mfa`).
    #[serde(default)]
    pub(crate) mfa_configuration: MfaConfiguration,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) auto_verified_attributes: Vec<String>,
    /// `email` and/or `phone_number` sign users in instead of a username of their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) username_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) alias_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) username_configuration: Option<UsernameConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email_verification_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email_verification_subject: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) user_pool_tags: BTreeMap<String, String>,
    /// The standard and custom attributes. Empty for the pool the file
    /// declares, which takes the standard attributes and any `custom:` one.
    #[serde(
        default,
        rename = "SchemaAttributes",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) schema_attributes: Vec<SchemaAttribute>,
    /// GetUserPoolMfaConfig's settings besides `MfaConfiguration`.
    #[serde(flatten)]
    pub(crate) mfa: MfaSettings,
    /// [`KEPT_AS_GIVEN`] settings by name.
    #[serde(flatten)]
    pub(crate) kept: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Policies {
    #[serde(default)]
    pub(crate) password_policy: PasswordPolicy,
    #[serde(default)]
    pub(crate) sign_in_policy: SignInPolicy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum DeletionProtection {
    Active,
    #[default]
    Inactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UsernameConfiguration {
    pub(crate) case_sensitive: bool,
}

impl Default for PoolSettings {
    fn default() -> PoolSettings {
        PoolSettings {
            policies: Policies::default(),
            deletion_protection: DeletionProtection::default(),
            mfa_configuration: MfaConfiguration::default(),
            auto_verified_attributes: Vec::new(),
            username_attributes: Vec::new(),
            alias_attributes: Vec::new(),
            username_configuration: None,
            email_verification_message: None,
            email_verification_subject: None,
            user_pool_tags: BTreeMap::new(),
            schema_attributes: Vec::new(),
            mfa: MfaSettings::default(),
            kept: Map::new(),
        }
    }
}

/// What CreateUserPool is given besides the name (and `[[user_pools]]`'s
/// `settings`): the pool's settings and its `Schema`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NewPool {
    #[serde(default)]
    schema: Vec<SchemaAttribute>,
    #[serde(flatten)]
    settings: PoolSettings,
}

impl NewPool {
    /// The settings a new pool gets: checked, with Cognito's defaults for
    /// what was left out, and the standard attributes with the custom ones.
    pub(crate) fn settings(self) -> Result<PoolSettings, InvalidSetting> {
        let mut settings = self.settings.validated()?.with_defaults();
        settings.schema_attributes =
            crate::schema::new_schema(&self.schema).map_err(InvalidSetting::Parameter)?;
        Ok(settings)
    }
}

/// A way users get a password-reset code (`AccountRecoverySetting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recovery {
    VerifiedEmail,
    VerifiedPhoneNumber,
    /// Only an administrator resets passwords (ForgotPassword is refused).
    AdminOnly,
}

impl Recovery {
    fn named(name: &str) -> Option<Recovery> {
        match name {
            "verified_email" => Some(Recovery::VerifiedEmail),
            "verified_phone_number" => Some(Recovery::VerifiedPhoneNumber),
            "admin_only" => Some(Recovery::AdminOnly),
            _ => None,
        }
    }
}

impl PoolSettings {
    /// The pool's `AccountRecoverySetting` by priority as (priority, mechanism),
    /// with what was not understood as None.
    fn recovery_setting(&self) -> Option<Vec<(Option<i64>, Option<Recovery>)>> {
        let mechanisms = self
            .kept
            .get("AccountRecoverySetting")?
            .get("RecoveryMechanisms")?
            .as_array()?;
        Some(
            mechanisms
                .iter()
                .map(|m| {
                    let priority = m.get("Priority").and_then(Value::as_i64);
                    let name = m.get("Name").and_then(Value::as_str);
                    (priority, name.and_then(Recovery::named))
                })
                .collect(),
        )
    }

    /// How users of the pool recover their passwords, first choice first;
    /// without a setting, Cognito's older rule: a verified phone number, else
    /// a verified email address.
    pub(crate) fn recovery(&self) -> Vec<Recovery> {
        let Some(mut mechanisms) = self.recovery_setting() else {
            return vec![Recovery::VerifiedPhoneNumber, Recovery::VerifiedEmail];
        };
        mechanisms.sort_by_key(|(priority, _)| *priority);
        mechanisms.into_iter().filter_map(|(_, m)| m).collect()
    }

    /// What UpdateUserPool makes of a pool with the `current` settings: what
    /// it is given, and defaults for the rest (as Cognito documents), except
    /// how users are named and the schema, which it cannot change.
    pub(crate) fn replacing(
        mut self,
        current: &PoolSettings,
    ) -> Result<PoolSettings, InvalidSetting> {
        self.username_attributes = current.username_attributes.clone();
        self.alias_attributes = current.alias_attributes.clone();
        self.username_configuration = current.username_configuration;
        self.schema_attributes = current.schema_attributes.clone();
        // SetUserPoolMfaConfig's to change.
        self.mfa = current.mfa.clone();
        Ok(self.validated()?.with_defaults())
    }

    /// Whether users are named alike under both settings (the sign-in names
    /// the store keeps depend on it).
    pub(crate) fn names_users_as(&self, other: &PoolSettings) -> bool {
        self.username_attributes == other.username_attributes
            && self.alias_attributes == other.alias_attributes
            && self.username_configuration == other.username_configuration
    }

    /// What Cognito sets on a pool when the request leaves it out.
    fn with_defaults(mut self) -> PoolSettings {
        self.kept
            .entry("AdminCreateUserConfig")
            .or_insert_with(|| serde_json::json!({ "AllowAdminCreateUserOnly": false }));
        self.kept
            .entry("VerificationMessageTemplate")
            .or_insert_with(|| serde_json::json!({ "DefaultEmailOption": "CONFIRM_WITH_CODE" }));
        self
    }

    /// Checks the settings against Cognito's bounds and drops what Cognito does
    /// not know, so that what is stored is what DescribeUserPool may return.
    pub(crate) fn validated(mut self) -> Result<PoolSettings, InvalidSetting> {
        self.kept
            .retain(|name, _| KEPT_AS_GIVEN.contains(&name.as_str()));
        if let Some(Value::Object(given)) = self.kept.get_mut("LambdaConfig") {
            let config = LambdaConfig::from_json(&Value::Object(given.clone())).map_err(invalid)?;
            // Either way of naming the pre-token-generation function answers with both.
            if let Value::Object(both) = config.to_json() {
                given.extend(both);
            }
        } else if self.kept.contains_key("LambdaConfig") {
            return Err(invalid("LambdaConfig must be an object."));
        }
        let policy = &self.policies.password_policy;
        if !(6..=99).contains(&policy.minimum_length) {
            return Err(invalid(
                "1 validation error detected: Value at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value between 6 and 99",
            ));
        }
        if policy.temporary_password_validity_days > 365 {
            return Err(invalid(
                "1 validation error detected: Value at 'policies.passwordPolicy.temporaryPasswordValidityDays' failed to satisfy constraint: Member must have value less than or equal to 365",
            ));
        }
        if policy.password_history_size.is_some_and(|size| size > 24) {
            return Err(invalid(
                "1 validation error detected: Value at 'policies.passwordPolicy.passwordHistorySize' failed to satisfy constraint: Member must have value less than or equal to 24",
            ));
        }
        auth_factors::check(&self.policies.sign_in_policy.allowed_first_auth_factors)
            .map_err(invalid)?;
        self.mfa.check().map_err(invalid)?;
        check_members(
            "usernameAttributes",
            &self.username_attributes,
            &["email", "phone_number"],
        )?;
        check_members(
            "aliasAttributes",
            &self.alias_attributes,
            &["email", "phone_number", "preferred_username"],
        )?;
        check_members(
            "autoVerifiedAttributes",
            &self.auto_verified_attributes,
            &["email", "phone_number"],
        )?;
        if let Some(mechanisms) = self.recovery_setting() {
            if let Some(i) = mechanisms.iter().position(|(_, m)| m.is_none()) {
                return Err(invalid(format!(
                    "1 validation error detected: Value at 'accountRecoverySetting.recoveryMechanisms.{}.member.name' failed to satisfy constraint: Member must satisfy enum value set: [verified_email, verified_phone_number, admin_only]",
                    i + 1
                )));
            }
            let mut priorities: Vec<Option<i64>> = mechanisms.iter().map(|(p, _)| *p).collect();
            priorities.sort_unstable();
            let admin_only = mechanisms
                .iter()
                .any(|(_, m)| *m == Some(Recovery::AdminOnly));
            if mechanisms.is_empty()
                || mechanisms.len() > 2
                || priorities
                    .iter()
                    .enumerate()
                    .any(|(i, p)| *p != i64::try_from(i + 1).ok())
                || (admin_only && mechanisms.len() > 1)
            {
                return Err(invalid(
                    "AccountRecoverySetting takes one or two mechanisms, with priorities 1 and 2, and admin_only alone.",
                ));
            }
        }
        if !self.username_attributes.is_empty() && !self.alias_attributes.is_empty() {
            return Err(invalid(
                "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool",
            ));
        }
        if let Some(message) = &self.email_verification_message
            && !message.contains("{####}")
        {
            return Err(invalid(
                "The email verification message must contain the placeholder {####}.",
            ));
        }
        if self.user_pool_tags.len() > 50
            || self
                .user_pool_tags
                .iter()
                .any(|(key, value)| !(1..=128).contains(&key.len()) || value.len() > 256)
        {
            return Err(invalid(
                "1 validation error detected: Value at 'userPoolTags' failed to satisfy constraint: at most 50 tags, keys of 1 to 128 characters and values of at most 256",
            ));
        }
        Ok(self)
    }

    /// Whether only administrators create users (`AdminCreateUserConfig.AllowAdminCreateUserOnly`).
    pub(crate) fn admin_creates_users_only(&self) -> bool {
        self.kept
            .get("AdminCreateUserConfig")
            .and_then(|c| c.get("AllowAdminCreateUserOnly"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The invitation of a user an administrator created, from
    /// `AdminCreateUserConfig.InviteMessageTemplate` (`{username}` and
    /// `{####}`, the temporary password, in both), else Cognito's.
    pub(crate) fn invitation(&self, username: &str, temporary_password: &str) -> (String, String) {
        let template = self
            .kept
            .get("AdminCreateUserConfig")
            .and_then(|c| c.get("InviteMessageTemplate"));
        let field = |name: &str| {
            template
                .and_then(|t| t.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let fill = |text: String| {
            text.replace("{username}", username)
                .replace("{####}", temporary_password)
        };
        let subject = field("EmailSubject").unwrap_or_else(|| "Your temporary password".to_owned());
        let message = field("EmailMessage")
            .filter(|m| m.contains("{username}") && m.contains("{####}"))
            .unwrap_or_else(|| {
                "Your username is {username} and temporary password is {####}.".to_owned()
            });
        (fill(subject), fill(message))
    }

    /// The subject and message (with `{####}`) of the mail that carries a
    /// verification code: the `VerificationMessageTemplate`'s, else the
    /// `EmailVerification*` fields', else Cognito's.
    pub(crate) fn verification_email(&self) -> (String, String) {
        let template = self.kept.get("VerificationMessageTemplate");
        let from_template = |field: &str| {
            template
                .and_then(|t| t.get(field))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let subject = from_template("EmailSubject")
            .or_else(|| self.email_verification_subject.clone())
            .unwrap_or_else(|| "Your verification code".to_owned());
        let message = from_template("EmailMessage")
            .filter(|m| m.contains("{####}"))
            .or_else(|| self.email_verification_message.clone())
            .unwrap_or_else(|| "Your verification code is {####}. ".to_owned());
        (subject, message)
    }

    /// The text message of a verification code (`VerificationMessageTemplate.SmsMessage`
    /// or `SmsVerificationMessage`), with Cognito's default.
    pub(crate) fn verification_text(&self) -> String {
        let kept = |value: Option<&Value>| {
            value
                .and_then(Value::as_str)
                .filter(|m| m.contains("{####}"))
                .map(str::to_owned)
        };
        kept(
            self.kept
                .get("VerificationMessageTemplate")
                .and_then(|t| t.get("SmsMessage")),
        )
        .or_else(|| kept(self.kept.get("SmsVerificationMessage")))
        .unwrap_or_else(|| "Your verification code is {####}. ".to_owned())
    }
}

fn check_members(field: &str, given: &[String], allowed: &[&str]) -> Result<(), InvalidSetting> {
    match given
        .iter()
        .find(|value| !allowed.contains(&value.as_str()))
    {
        Some(bad) => Err(invalid(format!(
            "1 validation error detected: Value '[{bad}]' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// How a pool's users are named and found (`UsernameAttributes`,
/// `AliasAttributes`, `UsernameConfiguration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// Users are named by their email address (any case) and/or phone number
    /// (`UsernameAttributes`); the username is the sub.
    Attributes(SignInAttributes),
    /// Usernames of the users' choosing, found as given or in any case; the
    /// `aliases` sign in too.
    Plain {
        case_sensitive: bool,
        aliases: SignInAttributes,
    },
}

/// The attributes besides the username a pool's users sign in with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SignInAttributes {
    pub(crate) email: bool,
    pub(crate) phone_number: bool,
    pub(crate) preferred_username: bool,
}

impl SignInAttributes {
    fn of(names: &[String]) -> SignInAttributes {
        let has = |name: &str| names.iter().any(|n| n == name);
        SignInAttributes {
            email: has("email"),
            phone_number: has("phone_number"),
            preferred_username: has("preferred_username"),
        }
    }
}

/// A user's sign-in names besides the username, each unique in the pool (the
/// store's `email_key`, `phone_key` and `preferred_key`): None where the pool
/// does not sign in with that attribute, or the user has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SignInKeys {
    pub(crate) email: Option<String>,
    pub(crate) phone_number: Option<String>,
    pub(crate) preferred_username: Option<String>,
}

/// What a name given to sign in (or to an admin operation) may match: a
/// username, or one of the sign-in names of `keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameLookup {
    pub(crate) username: String,
    pub(crate) keys: SignInKeys,
}

impl Naming {
    fn signs_in_with(self) -> SignInAttributes {
        match self {
            Naming::Attributes(by) => by,
            Naming::Plain { aliases, .. } => aliases,
        }
    }

    /// The name as the store keeps it: an email address or phone number
    /// trimmed and in lower case, a username folded to lower case where case
    /// does not matter.
    pub(crate) fn username_key(self, given: &str) -> String {
        match self {
            Naming::Attributes(_) => given.trim().to_lowercase(),
            Naming::Plain {
                case_sensitive: true,
                ..
            } => given.to_owned(),
            Naming::Plain { .. } => given.to_lowercase(),
        }
    }

    /// The sign-in names of a user with `email` (normalised) and `attributes`.
    pub(crate) fn keys(self, email: Option<&str>, attributes: &[(String, String)]) -> SignInKeys {
        let by = self.signs_in_with();
        let attribute = |name: &str| {
            attributes
                .iter()
                .rev()
                .find(|(n, v)| n == name && !v.is_empty())
                .map(|(_, v)| v.as_str())
        };
        SignInKeys {
            email: email.filter(|_| by.email).map(str::to_owned),
            phone_number: attribute("phone_number")
                .filter(|_| by.phone_number)
                .map(|phone| phone.trim().to_owned()),
            preferred_username: attribute("preferred_username")
                .filter(|_| by.preferred_username)
                .map(|name| self.username_key(name)),
        }
    }

    /// The names a new user with `username` (None where attributes are the
    /// names), `email` and `attributes` would take: what must not be taken yet.
    pub(crate) fn new_user(
        self,
        username: Option<&str>,
        email: Option<&str>,
        attributes: &[(String, String)],
    ) -> NameLookup {
        NameLookup {
            username: username.unwrap_or_default().to_owned(),
            keys: self.keys(email, attributes),
        }
    }

    /// What a name given to sign in may be: the username, or any sign-in name.
    pub(crate) fn lookup(self, given: &str) -> NameLookup {
        let by = self.signs_in_with();
        NameLookup {
            // Where attributes are the names, the username is a sub: as given.
            username: match self {
                Naming::Attributes(_) => given.to_owned(),
                plain => plain.username_key(given),
            },
            keys: SignInKeys {
                email: by.email.then(|| given.trim().to_lowercase()),
                phone_number: by.phone_number.then(|| given.trim().to_owned()),
                preferred_username: by.preferred_username.then(|| self.username_key(given)),
            },
        }
    }
}

/// Whether `given` is a phone number as Cognito takes them: `+` and 4 to 15
/// digits (E.164).
pub(crate) fn plausible_phone_number(given: &str) -> bool {
    given.strip_prefix('+').is_some_and(|digits| {
        (4..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether `prefix` may be a pool's domain: 1 to 63 lowercase letters, digits
/// and inner hyphens, without the words Cognito reserves.
pub(crate) fn valid_domain(prefix: &str) -> bool {
    (1..=63).contains(&prefix.len())
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !prefix.starts_with('-')
        && !prefix.ends_with('-')
        && !["aws", "amazon", "cognito"]
            .iter()
            .any(|word| prefix.contains(word))
}

/// Cognito's usernames: 1 to 128 characters, none of them a space or a control character.
pub(crate) fn plausible_username(name: &str) -> bool {
    (1..=128).contains(&name.chars().count())
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `id` has the shape of a pool id (`<region>_<letters and digits>`),
/// which every operation checks before it looks the pool up.
pub(crate) fn well_formed_id(id: &str) -> bool {
    id.len() <= 55
        && id.split_once('_').is_some_and(|(region, rest)| {
            !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

const ID_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new pool's id: `<region>_` and 9 letters and digits, random, or with
/// `deterministic` derived from the name (for test fixtures that want the same
/// id every run).
pub(crate) fn new_id(region: &str, name: &str, deterministic: bool) -> String {
    let bytes: [u8; 32] = if deterministic {
        Sha256::digest(format!("{region}\0{name}").as_bytes()).into()
    } else {
        let mut random = [0u8; 32];
        // A failing system RNG leaves zeros; ids are not secrets, and a clash is refused.
        let _ = aws_lc_rs::rand::fill(&mut random);
        random
    };
    let suffix: String = bytes
        .iter()
        .take(9)
        .map(|b| {
            let index = usize::from(*b) % ID_ALPHABET.len();
            ID_ALPHABET.get(index).map_or('0', |c| char::from(*c))
        })
        .collect();
    format!("{region}_{suffix}")
}

/// The AWS account id in ARNs: there is no account, so a fixed, documented one.
pub(crate) const ACCOUNT_ID: &str = "000000000000";

pub(crate) fn arn(region: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{region}:{ACCOUNT_ID}:userpool/{pool_id}")
}

/// One user pool as the server runs it: its settings, and what the rest of
/// the crate asks of it (clients, token lifetimes, password policy, issuer).
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) settings: PoolSettings,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    issuer: String,
    /// The hosted UI's domain prefix (CreateUserPoolDomain), if it has one.
    pub(crate) domain: Option<String>,
    /// The scopes of its resource servers, `<identifier>/<scope>`.
    pub(crate) custom_scopes: Vec<String>,
    clients: Vec<Client>,
    /// Token lifetimes of clients without their own.
    tokens: TokenConfig,
    /// The functions of its triggers.
    pub(crate) lambda: LambdaConfig,
}

impl Pool {
    /// A pool as stored (created through the API, or declared) with its
    /// clients, seen from a server whose configuration is `config`: the
    /// declared pool's clients without lifetimes of their own get the file's.
    pub(crate) fn new(
        config: &Config,
        stored: StoredPool,
        clients: Vec<Client>,
        domain: Option<String>,
        custom_scopes: Vec<String>,
    ) -> Pool {
        let declared = stored.id == config.pool_id();
        // Checked when stored: what no longer reads (an older server's) calls nothing.
        let lambda = stored
            .settings
            .kept
            .get("LambdaConfig")
            .and_then(|given| LambdaConfig::from_json(given).ok())
            .unwrap_or_default();
        Pool {
            lambda,
            issuer: config.issuer_of(&stored.id),
            domain,
            custom_scopes,
            clients,
            tokens: if declared {
                config.pool_tokens().clone()
            } else {
                TokenConfig::default()
            },
            id: stored.id,
            name: stored.name,
            settings: stored.settings,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }

    /// The pool `config` declares, as a server running it sees it.
    #[cfg(test)]
    pub(crate) fn declared(config: &Config) -> Pool {
        let stored = StoredPool {
            id: config.pool_id().to_owned(),
            name: config.pool_name().to_owned(),
            settings: declared_settings(config),
            created_at: 0,
            updated_at: 0,
        };
        Pool::new(config, stored, config.clients().to_vec(), None, Vec::new())
    }

    /// The `iss` of this pool's tokens.
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    pub(crate) fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub(crate) fn clients(&self) -> &[Client] {
        &self.clients
    }

    pub(crate) fn naming(&self) -> Naming {
        let settings = &self.settings;
        if settings.username_attributes.is_empty() {
            Naming::Plain {
                // Cognito's default when a pool is created without UsernameConfiguration.
                case_sensitive: settings
                    .username_configuration
                    .is_none_or(|c| c.case_sensitive),
                aliases: SignInAttributes::of(&settings.alias_attributes),
            }
        } else {
            Naming::Attributes(SignInAttributes::of(&settings.username_attributes))
        }
    }

    /// Whether sign-ups get a code at `attribute` (`AutoVerifiedAttributes`
    /// has it; the declared pool's has `email`); without, an administrator confirms them.
    pub(crate) fn verifies(&self, attribute: &str) -> bool {
        self.settings
            .auto_verified_attributes
            .iter()
            .any(|a| a == attribute)
    }

    pub(crate) fn password_policy(&self) -> &PasswordPolicy {
        &self.settings.policies.password_policy
    }

    fn lifetimes(&self, client_id: &str) -> &TokenConfig {
        self.client(client_id)
            .and_then(Client::tokens)
            .unwrap_or(&self.tokens)
    }

    pub(crate) fn id_token_seconds(&self, client_id: &str) -> i64 {
        self.lifetimes(client_id).id_token_minutes * 60
    }

    pub(crate) fn access_token_seconds(&self, client_id: &str) -> i64 {
        self.lifetimes(client_id).access_token_minutes * 60
    }

    pub(crate) fn refresh_token_seconds(&self, client_id: &str) -> i64 {
        self.lifetimes(client_id).refresh_token_days * 86_400
    }
}

/// A pool's row: what the store keeps of it.
#[derive(Debug, Clone)]
pub(crate) struct StoredPool {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) settings: PoolSettings,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// The settings the configuration file gives the pool it declares.
pub(crate) fn declared_settings(config: &Config) -> PoolSettings {
    let (subject, message) = config.verification_email();
    PoolSettings {
        policies: Policies {
            password_policy: config.password_policy().clone(),
            sign_in_policy: config.sign_in_policy(),
        },
        username_attributes: vec!["email".to_owned()],
        auto_verified_attributes: vec!["email".to_owned()],
        // Its users are the app's: deleting it through the API takes turning this off first.
        deletion_protection: DeletionProtection::Active,
        email_verification_subject: Some(subject),
        email_verification_message: Some(message),
        mfa_configuration: config.mfa_configuration(),
        mfa: config.mfa_settings(),
        kept: match config.triggers().declared {
            lambda if lambda.is_empty() => Map::new(),
            lambda => Map::from_iter([("LambdaConfig".to_owned(), lambda.to_json())]),
        },
        ..PoolSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn sign_in_names_are_those_the_pool_signs_in_with() {
        let given = attributes(&[
            ("phone_number", " +15555550100 "),
            ("preferred_username", "Caz"),
        ]);
        let plain = Naming::Plain {
            case_sensitive: false,
            aliases: SignInAttributes::default(),
        };
        assert_eq!(
            plain.keys(Some("a@example.com"), &given),
            SignInKeys::default()
        );

        let aliased = Naming::Plain {
            case_sensitive: false,
            aliases: SignInAttributes {
                email: true,
                phone_number: true,
                preferred_username: true,
            },
        };
        let keys = aliased.keys(Some("a@example.com"), &given);
        assert_eq!(keys.email.as_deref(), Some("a@example.com"));
        assert_eq!(keys.phone_number.as_deref(), Some("+15555550100"));
        assert_eq!(keys.preferred_username.as_deref(), Some("caz"));
        let lookup = aliased.lookup("CAZ");
        assert_eq!(lookup.username, "caz");
        assert_eq!(lookup.keys.preferred_username.as_deref(), Some("caz"));

        let by_phone = Naming::Attributes(SignInAttributes {
            phone_number: true,
            ..SignInAttributes::default()
        });
        let keys = by_phone.keys(None, &given);
        assert_eq!(keys.phone_number.as_deref(), Some("+15555550100"));
        assert_eq!(keys.preferred_username, None);
        assert_eq!(by_phone.lookup("+15555550100").keys.email, None);
    }

    #[test]
    fn recovery_follows_the_priorities_and_defaults_to_phone_then_email() {
        let with = |setting: Value| {
            let mut settings = PoolSettings::default();
            settings
                .kept
                .insert("AccountRecoverySetting".to_owned(), setting);
            settings
        };
        assert_eq!(
            PoolSettings::default().recovery(),
            [Recovery::VerifiedPhoneNumber, Recovery::VerifiedEmail]
        );
        let email_first = with(serde_json::json!({"RecoveryMechanisms": [
            {"Priority": 2, "Name": "verified_phone_number"},
            {"Priority": 1, "Name": "verified_email"},
        ]}));
        assert_eq!(
            email_first.recovery(),
            [Recovery::VerifiedEmail, Recovery::VerifiedPhoneNumber]
        );
        assert!(email_first.validated().is_ok());
        for bad in [
            serde_json::json!({"RecoveryMechanisms": [{"Priority": 1, "Name": "pigeon"}]}),
            serde_json::json!({"RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}, {"Priority": 2, "Name": "verified_email"}]}),
            serde_json::json!({"RecoveryMechanisms": [{"Priority": 3, "Name": "verified_email"}]}),
            serde_json::json!({"RecoveryMechanisms": []}),
        ] {
            assert!(with(bad.clone()).validated().is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_are_e164() {
        for good in ["+15555550100", "+4930123"] {
            assert!(plausible_phone_number(good), "{good}");
        }
        for bad in [
            "15555550100",
            "+1 555 555",
            "+",
            "+123",
            "+1234567890123456",
            "+1555a",
        ] {
            assert!(!plausible_phone_number(bad), "{bad}");
        }
    }

    #[test]
    fn ids_look_like_cognitos_and_can_follow_the_name() {
        let id = new_id("us-east-1", "fixture", false);
        assert!(well_formed_id(&id), "{id}");
        assert_eq!(id.len(), "us-east-1_".len() + 9);
        assert_ne!(id, new_id("us-east-1", "fixture", false));
        assert_eq!(
            new_id("us-east-1", "fixture", true),
            new_id("us-east-1", "fixture", true)
        );
        assert_ne!(
            new_id("us-east-1", "fixture", true),
            new_id("us-east-1", "other", true)
        );
        for bad in [
            "",
            "us-east-1",
            "us-east-1_",
            "us-east-1_a b",
            "US_x",
            "_abc",
        ] {
            assert!(!well_formed_id(bad), "{bad}");
        }
    }

    #[test]
    fn settings_out_of_cognitos_bounds_are_refused_and_unknown_ones_dropped() {
        let settings: PoolSettings = serde_json::from_value(serde_json::json!({
            "Policies": {"PasswordPolicy": {"MinimumLength": 12}},
            "LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:f"},
            "NoSuchSetting": 1
        }))
        .unwrap();
        let settings = settings.validated().unwrap();
        assert!(settings.kept.contains_key("LambdaConfig"));
        assert!(!settings.kept.contains_key("NoSuchSetting"));
        // Fields of a policy that are not given take their zero values, as in Cognito.
        let policy = &settings.policies.password_policy;
        assert_eq!((policy.minimum_length, policy.require_symbols), (12, false));

        for bad in [
            serde_json::json!({"Policies": {"PasswordPolicy": {"MinimumLength": 5}}}),
            serde_json::json!({"UsernameAttributes": ["nickname"]}),
            serde_json::json!({"UsernameAttributes": ["email"], "AliasAttributes": ["email"]}),
            serde_json::json!({"EmailVerificationMessage": "no placeholder"}),
        ] {
            let settings: PoolSettings = serde_json::from_value(bad.clone()).unwrap();
            assert!(settings.validated().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_verification_mail_follows_the_template_first() {
        let mut settings = PoolSettings {
            email_verification_subject: Some("Subject".into()),
            email_verification_message: Some("Code {####}".into()),
            ..PoolSettings::default()
        };
        assert_eq!(
            settings.verification_email(),
            ("Subject".to_owned(), "Code {####}".to_owned())
        );
        settings.kept.insert(
            "VerificationMessageTemplate".into(),
            serde_json::json!({"EmailSubject": "Welcome", "EmailMessage": "Yours: {####}"}),
        );
        assert_eq!(
            settings.verification_email(),
            ("Welcome".to_owned(), "Yours: {####}".to_owned())
        );
    }
}
