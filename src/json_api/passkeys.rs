//! The passkey operations a signed-in user calls with their access token:
//! StartWebAuthnRegistration, CompleteWebAuthnRegistration,
//! ListWebAuthnCredentials and DeleteWebAuthnCredential. The ceremonies are
//! `passkeys`'; this module holds their wire shapes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ApiError;
use super::users::{Empty, token_holder};
use crate::UserPool;
use crate::passkeys;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StartRequest {
    access_token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StartResponse {
    /// `PublicKeyCredentialCreationOptionsJSON`, for `navigator.credentials.create`.
    credential_creation_options: Value,
}

pub(super) async fn start_registration(
    pool: UserPool,
    request: StartRequest,
) -> Result<StartResponse, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    let options = passkeys::start_registration(&pool, &user, crate::now()).await??;
    Ok(StartResponse {
        credential_creation_options: options,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CompleteRequest {
    access_token: String,
    /// `RegistrationResponseJSON`, from `navigator.credentials.create`.
    credential: Value,
}

pub(super) async fn complete_registration(
    pool: UserPool,
    request: CompleteRequest,
) -> Result<Empty, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    passkeys::complete_registration(&pool, &user, &request.credential, crate::now()).await??;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRequest {
    access_token: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

/// Cognito's `WebAuthnCredentialDescription`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Description {
    credential_id: String,
    friendly_credential_name: String,
    relying_party_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    authenticator_attachment: Option<String>,
    authenticator_transports: Vec<String>,
    /// Seconds since the epoch, as the SDKs read Cognito's dates.
    created_at: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListResponse {
    credentials: Vec<Description>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(super) async fn list(pool: UserPool, request: ListRequest) -> Result<ListResponse, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    let limit = match request.max_results {
        None => 20,
        Some(n @ 1..=20) => n as usize,
        Some(_) => {
            return Err(ApiError::InvalidParameter(
                "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 20".to_owned(),
            ));
        }
    };
    let keys = passkeys::list(&pool, &user).await?;
    // The token is the id of the last credential of the page before.
    let start = match request.next_token.as_deref() {
        None => 0,
        Some(after) => {
            keys.iter()
                .position(|k| k.credential_id == after)
                .ok_or_else(|| ApiError::InvalidParameter("Invalid NextToken.".to_owned()))?
                + 1
        }
    };
    let page: Vec<_> = keys.iter().skip(start).take(limit).collect();
    let next_token = (start + page.len() < keys.len())
        .then(|| page.last().map(|k| k.credential_id.clone()))
        .flatten();
    Ok(ListResponse {
        credentials: page
            .into_iter()
            .map(|key| Description {
                credential_id: key.credential_id.clone(),
                friendly_credential_name: passkeys::friendly_name(key),
                relying_party_id: key.relying_party_id.clone(),
                authenticator_attachment: key.attachment.clone(),
                authenticator_transports: serde_json::from_str(&key.transports).unwrap_or_default(),
                created_at: key.created_at,
            })
            .collect(),
        next_token,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteRequest {
    access_token: String,
    credential_id: String,
}

pub(super) async fn delete(pool: UserPool, request: DeleteRequest) -> Result<Empty, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    if !passkeys::delete(&pool, &user, &request.credential_id).await? {
        return Err(ApiError::ResourceNotFound(
            "The user has no passkey with this CredentialId.".to_owned(),
        ));
    }
    Ok(Empty {})
}
