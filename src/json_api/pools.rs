//! The JSON API's user-pool operations (AWS credentials required):
//! CreateUserPool, DescribeUserPool, UpdateUserPool, DeleteUserPool and
//! ListUserPools, with Cognito's `UserPoolType` as their wire shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::users::Empty;
use super::wire::MaxResultsPage;
use super::{ApiError, after_page_token, check_name, page_token};
use crate::UserPool;
use crate::pools::{self, DeletionProtection, InvalidSetting, PoolSettings, StoredPool};

impl From<InvalidSetting> for ApiError {
    fn from(invalid: InvalidSetting) -> ApiError {
        match invalid {
            InvalidSetting::Parameter(message) => ApiError::InvalidParameter(message),
            InvalidSetting::OAuthFlow(message) => ApiError::InvalidOAuthFlow(message),
            InvalidSetting::Scope(message) => ApiError::ScopeDoesNotExist(message),
        }
    }
}

/// Cognito's `UserPoolType`: the pool's settings with its id, name, ARN, dates and user count.
async fn user_pool_type(pool: &UserPool) -> Result<Value, ApiError> {
    let this = pool.pool();
    let Value::Object(mut fields) =
        serde_json::to_value(&this.settings).map_err(crate::Error::from)?
    else {
        return Err(ApiError::Internal(crate::Error::PoolGone(this.id.clone())));
    };
    // GetUserPoolMfaConfig's, not DescribeUserPool's.
    for name in crate::mfa_config::MfaSettings::NAMES {
        fields.remove(name);
    }
    let region = pool.config().region();
    let users = pool.store().count_users().await?;
    for (name, value) in [
        ("Id", Value::from(this.id.clone())),
        ("Name", Value::from(this.name.clone())),
        ("Arn", Value::from(pools::arn(region, &this.id))),
        ("CreationDate", Value::from(this.created_at)),
        ("LastModifiedDate", Value::from(this.updated_at)),
        ("EstimatedNumberOfUsers", Value::from(users)),
    ] {
        fields.insert(name.to_owned(), value);
    }
    if let Some(domain) = &this.domain {
        fields.insert("Domain".to_owned(), domain.clone().into());
    }
    Ok(Value::Object(fields))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserPoolResponse {
    user_pool: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateUserPoolRequest {
    pool_name: String,
    #[serde(flatten)]
    pool: pools::NewPool,
}

pub(super) async fn create_user_pool(
    server: UserPool,
    request: CreateUserPoolRequest,
) -> Result<UserPoolResponse, ApiError> {
    check_name("poolName", &request.pool_name)?;
    let settings = request.pool.settings()?;
    let config = server.config();
    let deterministic = config.deterministic_pool_ids();
    if deterministic && server.server_store().pool_named(&request.pool_name).await? {
        return Err(ApiError::InvalidParameter(format!(
            "A user pool named {} exists, and pool ids follow names on this server (USERPOOL_DETERMINISTIC_POOL_IDS).",
            request.pool_name
        )));
    }
    let now = crate::now();
    // A random id that is taken (about one in 10^16) is drawn again.
    for _ in 0..3 {
        let stored = StoredPool {
            id: pools::new_id(config.region(), &request.pool_name, deterministic),
            name: request.pool_name.clone(),
            settings: settings.clone(),
            created_at: now,
            updated_at: now,
        };
        if let Some(pool) = server.add_pool(stored).await? {
            tracing::info!(pool_id = %pool.pool().id, name = %request.pool_name, "created a user pool");
            return Ok(UserPoolResponse {
                user_pool: user_pool_type(&pool).await?,
            });
        }
    }
    Err(ApiError::InvalidParameter(
        "A user pool with this id exists.".to_owned(),
    ))
}

/// DescribeUserPool and DeleteUserPool name only the pool, which the dispatch has found.
pub(super) async fn describe_user_pool(
    pool: UserPool,
    _: Value,
) -> Result<UserPoolResponse, ApiError> {
    Ok(UserPoolResponse {
        user_pool: user_pool_type(&pool).await?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateUserPoolRequest {
    pool_name: Option<String>,
    #[serde(flatten)]
    settings: PoolSettings,
}

/// As Cognito documents it, settings the request leaves out go back to their
/// defaults; those UpdateUserPool cannot change (how users sign in) stay.
pub(super) async fn update_user_pool(
    pool: UserPool,
    request: UpdateUserPoolRequest,
) -> Result<Empty, ApiError> {
    let settings = request.settings.replacing(&pool.pool().settings)?;
    let name = match request.pool_name {
        Some(name) => {
            check_name("poolName", &name)?;
            name
        }
        None => pool.pool().name.clone(),
    };
    pool.change_pool(&name, &settings, crate::now()).await?;
    Ok(Empty {})
}

pub(super) async fn delete_user_pool(pool: UserPool, _: Value) -> Result<Empty, ApiError> {
    if pool.pool().settings.deletion_protection == DeletionProtection::Active {
        return Err(ApiError::InvalidParameter(
            "The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.".to_owned(),
        ));
    }
    if pool.pool().domain.is_some() {
        return Err(ApiError::InvalidParameter(
            "User pool cannot be deleted. It has a domain configured that should be deleted first."
                .to_owned(),
        ));
    }
    pool.remove_pool().await?;
    tracing::info!(pool_id = %pool.pool().id, "deleted a user pool");
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddCustomAttributesRequest {
    custom_attributes: Vec<crate::schema::SchemaAttribute>,
}

pub(super) async fn add_custom_attributes(
    pool: UserPool,
    request: AddCustomAttributesRequest,
) -> Result<Empty, ApiError> {
    let mut settings = pool.pool().settings.clone();
    if settings.schema_attributes.is_empty() {
        return Err(ApiError::InvalidParameter(
            "The pool userpool.toml declares takes any custom: attribute; it has no schema to add to.".to_owned(),
        ));
    }
    crate::schema::add_custom(&mut settings.schema_attributes, &request.custom_attributes)
        .map_err(ApiError::InvalidParameter)?;
    let name = pool.pool().name.clone();
    pool.change_pool(&name, &settings, crate::now()).await?;
    Ok(Empty {})
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListUserPoolsResponse {
    user_pools: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(super) async fn list_user_pools(
    server: UserPool,
    request: MaxResultsPage,
) -> Result<ListUserPoolsResponse, ApiError> {
    let limit = request.limit(60, true)?;
    let after = after_page_token(request.next_token.as_deref())?;
    let page = server
        .server_store()
        .list_pools(after.as_deref(), limit)
        .await?;
    let next_token = page_token(page.last_key(|p| &p.id));
    let user_pools = page
        .items
        .into_iter()
        .map(|pool| {
            // Cognito's `UserPoolDescriptionType`.
            let mut fields = Map::new();
            fields.insert("Id".to_owned(), pool.id.into());
            fields.insert("Name".to_owned(), pool.name.into());
            if let Some(lambda) = pool.settings.kept.get("LambdaConfig") {
                fields.insert("LambdaConfig".to_owned(), lambda.clone());
            }
            fields.insert("CreationDate".to_owned(), pool.created_at.into());
            fields.insert("LastModifiedDate".to_owned(), pool.updated_at.into());
            Value::Object(fields)
        })
        .collect();
    Ok(ListUserPoolsResponse {
        user_pools,
        next_token,
    })
}
