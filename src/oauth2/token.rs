//! `POST /oauth2/token`: client authentication (public clients by id; secret
//! clients by `client_secret_basic` or `client_secret_post`), the
//! `authorization_code` grant (single-use codes bound to client, redirect URI and
//! PKCE challenge; a replayed code revokes what it issued) and the
//! `refresh_token` grant (new ID and access tokens from the same authentication
//! event; a new refresh token too when the client rotates them), and the
//! `client_credentials` grant of machine clients.

use axum::Json;
use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::token_error::TokenError;
use crate::config::{Client, OAuthFlow};
use crate::grants::{self, Authentication, Source, Tokens};
use crate::pools::Pool;
use crate::scope::Scope;
use crate::store::{Redeemed, User};
use crate::{UserPool, pkce, secrets};

#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    expires_in: i64,
    token_type: &'static str,
}

pub(super) async fn token(
    pool: UserPool,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, TokenError> {
    let Form(request) = form.map_err(|_| TokenError::InvalidRequest)?;
    let client = authenticate_client(
        pool.pool(),
        &headers,
        &request.client_id,
        &request.client_secret,
    )?;
    let tokens = match Grant::parse(client, &request)? {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => exchange_code(&pool, client, code, redirect_uri, code_verifier).await?,
        Grant::ClientCredentials { scope } => {
            let scope = machine_scope(client, scope)?;
            Tokens {
                id_token: None,
                access_token: grants::for_client(&pool, &client.id, &scope, crate::now()).await?,
                refresh_token: None,
                expires_in: pool.pool().access_token_seconds(&client.id),
            }
        }
        Grant::RefreshToken { refresh_token } => {
            grants::refresh(&pool, client, refresh_token, crate::now())
                .await?
                .map_err(|_| TokenError::InvalidGrant)?
        }
    };
    let mut response = Json(TokenResponse {
        id_token: tokens.id_token,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_in: tokens.expires_in,
        token_type: "Bearer",
    })
    .into_response();
    // Tokens must not be cached (RFC 6749 §5.1).
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// What a token request asks for, with the fields its grant type needs
/// (kanidm's `GrantTypeReq`).
#[derive(Debug, PartialEq, Eq)]
enum Grant<'a> {
    AuthorizationCode {
        code: &'a str,
        redirect_uri: &'a str,
        code_verifier: &'a str,
    },
    RefreshToken {
        refresh_token: &'a str,
    },
    ClientCredentials {
        scope: Option<&'a str>,
    },
}

impl<'a> Grant<'a> {
    /// The grant of `request` from the authenticated `client`. A grant type the
    /// client may not use is refused before its fields are looked at; the
    /// refresh grant is open to every client (its token names the client).
    fn parse(client: &Client, request: &'a TokenRequest) -> Result<Grant<'a>, TokenError> {
        let allowed = |flow: OAuthFlow| {
            if client.allows_oauth_flow(flow) {
                Ok(())
            } else {
                Err(TokenError::UnauthorizedClient)
            }
        };
        match request.grant_type.as_deref() {
            Some("authorization_code") => {
                allowed(OAuthFlow::Code)?;
                Ok(Grant::AuthorizationCode {
                    code: required(&request.code)?,
                    redirect_uri: required(&request.redirect_uri)?,
                    code_verifier: required(&request.code_verifier)?,
                })
            }
            Some("client_credentials") => {
                allowed(OAuthFlow::ClientCredentials)?;
                Ok(Grant::ClientCredentials {
                    scope: request.scope.as_deref(),
                })
            }
            Some("refresh_token") => Ok(Grant::RefreshToken {
                refresh_token: required(&request.refresh_token)?,
            }),
            Some(_) => Err(TokenError::UnsupportedGrantType),
            None => Err(TokenError::InvalidRequest),
        }
    }
}

pub(super) fn required(value: &Option<String>) -> Result<&str, TokenError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or(TokenError::InvalidRequest)
}

/// The client a request comes from, authenticated (RFC 6749 §2.3): a client
/// with a secret by HTTP Basic (`client_secret_basic`) or by form fields
/// (`client_secret_post`), never both; a public client by its `client_id`
/// alone, and it must not present a secret.
pub(super) fn authenticate_client<'a>(
    pool: &'a Pool,
    headers: &HeaderMap,
    client_id: &Option<String>,
    client_secret: &Option<String>,
) -> Result<&'a Client, TokenError> {
    let basic = basic_credentials(headers)?;
    let (id, secret) = match (basic, client_secret) {
        (Some(_), Some(_)) => return Err(TokenError::InvalidRequest),
        (Some((id, secret)), None) => {
            // A form `client_id`, if any, must name the same client.
            if client_id.as_deref().is_some_and(|form_id| form_id != id) {
                return Err(TokenError::InvalidClient);
            }
            (id, Some(secret))
        }
        (None, secret) => (required(client_id)?.to_owned(), secret.clone()),
    };
    let client = pool.client(&id).ok_or(TokenError::InvalidClient)?;
    if client.proves_secret(secret.as_deref()) {
        Ok(client)
    } else {
        Err(TokenError::InvalidClient)
    }
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`, if present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let decoded = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| STANDARD.decode(b64.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(TokenError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(TokenError::InvalidClient)?;
    let unescape = |part: &str| -> String {
        url::form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// The scopes of a `client_credentials` token: custom (resource-server) scopes
/// only, all those requested or, when none are, all the client may have.
fn machine_scope(client: &Client, requested: Option<&str>) -> Result<Scope, TokenError> {
    let allowed: Scope = client
        .allowed_scopes
        .iter()
        .map(String::as_str)
        .filter(|s| s.contains('/'))
        .collect();
    let requested = Scope::parse(requested.unwrap_or_default());
    if !requested.is_subset(&allowed) {
        return Err(TokenError::InvalidScope);
    }
    let granted = if requested.is_empty() {
        allowed
    } else {
        requested
    };
    if granted.is_empty() {
        return Err(TokenError::InvalidScope);
    }
    Ok(granted)
}

async fn exchange_code(
    pool: &UserPool,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Tokens, TokenError> {
    let now = crate::now();
    let code_hash = secrets::digest(code);
    let issued = match pool.store().redeem_auth_code(&code_hash, now).await? {
        Redeemed::Fresh(issued) => issued,
        Redeemed::Replayed | Redeemed::Unknown => return Err(TokenError::InvalidGrant),
    };
    // The code is spent whatever happens next, so a wrong verifier cannot be retried.
    if issued.expires_at <= now
        || issued.client_id != client.id
        || issued.redirect_uri != redirect_uri
        || !pkce::verify_s256(verifier, &issued.code_challenge)
    {
        return Err(TokenError::InvalidGrant);
    }
    let user = pool
        .store()
        .user(&issued.sub)
        .await?
        .filter(User::can_hold_tokens)
        .ok_or(TokenError::InvalidGrant)?;
    Ok(grants::start(
        pool,
        &Authentication {
            user: &user,
            client_id: &client.id,
            scope: &issued.scope,
            auth_time: issued.auth_time,
            event_id: &issued.event_id,
            nonce: issued.nonce.as_deref(),
            source: Source::AuthorizationCode(&code_hash),
        },
        now,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_CLIENT: &str = r#"
[[clients]]
name = "backend"
id = "backend"
secret = "s3cret:with/odd chars"
callback_urls = ["http://127.0.0.1:4000/callback"]
allowed_scopes = ["openid"]
"#;

    /// The test clients (`mach1ne` among them), and a client whose secret needs escaping.
    fn config() -> Pool {
        let text = crate::tests::CONFIG.to_owned() + crate::tests::MACHINE_AND_ROTATION_CONFIG;
        Pool::declared(&crate::Config::from_toml(&(text + SECRET_CLIENT)).unwrap())
    }

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let encode = |part: &str| -> String {
            url::form_urlencoded::byte_serialize(part.as_bytes()).collect()
        };
        let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {credentials}").parse().unwrap(),
        );
        headers
    }

    fn some(value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    #[test]
    fn clients_authenticate_as_registered() {
        let config = config();
        let none = HeaderMap::new();
        let id = |result: Result<&Client, TokenError>| result.map(|c| c.id.clone());

        // client_secret_basic (form-encoded inside Basic, RFC 6749 §2.3.1) and client_secret_post.
        let good = basic("backend", "s3cret:with/odd chars");
        assert_eq!(
            id(authenticate_client(&config, &good, &None, &None)).unwrap(),
            "backend"
        );
        assert_eq!(
            id(authenticate_client(
                &config,
                &none,
                &some("backend"),
                &some("s3cret:with/odd chars")
            ))
            .unwrap(),
            "backend"
        );
        // Public clients by id alone.
        assert!(
            authenticate_client(&config, &none, &some("1ocal4pp5c1ient0leptos0cog"), &None).is_ok()
        );

        let refusals = [
            // A secret client without its secret, or with a wrong one.
            (none.clone(), some("backend"), None, "invalid_client"),
            (
                none.clone(),
                some("backend"),
                some("guess"),
                "invalid_client",
            ),
            (basic("backend", "guess"), None, None, "invalid_client"),
            // A public client presenting a secret.
            (
                none.clone(),
                some("1ocal4pp5c1ient0leptos0cog"),
                some("x"),
                "invalid_client",
            ),
            // Two methods at once, or Basic naming another client than the form.
            (
                good.clone(),
                some("backend"),
                some("s3cret:with/odd chars"),
                "invalid_request",
            ),
            (
                good.clone(),
                some("1ocal4pp5c1ient0leptos0cog"),
                None,
                "invalid_client",
            ),
            // Unknown clients, no client at all, and a malformed header.
            (none.clone(), some("nobody"), None, "invalid_client"),
            (none.clone(), None, None, "invalid_request"),
            (basic("", ""), None, None, "invalid_client"),
        ];
        for (headers, client_id, secret, expected) in refusals {
            let error = authenticate_client(&config, &headers, &client_id, &secret).unwrap_err();
            assert_eq!(error.to_string(), expected, "{client_id:?} {secret:?}");
        }
        let mut garbled = HeaderMap::new();
        garbled.insert(header::AUTHORIZATION, "Basic %%%".parse().unwrap());
        assert!(authenticate_client(&config, &garbled, &None, &None).is_err());
    }

    #[test]
    fn requests_parse_into_the_grant_their_type_names() {
        let config = config();
        // The browser client may use the code grant only, the machine client client_credentials only.
        let browser = config.client("1ocal4pp5c1ient0leptos0cog").unwrap();
        let machine = config.client("mach1ne").unwrap();
        let parse = |client: &Client, request: &TokenRequest| {
            Grant::parse(client, request)
                .map(|grant| format!("{grant:?}"))
                .map_err(|error| error.to_string())
        };
        let code = |code_verifier: Option<String>| TokenRequest {
            grant_type: some("authorization_code"),
            code: some("the-code"),
            redirect_uri: some("http://127.0.0.1:3000/callback"),
            code_verifier,
            ..TokenRequest::default()
        };
        let grant = |grant_type: &str| TokenRequest {
            grant_type: some(grant_type),
            ..TokenRequest::default()
        };

        let request = code(some("the-verifier"));
        assert_eq!(
            Grant::parse(browser, &request).unwrap(),
            Grant::AuthorizationCode {
                code: "the-code",
                redirect_uri: "http://127.0.0.1:3000/callback",
                code_verifier: "the-verifier",
            }
        );
        let request = TokenRequest {
            refresh_token: some("the-token"),
            ..grant("refresh_token")
        };
        for client in [browser, machine] {
            assert_eq!(
                Grant::parse(client, &request).unwrap(),
                Grant::RefreshToken {
                    refresh_token: "the-token"
                }
            );
        }
        let request = TokenRequest {
            scope: some("https://api.example.com/read"),
            ..grant("client_credentials")
        };
        assert_eq!(
            Grant::parse(machine, &request).unwrap(),
            Grant::ClientCredentials {
                scope: Some("https://api.example.com/read")
            }
        );
        assert_eq!(
            Grant::parse(machine, &grant("client_credentials")).unwrap(),
            Grant::ClientCredentials { scope: None }
        );

        let refusals = [
            // A missing or empty field the grant needs.
            (browser, code(None), "invalid_request"),
            (browser, code(some("")), "invalid_request"),
            (browser, grant("refresh_token"), "invalid_request"),
            // A grant the client may not use, whatever its fields.
            (machine, code(None), "unauthorized_client"),
            (browser, grant("client_credentials"), "unauthorized_client"),
            // An unknown grant type, and none at all.
            (browser, grant("password"), "unsupported_grant_type"),
            (browser, grant(""), "unsupported_grant_type"),
            (browser, TokenRequest::default(), "invalid_request"),
        ];
        for (client, request, expected) in refusals {
            assert_eq!(
                parse(client, &request),
                Err(expected.to_owned()),
                "{} {request:?}",
                client.id
            );
        }
    }
}
