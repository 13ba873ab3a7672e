//! The server's settings, from flags or environment variables (`--help` lists
//! them): the app's public URL and which user pool to use, the embedded one
//! (default), an Amazon Cognito user pool, or any other OpenID provider.

use std::path::PathBuf;

use app::discovery::OpenIdClient;
use app::verify::GroupsClaim;
use clap::Parser;

/// Serves the leptos-cognito app; by default with an embedded local user pool.
#[derive(Debug, Parser)]
#[command(version, about, after_help = after_help())]
pub struct Settings {
    /// The app's URL as browsers reach it; redirects and cookies are derived from it.
    #[arg(long, env = "APP_URL", default_value = "http://127.0.0.1:3000")]
    pub app_url: String,

    /// Behind a TLS-terminating proxy: mark cookies Secure (with the __Host- prefix)
    /// even though APP_URL is http. Defaults to whether APP_URL is https.
    #[arg(long, env = "SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,

    /// The embedded user pool's configuration file (ignored with a Cognito pool).
    #[arg(long, env = "USERPOOL_CONFIG", default_value = "userpool.toml")]
    pub userpool_config: PathBuf,

    /// Amazon Cognito: the hosted UI domain, e.g. example.auth.us-east-1.amazoncognito.com.
    #[arg(long, env = "COGNITO_DOMAIN", requires_all = ["cognito_user_pool_id", "cognito_region", "cognito_client_id"])]
    pub cognito_domain: Option<String>,

    /// The user pool id, e.g. us-east-1_AbCdEf123 (Amazon Cognito or a standalone local pool).
    #[arg(long, env = "COGNITO_USER_POOL_ID")]
    pub cognito_user_pool_id: Option<String>,

    /// Amazon Cognito: the pool's region, e.g. us-east-1.
    #[arg(long, env = "COGNITO_REGION", requires = "cognito_domain")]
    pub cognito_region: Option<String>,

    /// The app client id (a public client, without secret).
    #[arg(long, env = "COGNITO_CLIENT_ID")]
    pub cognito_client_id: Option<String>,

    /// A standalone local user pool (`userpool serve`) at this public URL, used like an
    /// external pool: its issuer is `{url}/{pool id}`.
    #[arg(long, env = "USERPOOL_URL", conflicts_with = "cognito_domain", requires_all = ["cognito_user_pool_id", "cognito_client_id"])]
    pub userpool_url: Option<String>,

    /// Any other OpenID provider (Keycloak, Auth0, Okta, Kanidm, Zitadel, Authentik, …),
    /// found by its issuer's discovery document, e.g. https://id.example.com/realms/app.
    #[arg(long, env = "OIDC_ISSUER", conflicts_with_all = ["cognito_domain", "userpool_url"], requires = "oidc_client_id")]
    pub oidc_issuer: Option<String>,

    /// The app's client id at the OpenID provider (its redirect URI: APP_URL/callback;
    /// after logout: APP_URL/).
    #[arg(long, env = "OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,

    /// The client's secret at the OpenID provider, if it has one (used by the server only).
    #[arg(
        long,
        env = "OIDC_CLIENT_SECRET",
        hide_env_values = true,
        requires = "oidc_issuer"
    )]
    pub oidc_client_secret: Option<String>,

    /// The scopes the app asks the OpenID provider for (space-separated, with openid;
    /// add offline_access where the provider issues refresh tokens only then).
    #[arg(long, env = "OIDC_SCOPES", default_value = "openid email profile", value_parser = openid_scopes)]
    pub oidc_scopes: String,

    /// The claim of the OpenID provider's id token or userInfo that lists the user's
    /// groups or roles; a member of Admin may use the admin pages. A dotted path reads
    /// nested claims, e.g. realm_access.roles (Keycloak).
    #[arg(long, env = "OIDC_GROUPS_CLAIM", default_value = "groups", value_parser = groups_claim)]
    pub oidc_groups_claim: GroupsClaim,

    /// AWS credentials for the admin console's calls to the Cognito admin API
    /// (Amazon Cognito: without them the console is unavailable; a standalone
    /// local pool: without them, the first admin key pair of USERPOOL_CONFIG).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub aws_access_key_id: Option<String>,

    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub aws_secret_access_key: Option<String>,

    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    pub aws_session_token: Option<String>,

    /// How often (seconds, 1 to 60) the server asks the user pool whether a session
    /// still stands: the longest a session ended elsewhere (logout on another
    /// instance, global sign-out, a disabled or deleted user, a removed group)
    /// stays usable here.
    #[arg(long, env = "SESSION_CHECK_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub session_check_seconds: u64,

    /// Open connections the app serves at once (1 to 65536); more wait in the
    /// backlog. The embedded pool has its own, `pool.max_connections`.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = userpool::DEFAULT_MAX_CONNECTIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65_536))]
    pub max_connections: usize,
}

/// What `--help` adds after the options: the variables read by Leptos (cargo-leptos
/// sets them when it runs the server) and, for the embedded pool, by its configuration.
fn after_help() -> String {
    format!(
        "Leptos, from the environment (cargo-leptos sets them when it runs the server):
  LEPTOS_SITE_ADDR     the address the app listens on (default 127.0.0.1:3000)
  LEPTOS_SITE_ROOT     the directory of the built site: pkg/, favicon (default target/site)
  LEPTOS_SITE_PKG_DIR  the bundle's directory under it (default pkg)
  LEPTOS_OUTPUT_NAME   the bundle's file name (default: the one the server was built with)
  LEPTOS_HASH_FILES    true: the bundle's names carry the hashes in hash.txt beside the binary
                       (always so for builds by cargo-leptos)
  LEPTOS_RELOAD_PORT   the reload websocket of cargo leptos watch (default 3001)

RUST_LOG filters the log (tracing's EnvFilter syntax; default: info).

The embedded pool's configuration file (USERPOOL_CONFIG), overridden by the environment:
{}",
        userpool::environment_help()
    )
}

fn openid_scopes(scopes: &str) -> Result<String, String> {
    let scopes = scopes.split_whitespace().collect::<Vec<_>>();
    if !scopes.contains(&"openid") {
        return Err("the scopes must include openid".into());
    }
    Ok(scopes.join(" "))
}

fn groups_claim(path: &str) -> Result<GroupsClaim, String> {
    GroupsClaim::new(path).ok_or_else(|| "a claim name, or names joined by dots".into())
}

/// The user pool the app signs people in with.
#[derive(Clone)]
pub enum PoolChoice {
    Embedded(PathBuf),
    Cognito(CognitoPool),
    OpenId(OpenIdClient, GroupsClaim),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoPool {
    pub hosted_ui: String,
    pub issuer: String,
    pub client_id: String,
    pub region: String,
    pub pool_id: String,
    /// Where Cognito's JSON API (the admin console's) answers.
    pub api_endpoint: String,
    /// A standalone local pool: without AWS credentials, the console signs with
    /// the first admin key pair of `USERPOOL_CONFIG`.
    pub local: bool,
}

impl Settings {
    pub fn app_url(&self) -> &str {
        self.app_url.trim_end_matches('/')
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.app_url())
    }

    pub fn logout_uri(&self) -> String {
        format!("{}/", self.app_url())
    }

    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.app_url.starts_with("https://"))
    }

    pub fn pool(&self) -> PoolChoice {
        if let (Some(issuer), Some(client_id)) = (&self.oidc_issuer, &self.oidc_client_id) {
            let client = OpenIdClient {
                issuer: issuer.clone(),
                client_id: client_id.clone(),
                client_secret: self.oidc_client_secret.clone(),
                scopes: self.oidc_scopes.clone(),
                redirect_uri: self.redirect_uri(),
                logout_uri: self.logout_uri(),
            };
            return PoolChoice::OpenId(client, self.oidc_groups_claim.clone());
        }
        if let (Some(url), Some(pool_id), Some(client_id)) = (
            &self.userpool_url,
            &self.cognito_user_pool_id,
            &self.cognito_client_id,
        ) {
            let url = url.trim_end_matches('/');
            return PoolChoice::Cognito(CognitoPool {
                hosted_ui: url.to_owned(),
                issuer: format!("{url}/{pool_id}"),
                client_id: client_id.clone(),
                // Pool ids are "<region>_<id>".
                region: pool_id.split('_').next().unwrap_or_default().to_owned(),
                pool_id: pool_id.clone(),
                api_endpoint: format!("{url}/"),
                local: true,
            });
        }
        match (
            &self.cognito_domain,
            &self.cognito_user_pool_id,
            &self.cognito_region,
            &self.cognito_client_id,
        ) {
            (Some(domain), Some(pool_id), Some(region), Some(client_id)) => {
                let domain = domain.trim_end_matches('/');
                let hosted_ui = if domain.starts_with("https://") {
                    domain.to_owned()
                } else {
                    format!("https://{domain}")
                };
                PoolChoice::Cognito(CognitoPool {
                    hosted_ui,
                    // The AWS way: tokens of every pool are issued by its regional endpoint.
                    issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
                    client_id: client_id.clone(),
                    region: region.clone(),
                    pool_id: pool_id.clone(),
                    api_endpoint: format!("https://cognito-idp.{region}.amazonaws.com/"),
                    local: false,
                })
            }
            _ => PoolChoice::Embedded(self.userpool_config.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("server").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_to_the_embedded_pool_on_loopback() {
        let settings = parse(&[]).expect("defaults");
        assert!(
            matches!(settings.pool(), PoolChoice::Embedded(path) if path == std::path::Path::new("userpool.toml"))
        );
        assert_eq!(settings.redirect_uri(), "http://127.0.0.1:3000/callback");
        assert!(!settings.secure_cookies());
    }

    #[test]
    fn a_cognito_pool_derives_its_issuer_the_aws_way() {
        let settings = parse(&[
            "--app-url=https://app.example.com/",
            "--cognito-domain=example.auth.eu-west-1.amazoncognito.com",
            "--cognito-user-pool-id=eu-west-1_AbC123",
            "--cognito-region=eu-west-1",
            "--cognito-client-id=abc",
        ])
        .expect("cognito settings");
        let PoolChoice::Cognito(pool) = settings.pool() else {
            panic!("expected a Cognito pool");
        };
        assert_eq!(
            pool.hosted_ui,
            "https://example.auth.eu-west-1.amazoncognito.com"
        );
        assert_eq!(
            pool.issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(settings.logout_uri(), "https://app.example.com/");
        assert!(settings.secure_cookies());
    }

    #[test]
    fn a_standalone_local_pool_is_used_by_url() {
        let settings = parse(&[
            "--userpool-url=http://127.0.0.1:9229/",
            "--cognito-user-pool-id=us-east-1_LocalPool",
            "--cognito-client-id=abc",
        ])
        .expect("standalone pool settings");
        let PoolChoice::Cognito(pool) = settings.pool() else {
            panic!("expected an external pool");
        };
        assert_eq!(pool.hosted_ui, "http://127.0.0.1:9229");
        assert_eq!(pool.issuer, "http://127.0.0.1:9229/us-east-1_LocalPool");
        assert_eq!(pool.api_endpoint, "http://127.0.0.1:9229/");
        assert_eq!(pool.region, "us-east-1");
        assert!(pool.local);
        assert!(parse(&["--userpool-url=http://127.0.0.1:9229"]).is_err());
    }

    #[test]
    fn another_openid_provider_is_named_by_its_issuer() {
        let settings = parse(&[
            "--app-url=https://app.example.com",
            "--oidc-issuer=https://id.example.com/realms/app",
            "--oidc-client-id=app",
            "--oidc-client-secret=s3cret",
            "--oidc-scopes=openid   email offline_access",
            "--oidc-groups-claim=realm_access.roles",
        ])
        .expect("provider settings");
        let PoolChoice::OpenId(client, groups) = settings.pool() else {
            panic!("expected an OpenID provider");
        };
        assert_eq!(client.issuer, "https://id.example.com/realms/app");
        assert_eq!(client.client_secret.as_deref(), Some("s3cret"));
        assert_eq!(client.scopes, "openid email offline_access");
        assert_eq!(client.redirect_uri, "https://app.example.com/callback");
        assert_eq!(
            groups,
            GroupsClaim::new("realm_access.roles").expect("path")
        );
        // The defaults: a standard sign-in, groups in `groups`.
        let settings = parse(&[
            "--oidc-issuer=https://id.example.com",
            "--oidc-client-id=app",
        ])
        .expect("provider settings");
        let PoolChoice::OpenId(client, groups) = settings.pool() else {
            panic!("expected an OpenID provider");
        };
        assert_eq!(client.scopes, "openid email profile");
        assert_eq!(client.client_secret, None);
        assert_eq!(groups, GroupsClaim::new("groups").expect("name"));
    }

    #[test]
    fn an_openid_provider_needs_a_client_the_openid_scope_and_no_other_pool() {
        assert!(parse(&["--oidc-issuer=https://id.example.com"]).is_err());
        let without_openid = parse(&[
            "--oidc-issuer=https://id.example.com",
            "--oidc-client-id=app",
            "--oidc-scopes=email",
        ]);
        assert!(without_openid.is_err());
        let both = parse(&[
            "--oidc-issuer=https://id.example.com",
            "--oidc-client-id=app",
            "--userpool-url=http://127.0.0.1:9229",
            "--cognito-user-pool-id=us-east-1_LocalPool",
            "--cognito-client-id=abc",
        ]);
        assert!(both.is_err());
    }

    #[test]
    fn a_partial_cognito_configuration_is_an_error() {
        let error =
            parse(&["--cognito-domain=example.auth.eu-west-1.amazoncognito.com"]).unwrap_err();
        assert!(
            error.to_string().contains("cognito-user-pool-id"),
            "{error}"
        );
    }
}
