//! The JSON API's domain operations (AWS credentials required):
//! CreateUserPoolDomain, DescribeUserPoolDomain, UpdateUserPoolDomain and
//! DeleteUserPoolDomain. A pool's domain is a prefix: its hosted UI and
//! OAuth 2.0 endpoints answer one label below the server's names
//! (`<prefix>.localhost:9229`, see `web::current_pool`). Custom domains need
//! certificates and DNS this server does not manage, and are refused.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ApiError;
use super::users::Empty;
use crate::UserPool;

/// The hosted UI this server has: Cognito's classic one, managed login version 1.
const MANAGED_LOGIN_VERSION: i64 = 1;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DomainRequest {
    domain: String,
    custom_domain_config: Option<Value>,
    managed_login_version: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DomainResponse {
    managed_login_version: i64,
}

/// What every domain request must be: a prefix domain, of the classic hosted UI.
fn check(request: &DomainRequest) -> Result<(), ApiError> {
    if request.custom_domain_config.is_some() {
        return Err(ApiError::InvalidParameter(
            "Custom domains are not supported by this user pool: use a prefix domain, served at <prefix>.<this server's host>.".to_owned(),
        ));
    }
    if request
        .managed_login_version
        .is_some_and(|v| v != MANAGED_LOGIN_VERSION)
    {
        return Err(ApiError::InvalidParameter(
            "This user pool offers the classic hosted UI (ManagedLoginVersion 1) only.".to_owned(),
        ));
    }
    if !crate::pools::valid_domain(&request.domain) {
        return Err(ApiError::InvalidParameter(format!(
            "1 validation error detected: Value '{}' at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9](?:[a-z0-9\\-]{{0,61}}[a-z0-9])?$, without the words aws, amazon or cognito",
            request.domain
        )));
    }
    Ok(())
}

pub(super) async fn create_user_pool_domain(
    pool: UserPool,
    request: DomainRequest,
) -> Result<DomainResponse, ApiError> {
    check(&request)?;
    if pool.pool().domain.is_some() {
        return Err(ApiError::InvalidParameter(
            "The user pool already has a domain associated with it.".to_owned(),
        ));
    }
    let server = pool.server_store();
    if !server
        .create_domain(&request.domain, &pool.pool().id, crate::now())
        .await?
    {
        return Err(ApiError::InvalidParameter(
            "Domain already associated with another user pool.".to_owned(),
        ));
    }
    pool.reloaded().await?;
    Ok(DomainResponse {
        managed_login_version: MANAGED_LOGIN_VERSION,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRequest {
    domain: String,
}

/// Cognito answers a domain nobody has with an empty description.
pub(super) async fn describe_user_pool_domain(
    server: UserPool,
    request: DescribeRequest,
) -> Result<Value, ApiError> {
    let Some(pool) = server.with_domain(&request.domain).await? else {
        return Ok(json!({ "DomainDescription": {} }));
    };
    let url = pool.domain_url(&request.domain);
    let host = url.split_once("://").map_or(url.as_str(), |(_, host)| host);
    Ok(json!({
        "DomainDescription": {
            "UserPoolId": pool.pool().id,
            "AWSAccountId": crate::pools::ACCOUNT_ID,
            "Domain": request.domain,
            "CloudFrontDistribution": host,
            "Version": "1",
            "Status": "ACTIVE",
            "ManagedLoginVersion": MANAGED_LOGIN_VERSION,
        }
    }))
}

/// A prefix domain has nothing to change but its hosted UI's version, which is fixed here.
pub(super) async fn update_user_pool_domain(
    pool: UserPool,
    request: DomainRequest,
) -> Result<DomainResponse, ApiError> {
    check(&request)?;
    if pool.pool().domain.as_deref() != Some(request.domain.as_str()) {
        return Err(ApiError::InvalidParameter(
            "No such domain or user pool exists.".to_owned(),
        ));
    }
    Ok(DomainResponse {
        managed_login_version: MANAGED_LOGIN_VERSION,
    })
}

pub(super) async fn delete_user_pool_domain(
    pool: UserPool,
    request: DescribeRequest,
) -> Result<Empty, ApiError> {
    if !pool
        .server_store()
        .delete_domain(&request.domain, &pool.pool().id)
        .await?
    {
        return Err(ApiError::InvalidParameter(
            "No such domain or user pool exists.".to_owned(),
        ));
    }
    pool.reloaded().await?;
    Ok(Empty {})
}
