//! The pool's configuration (`userpool.toml`): the pool itself, its password
//! policy, mail templates, token lifetimes and app clients. Loading applies the
//! `USERPOOL_*` environment overrides and validates everything up front, so the
//! rest of the crate can trust it.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::auth_factors::{self, AuthFactor, MfaFactor, SignInPolicy};
use crate::lambda_config::{Target, Triggers, TriggersConfig};
use crate::mfa_config::{MfaConfiguration, MfaSettings};

/// Scopes the pool knows; anything else in a request is ignored, as Cognito does.
pub(crate) const SUPPORTED_SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "phone",
    "aws.cognito.signin.user.admin",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A TOML-level error (syntax, a missing or unknown field, a value of the wrong type),
    /// on one line: `userpool.toml:5: [pool] listen: invalid socket address syntax`.
    #[error("{file}:{line}: {}{problem}", field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
    Parse {
        file: String,
        line: usize,
        /// The field as written in the file (`[pool] listen`), when the error has one.
        field: Option<String>,
        problem: String,
    },
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// Deserializes `text`, turning toml's multi-line report into one [`ConfigError::Parse`].
fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|error| {
        let at = error.span().map_or(0, |span| span.start);
        let line = text.bytes().take(at).filter(|&b| b == b'\n').count() + 1;
        // An empty span (the end of a syntax error, a missing top-level field) names no key.
        let mut path = match error.span() {
            Some(span) if !span.is_empty() => {
                let (table, _) = toml::de::DeTable::parse_recoverable(text);
                key_path_at(table.get_ref(), span.start).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        // A missing field's span is its table (or nothing, at the top level): the name is in the message.
        let mut problem = error.message().replace('\n', " ");
        if let Some(name) = problem
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            path.push(name.to_owned());
            problem = "missing field".to_owned();
        }
        let field = path.split_last().map(|(key, tables)| match tables {
            [] => key.clone(),
            tables => format!("[{}] {key}", tables.join(".")),
        });
        ConfigError::Parse {
            file: file.to_owned(),
            line,
            field,
            problem,
        }
    })
}

/// The keys leading to the innermost entry whose key or value spans byte `at`
/// (a `[table]`'s value span is its header; its entries follow it).
fn key_path_at(table: &toml::de::DeTable<'_>, at: usize) -> Option<Vec<String>> {
    table.iter().find_map(|(key, value)| {
        let inner = value_path_at(value, at).or_else(|| key.span().contains(&at).then(Vec::new))?;
        Some(
            std::iter::once(key.get_ref().to_string())
                .chain(inner)
                .collect(),
        )
    })
}

fn value_path_at(value: &toml::Spanned<toml::de::DeValue<'_>>, at: usize) -> Option<Vec<String>> {
    let inner = match value.get_ref() {
        toml::de::DeValue::Table(table) => key_path_at(table, at),
        toml::de::DeValue::Array(array) => array.iter().find_map(|item| value_path_at(item, at)),
        _ => None,
    };
    inner.or_else(|| value.span().contains(&at).then(Vec::new))
}

/// An environment variable's true or false.
fn boolean(field: &'static str, flag: &str) -> Result<bool, ConfigError> {
    match flag.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(invalid(
            field,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        message: message.into(),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// From `USERPOOL_KEY_ENCRYPTION_KEY` only: secrets stay out of files.
    #[serde(skip)]
    key_encryption_key: Option<KeyEncryptionKey>,
    pool: PoolConfig,
    password_policy: crate::password::PasswordPolicy,
    email: EmailConfig,
    tokens: TokenConfig,
    #[serde(default)]
    resource_servers: Vec<ResourceServer>,
    /// The AWS access keys the admin operations must be signed with (SigV4); none refuses them all.
    #[serde(default)]
    admin_credentials: Vec<AdminCredential>,
    clients: Vec<Client>,
    /// Further pools, made or brought up to date at start-up (see `declared`).
    #[serde(default)]
    user_pools: Vec<DeclaredPool>,
    /// The hosted UI's look: the declared pool's default customization
    /// (SetUICustomization's `ALL`), from files, and its name, colours and icon.
    #[serde(default)]
    branding: Option<Branding>,
    /// Where mail goes, if not only to the outbox.
    #[serde(default)]
    smtp: Option<SmtpConfig>,
    /// The declared pool's triggers, and where each Lambda ARN's events go.
    #[serde(default)]
    triggers: TriggersConfig,
    /// From `USERPOOL_TRIGGER_SECRET` only: what webhook requests are signed with.
    #[serde(skip)]
    trigger_secret: Option<TriggerSecret>,
}

/// What webhook requests are signed with. Never printed.
#[derive(Clone)]
struct TriggerSecret(String);

impl std::fmt::Debug for TriggerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TriggerSecret(redacted)")
    }
}

/// `[smtp]`: an SMTP server that delivers the pool's mail. The password comes
/// from `USERPOOL_SMTP_PASSWORD` only, and is never printed.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmtpConfig {
    pub(crate) host: String,
    /// By default the security's port: 587, 465, or 25.
    #[serde(default)]
    pub(crate) port: Option<u16>,
    #[serde(default)]
    pub(crate) security: SmtpSecurity,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(skip)]
    pub(crate) password: Option<String>,
    /// The sender, `Name <address>` or an address.
    pub(crate) from: String,
    #[serde(default)]
    pub(crate) reply_to: Option<String>,
    /// PEM certificates to trust for the server besides the public roots (a private CA).
    #[serde(default)]
    pub(crate) ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "redacted"))
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SmtpSecurity {
    /// A plain connection upgraded with STARTTLS, which the server must offer (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on this machine (port 25).
    None,
}

impl SmtpConfig {
    /// A host to reach, addresses mail can carry, a password only with a user,
    /// and no unencrypted connection leaving this machine.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.host.trim().is_empty() {
            return Err(invalid("smtp.host", "must not be empty"));
        }
        for (field, address) in [
            ("smtp.from", Some(&self.from)),
            ("smtp.reply_to", self.reply_to.as_ref()),
        ] {
            if let Some(address) = address {
                address.parse::<lettre::message::Mailbox>().map_err(|e| {
                    invalid(field, format!("{address:?} is not a mail address: {e}"))
                })?;
            }
        }
        if self.security == SmtpSecurity::None {
            let local = self.host == "localhost"
                || self
                    .host
                    .parse::<IpAddr>()
                    .is_ok_and(|address| address.is_loopback());
            if !local {
                return Err(invalid(
                    "smtp.security",
                    "\"none\" sends passwords and codes in the clear: only for a server on this machine (localhost); use \"starttls\" or \"tls\"",
                ));
            }
        }
        if self.password.is_some() && self.username.is_none() {
            return Err(invalid("USERPOOL_SMTP_PASSWORD", "needs smtp.username"));
        }
        Ok(())
    }

    pub(crate) fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        })
    }
}

/// `[branding]`: a logo (PNG or JPEG, at most 100 KB) and a stylesheet of
/// Cognito's customizable classes, the name the hosted UI shows instead of the
/// pool's, its accent colours (`#rrggbb`) and its icon; files by path
/// (relative to the file, once loaded).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Branding {
    pub(crate) logo: Option<PathBuf>,
    pub(crate) css: Option<PathBuf>,
    pub(crate) name: Option<String>,
    pub(crate) accent: Option<String>,
    pub(crate) accent_dark: Option<String>,
    pub(crate) favicon: Option<PathBuf>,
}

/// A further pool of the file (`[[user_pools]]`): its id, its name, and what
/// CreateUserPool would be given, in Cognito's names (`settings`), with its clients.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclaredPool {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) settings: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub(crate) clients: Vec<DeclaredClient>,
}

/// A client of a further pool (`[[user_pools.clients]]`): CreateUserPoolClient's
/// settings, with an id and a secret of the file's instead of generated ones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclaredClient {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) secret: Option<String>,
    #[serde(default)]
    pub(crate) settings: serde_json::Map<String, serde_json::Value>,
}

/// An AWS access key pair that may sign admin operations. The secret is never printed.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminCredential {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
}

impl std::fmt::Debug for AdminCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminCredential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"redacted")
            .finish()
    }
}

/// An API whose custom scopes (`{identifier}/{scope}`) clients may be granted,
/// as Cognito's resource servers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceServer {
    identifier: String,
    name: String,
    scopes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolConfig {
    id: String,
    region: String,
    name: String,
    listen: SocketAddr,
    public_url: String,
    data_dir: PathBuf,
    /// `postgres://…` keeps the data in PostgreSQL instead of SQLite under `data_dir`.
    #[serde(default)]
    database_url: Option<DatabaseUrl>,
    #[serde(default)]
    dev_outbox: bool,
    /// Issue tokens as `https://cognito-idp.{region}.amazonaws.com/{id}`, for
    /// verifiers that only accept AWS-shaped issuers (the keys stay local).
    #[serde(default)]
    aws_issuer: bool,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` name the client
    /// that the per-address limit counts.
    #[serde(default)]
    trusted_proxies: Vec<ProxyRange>,
    /// Open connections served at once (`serve`); more wait in the backlog.
    #[serde(default = "default_max_connections")]
    max_connections: usize,
    /// Ids of pools created through the API follow their names (fixtures).
    #[serde(default)]
    deterministic_pool_ids: bool,
    /// Web origins (`https://app.example`) whose pages may call the JSON API,
    /// besides those of the app clients' callback URLs.
    #[serde(default)]
    allowed_origins: Vec<String>,
    /// What people may sign in with through `USER_AUTH` (Cognito's
    /// `SignInPolicy.AllowedFirstAuthFactors`).
    #[serde(default = "default_first_auth_factors")]
    allowed_first_auth_factors: Vec<AuthFactor>,
    /// The WebAuthn relying party of passkeys (Cognito's `WebAuthnRelyingPartyID`): a domain
    /// name the pages' hosts are, or end with. Without it, `public_url`'s host where that is a
    /// domain name (browsers refuse passkeys on IP addresses).
    #[serde(default)]
    webauthn_relying_party_id: Option<String>,
    /// Whether password sign-ins take a second factor (Cognito's `MfaConfiguration`).
    #[serde(default)]
    mfa_configuration: MfaConfiguration,
    /// The second factors users may turn on (`SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`).
    #[serde(default)]
    mfa_factors: Vec<MfaFactor>,
}

fn default_first_auth_factors() -> Vec<AuthFactor> {
    SignInPolicy::default().allowed_first_auth_factors
}

fn default_max_connections() -> usize {
    crate::DEFAULT_MAX_CONNECTIONS
}

/// An address or CIDR range of reverse proxies (`pool.trusted_proxies`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct ProxyRange(ipnet::IpNet);

impl ProxyRange {
    pub(crate) fn contains(&self, address: IpAddr) -> bool {
        self.0.contains(&address.to_canonical())
    }
}

impl TryFrom<String> for ProxyRange {
    type Error = String;

    fn try_from(text: String) -> Result<ProxyRange, String> {
        let text = text.trim();
        text.parse::<ipnet::IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(ipnet::IpNet::from))
            .map(|range| ProxyRange(range.trunc()))
            .map_err(|_| {
                format!("pool.trusted_proxies: {text:?} is not an IP address or CIDR range")
            })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailConfig {
    pub(crate) subject: String,
    /// Contains "{####}", replaced by the code.
    pub(crate) message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenConfig {
    pub(crate) id_token_minutes: i64,
    pub(crate) access_token_minutes: i64,
    pub(crate) refresh_token_days: i64,
}

impl Default for TokenConfig {
    /// A new Cognito app client's lifetimes.
    fn default() -> TokenConfig {
        TokenConfig {
            id_token_minutes: 60,
            access_token_minutes: 60,
            refresh_token_days: 30,
        }
    }
}

/// Where the pool keeps its data.
#[derive(Debug, Clone)]
pub enum Database {
    /// The SQLite file.
    Sqlite(PathBuf),
    Postgres(DatabaseUrl),
}

/// A PostgreSQL connection URL. It may hold a password, so it is never printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Result<DatabaseUrl, ConfigError> {
        let url = DatabaseUrl(url.into());
        if url.is_postgres() {
            Ok(url)
        } else {
            Err(invalid("DATABASE_URL", "must start with postgres://"))
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(redacted)")
    }
}

/// 32 bytes that encrypt the signing keys at rest (AES-256-GCM). Never printed.
#[derive(Clone)]
pub(crate) struct KeyEncryptionKey(pub(crate) [u8; 32]);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(redacted)")
    }
}

/// A JSON API authentication flow an app client can enable (Cognito's
/// `ExplicitAuthFlows`); the file names them as Cognito does, and any other name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum ExplicitAuthFlow {
    /// InitiateAuth's `USER_PASSWORD_AUTH`.
    #[serde(rename = "ALLOW_USER_PASSWORD_AUTH")]
    UserPassword,
    /// AdminInitiateAuth's `ADMIN_USER_PASSWORD_AUTH`.
    #[serde(rename = "ALLOW_ADMIN_USER_PASSWORD_AUTH")]
    AdminUserPassword,
    /// `REFRESH_TOKEN_AUTH`, on either operation.
    #[serde(rename = "ALLOW_REFRESH_TOKEN_AUTH")]
    RefreshToken,
    /// `USER_SRP_AUTH` (the `PASSWORD_VERIFIER` challenge), on either operation.
    #[serde(rename = "ALLOW_USER_SRP_AUTH")]
    UserSrp,
    /// The choice-based `USER_AUTH`, on either operation.
    #[serde(rename = "ALLOW_USER_AUTH")]
    UserAuth,
    /// `CUSTOM_AUTH`, run by the pool's triggers, on either operation.
    #[serde(rename = "ALLOW_CUSTOM_AUTH")]
    CustomAuth,
}

/// A flow of the OAuth 2.0 endpoints an app client may use (Cognito's
/// `AllowedOAuthFlows`: `code`, `implicit`, `client_credentials`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OAuthFlow {
    /// The authorization code grant (`response_type=code`).
    Code,
    /// Tokens in the redirect's fragment (`response_type=token`).
    Implicit,
    /// The `client_credentials` grant of machine clients.
    ClientCredentials,
}

/// An app client: public (no secret; browsers, which must use PKCE with S256)
/// or confidential (a secret, presented to the token endpoint and as
/// `SECRET_HASH` to the JSON API).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Client {
    pub(crate) name: String,
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) secret: Option<String>,
    /// Flows of the JSON API's InitiateAuth / AdminInitiateAuth this client may use.
    #[serde(default = "default_auth_flows")]
    pub(crate) auth_flows: Vec<ExplicitAuthFlow>,
    /// Flows of the OAuth 2.0 endpoints this client may use.
    #[serde(default = "default_oauth_flows")]
    pub(crate) oauth_flows: Vec<OAuthFlow>,
    /// Token lifetimes of this client, instead of the pool's `[tokens]`.
    #[serde(default)]
    pub(crate) tokens: Option<TokenConfig>,
    /// A refresh grant returns a new refresh token and retires the old one;
    /// presenting a retired one revokes the whole sign-in (RFC 9700 §4.14.2).
    #[serde(default)]
    pub(crate) refresh_token_rotation: bool,
    /// With rotation, the refresh token just rotated out stays usable this long
    /// (Cognito's `RetryGracePeriodSeconds`, 0 to 60), so two requests that
    /// refresh at once (two tabs, two app servers) both keep the session.
    #[serde(default = "default_refresh_grace_seconds")]
    pub(crate) refresh_token_grace_seconds: i64,
    #[serde(default)]
    pub(crate) callback_urls: Vec<String>,
    #[serde(default)]
    pub(crate) logout_urls: Vec<String>,
    pub(crate) allowed_scopes: Vec<String>,
    /// The attributes this client may read and write (Cognito's `ReadAttributes`
    /// and `WriteAttributes`, set through the API): empty means all.
    #[serde(skip)]
    pub(crate) read_attributes: Vec<String>,
    #[serde(skip)]
    pub(crate) write_attributes: Vec<String>,
    /// Cognito's `PreventUserExistenceErrors` `LEGACY`, the default of clients
    /// created through the API: sign-in, confirmation and password reset say
    /// `UserNotFoundException` for a name with no account. Declared clients
    /// never do.
    #[serde(skip)]
    pub(crate) legacy_user_existence_errors: bool,
    /// Cognito's `EnableTokenRevocation` false: RevokeToken and `/oauth2/revoke` refuse.
    #[serde(skip)]
    pub(crate) revocation_disabled: bool,
    /// The upstream identity providers people may sign in through with this client (its
    /// `SupportedIdentityProviders` but `COGNITO`, set through the API).
    #[serde(skip)]
    pub(crate) identity_providers: Vec<String>,
}

impl TokenConfig {
    /// Cognito's allowed ranges; `fields` name the three fields in errors.
    fn validate(&self, fields: [&'static str; 3]) -> Result<(), ConfigError> {
        if !(5..=1440).contains(&self.id_token_minutes) {
            return Err(invalid(fields[0], "must be between 5 and 1440"));
        }
        if !(5..=1440).contains(&self.access_token_minutes) {
            return Err(invalid(fields[1], "must be between 5 and 1440"));
        }
        if !(1..=3650).contains(&self.refresh_token_days) {
            return Err(invalid(fields[2], "must be between 1 and 3650"));
        }
        Ok(())
    }
}

fn default_oauth_flows() -> Vec<OAuthFlow> {
    vec![OAuthFlow::Code]
}

fn default_refresh_grace_seconds() -> i64 {
    10
}

/// As on a client made in Cognito's console: SRP, choice-based sign-in and refresh.
fn default_auth_flows() -> Vec<ExplicitAuthFlow> {
    vec![
        ExplicitAuthFlow::UserSrp,
        ExplicitAuthFlow::UserAuth,
        ExplicitAuthFlow::RefreshToken,
    ]
}

impl ExplicitAuthFlow {
    pub(crate) fn cognito_name(self) -> &'static str {
        match self {
            ExplicitAuthFlow::UserPassword => "ALLOW_USER_PASSWORD_AUTH",
            ExplicitAuthFlow::AdminUserPassword => "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            ExplicitAuthFlow::RefreshToken => "ALLOW_REFRESH_TOKEN_AUTH",
            ExplicitAuthFlow::UserSrp => "ALLOW_USER_SRP_AUTH",
            ExplicitAuthFlow::UserAuth => "ALLOW_USER_AUTH",
            ExplicitAuthFlow::CustomAuth => "ALLOW_CUSTOM_AUTH",
        }
    }
}

impl OAuthFlow {
    pub(crate) fn cognito_name(self) -> &'static str {
        match self {
            OAuthFlow::Code => "code",
            OAuthFlow::Implicit => "implicit",
            OAuthFlow::ClientCredentials => "client_credentials",
        }
    }
}

impl Client {
    /// Whether the client may read `attribute` (`sub` always).
    pub(crate) fn reads(&self, attribute: &str) -> bool {
        attribute == "sub"
            || self.read_attributes.is_empty()
            || self.read_attributes.iter().any(|a| a == attribute)
    }

    /// Whether the client may write `attribute`.
    pub(crate) fn writes(&self, attribute: &str) -> bool {
        self.write_attributes.is_empty() || self.write_attributes.iter().any(|a| a == attribute)
    }

    /// This client's own token lifetimes, if it has them.
    pub(crate) fn tokens(&self) -> Option<&TokenConfig> {
        self.tokens.as_ref()
    }

    pub(crate) fn allows_flow(&self, flow: ExplicitAuthFlow) -> bool {
        self.auth_flows.contains(&flow)
    }

    /// Whether `presented` is what this client must show: its secret (compared in
    /// constant time), or nothing for a public client.
    pub(crate) fn proves_secret(&self, presented: Option<&str>) -> bool {
        match (&self.secret, presented) {
            (None, None) => true,
            (Some(expected), Some(presented)) => {
                crate::secrets::equal(expected.as_bytes(), presented.as_bytes())
            }
            _ => false,
        }
    }

    pub(crate) fn allows_oauth_flow(&self, flow: OAuthFlow) -> bool {
        self.oauth_flows.contains(&flow)
    }
}

/// The environment variables that override the configuration file, each with what it
/// sets: `Config::load` reads exactly these (a test holds it to that), and `--help`
/// lists them ([`environment_help`]).
const ENVIRONMENT: [(&str, &str); 15] = [
    (
        "USERPOOL_LISTEN",
        "pool.listen: the address the pool listens on",
    ),
    (
        "USERPOOL_PUBLIC_URL",
        "pool.public_url: the hosted UI's URL as browsers reach it",
    ),
    (
        "USERPOOL_DATA_DIR",
        "pool.data_dir: where the SQLite database lives",
    ),
    (
        "DATABASE_URL",
        "a sqlite:// or postgres:// database instead of pool.data_dir's",
    ),
    (
        "USERPOOL_KEY_ENCRYPTION_KEY",
        "32 bytes, base64: seals the signing keys and secrets at rest",
    ),
    (
        "USERPOOL_TRUSTED_PROXIES",
        "pool.trusted_proxies, comma-separated",
    ),
    (
        "USERPOOL_ALLOWED_ORIGINS",
        "pool.allowed_origins, comma-separated",
    ),
    (
        "USERPOOL_WEBAUTHN_RELYING_PARTY_ID",
        "pool.webauthn_relying_party_id",
    ),
    ("USERPOOL_DEV_OUTBOX", "pool.dev_outbox: true or false"),
    (
        "USERPOOL_SMTP_HOST",
        "smtp.host: the SMTP server mail goes to",
    ),
    (
        "USERPOOL_SMTP_PASSWORD",
        "the SMTP user's password (environment only)",
    ),
    (
        "USERPOOL_TRIGGER_SECRET",
        "signs the triggers' webhook requests (environment only)",
    ),
    (
        "USERPOOL_DETERMINISTIC_POOL_IDS",
        "pool.deterministic_pool_ids: true or false",
    ),
    (
        "USERPOOL_ADMIN_ACCESS_KEY_ID",
        "with the secret: the only admin key pair",
    ),
    (
        "USERPOOL_ADMIN_SECRET_ACCESS_KEY",
        "alone: the secret of the file's first admin key pair",
    ),
];

/// The environment overrides of the pool's configuration file, a line each, for `--help`.
pub fn environment_help() -> String {
    let width = ENVIRONMENT
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    ENVIRONMENT
        .iter()
        .map(|(name, meaning)| format!("  {name:width$}  {meaning}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Config {
    /// Reads the TOML file, applies the environment overrides ([`ENVIRONMENT`]:
    /// `USERPOOL_KEY_ENCRYPTION_KEY` only the environment can set), and validates
    /// the result (errors name the bad field).
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = parse(&path.display().to_string(), &text)?;
        if let Some(dir) = path.parent() {
            let branding = config.branding.iter_mut().flat_map(|branding| {
                [&mut branding.logo, &mut branding.css, &mut branding.favicon]
            });
            let smtp = config.smtp.iter_mut().map(|smtp| &mut smtp.ca_file);
            for file in branding.chain(smtp).flatten() {
                *file = dir.join(&*file);
            }
        }
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Parses and validates configuration text, without environment overrides.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let mut config = parse("(configuration)", text)?;
        config.validate()?;
        Ok(config)
    }

    pub fn listen(&self) -> SocketAddr {
        self.pool.listen
    }

    /// The hosted UI's base URL, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.pool.public_url
    }

    /// The `iss` of the declared pool's tokens (see [`Config::issuer_of`]).
    pub fn issuer(&self) -> String {
        self.issuer_of(&self.pool.id)
    }

    /// The `iss` of the tokens of the pool `pool_id`: `{public_url}/{pool id}`, or with
    /// `aws_issuer` the pool's address at AWS, `https://cognito-idp.{region}.amazonaws.com/{pool id}`.
    pub(crate) fn issuer_of(&self, pool_id: &str) -> String {
        if self.pool.aws_issuer {
            format!(
                "https://cognito-idp.{}.amazonaws.com/{pool_id}",
                self.pool.region
            )
        } else {
            format!("{}/{pool_id}", self.pool.public_url)
        }
    }

    /// Where the declared pool publishes its keys (here, whatever the issuer says).
    pub fn jwks_url(&self) -> String {
        format!(
            "{}/{}/.well-known/jwks.json",
            self.pool.public_url, self.pool.id
        )
    }

    /// The id of the app client that registered `callback_url`: how an embedding
    /// app finds the client it is.
    pub fn client_with_callback(&self, callback_url: &str) -> Option<&str> {
        self.clients
            .iter()
            .find(|client| client.callback_urls.iter().any(|url| url == callback_url))
            .map(|client| client.id.as_str())
    }

    /// Points the pool at another data directory (tests, embedding).
    pub fn set_data_dir(&mut self, dir: impl Into<PathBuf>) {
        self.pool.data_dir = dir.into();
    }

    pub fn pool_id(&self) -> &str {
        &self.pool.id
    }

    pub(crate) fn pool_name(&self) -> &str {
        &self.pool.name
    }

    /// Points the pool at a PostgreSQL database (tests, embedding).
    pub fn set_database_url(&mut self, url: impl Into<String>) -> Result<(), ConfigError> {
        self.pool.database_url = Some(DatabaseUrl::new(url)?);
        Ok(())
    }

    /// Sets the key-encryption key as `USERPOOL_KEY_ENCRYPTION_KEY` would.
    #[cfg(test)]
    pub(crate) fn set_key_encryption_key(&mut self, key: [u8; 32]) {
        self.key_encryption_key = Some(KeyEncryptionKey(key));
    }

    /// Sets `pool.trusted_proxies` as `USERPOOL_TRUSTED_PROXIES` would.
    #[cfg(test)]
    pub(crate) fn set_trusted_proxies(&mut self, list: &str) {
        self.apply_env(|name| (name == "USERPOOL_TRUSTED_PROXIES").then(|| list.to_owned()))
            .expect("a list of addresses and ranges");
    }

    /// PostgreSQL if a database URL is set, else SQLite in the data directory.
    pub fn database(&self) -> Database {
        match &self.pool.database_url {
            Some(url) => Database::Postgres(url.clone()),
            None => Database::Sqlite(self.pool.data_dir.join("userpool.sqlite3")),
        }
    }

    pub(crate) fn key_encryption_key(&self) -> Option<&KeyEncryptionKey> {
        self.key_encryption_key.as_ref()
    }

    pub fn region(&self) -> &str {
        &self.pool.region
    }

    /// The first admin key pair, `(access key id, secret access key)`: what an
    /// embedding app signs its admin API calls with.
    pub fn admin_credential(&self) -> Option<(&str, &str)> {
        self.admin_credentials
            .first()
            .map(|c| (c.access_key_id.as_str(), c.secret_access_key.as_str()))
    }

    pub(crate) fn admin_credentials(&self) -> &[AdminCredential] {
        &self.admin_credentials
    }

    /// Local development mode: mail stays in the outbox, and embedding apps may seed demo users.
    pub fn dev_outbox(&self) -> bool {
        self.pool.dev_outbox
    }

    pub(crate) fn trusted_proxies(&self) -> &[ProxyRange] {
        &self.pool.trusted_proxies
    }

    /// What `serve` allows each client: `pool.max_connections` connections at once.
    pub fn limits(&self) -> crate::Limits {
        crate::Limits::with_max_connections(self.pool.max_connections)
    }

    /// Cookies get `Secure` when browsers reach the pool over https.
    pub(crate) fn secure_cookies(&self) -> bool {
        self.pool.public_url.starts_with("https://")
    }

    pub(crate) fn password_policy(&self) -> &crate::password::PasswordPolicy {
        &self.password_policy
    }

    /// The declared pool's `MfaConfiguration`.
    pub(crate) fn mfa_configuration(&self) -> MfaConfiguration {
        self.pool.mfa_configuration
    }

    /// The declared pool's second factors, as SetUserPoolMfaConfig would set them.
    pub(crate) fn mfa_settings(&self) -> MfaSettings {
        MfaSettings::offering(&self.pool.mfa_factors)
    }

    pub(crate) fn sign_in_policy(&self) -> SignInPolicy {
        SignInPolicy {
            allowed_first_auth_factors: self.pool.allowed_first_auth_factors.clone(),
        }
    }

    /// The declared pool's verification mail: `(subject, message with {####})`.
    pub(crate) fn verification_email(&self) -> (String, String) {
        (self.email.subject.clone(), self.email.message.clone())
    }

    /// The declared pool's token lifetimes, for clients without their own.
    pub(crate) fn pool_tokens(&self) -> &TokenConfig {
        &self.tokens
    }

    /// The declared pool's resource servers: `(identifier, name, scope names)`.
    pub(crate) fn resource_servers(&self) -> impl Iterator<Item = (&str, &str, &[String])> {
        self.resource_servers
            .iter()
            .map(|s| (s.identifier.as_str(), s.name.as_str(), s.scopes.as_slice()))
    }

    /// The declared pool's app clients.
    pub(crate) fn clients(&self) -> &[Client] {
        &self.clients
    }

    pub(crate) fn user_pools(&self) -> &[DeclaredPool] {
        &self.user_pools
    }

    /// The SMTP server mail goes to, if one is configured.
    pub(crate) fn smtp(&self) -> Option<&SmtpConfig> {
        self.smtp.as_ref()
    }

    /// `[branding]`, if the file has the section.
    /// Where triggers' events go, and the declared pool's `LambdaConfig` (checked at load).
    pub(crate) fn triggers(&self) -> Triggers {
        self.triggers.resolve(self.region()).unwrap_or_default()
    }

    /// What webhook requests are signed with (`USERPOOL_TRIGGER_SECRET`).
    pub(crate) fn trigger_secret(&self) -> Option<&str> {
        self.trigger_secret.as_ref().map(|s| s.0.as_str())
    }

    pub(crate) fn branding(&self) -> Option<&Branding> {
        self.branding.as_ref()
    }

    /// The relying party id of passkeys, if the pool has one (see `pool.webauthn_relying_party_id`).
    pub(crate) fn webauthn_relying_party_id(&self) -> Option<String> {
        if let Some(id) = &self.pool.webauthn_relying_party_id {
            return Some(id.clone());
        }
        url::Url::parse(&self.pool.public_url)
            .ok()
            .and_then(|url| url.domain().map(str::to_owned))
    }

    /// The origins `pool.allowed_origins` lets call the JSON API from a browser.
    pub(crate) fn allowed_origins(&self) -> &[String] {
        &self.pool.allowed_origins
    }

    /// Makes pool ids follow the pool's name (`USERPOOL_DETERMINISTIC_POOL_IDS`), for test fixtures.
    pub(crate) fn deterministic_pool_ids(&self) -> bool {
        self.pool.deterministic_pool_ids
    }

    fn apply_env(
        &mut self,
        var: impl Fn(&'static str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(listen) = var("USERPOOL_LISTEN") {
            self.pool.listen = listen
                .parse()
                .map_err(|e| invalid("USERPOOL_LISTEN", format!("{e}")))?;
        }
        if let Some(url) = var("USERPOOL_PUBLIC_URL") {
            self.pool.public_url = url;
        }
        if let Some(dir) = var("USERPOOL_DATA_DIR") {
            self.pool.data_dir = dir.into();
        }
        if let Some(url) = var("DATABASE_URL").filter(|url| !url.is_empty()) {
            self.set_database_url(url)?;
        }
        if let Some(encoded) = var("USERPOOL_KEY_ENCRYPTION_KEY") {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| {
                    invalid(
                        "USERPOOL_KEY_ENCRYPTION_KEY",
                        "must be 32 bytes, base64-encoded (openssl rand -base64 32)",
                    )
                })?;
            self.key_encryption_key = Some(KeyEncryptionKey(bytes));
        }
        if let Some(list) = var("USERPOOL_TRUSTED_PROXIES") {
            self.pool.trusted_proxies = list
                .split(',')
                .filter(|range| !range.trim().is_empty())
                .map(|range| ProxyRange::try_from(range.to_owned()))
                .collect::<Result<_, _>>()
                .map_err(|message| invalid("USERPOOL_TRUSTED_PROXIES", message))?;
        }
        if let Some(list) = var("USERPOOL_ALLOWED_ORIGINS") {
            self.pool.allowed_origins = list
                .split(',')
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(id) = var("USERPOOL_WEBAUTHN_RELYING_PARTY_ID") {
            self.pool.webauthn_relying_party_id =
                Some(id.trim().to_owned()).filter(|id| !id.is_empty());
        }
        if let Some(flag) = var("USERPOOL_DEV_OUTBOX") {
            self.pool.dev_outbox = boolean("USERPOOL_DEV_OUTBOX", &flag)?;
        }
        if let Some(host) = var("USERPOOL_SMTP_HOST").filter(|host| !host.is_empty()) {
            match &mut self.smtp {
                Some(smtp) => smtp.host = host,
                None => {
                    return Err(invalid(
                        "USERPOOL_SMTP_HOST",
                        "needs an [smtp] section (its from address)",
                    ));
                }
            }
        }
        if let Some(password) = var("USERPOOL_SMTP_PASSWORD").filter(|p| !p.is_empty()) {
            match &mut self.smtp {
                Some(smtp) => smtp.password = Some(password),
                None => return Err(invalid("USERPOOL_SMTP_PASSWORD", "needs an [smtp] section")),
            }
        }
        if let Some(secret) = var("USERPOOL_TRIGGER_SECRET").filter(|s| !s.is_empty()) {
            self.trigger_secret = Some(TriggerSecret(secret));
        }
        if let Some(flag) = var("USERPOOL_DETERMINISTIC_POOL_IDS") {
            self.pool.deterministic_pool_ids = boolean("USERPOOL_DETERMINISTIC_POOL_IDS", &flag)?;
        }
        // A pair from the environment replaces every pair of the file (the shipped
        // file's is public); a secret alone replaces the first pair's secret.
        let key_id = var("USERPOOL_ADMIN_ACCESS_KEY_ID").filter(|v| !v.is_empty());
        let secret = var("USERPOOL_ADMIN_SECRET_ACCESS_KEY").filter(|v| !v.is_empty());
        match (key_id, secret) {
            (Some(access_key_id), Some(secret_access_key)) => {
                self.admin_credentials = vec![AdminCredential {
                    access_key_id,
                    secret_access_key,
                }];
            }
            (None, Some(secret_access_key)) => match self.admin_credentials.first_mut() {
                Some(first) => first.secret_access_key = secret_access_key,
                None => {
                    return Err(invalid(
                        "USERPOOL_ADMIN_SECRET_ACCESS_KEY",
                        "needs USERPOOL_ADMIN_ACCESS_KEY_ID or an [[admin_credentials]] entry",
                    ));
                }
            },
            (Some(_), None) => {
                return Err(invalid(
                    "USERPOOL_ADMIN_ACCESS_KEY_ID",
                    "needs USERPOOL_ADMIN_SECRET_ACCESS_KEY",
                ));
            }
            (None, None) => {}
        }
        Ok(())
    }

    /// The ids and secrets of `[[user_pools]]` (their settings are checked as
    /// the API checks them, when the pool opens).
    fn validate_user_pools(&self) -> Result<(), ConfigError> {
        let mut client_ids: Vec<&str> = self.clients.iter().map(|c| c.id.as_str()).collect();
        for (i, declared) in self.user_pools.iter().enumerate() {
            let well_formed = declared.id.split_once('_').is_some_and(|(region, rest)| {
                region == self.pool.region
                    && (1..=45).contains(&rest.len())
                    && rest.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !well_formed {
                return Err(invalid(
                    "user_pools.id",
                    format!(
                        "{:?} must look like \"{}_<letters and digits>\"",
                        declared.id, self.pool.region
                    ),
                ));
            }
            if declared.id == self.pool.id
                || self.user_pools.iter().take(i).any(|p| p.id == declared.id)
            {
                return Err(invalid(
                    "user_pools.id",
                    format!("{} is declared twice", declared.id),
                ));
            }
            if declared.name.trim().is_empty() {
                return Err(invalid("user_pools.name", "must not be empty"));
            }
            for client in &declared.clients {
                if !(1..=128).contains(&client.id.len())
                    || !client.id.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return Err(invalid(
                        "user_pools.clients.id",
                        "must be letters and digits",
                    ));
                }
                if client_ids.contains(&client.id.as_str()) {
                    return Err(invalid(
                        "user_pools.clients.id",
                        format!("{} appears twice", client.id),
                    ));
                }
                client_ids.push(&client.id);
                if client.name.trim().is_empty() {
                    return Err(invalid("user_pools.clients.name", "must not be empty"));
                }
                if client.secret.as_ref().is_some_and(|s| s.len() < 16) {
                    return Err(invalid(
                        "user_pools.clients.secret",
                        format!("client {}: at least 16 characters", client.name),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        let pool = &mut self.pool;
        // Cognito pool ids are "<region>_<id>"; the id also becomes a URL path segment.
        let id_ok = pool
            .id
            .split_once('_')
            .is_some_and(|(region, rest)| region == pool.region && !rest.is_empty())
            && pool
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !id_ok {
            return Err(invalid(
                "pool.id",
                format!("must look like \"{}_<letters and digits>\"", pool.region),
            ));
        }
        if pool.name.trim().is_empty() {
            return Err(invalid("pool.name", "must not be empty"));
        }
        if !(1..=65_536).contains(&pool.max_connections) {
            return Err(invalid("pool.max_connections", "must be 1 to 65536"));
        }
        if pool
            .database_url
            .as_ref()
            .is_some_and(|url| !url.is_postgres())
        {
            return Err(invalid("pool.database_url", "must start with postgres://"));
        }
        pool.public_url = pool.public_url.trim_end_matches('/').to_owned();
        check_url("pool.public_url", &pool.public_url)?;
        if url::Url::parse(&pool.public_url).is_ok_and(|u| u.query().is_some()) {
            return Err(invalid("pool.public_url", "must not have a query"));
        }
        for origin in &pool.allowed_origins {
            if web_origin(origin).as_deref() != Some(origin.as_str()) {
                return Err(invalid(
                    "pool.allowed_origins",
                    format!("{origin:?} must be an origin: scheme and host (and port), no path"),
                ));
            }
        }
        auth_factors::check(&pool.allowed_first_auth_factors)
            .map_err(|message| invalid("pool.allowed_first_auth_factors", message))?;
        if pool.mfa_configuration != MfaConfiguration::Off && pool.mfa_factors.is_empty() {
            return Err(invalid(
                "pool.mfa_factors",
                "must name SOFTWARE_TOKEN_MFA and/or EMAIL_OTP where pool.mfa_configuration is OPTIONAL or ON",
            ));
        }
        if let Some(id) = &pool.webauthn_relying_party_id {
            let domain = url::Host::parse(id).ok();
            if !matches!(domain, Some(url::Host::Domain(_))) || id.contains(['/', ':']) {
                return Err(invalid(
                    "pool.webauthn_relying_party_id",
                    format!(
                        "{id:?} must be a domain name (\"localhost\", \"auth.example.com\"), not an address or URL"
                    ),
                ));
            }
        }

        let min = self.password_policy.minimum_length;
        // Cognito's bounds for the minimum length.
        if !(6..=99).contains(&min) {
            return Err(invalid(
                "password_policy.minimum_length",
                "must be between 6 and 99",
            ));
        }
        if self.password_policy.temporary_password_validity_days > 365 {
            return Err(invalid(
                "password_policy.temporary_password_validity_days",
                "must be at most 365",
            ));
        }
        if !self.email.message.contains("{####}") {
            return Err(invalid("email.message", "must contain \"{####}\""));
        }
        if self.email.subject.trim().is_empty() {
            return Err(invalid("email.subject", "must not be empty"));
        }

        // Cognito's allowed ranges.
        self.tokens.validate([
            "tokens.id_token_minutes",
            "tokens.access_token_minutes",
            "tokens.refresh_token_days",
        ])?;

        for server in &self.resource_servers {
            if server.identifier.is_empty() || server.identifier.contains(char::is_whitespace) {
                return Err(invalid(
                    "resource_servers.identifier",
                    format!("{:?} must be non-empty, without spaces", server.identifier),
                ));
            }
            if server.name.trim().is_empty() {
                return Err(invalid("resource_servers.name", "must not be empty"));
            }
            if let Some(bad) = server
                .scopes
                .iter()
                .find(|s| s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '/'))
            {
                return Err(invalid(
                    "resource_servers.scopes",
                    format!("{bad:?} must be non-empty, without spaces or slashes"),
                ));
            }
        }
        if let Some(smtp) = &self.smtp {
            smtp.validate()?;
        }
        let triggers = self
            .triggers
            .resolve(self.region())
            .map_err(|(field, message)| invalid(field, message))?;
        let webhooks = triggers
            .functions
            .values()
            .any(|t| matches!(t, Target::Url(_)));
        if webhooks && self.trigger_secret.as_ref().is_none_or(|s| s.0.len() < 16) {
            return Err(invalid(
                "USERPOOL_TRIGGER_SECRET",
                "webhook triggers need a secret of at least 16 characters to sign their requests with",
            ));
        }
        if let Some(branding) = &self.branding {
            if branding
                .name
                .as_ref()
                .is_some_and(|name| name.trim().is_empty() || name.chars().count() > 128)
            {
                return Err(invalid("branding.name", "must be 1 to 128 characters"));
            }
            if branding.accent_dark.is_some() && branding.accent.is_none() {
                return Err(invalid("branding.accent_dark", "needs branding.accent"));
            }
        }
        for (i, credential) in self.admin_credentials.iter().enumerate() {
            // AWS's access key ids: 16 to 128 word characters (AKIA... in practice).
            let id = &credential.access_key_id;
            if !(16..=128).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(
                    "admin_credentials.access_key_id",
                    format!("{id:?} must be 16 to 128 letters and digits"),
                ));
            }
            if self
                .admin_credentials
                .iter()
                .take(i)
                .any(|c| c.access_key_id == *id)
            {
                return Err(invalid(
                    "admin_credentials.access_key_id",
                    format!("{id} appears twice"),
                ));
            }
            // The message names the key, never the secret.
            let secret = &credential.secret_access_key;
            if !(16..=128).contains(&secret.len()) || !secret.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(invalid(
                    "admin_credentials.secret_access_key",
                    format!("key {id}: 16 to 128 printable characters, no spaces"),
                ));
            }
        }
        if self.clients.is_empty() {
            return Err(invalid("clients", "at least one client is required"));
        }
        self.validate_user_pools()?;
        for (i, client) in self.clients.iter().enumerate() {
            if client.id.is_empty() || !client.id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid("clients.id", "must be letters and digits"));
            }
            if self.clients.iter().take(i).any(|c| c.id == client.id) {
                return Err(invalid(
                    "clients.id",
                    format!("{} appears twice", client.id),
                ));
            }
            if let Some(tokens) = &client.tokens {
                tokens.validate([
                    "clients.tokens.id_token_minutes",
                    "clients.tokens.access_token_minutes",
                    "clients.tokens.refresh_token_days",
                ])?;
            }
            if !(0..=60).contains(&client.refresh_token_grace_seconds) {
                return Err(invalid(
                    "clients.refresh_token_grace_seconds",
                    format!("client {}: must be between 0 and 60", client.name),
                ));
            }
            if client.secret.as_ref().is_some_and(|s| s.len() < 16) {
                return Err(invalid(
                    "clients.secret",
                    format!("client {}: at least 16 characters", client.name),
                ));
            }
            for url in &client.callback_urls {
                check_url("clients.callback_urls", url)?;
            }
            for url in &client.logout_urls {
                check_url("clients.logout_urls", url)?;
            }
            if client.allowed_scopes.is_empty() {
                return Err(invalid(
                    "clients.allowed_scopes",
                    format!("client {} needs at least one", client.name),
                ));
            }
            if client.allows_oauth_flow(OAuthFlow::ClientCredentials) && client.secret.is_none() {
                return Err(invalid(
                    "clients.oauth_flows",
                    format!("client {}: client_credentials needs a secret", client.name),
                ));
            }
            let custom = |scope: &str| {
                self.resource_servers.iter().any(|server| {
                    scope
                        .strip_prefix(server.identifier.as_str())
                        .and_then(|rest| rest.strip_prefix('/'))
                        .is_some_and(|name| server.scopes.iter().any(|s| s == name))
                })
            };
            if let Some(bad) = client
                .allowed_scopes
                .iter()
                .find(|s| !SUPPORTED_SCOPES.contains(&s.as_str()) && !custom(s))
            {
                return Err(invalid(
                    "clients.allowed_scopes",
                    format!("unknown scope {bad:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// Absolute http(s) URL without a fragment (RFC 6749 §3.1.2 for redirect URIs).
/// The web origin of an http(s) URL (`https://app.example:8443`), as a
/// browser sends it in `Origin`.
pub(crate) fn web_origin(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

fn check_url(field: &'static str, value: &str) -> Result<(), ConfigError> {
    let url = url::Url::parse(value).map_err(|e| invalid(field, format!("{value:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(field, format!("{value:?} must be http or https")));
    }
    if url.fragment().is_some() {
        return Err(invalid(
            field,
            format!("{value:?} must not have a fragment"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tests::CONFIG as SAMPLE;

    #[test]
    fn the_shipped_config_is_valid() {
        let config = Config::from_toml(SAMPLE).expect("userpool.toml is valid");
        assert_eq!(config.issuer(), "http://127.0.0.1:9229/us-east-1_LocalPool");
        assert_eq!(config.public_url(), "http://127.0.0.1:9229");
        assert!(
            config
                .clients()
                .iter()
                .any(|c| c.id == "1ocal4pp5c1ient0leptos0cog")
        );
    }

    /// The 1-based line of `SAMPLE` that starts with `prefix`.
    fn sample_line(prefix: &str) -> usize {
        SAMPLE.lines().position(|l| l.starts_with(prefix)).unwrap() + 1
    }

    /// A TOML-level error is one line: the file, the line, the field and the problem.
    fn parse_error(text: &str) -> String {
        let path = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(path.path(), text).unwrap();
        let message = Config::load(path.path()).unwrap_err().to_string();
        let file = path.path().display().to_string();
        assert!(!message.contains('\n'), "{message:?}");
        message
            .strip_prefix(&format!("{file}:"))
            .unwrap_or_else(|| panic!("{message:?} names {file}"))
            .to_owned()
    }

    #[test]
    fn a_missing_field_is_one_line_naming_its_table_and_field() {
        let listen = "listen = \"127.0.0.1:9229\"\n";
        assert!(SAMPLE.contains(listen));
        assert_eq!(
            parse_error(&SAMPLE.replacen(listen, "", 1)),
            format!("{}: [pool] listen: missing field", sample_line("[pool]"))
        );
    }

    #[test]
    fn an_unknown_field_is_one_line_naming_it() {
        let text = SAMPLE.replacen("[pool]\n", "[pool]\nlistne = \"127.0.0.1:9229\"\n", 1);
        let message = parse_error(&text);
        let expected = format!(
            "{}: [pool] listne: unknown field `listne`",
            sample_line("[pool]") + 1
        );
        assert!(message.starts_with(&expected), "{message:?}");
    }

    #[test]
    fn a_bad_address_is_one_line_naming_the_field() {
        let text = SAMPLE.replacen("listen = \"127.0.0.1:9229\"", "listen = \"127.0.0.1\"", 1);
        assert_eq!(
            parse_error(&text),
            format!(
                "{}: [pool] listen: invalid socket address syntax",
                sample_line("listen = ")
            )
        );
    }

    #[test]
    fn an_unknown_flow_is_one_line_naming_the_field() {
        let auth_flows = "auth_flows = [\"ALLOW_USER_SRP_AUTH\", ";
        let text = SAMPLE.replacen(auth_flows, "auth_flows = [\"ALLOW_SRP_AUTH\", ", 1);
        let message = parse_error(&text);
        let expected = format!(
            "{}: [clients] auth_flows: unknown variant `ALLOW_SRP_AUTH`",
            sample_line(auth_flows)
        );
        assert!(message.starts_with(&expected), "{message:?}");

        let scopes = "allowed_scopes = [\"openid\", \"email\", \"profile\", \"aws.cognito.signin.user.admin\"]\n";
        let text = SAMPLE.replacen(
            scopes,
            &format!("{scopes}oauth_flows = [\"password\"]\n"),
            1,
        );
        let message = parse_error(&text);
        let expected = format!(
            "{}: [clients] oauth_flows: unknown variant `password`",
            sample_line(scopes.trim_end()) + 1
        );
        assert!(message.starts_with(&expected), "{message:?}");
    }

    #[test]
    fn the_environment_help_names_every_variable_the_configuration_reads() {
        let asked = std::cell::RefCell::new(Vec::new());
        Config::from_toml(SAMPLE)
            .unwrap()
            .apply_env(|name| {
                asked.borrow_mut().push(name);
                None
            })
            .unwrap();
        let mut asked = asked.into_inner();
        let mut listed = ENVIRONMENT.map(|(name, _)| name).to_vec();
        asked.sort_unstable();
        listed.sort_unstable();
        assert_eq!(asked, listed);
        let help = environment_help();
        assert!(help.starts_with("  USERPOOL_LISTEN  "), "{help}");
    }

    #[test]
    fn env_overrides_apply_and_bad_values_name_the_variable() {
        let mut config = Config::from_toml(SAMPLE).unwrap();
        config
            .apply_env(|name| match name {
                "USERPOOL_PUBLIC_URL" => Some("https://auth.example.com/".into()),
                "USERPOOL_DEV_OUTBOX" => Some("false".into()),
                _ => None,
            })
            .unwrap();
        config.validate().unwrap();
        assert_eq!(
            config.issuer(),
            "https://auth.example.com/us-east-1_LocalPool"
        );
        assert!(!config.dev_outbox());
        assert!(config.secure_cookies());

        let err = config
            .apply_env(|name| (name == "USERPOOL_LISTEN").then(|| "nope".into()))
            .unwrap_err();
        assert!(err.to_string().contains("USERPOOL_LISTEN"), "{err}");

        // The key-encryption key: 32 bytes in base64, never printed.
        let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        config
            .apply_env(|name| (name == "USERPOOL_KEY_ENCRYPTION_KEY").then(|| secret.into()))
            .unwrap();
        assert_eq!(config.key_encryption_key().unwrap().0[31], 31);
        assert!(!format!("{config:?}").contains(secret));
        let err = config
            .apply_env(|name| (name == "USERPOOL_KEY_ENCRYPTION_KEY").then(|| "c2hvcnQ=".into()))
            .unwrap_err();
        assert!(
            err.to_string().contains("USERPOOL_KEY_ENCRYPTION_KEY"),
            "{err}"
        );
    }

    #[test]
    fn database_url_chooses_postgresql_and_is_never_printed() {
        let mut config = Config::from_toml(SAMPLE).unwrap();
        assert!(
            matches!(config.database(), Database::Sqlite(file) if file.ends_with("userpool.sqlite3"))
        );
        config
            .apply_env(|name| {
                (name == "DATABASE_URL").then(|| "postgres://pool:s3cret@db.internal/pool".into())
            })
            .unwrap();
        assert!(matches!(config.database(), Database::Postgres(_)));
        assert!(!format!("{config:?}").contains("s3cret"));

        let err = config
            .apply_env(|name| (name == "DATABASE_URL").then(|| "mysql://db/pool".into()))
            .unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"), "{err}");
        let text = SAMPLE.replace(
            "data_dir = ",
            "database_url = \"sqlite://pool.db\"\ndata_dir = ",
        );
        let err = Config::from_toml(&text).unwrap_err();
        assert!(err.to_string().contains("pool.database_url"), "{err}");
    }

    #[test]
    fn an_aws_shaped_issuer_keeps_the_keys_local() {
        let text = SAMPLE.replace("aws_issuer = false", "aws_issuer = true");
        let config = Config::from_toml(&text).unwrap();
        assert_eq!(
            config.issuer(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalPool"
        );
        assert_eq!(
            config.jwks_url(),
            "http://127.0.0.1:9229/us-east-1_LocalPool/.well-known/jwks.json"
        );
        let config = Config::from_toml(SAMPLE).unwrap();
        assert_eq!(
            config.jwks_url(),
            format!("{}/.well-known/jwks.json", config.issuer())
        );
    }

    #[test]
    fn admin_credentials_are_checked_overridden_by_the_environment_and_never_printed() {
        const DEV_SECRET: &str = "LocalDevOnly/PublicSecret+leptosCognito1";
        let mut config = Config::from_toml(SAMPLE).unwrap();
        assert_eq!(
            config.admin_credential(),
            Some(("AKIALOCALUSERPOOL001", DEV_SECRET))
        );
        assert!(!format!("{config:?}").contains(DEV_SECRET));

        // A secret alone replaces the first pair's; a pair replaces them all.
        config
            .apply_env(|name| {
                (name == "USERPOOL_ADMIN_SECRET_ACCESS_KEY")
                    .then(|| "another-secret-of-20-chars".into())
            })
            .unwrap();
        assert_eq!(
            config.admin_credential(),
            Some(("AKIALOCALUSERPOOL001", "another-secret-of-20-chars"))
        );
        config
            .apply_env(|name| match name {
                "USERPOOL_ADMIN_ACCESS_KEY_ID" => Some("AKIAPRODUCTION00001".into()),
                "USERPOOL_ADMIN_SECRET_ACCESS_KEY" => Some("a-production-secret-0123456789".into()),
                _ => None,
            })
            .unwrap();
        config.validate().unwrap();
        assert_eq!(config.admin_credentials().len(), 1);
        assert_eq!(
            config.admin_credential(),
            Some(("AKIAPRODUCTION00001", "a-production-secret-0123456789"))
        );
        let err = config
            .apply_env(|name| (name == "USERPOOL_ADMIN_ACCESS_KEY_ID").then(|| "AKIAX".into()))
            .unwrap_err();
        assert!(
            err.to_string().contains("USERPOOL_ADMIN_ACCESS_KEY_ID"),
            "{err}"
        );

        // No pair at all is valid (every admin operation is then refused).
        let without = SAMPLE.replace("[[admin_credentials]]", "[[no_such_table]]");
        let start = without.find("[[no_such_table]]").unwrap();
        let end = start + without[start..].find("\n\n").unwrap();
        let without = format!("{}{}", &without[..start], &without[end..]);
        let mut config = Config::from_toml(&without).unwrap();
        assert_eq!(config.admin_credential(), None);
        let err = config
            .apply_env(|name| {
                (name == "USERPOOL_ADMIN_SECRET_ACCESS_KEY").then(|| DEV_SECRET.into())
            })
            .unwrap_err();
        assert!(
            err.to_string().contains("USERPOOL_ADMIN_SECRET_ACCESS_KEY"),
            "{err}"
        );

        for (bad, field) in [
            (
                "\"AKIALOCALUSERPOOL001\"",
                "admin_credentials.access_key_id",
            ),
            (
                "\"LocalDevOnly/PublicSecret+leptosCognito1\"",
                "admin_credentials.secret_access_key",
            ),
        ] {
            let text = SAMPLE.replace(bad, "\"short\"");
            let err = Config::from_toml(&text).unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
            assert!(!err.contains(DEV_SECRET), "{err}");
        }
        let twice = format!(
            "{SAMPLE}\n[[admin_credentials]]\naccess_key_id = \"AKIALOCALUSERPOOL001\"\nsecret_access_key = \"another-secret-of-20-chars\"\n"
        );
        let err = Config::from_toml(&twice).unwrap_err().to_string();
        assert!(err.contains("appears twice"), "{err}");
    }

    #[test]
    fn further_pools_need_their_own_well_formed_ids() {
        let declare = |pool_id: &str, client_id: &str| {
            format!(
                "{SAMPLE}\n[[user_pools]]\nid = \"{pool_id}\"\nname = \"fixtures\"\n\
                 settings = {{ UsernameAttributes = [\"email\"] }}\n\
                 [[user_pools.clients]]\nid = \"{client_id}\"\nname = \"web\"\n"
            )
        };
        let config = Config::from_toml(&declare("us-east-1_Fixtures1", "f1xtur3s")).unwrap();
        assert_eq!(
            config.user_pools()[0].settings["UsernameAttributes"],
            serde_json::json!(["email"])
        );
        for (pool_id, client_id, field) in [
            ("eu-west-1_Fixtures1", "f1xtur3s", "user_pools.id"),
            ("us-east-1_", "f1xtur3s", "user_pools.id"),
            ("us-east-1_LocalPool", "f1xtur3s", "user_pools.id"),
            ("us-east-1_Fixtures1", "not ok", "user_pools.clients.id"),
            (
                "us-east-1_Fixtures1",
                "1ocal4pp5c1ient0leptos0cog",
                "user_pools.clients.id",
            ),
        ] {
            let err = Config::from_toml(&declare(pool_id, client_id))
                .unwrap_err()
                .to_string();
            assert!(err.contains(field), "{pool_id} {client_id}: {err}");
        }
    }

    #[test]
    fn allowed_origins_are_origins_from_the_file_or_the_environment() {
        let with = |origins: &str| {
            Config::from_toml(&SAMPLE.replace(
                "[password_policy]",
                &format!("allowed_origins = {origins}\n\n[password_policy]"),
            ))
        };
        let config = with(r#"["https://app.example", "http://localhost:5173"]"#).unwrap();
        assert_eq!(
            config.allowed_origins(),
            ["https://app.example", "http://localhost:5173"]
        );
        for bad in [
            r#"["https://app.example/"]"#,
            r#"["https://app.example/path"]"#,
            r#"["app.example"]"#,
            r#"["ftp://app.example"]"#,
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("pool.allowed_origins"), "{bad}: {err}");
        }
        let mut config = Config::from_toml(SAMPLE).unwrap();
        config
            .apply_env(|name| {
                (name == "USERPOOL_ALLOWED_ORIGINS")
                    .then(|| " https://a.example, ,http://127.0.0.1:3100".to_owned())
            })
            .unwrap();
        config.validate().unwrap();
        assert_eq!(
            config.allowed_origins(),
            ["https://a.example", "http://127.0.0.1:3100"]
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges_from_the_file_or_the_environment() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let config = Config::from_toml(SAMPLE).unwrap();
        assert!(config.trusted_proxies().is_empty());

        let text = SAMPLE.replace(
            "aws_issuer = false",
            "aws_issuer = false\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"2001:db8::/32\"]",
        );
        let mut config = Config::from_toml(&text).unwrap();
        let trusted = |config: &Config, address: &str| {
            config
                .trusted_proxies()
                .iter()
                .any(|range| range.contains(ip(address)))
        };
        for address in [
            "127.0.0.1",
            "10.200.0.1",
            "::ffff:10.0.0.1",
            "2001:db8:5::1",
        ] {
            assert!(trusted(&config, address), "{address}");
        }
        for address in ["127.0.0.2", "192.0.2.1", "2001:db9::1"] {
            assert!(!trusted(&config, address), "{address}");
        }

        // The variable replaces the list; empty, it empties it.
        config
            .apply_env(|name| {
                (name == "USERPOOL_TRUSTED_PROXIES").then(|| " 192.0.2.0/24 , ::1".into())
            })
            .unwrap();
        assert!(trusted(&config, "192.0.2.9") && trusted(&config, "::1"));
        assert!(!trusted(&config, "10.0.0.1"));
        config
            .apply_env(|name| (name == "USERPOOL_TRUSTED_PROXIES").then(String::new))
            .unwrap();
        assert!(config.trusted_proxies().is_empty());

        let err = config
            .apply_env(|name| (name == "USERPOOL_TRUSTED_PROXIES").then(|| "10.0.0.1,proxy".into()))
            .unwrap_err();
        assert!(
            err.to_string().contains("USERPOOL_TRUSTED_PROXIES"),
            "{err}"
        );
        for bad in ["proxy.internal", "10.0.0.0/33", ""] {
            let text = SAMPLE.replace(
                "aws_issuer = false",
                &format!("aws_issuer = false\ntrusted_proxies = [{bad:?}]"),
            );
            let err = Config::from_toml(&text).unwrap_err();
            assert!(
                err.to_string().contains("pool.trusted_proxies"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn max_connections_defaults_to_512_and_is_bounded() {
        let config = Config::from_toml(SAMPLE).unwrap();
        assert_eq!(config.limits().max_connections, 512);
        let with = |value: &str| {
            SAMPLE.replace(
                "aws_issuer = false",
                &format!("aws_issuer = false\nmax_connections = {value}"),
            )
        };
        let config = Config::from_toml(&with("64")).unwrap();
        assert_eq!(config.limits().max_connections, 64);
        for bad in ["0", "65537"] {
            let err = Config::from_toml(&with(bad)).unwrap_err();
            assert!(
                err.to_string().contains("pool.max_connections"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn errors_name_the_field() {
        let bad = SAMPLE.replace("minimum_length = 8", "minimum_length = 2");
        let err = Config::from_toml(&bad).unwrap_err();
        assert!(
            err.to_string().contains("password_policy.minimum_length"),
            "{err}"
        );

        let bad = SAMPLE.replace("\"http://127.0.0.1:3000/callback\"", "\"not a url\"");
        let err = Config::from_toml(&bad).unwrap_err();
        assert!(err.to_string().contains("clients.callback_urls"), "{err}");
    }
}
