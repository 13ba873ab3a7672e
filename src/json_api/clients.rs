//! The JSON API's app-client operations (AWS credentials required):
//! CreateUserPoolClient, DescribeUserPoolClient, UpdateUserPoolClient,
//! DeleteUserPoolClient and ListUserPoolClients, with Cognito's
//! `UserPoolClientType` as their wire shape.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::Empty;
use super::wire::MaxResultsPage;
use super::{ApiError, after_page_token, check_name, page_token};
use crate::UserPool;
use crate::app_clients::{self, ClientSettings, StoredClient};

/// Cognito's `UserPoolClientType`.
fn client_type(client: &StoredClient) -> Result<Value, ApiError> {
    let Value::Object(mut fields) =
        serde_json::to_value(&client.settings).map_err(crate::Error::from)?
    else {
        return Err(ApiError::Internal(crate::Error::PoolGone(
            client.pool_id.clone(),
        )));
    };
    fields.insert("UserPoolId".to_owned(), client.pool_id.clone().into());
    fields.insert("ClientName".to_owned(), client.name.clone().into());
    fields.insert("ClientId".to_owned(), client.client_id.clone().into());
    if let Some(secret) = &client.secret {
        fields.insert("ClientSecret".to_owned(), secret.clone().into());
    }
    fields.insert("CreationDate".to_owned(), client.created_at.into());
    fields.insert("LastModifiedDate".to_owned(), client.updated_at.into());
    Ok(Value::Object(fields))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ClientResponse {
    user_pool_client: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateRequest {
    client_name: String,
    #[serde(default)]
    generate_secret: bool,
    #[serde(flatten)]
    settings: ClientSettings,
}

pub(super) async fn create_user_pool_client(
    pool: UserPool,
    request: CreateRequest,
) -> Result<ClientResponse, ApiError> {
    check_name("clientName", &request.client_name)?;
    let settings = request.settings.validated(
        request.generate_secret,
        &pool.pool().custom_scopes,
        &provider_names(&pool),
    )?;
    let secret = if request.generate_secret {
        Some(app_clients::random_id(51)?)
    } else {
        None
    };
    let now = crate::now();
    let client = StoredClient {
        client_id: app_clients::random_id(26)?,
        pool_id: pool.pool().id.clone(),
        name: request.client_name,
        secret,
        settings,
        created_at: now,
        updated_at: now,
    };
    // 36^26 ids: a clash is not worth a retry loop, but it changes nothing.
    if !pool.store().put_client(&client, false).await? {
        return Err(ApiError::InvalidParameter(
            "A client with this id exists; try again.".to_owned(),
        ));
    }
    pool.reloaded().await?;
    Ok(ClientResponse {
        user_pool_client: client_type(&client)?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ClientIdRequest {
    client_id: String,
}

/// The client of this pool that `client_id` names.
async fn named_client(pool: &UserPool, client_id: &str) -> Result<StoredClient, ApiError> {
    pool.store().client(client_id).await?.ok_or_else(|| {
        ApiError::ResourceNotFound(format!("User pool client {client_id} does not exist."))
    })
}

pub(super) async fn describe_user_pool_client(
    pool: UserPool,
    request: ClientIdRequest,
) -> Result<ClientResponse, ApiError> {
    let client = named_client(&pool, &request.client_id).await?;
    Ok(ClientResponse {
        user_pool_client: client_type(&client)?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRequest {
    client_id: String,
    client_name: Option<String>,
    #[serde(flatten)]
    settings: ClientSettings,
}

/// As Cognito documents it, settings the request leaves out go back to their defaults.
pub(super) async fn update_user_pool_client(
    pool: UserPool,
    request: UpdateRequest,
) -> Result<ClientResponse, ApiError> {
    let current = named_client(&pool, &request.client_id).await?;
    let name = request.client_name.unwrap_or(current.name);
    check_name("clientName", &name)?;
    let settings = request.settings.validated(
        current.secret.is_some(),
        &pool.pool().custom_scopes,
        &provider_names(&pool),
    )?;
    let now = crate::now();
    if !pool
        .store()
        .update_client(&current.client_id, &name, &settings, now)
        .await?
    {
        return Err(ApiError::ResourceNotFound(format!(
            "User pool client {} does not exist.",
            current.client_id
        )));
    }
    pool.reloaded().await?;
    let updated = StoredClient {
        name,
        settings,
        updated_at: now,
        ..current
    };
    Ok(ClientResponse {
        user_pool_client: client_type(&updated)?,
    })
}

pub(super) async fn delete_user_pool_client(
    pool: UserPool,
    request: ClientIdRequest,
) -> Result<Empty, ApiError> {
    if !pool.store().delete_client(&request.client_id).await? {
        return Err(ApiError::ResourceNotFound(format!(
            "User pool client {} does not exist.",
            request.client_id
        )));
    }
    pool.reloaded().await?;
    Ok(Empty {})
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ClientDescription {
    client_id: String,
    user_pool_id: String,
    client_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListResponse {
    user_pool_clients: Vec<ClientDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(super) async fn list_user_pool_clients(
    pool: UserPool,
    request: MaxResultsPage,
) -> Result<ListResponse, ApiError> {
    let limit = request.limit(60, false)?;
    let after = after_page_token(request.next_token.as_deref())?;
    let page = pool.store().list_clients(after.as_deref(), limit).await?;
    let next_token = page_token(page.last_key(|c| &c.client_id));
    Ok(ListResponse {
        user_pool_clients: page
            .items
            .into_iter()
            .map(|c| ClientDescription {
                client_id: c.client_id,
                user_pool_id: c.pool_id,
                client_name: c.name,
            })
            .collect(),
        next_token,
    })
}

/// The names of the pool's identity providers, which clients may list.
fn provider_names(pool: &UserPool) -> Vec<String> {
    pool.identity_providers()
        .iter()
        .map(|p| p.name.clone())
        .collect()
}
