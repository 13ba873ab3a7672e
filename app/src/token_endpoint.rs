//! The server's requests to the provider's token and revocation endpoints, as
//! this app's client: redeeming a code (for providers whose code the server
//! redeems, `pool::Redeem::Server`), and the form posts of `refresh` and
//! logout's revocation. A client with a secret authenticates the way the
//! provider's discovery document allows (RFC 6749 §2.3.1: HTTP Basic first);
//! a public client names itself with `client_id` in the body.

use serde::Deserialize;

use crate::pool::PoolEndpoints;

/// How the app's client proves itself at the provider's endpoints.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// A public client (Cognito's app clients without secret, PKCE only).
    Public,
    /// `client_secret_basic`.
    SecretBasic(String),
    /// `client_secret_post`, for providers that do not take Basic.
    SecretPost(String),
}

// Never prints the secret.
impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClientAuth::Public => "Public",
            ClientAuth::SecretBasic(_) => "SecretBasic(…)",
            ClientAuth::SecretPost(_) => "SecretPost(…)",
        })
    }
}

impl ClientAuth {
    /// The method for `secret` among the provider's `token_endpoint_auth_methods_supported`
    /// (absent: `client_secret_basic`, the OpenID Connect default).
    pub fn for_secret(secret: Option<String>, supported: Option<&[String]>) -> ClientAuth {
        let Some(secret) = secret else {
            return ClientAuth::Public;
        };
        let offers =
            |method: &str| supported.is_none_or(|methods| methods.iter().any(|m| m == method));
        if !offers("client_secret_basic") && offers("client_secret_post") {
            ClientAuth::SecretPost(secret)
        } else {
            ClientAuth::SecretBasic(secret)
        }
    }

    /// A form post of `body` (which names the client) to `url`, authenticated.
    pub fn post(
        &self,
        http: &reqwest::Client,
        url: &str,
        client_id: &str,
        body: String,
    ) -> reqwest::RequestBuilder {
        let request = http.post(url).header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
        match self {
            ClientAuth::Public => request.body(body),
            // RFC 6749 §2.3.1: both halves form-encoded before they are joined.
            ClientAuth::SecretBasic(secret) => request
                .basic_auth(form_encoded(client_id), Some(form_encoded(secret)))
                .body(body),
            ClientAuth::SecretPost(secret) => {
                let secret = form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_secret", secret)
                    .finish();
                request.body(format!("{body}&{secret}"))
            }
        }
    }
}

fn form_encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A token endpoint's answer to a code or a refresh token.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    pub id_token: String,
    pub access_token: String,
    /// Absent from refreshes at pools that do not rotate them, and from
    /// providers that issue none (without `offline_access`, say).
    pub refresh_token: Option<String>,
}

/// Why the token endpoint gave no tokens.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// RFC 6749's `error` (`invalid_grant`, …): this code or token is no good.
    #[error("the provider refused it ({0})")]
    Refused(String),
    #[error("the provider could not be reached: {0}")]
    Transport(String),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// Posts a token request and reads its answer.
pub async fn request_tokens(request: reqwest::RequestBuilder) -> Result<TokenResponse, TokenError> {
    let response = request
        .send()
        .await
        .map_err(|e| TokenError::Transport(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .map_err(|_| TokenError::Transport("an unreadable token response".into()));
    }
    if status.is_client_error() {
        let reason = match response.json::<ErrorBody>().await {
            Ok(body) => body.error,
            Err(_) => format!("HTTP {status}"),
        };
        return Err(TokenError::Refused(reason));
    }
    Err(TokenError::Transport(format!("HTTP {status}")))
}

/// Redeems a code of this client for tokens, with the attempt's PKCE verifier.
pub async fn redeem_code(
    http: &reqwest::Client,
    pool: &PoolEndpoints,
    auth: &ClientAuth,
    code: &str,
    verifier: &str,
) -> Result<TokenResponse, TokenError> {
    let body = pool.code_exchange_body(code, verifier);
    request_tokens(auth.post(http, &pool.token_url, &pool.client_id, body)).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use axum::routing::post;

    use super::*;

    #[test]
    fn a_secret_goes_by_basic_unless_the_provider_takes_only_post() {
        let methods = |list: &[&str]| list.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>();
        let secret = || Some("s".to_owned());
        assert_eq!(ClientAuth::for_secret(None, None), ClientAuth::Public);
        assert_eq!(
            ClientAuth::for_secret(secret(), None),
            ClientAuth::SecretBasic("s".into())
        );
        let post_only = methods(&["client_secret_post", "private_key_jwt"]);
        assert_eq!(
            ClientAuth::for_secret(secret(), Some(&post_only)),
            ClientAuth::SecretPost("s".into())
        );
        let both = methods(&["client_secret_post", "client_secret_basic"]);
        assert_eq!(
            ClientAuth::for_secret(secret(), Some(&both)),
            ClientAuth::SecretBasic("s".into())
        );
        assert_eq!(
            format!("{:?}", ClientAuth::SecretPost("hunter2".into())),
            "SecretPost(…)"
        );
    }

    /// A token endpoint that answers with what it was sent: its Authorization header and body.
    async fn echoing_token_endpoint() -> PoolEndpoints {
        let app = axum::Router::new().route(
            "/oauth2/token",
            post(|headers: HeaderMap, body: String| async move {
                let basic = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_owned();
                if body.contains("code=bad") {
                    return (
                        axum::http::StatusCode::BAD_REQUEST,
                        axum::Json(serde_json::json!({ "error": "invalid_grant" })),
                    );
                }
                (
                    axum::http::StatusCode::OK,
                    axum::Json(serde_json::json!({
                        "id_token": basic, "access_token": body, "token_type": "Bearer"
                    })),
                )
            }),
        );
        crate::test_tokens::pool_serving(app).await
    }

    #[tokio::test]
    async fn a_code_is_redeemed_with_the_verifier_and_the_clients_secret() {
        let pool = echoing_token_endpoint().await;
        let http = reqwest::Client::new();
        let basic = ClientAuth::SecretBasic("se:cr+et".into());
        let tokens = redeem_code(&http, &pool, &basic, "c0de", "v3r")
            .await
            .expect("tokens");
        // base64("client:se%3Acr%2Bet")
        assert_eq!(tokens.id_token, "Basic Y2xpZW50OnNlJTNBY3IlMkJldA==");
        assert!(
            tokens.access_token.contains("code_verifier=v3r"),
            "{}",
            tokens.access_token
        );
        assert_eq!(tokens.refresh_token, None);

        let post = ClientAuth::SecretPost("se:cr+et".into());
        let tokens = redeem_code(&http, &pool, &post, "c0de", "v3r")
            .await
            .expect("tokens");
        assert_eq!(tokens.id_token, "none");
        assert!(
            tokens.access_token.ends_with("&client_secret=se%3Acr%2Bet"),
            "{}",
            tokens.access_token
        );

        assert_eq!(
            redeem_code(&http, &pool, &ClientAuth::Public, "bad", "v3r")
                .await
                .err(),
            Some(TokenError::Refused("invalid_grant".into()))
        );
    }
}
