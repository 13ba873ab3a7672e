//! The JSON API's identity-provider operations (AWS credentials required):
//! CreateIdentityProvider, DescribeIdentityProvider, UpdateIdentityProvider,
//! DeleteIdentityProvider, ListIdentityProviders and
//! GetIdentityProviderByIdentifier, with Cognito's `IdentityProviderType` as
//! their wire shape; and AdminLinkProviderForUser / AdminDisableProviderForUser,
//! which make an upstream identity a local user or take it away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::users::Empty;
use super::wire::MaxResultsPage;
use super::{ApiError, after_page_token, named_user, page_token};
use crate::UserPool;
use crate::identity_providers::{IdentityProvider, ProviderType};
use crate::store::FederatedIdentity;

/// Cognito's `IdentityProviderType`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct IdentityProviderType {
    user_pool_id: String,
    provider_name: String,
    provider_type: &'static str,
    provider_details: BTreeMap<String, String>,
    attribute_mapping: BTreeMap<String, String>,
    idp_identifiers: Vec<String>,
    last_modified_date: i64,
    creation_date: i64,
}

fn provider_type(pool: &UserPool, provider: IdentityProvider) -> IdentityProviderType {
    IdentityProviderType {
        user_pool_id: pool.pool().id.clone(),
        provider_name: provider.name,
        provider_type: provider.provider_type.as_str(),
        provider_details: provider.details,
        attribute_mapping: provider.attribute_mapping,
        idp_identifiers: provider.identifiers,
        last_modified_date: provider.updated_at,
        creation_date: provider.created_at,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProviderResponse {
    identity_provider: IdentityProviderType,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateRequest {
    provider_name: String,
    provider_type: String,
    provider_details: BTreeMap<String, String>,
    #[serde(default)]
    attribute_mapping: BTreeMap<String, String>,
    #[serde(default)]
    idp_identifiers: Vec<String>,
}

/// Refuses identifiers another provider of the pool has (`DuplicateProviderException`).
fn check_identifiers(pool: &UserPool, provider: &IdentityProvider) -> Result<(), ApiError> {
    for identifier in &provider.identifiers {
        if pool
            .identity_providers()
            .iter()
            .any(|other| other.name != provider.name && other.is_identified_by(identifier))
        {
            return Err(ApiError::DuplicateProvider(format!(
                "The identifier {identifier} is already used by another provider of this user pool."
            )));
        }
    }
    Ok(())
}

pub(super) async fn create_identity_provider(
    pool: UserPool,
    request: CreateRequest,
) -> Result<ProviderResponse, ApiError> {
    let now = crate::now();
    let provider = IdentityProvider {
        name: request.provider_name,
        provider_type: ProviderType::named(&request.provider_type)?,
        details: request.provider_details,
        attribute_mapping: request.attribute_mapping,
        identifiers: request.idp_identifiers,
        created_at: now,
        updated_at: now,
    }
    .validated()?;
    check_identifiers(&pool, &provider)?;
    if !pool.store().put_identity_provider(&provider, false).await? {
        return Err(ApiError::DuplicateProvider(format!(
            "A provider with the name {} already exists in this user pool.",
            provider.name
        )));
    }
    let pool = pool.reloaded().await?;
    Ok(ProviderResponse {
        identity_provider: provider_type(&pool, provider),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameRequest {
    provider_name: String,
}

fn named(pool: &UserPool, name: &str) -> Result<IdentityProvider, ApiError> {
    pool.identity_provider(name).cloned().ok_or_else(|| {
        ApiError::ResourceNotFound(format!("Identity provider {name} does not exist."))
    })
}

pub(super) async fn describe_identity_provider(
    pool: UserPool,
    request: NameRequest,
) -> Result<ProviderResponse, ApiError> {
    let provider = named(&pool, &request.provider_name)?;
    Ok(ProviderResponse {
        identity_provider: provider_type(&pool, provider),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRequest {
    provider_name: String,
    provider_details: Option<BTreeMap<String, String>>,
    attribute_mapping: Option<BTreeMap<String, String>>,
    idp_identifiers: Option<Vec<String>>,
}

pub(super) async fn update_identity_provider(
    pool: UserPool,
    request: UpdateRequest,
) -> Result<ProviderResponse, ApiError> {
    let mut provider = named(&pool, &request.provider_name)?;
    // Details given replace those of the same key; the rest (the secret, say) stay.
    if let Some(details) = request.provider_details {
        provider.details.extend(details);
    }
    if let Some(mapping) = request.attribute_mapping {
        provider.attribute_mapping = mapping;
    }
    if let Some(identifiers) = request.idp_identifiers {
        provider.identifiers = identifiers;
    }
    provider.updated_at = crate::now();
    let provider = provider.validated()?;
    check_identifiers(&pool, &provider)?;
    pool.store().put_identity_provider(&provider, true).await?;
    let pool = pool.reloaded().await?;
    Ok(ProviderResponse {
        identity_provider: provider_type(&pool, provider),
    })
}

pub(super) async fn delete_identity_provider(
    pool: UserPool,
    request: NameRequest,
) -> Result<Empty, ApiError> {
    if pool
        .pool()
        .clients()
        .iter()
        .any(|client| client.identity_providers.contains(&request.provider_name))
    {
        return Err(ApiError::UnsupportedIdentityProvider(format!(
            "Identity provider {} is in use by an app client: remove it from the client's SupportedIdentityProviders first.",
            request.provider_name
        )));
    }
    if !pool
        .store()
        .delete_identity_provider(&request.provider_name)
        .await?
    {
        return Err(ApiError::ResourceNotFound(format!(
            "Identity provider {} does not exist.",
            request.provider_name
        )));
    }
    pool.reloaded().await?;
    Ok(Empty {})
}

/// Cognito's `ProviderDescription`, what ListIdentityProviders shows of each.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProviderDescription {
    provider_name: String,
    provider_type: &'static str,
    last_modified_date: i64,
    creation_date: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListResponse {
    providers: Vec<ProviderDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(super) async fn list_identity_providers(
    pool: UserPool,
    request: MaxResultsPage,
) -> Result<ListResponse, ApiError> {
    let limit = request.limit(60, false)?;
    let after = after_page_token(request.next_token.as_deref())?;
    let page = pool
        .store()
        .identity_providers(after.as_deref(), limit)
        .await?;
    let next_token = page_token(page.last_key(|p| &p.name));
    Ok(ListResponse {
        providers: page
            .items
            .into_iter()
            .map(|p| ProviderDescription {
                provider_name: p.name,
                provider_type: p.provider_type.as_str(),
                last_modified_date: p.updated_at,
                creation_date: p.created_at,
            })
            .collect(),
        next_token,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct IdentifierRequest {
    idp_identifier: String,
}

pub(super) async fn get_identity_provider_by_identifier(
    pool: UserPool,
    request: IdentifierRequest,
) -> Result<ProviderResponse, ApiError> {
    let provider = pool
        .identity_providers()
        .iter()
        .find(|p| p.is_identified_by(&request.idp_identifier))
        .cloned()
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!(
                "Identity provider with identifier {} does not exist.",
                request.idp_identifier
            ))
        })?;
    Ok(ProviderResponse {
        identity_provider: provider_type(&pool, provider),
    })
}

/// Cognito's `ProviderUserIdentifierType`: a local user (`Cognito`, by username)
/// or an upstream identity (`Cognito_Subject`, its `sub`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProviderUser {
    provider_name: String,
    provider_attribute_name: Option<String>,
    provider_attribute_value: String,
}

impl ProviderUser {
    /// The upstream identity it names, of one of the pool's providers.
    fn upstream(&self, pool: &UserPool) -> Result<IdentityProvider, ApiError> {
        let provider = named(pool, &self.provider_name).map_err(|_| {
            ApiError::InvalidParameter(format!(
                "The provider {} does not exist for this user pool.",
                self.provider_name
            ))
        })?;
        if self.provider_attribute_name.as_deref() != Some("Cognito_Subject") {
            return Err(ApiError::InvalidParameter(
                "ProviderAttributeName must be Cognito_Subject: upstream identities are linked by their sub.".to_owned(),
            ));
        }
        Ok(provider)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LinkRequest {
    destination_user: ProviderUser,
    source_user: ProviderUser,
}

pub(super) async fn admin_link_provider_for_user(
    pool: UserPool,
    request: LinkRequest,
) -> Result<Empty, ApiError> {
    let destination = &request.destination_user;
    if destination.provider_name != "Cognito" {
        return Err(ApiError::InvalidParameter(
            "The destination user must be a user of the pool (ProviderName Cognito).".to_owned(),
        ));
    }
    let provider = request.source_user.upstream(&pool)?;
    let user = named_user(&pool, &destination.provider_attribute_value).await?;
    if user.external_provider {
        return Err(ApiError::InvalidParameter(
            "The destination user must be a user of the pool, not one an identity provider made."
                .to_owned(),
        ));
    }
    let identity = FederatedIdentity {
        provider: provider.name,
        provider_type: provider.provider_type,
        provider_sub: request.source_user.provider_attribute_value.clone(),
        created_at: crate::now(),
    };
    if !pool.store().link_identity(&user.sub, &identity).await? {
        return Err(ApiError::AliasExists);
    }
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DisableRequest {
    user: ProviderUser,
}

pub(super) async fn admin_disable_provider_for_user(
    pool: UserPool,
    request: DisableRequest,
) -> Result<Empty, ApiError> {
    let provider = request.user.upstream(&pool)?;
    let store = pool.store();
    let upstream_sub = &request.user.provider_attribute_value;
    let Some(sub) = store.federated_user(&provider.name, upstream_sub).await? else {
        return Err(ApiError::UserNotFound);
    };
    store.unlink_identity(&provider.name, upstream_sub).await?;
    // A user the provider made has nothing left to sign in with: Cognito disables it.
    if let Some(user) = store.user(&sub).await?
        && user.external_provider
    {
        store.set_enabled(&sub, false, crate::now()).await?;
    }
    Ok(Empty {})
}
