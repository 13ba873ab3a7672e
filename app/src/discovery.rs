//! Another OpenID provider (Keycloak, Auth0, Okta, Kanidm, Zitadel, Authentik,
//! …) found by its issuer: OpenID Connect Discovery 1.0's
//! `{issuer}/.well-known/openid-configuration`, read once at start-up and
//! checked before the app trusts any of it. What it yields is the same
//! `PoolEndpoints` a Cognito pool has, the key set to verify id tokens with,
//! and how the app's client authenticates.

use serde::Deserialize;

use crate::pool::{Logout, PoolEndpoints, Redeem};
use crate::token_endpoint::ClientAuth;

/// The app's client at the provider, as configured (`OIDC_*`).
#[derive(Clone)]
pub struct OpenIdClient {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Space-separated; `openid` among them.
    pub scopes: String,
    pub redirect_uri: String,
    pub logout_uri: String,
}

/// What discovery found, checked.
#[derive(Debug)]
pub struct Discovered {
    pub endpoints: PoolEndpoints,
    pub jwks_uri: String,
    pub client_auth: ClientAuth,
}

/// Why the provider cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("its discovery document at {url} could not be read: {reason}")]
    Unreadable { url: String, reason: String },
    #[error(
        "it calls itself {published}, not {configured}: set the issuer to exactly what it publishes"
    )]
    IssuerMismatch {
        configured: String,
        published: String,
    },
    #[error("its {field} ({url}) is neither https nor on this machine")]
    Insecure { field: &'static str, url: String },
    #[error("it does not support {0}, which this app needs")]
    Unsupported(&'static str),
}

/// The discovery document's fields this app uses (RFC 8414 / OpenID Connect Discovery names).
#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub code_challenge_methods_supported: Option<Vec<String>>,
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Where an issuer publishes its discovery document (Discovery §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// How long start-up waits for the discovery document.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads and checks the provider's discovery document.
pub async fn discover(client: &OpenIdClient) -> Result<Discovered, DiscoveryError> {
    let url = discovery_url(&client.issuer);
    let unreadable = |reason: String| DiscoveryError::Unreadable {
        url: url.clone(),
        reason,
    };
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        // A redirect could lead to another host's document.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| unreadable(e.to_string()))?;
    let metadata: Metadata = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| unreadable(e.to_string()))?
        .json()
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    checked(metadata, client)
}

/// The endpoints of `metadata` for `client`, once the document is one this app
/// can trust and use: the issuer it was asked for (Discovery §4.3), endpoints
/// over https (or loopback, for development), the code flow, RS256 id tokens
/// and PKCE S256.
pub fn checked(metadata: Metadata, client: &OpenIdClient) -> Result<Discovered, DiscoveryError> {
    if metadata.issuer != client.issuer {
        return Err(DiscoveryError::IssuerMismatch {
            configured: client.issuer.clone(),
            published: metadata.issuer,
        });
    }
    let optional = [
        ("userinfo_endpoint", metadata.userinfo_endpoint.as_deref()),
        (
            "end_session_endpoint",
            metadata.end_session_endpoint.as_deref(),
        ),
        (
            "revocation_endpoint",
            metadata.revocation_endpoint.as_deref(),
        ),
    ];
    let required = [
        ("issuer", metadata.issuer.as_str()),
        ("authorization_endpoint", &metadata.authorization_endpoint),
        ("token_endpoint", &metadata.token_endpoint),
        ("jwks_uri", &metadata.jwks_uri),
    ];
    let urls = required.into_iter().chain(
        optional
            .into_iter()
            .filter_map(|(field, url)| Some((field, url?))),
    );
    for (field, url) in urls {
        if !is_secure(url) {
            return Err(DiscoveryError::Insecure {
                field,
                url: url.to_owned(),
            });
        }
    }
    if !metadata
        .response_types_supported
        .iter()
        .any(|t| t == "code")
    {
        return Err(DiscoveryError::Unsupported("the authorization-code flow"));
    }
    if !metadata
        .id_token_signing_alg_values_supported
        .iter()
        .any(|alg| alg == "RS256")
    {
        return Err(DiscoveryError::Unsupported("RS256-signed id tokens"));
    }
    match &metadata.code_challenge_methods_supported {
        Some(methods) if !methods.iter().any(|m| m == crate::pkce::METHOD) => {
            return Err(DiscoveryError::Unsupported("PKCE with S256"));
        }
        Some(_) => {}
        // Many providers take PKCE without saying so; the code is then still bound to it.
        None => {
            tracing::warn!(issuer = %client.issuer, "the provider does not say whether it supports PKCE")
        }
    }
    // The app asks userInfo whether a session still stands.
    let userinfo_url = metadata
        .userinfo_endpoint
        .ok_or(DiscoveryError::Unsupported("a userinfo_endpoint"))?;
    let client_auth = ClientAuth::for_secret(
        client.client_secret.clone(),
        metadata.token_endpoint_auth_methods_supported.as_deref(),
    );
    let endpoints = PoolEndpoints {
        client_id: client.client_id.clone(),
        redirect_uri: client.redirect_uri.clone(),
        logout_uri: client.logout_uri.clone(),
        sign_up_url: metadata.authorization_endpoint.clone(),
        authorize_url: metadata.authorization_endpoint,
        token_url: metadata.token_endpoint,
        userinfo_url,
        revocation_url: metadata.revocation_endpoint,
        logout: metadata
            .end_session_endpoint
            .map_or(Logout::AppOnly, Logout::EndSession),
        api_endpoint: None,
        scopes: client.scopes.clone(),
        redeem: Redeem::Server,
    };
    Ok(Discovered {
        endpoints,
        jwks_uri: metadata.jwks_uri,
        client_auth,
    })
}

/// https, or http to this machine (a provider run locally for development and tests).
fn is_secure(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => match url.host_str() {
            Some("localhost") => true,
            Some(host) => host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn client() -> OpenIdClient {
        OpenIdClient {
            issuer: "https://id.example/realms/app".into(),
            client_id: "app".into(),
            client_secret: Some("s3cret".into()),
            scopes: "openid email groups".into(),
            redirect_uri: "https://app.example/callback".into(),
            logout_uri: "https://app.example/".into(),
        }
    }

    /// A Keycloak-like discovery document, with `changes` applied.
    fn metadata(changes: serde_json::Value) -> Metadata {
        let base = "https://id.example/realms/app/protocol/openid-connect";
        let mut document = json!({
            "issuer": "https://id.example/realms/app",
            "authorization_endpoint": format!("{base}/auth"),
            "token_endpoint": format!("{base}/token"),
            "userinfo_endpoint": format!("{base}/userinfo"),
            "jwks_uri": format!("{base}/certs"),
            "end_session_endpoint": format!("{base}/logout"),
            "revocation_endpoint": format!("{base}/revoke"),
            "response_types_supported": ["code", "id_token"],
            "id_token_signing_alg_values_supported": ["PS256", "RS256", "ES256"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        });
        for (name, value) in changes.as_object().into_iter().flatten() {
            document[name] = value.clone();
        }
        serde_json::from_value(document).expect("metadata")
    }

    #[test]
    fn a_providers_endpoints_come_from_its_discovery_document() {
        let found = checked(metadata(json!({})), &client()).expect("usable");
        let base = "https://id.example/realms/app/protocol/openid-connect";
        assert_eq!(found.endpoints.authorize_url, format!("{base}/auth"));
        assert_eq!(found.endpoints.sign_up_url, format!("{base}/auth"));
        assert_eq!(found.endpoints.token_url, format!("{base}/token"));
        assert_eq!(found.endpoints.userinfo_url, format!("{base}/userinfo"));
        assert_eq!(
            found.endpoints.logout,
            Logout::EndSession(format!("{base}/logout"))
        );
        assert_eq!(
            found.endpoints.revocation_url,
            Some(format!("{base}/revoke"))
        );
        assert_eq!(found.endpoints.api_endpoint, None);
        assert_eq!(found.endpoints.redeem, Redeem::Server);
        assert_eq!(found.endpoints.scopes, "openid email groups");
        assert_eq!(found.jwks_uri, format!("{base}/certs"));
        assert_eq!(found.client_auth, ClientAuth::SecretBasic("s3cret".into()));
        // Without an end_session_endpoint, Logout ends the app's session only.
        let quiet = checked(metadata(json!({ "end_session_endpoint": null })), &client());
        assert_eq!(quiet.expect("usable").endpoints.logout, Logout::AppOnly);
    }

    #[test]
    fn a_document_for_another_issuer_is_refused() {
        let error = checked(
            metadata(json!({ "issuer": "https://id.example/realms/app/" })),
            &client(),
        )
        .err();
        assert_eq!(
            error,
            Some(DiscoveryError::IssuerMismatch {
                configured: "https://id.example/realms/app".into(),
                published: "https://id.example/realms/app/".into(),
            })
        );
    }

    #[test]
    fn plain_http_is_refused_except_on_this_machine() {
        let error = checked(
            metadata(json!({ "token_endpoint": "http://id.example/token" })),
            &client(),
        )
        .err();
        assert_eq!(
            error,
            Some(DiscoveryError::Insecure {
                field: "token_endpoint",
                url: "http://id.example/token".into(),
            })
        );
        assert!(is_secure("http://127.0.0.1:3500/token"));
        assert!(is_secure("http://localhost:8080/realms/app"));
        assert!(is_secure("http://[::1]:8080/"));
        assert!(!is_secure("http://127.0.0.1.example/"));
        assert!(!is_secure("javascript:alert(1)"));
        assert!(!is_secure("not a url"));
    }

    #[test]
    fn a_provider_without_what_the_app_needs_is_refused() {
        for (changes, missing) in [
            (
                json!({ "response_types_supported": ["id_token"] }),
                "the authorization-code flow",
            ),
            (
                json!({ "id_token_signing_alg_values_supported": ["HS256"] }),
                "RS256-signed id tokens",
            ),
            (
                json!({ "code_challenge_methods_supported": ["plain"] }),
                "PKCE with S256",
            ),
            (json!({ "userinfo_endpoint": null }), "a userinfo_endpoint"),
        ] {
            assert_eq!(
                checked(metadata(changes), &client()).err(),
                Some(DiscoveryError::Unsupported(missing))
            );
        }
        // PKCE unannounced is taken on trust; a public client needs no secret.
        let public = OpenIdClient {
            client_secret: None,
            ..client()
        };
        let found = checked(
            metadata(json!({ "code_challenge_methods_supported": null })),
            &public,
        );
        assert_eq!(found.expect("usable").client_auth, ClientAuth::Public);
    }

    #[test]
    fn the_document_is_at_the_issuers_well_known_path() {
        assert_eq!(
            discovery_url("https://tenant.auth0.example/"),
            "https://tenant.auth0.example/.well-known/openid-configuration"
        );
    }
}
