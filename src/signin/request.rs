//! The authorization request (`client_id`, `redirect_uri`, PKCE challenge, ...):
//! its raw parameters as they travel through the hosted UI's query strings and
//! hidden fields, their validation (re-run on every request) and the URLs built
//! from a validated request.

use serde::{Deserialize, Serialize};

use crate::config::OAuthFlow;
use crate::pkce;
use crate::pools::Pool;
use crate::scope::Scope;
use crate::web::PageError;
use crate::web::client_url::{error_url, with_query};

/// The OAuth parameters exactly as received; nothing here is trusted until
/// [`validate`] turns it into an [`AuthRequest`].
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct OAuthParams {
    pub(crate) response_type: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) identity_provider: Option<String>,
    pub(crate) idp_identifier: Option<String>,
}

impl OAuthParams {
    /// The parameters that are present, for hidden form fields.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", &self.state),
            ("scope", &self.scope),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("nonce", &self.nonce),
            ("identity_provider", &self.identity_provider),
            ("idp_identifier", &self.idp_identifier),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }

    /// The parameters as a query string, plus `extra` pairs first.
    pub(crate) fn query(&self, extra: &[(&str, &str)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(extra.iter().copied())
            .extend_pairs(self.pairs())
            .finish()
    }
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub(crate) struct AuthRequest {
    pub(crate) client_id: String,
    /// Exactly one of the client's registered callback URLs.
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    /// The granted scopes.
    pub(crate) scope: Scope,
    pub(crate) response: ResponseType,
    pub(crate) nonce: Option<String>,
    /// Where the client sends the user: straight to one of its upstream identity
    /// providers (`identity_provider=`, or one of its `idp_identifier=`s), or to the hosted UI.
    pub(crate) sign_in_at: SignInAt,
    /// The raw parameters, to carry on to the next page.
    pub(crate) params: OAuthParams,
}

/// Where an authorization request signs its user in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignInAt {
    /// The hosted UI, with the pool's own users (and buttons for the client's providers).
    HostedUi,
    /// The upstream provider of this name, which the client supports.
    Provider(String),
    /// The upstream provider, among the client's, that has this identifier.
    Identifier(String),
}

/// What the client asked to get back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResponseType {
    /// An authorization code, redeemable with the PKCE verifier of this S256 challenge.
    Code { code_challenge: String },
    /// Tokens in the redirect's fragment (the implicit grant), for clients that enable it.
    Token,
}

/// Checks an authorization request as Cognito's `/oauth2/authorize` does. Until the
/// client and redirect URI are known to match, errors are shown on the pool's own
/// page (never redirected: no open redirect); after that, they go back to the client.
pub(crate) fn validate(pool: &Pool, params: &OAuthParams) -> Result<AuthRequest, PageError> {
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| PageError::BadRequest("The client_id parameter is missing.".into()))?;
    let client = pool.client(client_id).ok_or_else(|| {
        PageError::BadRequest("The client_id does not name an app client of this user pool.".into())
    })?;
    let redirect_uri = params
        .redirect_uri
        .as_deref()
        .filter(|uri| client.callback_urls.iter().any(|u| u == uri))
        .ok_or_else(|| {
            PageError::BadRequest(
                "The redirect_uri is missing or is not a callback URL registered for this client."
                    .into(),
            )
        })?;

    let to_client = |error: &str, description: &str| {
        PageError::ToClient(error_url(
            redirect_uri,
            error,
            Some(description),
            params.state.as_deref(),
        ))
    };
    let sign_in_at = match (
        params.identity_provider.as_deref(),
        params.idp_identifier.as_deref(),
    ) {
        (Some("COGNITO"), _) | (None, None) => SignInAt::HostedUi,
        (Some(name), _) if client.identity_providers.iter().any(|p| p == name) => {
            SignInAt::Provider(name.to_owned())
        }
        (Some(_), _) => {
            return Err(to_client(
                "invalid_request",
                "identity_provider is not a provider of this app client",
            ));
        }
        (None, Some(identifier)) => SignInAt::Identifier(identifier.to_owned()),
    };
    let response = match params.response_type.as_deref() {
        Some("code") if client.allows_oauth_flow(OAuthFlow::Code) => ResponseType::Code {
            code_challenge: pkce_challenge(params).map_err(|e| to_client("invalid_request", e))?,
        },
        Some("token") if client.allows_oauth_flow(OAuthFlow::Implicit) => ResponseType::Token,
        Some("code" | "token") => {
            return Err(to_client(
                "unauthorized_client",
                "the client may not use this response type",
            ));
        }
        None => return Err(to_client("invalid_request", "response_type is required")),
        Some(_) => {
            return Err(to_client(
                "unsupported_response_type",
                "response_type must be code or token",
            ));
        }
    };

    // Unknown or unallowed scopes are ignored; none left means all the client may have.
    let allowed: Scope = client.allowed_scopes.iter().map(String::as_str).collect();
    let granted = Scope::parse(params.scope.as_deref().unwrap_or("")).intersection(&allowed);
    let scope = if granted.is_empty() { allowed } else { granted };

    Ok(AuthRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: params.state.clone(),
        scope,
        response,
        nonce: params.nonce.clone(),
        sign_in_at,
        params: params.clone(),
    })
}

/// The S256 PKCE challenge every code request must carry (RFC 9700 §2.1.1:
/// PKCE for all clients, and never `plain`).
fn pkce_challenge(params: &OAuthParams) -> Result<String, &'static str> {
    let challenge = params
        .code_challenge
        .as_deref()
        .ok_or("code_challenge is required (PKCE)")?;
    if params.code_challenge_method.as_deref() != Some("S256") {
        return Err("code_challenge_method must be S256");
    }
    if !pkce::challenge_is_valid(challenge) {
        return Err("code_challenge is malformed");
    }
    Ok(challenge.to_owned())
}

impl AuthRequest {
    /// Back to the client with an authorization code.
    pub(crate) fn success_url(&self, code: &str) -> String {
        with_query(
            &self.redirect_uri,
            &[("code", Some(code)), ("state", self.state.as_deref())],
        )
    }

    /// Back to an implicit client with its tokens in the fragment, which browsers
    /// never send to servers.
    pub(crate) fn token_url(&self, tokens: &crate::grants::Tokens) -> String {
        let expires_in = tokens.expires_in.to_string();
        let fragment = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                [
                    ("id_token", tokens.id_token.as_deref()),
                    ("access_token", Some(tokens.access_token.as_str())),
                    ("expires_in", Some(expires_in.as_str())),
                    ("token_type", Some("Bearer")),
                    ("state", self.state.as_deref()),
                ]
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name, v))),
            )
            .finish();
        format!("{}#{fragment}", self.redirect_uri)
    }

    /// The hosted UI's "Cancel": back to the client with `access_denied`.
    pub(crate) fn cancel_url(&self) -> String {
        error_url(
            &self.redirect_uri,
            "access_denied",
            None,
            self.state.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "1ocal4pp5c1ient0leptos0cog";
    const CALLBACK: &str = "http://127.0.0.1:3000/callback";

    fn params() -> OAuthParams {
        OAuthParams {
            response_type: Some("code".into()),
            client_id: Some(CLIENT.into()),
            redirect_uri: Some(CALLBACK.into()),
            state: Some("xyz".into()),
            scope: Some("openid bogus email openid".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            code_challenge_method: Some("S256".into()),
            nonce: None,
            identity_provider: Some("COGNITO".into()),
            idp_identifier: None,
        }
    }

    fn config() -> Pool {
        Pool::declared(&crate::Config::from_toml(crate::tests::CONFIG).unwrap())
    }

    #[test]
    fn valid_request_grants_known_scopes() {
        let request = validate(&config(), &params()).unwrap();
        assert_eq!(request.scope.to_string(), "openid email");
        assert_eq!(
            request.success_url("c0de"),
            format!("{CALLBACK}?code=c0de&state=xyz")
        );
        assert_eq!(
            request.cancel_url(),
            format!("{CALLBACK}?error=access_denied&state=xyz")
        );
        let no_scope = OAuthParams {
            scope: None,
            ..params()
        };
        assert_eq!(
            validate(&config(), &no_scope).unwrap().scope.to_string(),
            "openid email profile aws.cognito.signin.user.admin"
        );
    }

    #[test]
    fn client_and_redirect_errors_stay_on_the_pool() {
        let unknown = OAuthParams {
            client_id: Some("nope".into()),
            ..params()
        };
        assert!(matches!(
            validate(&config(), &unknown),
            Err(PageError::BadRequest(_))
        ));
        for uri in [
            "http://evil.example/callback",
            "http://127.0.0.1:3000/callback/",
            "http://127.0.0.1:3000/callback?x=1",
        ] {
            let bad = OAuthParams {
                redirect_uri: Some(uri.into()),
                ..params()
            };
            assert!(
                matches!(validate(&config(), &bad), Err(PageError::BadRequest(_))),
                "{uri}"
            );
        }
    }

    #[test]
    fn other_errors_go_back_to_the_client() {
        let cases = [
            (
                OAuthParams {
                    response_type: Some("id_token".into()),
                    ..params()
                },
                "unsupported_response_type",
            ),
            // This client has not enabled the implicit grant.
            (
                OAuthParams {
                    response_type: Some("token".into()),
                    ..params()
                },
                "unauthorized_client",
            ),
            (
                OAuthParams {
                    identity_provider: Some("Google".into()),
                    ..params()
                },
                "invalid_request",
            ),
            (
                OAuthParams {
                    code_challenge: None,
                    ..params()
                },
                "invalid_request",
            ),
            (
                OAuthParams {
                    code_challenge_method: Some("plain".into()),
                    ..params()
                },
                "invalid_request",
            ),
            (
                OAuthParams {
                    code_challenge_method: None,
                    ..params()
                },
                "invalid_request",
            ),
        ];
        for (request, error) in cases {
            match validate(&config(), &request) {
                Err(PageError::ToClient(url)) => {
                    assert!(
                        url.starts_with(&format!("{CALLBACK}?error={error}&")),
                        "{url}"
                    );
                    assert!(url.ends_with("&state=xyz"), "{url}");
                }
                other => panic!("expected a redirect for {error}, got {other:?}"),
            }
        }
    }

    #[test]
    fn implicit_clients_get_tokens_in_the_fragment() {
        let text = crate::tests::CONFIG.replace(
            "allowed_scopes = [\"openid\", \"email\", \"profile\", \"aws.cognito.signin.user.admin\"]",
            "allowed_scopes = [\"openid\", \"email\", \"profile\", \"aws.cognito.signin.user.admin\"]\noauth_flows = [\"code\", \"implicit\"]",
        );
        let config = Pool::declared(&crate::Config::from_toml(&text).unwrap());
        let implicit = OAuthParams {
            response_type: Some("token".into()),
            code_challenge: None,
            code_challenge_method: None,
            ..params()
        };
        let request = validate(&config, &implicit).unwrap();
        assert_eq!(request.response, ResponseType::Token);
        let url = request.token_url(&crate::grants::Tokens {
            id_token: Some("i.d.t".into()),
            access_token: "a.c.t".into(),
            refresh_token: None,
            expires_in: 3600,
        });
        assert_eq!(
            url,
            format!(
                "{CALLBACK}#id_token=i.d.t&access_token=a.c.t&expires_in=3600&token_type=Bearer&state=xyz"
            )
        );
        // Codes still need PKCE.
        assert!(
            validate(
                &config,
                &OAuthParams {
                    code_challenge: None,
                    ..params()
                }
            )
            .is_err()
        );
    }
}
