//! The JSON API's resource-server operations (AWS credentials required):
//! CreateResourceServer, DescribeResourceServer, UpdateResourceServer,
//! DeleteResourceServer and ListResourceServers, with Cognito's
//! `ResourceServerType` as their wire shape.

use serde::{Deserialize, Serialize};

use super::users::Empty;
use super::wire::MaxResultsPage;
use super::{ApiError, after_page_token, page_token};
use crate::UserPool;
use crate::resource_servers::{ResourceScope, ResourceServer};

/// Cognito's `ResourceServerType`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResourceServerType {
    user_pool_id: String,
    identifier: String,
    name: String,
    scopes: Vec<ResourceScope>,
}

fn server_type(pool: &UserPool, server: ResourceServer) -> ResourceServerType {
    ResourceServerType {
        user_pool_id: pool.pool().id.clone(),
        identifier: server.identifier,
        name: server.name,
        scopes: server.scopes,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ServerResponse {
    resource_server: ResourceServerType,
}

/// The request of CreateResourceServer and UpdateResourceServer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ServerRequest {
    identifier: String,
    name: String,
    #[serde(default)]
    scopes: Vec<ResourceScope>,
}

impl ServerRequest {
    fn server(self) -> Result<ResourceServer, ApiError> {
        Ok(ResourceServer {
            identifier: self.identifier,
            name: self.name,
            scopes: self.scopes,
        }
        .validated()?)
    }
}

pub(super) async fn create_resource_server(
    pool: UserPool,
    request: ServerRequest,
) -> Result<ServerResponse, ApiError> {
    let server = request.server()?;
    if !pool.store().put_resource_server(&server, false).await? {
        return Err(ApiError::InvalidParameter(format!(
            "{} already exists in pool {}.",
            server.identifier,
            pool.pool().id
        )));
    }
    let pool = pool.reloaded().await?;
    Ok(ServerResponse {
        resource_server: server_type(&pool, server),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct IdentifierRequest {
    identifier: String,
}

async fn named_server(pool: &UserPool, identifier: &str) -> Result<ResourceServer, ApiError> {
    // Cognito allows 25 resource servers per pool: one page holds them all.
    let page = pool.store().resource_servers(None, 1000).await?;
    page.items
        .into_iter()
        .find(|server| server.identifier == identifier)
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!("Resource server {identifier} does not exist."))
        })
}

pub(super) async fn describe_resource_server(
    pool: UserPool,
    request: IdentifierRequest,
) -> Result<ServerResponse, ApiError> {
    let server = named_server(&pool, &request.identifier).await?;
    Ok(ServerResponse {
        resource_server: server_type(&pool, server),
    })
}

pub(super) async fn update_resource_server(
    pool: UserPool,
    request: ServerRequest,
) -> Result<ServerResponse, ApiError> {
    named_server(&pool, &request.identifier).await?;
    let server = request.server()?;
    pool.store().put_resource_server(&server, true).await?;
    let pool = pool.reloaded().await?;
    Ok(ServerResponse {
        resource_server: server_type(&pool, server),
    })
}

pub(super) async fn delete_resource_server(
    pool: UserPool,
    request: IdentifierRequest,
) -> Result<Empty, ApiError> {
    if !pool
        .store()
        .delete_resource_server(&request.identifier)
        .await?
    {
        return Err(ApiError::ResourceNotFound(format!(
            "Resource server {} does not exist.",
            request.identifier
        )));
    }
    pool.reloaded().await?;
    Ok(Empty {})
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListResponse {
    resource_servers: Vec<ResourceServerType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(super) async fn list_resource_servers(
    pool: UserPool,
    request: MaxResultsPage,
) -> Result<ListResponse, ApiError> {
    let limit = request.limit(50, false)?;
    let after = after_page_token(request.next_token.as_deref())?;
    let page = pool
        .store()
        .resource_servers(after.as_deref(), limit)
        .await?;
    let next_token = page_token(page.last_key(|s| &s.identifier));
    Ok(ListResponse {
        resource_servers: page
            .items
            .into_iter()
            .map(|server| server_type(&pool, server))
            .collect(),
        next_token,
    })
}
