//! The pool's operations a signed-in user calls with their own access token
//! (the passkeys' and the second factors': see `passkeys` and `mfa`), from the
//! server, as Cognito's JSON API takes them.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The pool's API, for one access token.
pub struct UserApi<'a> {
    pub http: &'a reqwest::Client,
    pub api_endpoint: &'a str,
    pub access_token: &'a str,
}

/// A refusal of the pool's API.
#[derive(Deserialize)]
struct Refusal {
    message: Option<String>,
    #[serde(rename = "__type")]
    kind: Option<String>,
}

/// Cognito's `AttributeType`, as its user operations return it (the user
/// API's and the admin API's alike).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

/// What the operations that answer nothing answer.
#[derive(Deserialize)]
pub struct Nothing {}

impl UserApi<'_> {
    /// Calls `operation` with `body` and the access token; the pool's message on refusal.
    pub async fn call<T: DeserializeOwned>(
        &self,
        operation: &str,
        mut body: Value,
    ) -> Result<T, String> {
        if let Some(fields) = body.as_object_mut() {
            fields.insert("AccessToken".to_owned(), self.access_token.into());
        }
        let response = self
            .http
            .post(self.api_endpoint)
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            return response.json().await.map_err(|e| e.to_string());
        }
        let refusal: Refusal = response.json().await.map_err(|e| e.to_string())?;
        Err(refusal
            .message
            .or(refusal.kind)
            .unwrap_or_else(|| "the user pool refused".to_owned()))
    }
}
