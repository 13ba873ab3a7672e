//! The JSON API's administrative operations (AWS credentials required, see the
//! parent module): users (create with a temporary password, read, list and
//! filter, enable, disable, confirm, set passwords, sign out, delete), groups
//! and memberships, and the server-side password flow.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::{self, AuthResponse, Empty};
use super::wire::{InitiateAuthRequest, MessageAction, NextTokenPage};
use super::{
    ApiError, AttributeType, Writing, after_page_token, named_user, page_limit, page_token, run,
    user_attributes, writable_attributes,
};
use super::{
    branding, clients, devices, domains, identity_providers, mfa, pools, resource_servers,
};
use crate::accounts::ResetRequest;
use crate::directory::{self, NewUser, PasswordUse};
use crate::store::{FilterField, Group, GroupChanges, User, UserFilter};
use crate::triggers::event::{self, Caller};
use crate::triggers::message::MessageSource;
use crate::triggers::sign_up::{self, SignUpSource};
use crate::{UserPool, mail, password, secrets};

/// The operations that need AWS credentials, by their `X-Amz-Target` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operation {
    InitiateAuth,
    RespondToAuthChallenge,
    CreateUser,
    GetUser,
    UpdateUserAttributes,
    DeleteUserAttributes,
    DeleteUser,
    DisableUser,
    EnableUser,
    ConfirmSignUp,
    SetUserPassword,
    ResetUserPassword,
    UserGlobalSignOut,
    GetDevice,
    ForgetDevice,
    UpdateDeviceStatus,
    ListDevices,
    AddUserToGroup,
    RemoveUserFromGroup,
    ListGroupsForUser,
    CreateGroup,
    UpdateGroup,
    GetGroup,
    DeleteGroup,
    ListGroups,
    ListUsers,
    ListUsersInGroup,
    CreateUserPool,
    DescribeUserPool,
    UpdateUserPool,
    DeleteUserPool,
    ListUserPools,
    CreateUserPoolClient,
    DescribeUserPoolClient,
    UpdateUserPoolClient,
    DeleteUserPoolClient,
    ListUserPoolClients,
    CreateUserPoolDomain,
    DescribeUserPoolDomain,
    UpdateUserPoolDomain,
    DeleteUserPoolDomain,
    CreateResourceServer,
    DescribeResourceServer,
    UpdateResourceServer,
    DeleteResourceServer,
    ListResourceServers,
    CreateIdentityProvider,
    DescribeIdentityProvider,
    UpdateIdentityProvider,
    DeleteIdentityProvider,
    ListIdentityProviders,
    GetIdentityProviderByIdentifier,
    LinkProviderForUser,
    DisableProviderForUser,
    AddCustomAttributes,
    SetUserMfaPreference,
    SetUserPoolMfaConfig,
    GetUserPoolMfaConfig,
    SetUiCustomization,
    GetUiCustomization,
}

impl Operation {
    pub(super) fn named(name: &str) -> Option<Operation> {
        Some(match name {
            "AdminInitiateAuth" => Operation::InitiateAuth,
            "AdminRespondToAuthChallenge" => Operation::RespondToAuthChallenge,
            "AdminCreateUser" => Operation::CreateUser,
            "AdminGetUser" => Operation::GetUser,
            "AdminUpdateUserAttributes" => Operation::UpdateUserAttributes,
            "AdminDeleteUserAttributes" => Operation::DeleteUserAttributes,
            "AdminDeleteUser" => Operation::DeleteUser,
            "AdminGetDevice" => Operation::GetDevice,
            "AdminForgetDevice" => Operation::ForgetDevice,
            "AdminUpdateDeviceStatus" => Operation::UpdateDeviceStatus,
            "AdminListDevices" => Operation::ListDevices,
            "AdminDisableUser" => Operation::DisableUser,
            "AdminEnableUser" => Operation::EnableUser,
            "AdminConfirmSignUp" => Operation::ConfirmSignUp,
            "AdminSetUserPassword" => Operation::SetUserPassword,
            "AdminResetUserPassword" => Operation::ResetUserPassword,
            "AdminUserGlobalSignOut" => Operation::UserGlobalSignOut,
            "AdminAddUserToGroup" => Operation::AddUserToGroup,
            "AdminRemoveUserFromGroup" => Operation::RemoveUserFromGroup,
            "AdminListGroupsForUser" => Operation::ListGroupsForUser,
            "CreateGroup" => Operation::CreateGroup,
            "UpdateGroup" => Operation::UpdateGroup,
            "GetGroup" => Operation::GetGroup,
            "DeleteGroup" => Operation::DeleteGroup,
            "ListGroups" => Operation::ListGroups,
            "ListUsers" => Operation::ListUsers,
            "ListUsersInGroup" => Operation::ListUsersInGroup,
            "CreateUserPool" => Operation::CreateUserPool,
            "DescribeUserPool" => Operation::DescribeUserPool,
            "UpdateUserPool" => Operation::UpdateUserPool,
            "DeleteUserPool" => Operation::DeleteUserPool,
            "ListUserPools" => Operation::ListUserPools,
            "CreateUserPoolClient" => Operation::CreateUserPoolClient,
            "DescribeUserPoolClient" => Operation::DescribeUserPoolClient,
            "UpdateUserPoolClient" => Operation::UpdateUserPoolClient,
            "DeleteUserPoolClient" => Operation::DeleteUserPoolClient,
            "ListUserPoolClients" => Operation::ListUserPoolClients,
            "CreateUserPoolDomain" => Operation::CreateUserPoolDomain,
            "DescribeUserPoolDomain" => Operation::DescribeUserPoolDomain,
            "UpdateUserPoolDomain" => Operation::UpdateUserPoolDomain,
            "DeleteUserPoolDomain" => Operation::DeleteUserPoolDomain,
            "CreateResourceServer" => Operation::CreateResourceServer,
            "DescribeResourceServer" => Operation::DescribeResourceServer,
            "UpdateResourceServer" => Operation::UpdateResourceServer,
            "DeleteResourceServer" => Operation::DeleteResourceServer,
            "ListResourceServers" => Operation::ListResourceServers,
            "CreateIdentityProvider" => Operation::CreateIdentityProvider,
            "DescribeIdentityProvider" => Operation::DescribeIdentityProvider,
            "UpdateIdentityProvider" => Operation::UpdateIdentityProvider,
            "DeleteIdentityProvider" => Operation::DeleteIdentityProvider,
            "ListIdentityProviders" => Operation::ListIdentityProviders,
            "GetIdentityProviderByIdentifier" => Operation::GetIdentityProviderByIdentifier,
            "AdminLinkProviderForUser" => Operation::LinkProviderForUser,
            "AdminDisableProviderForUser" => Operation::DisableProviderForUser,
            "AddCustomAttributes" => Operation::AddCustomAttributes,
            "AdminSetUserMFAPreference" => Operation::SetUserMfaPreference,
            "SetUserPoolMfaConfig" => Operation::SetUserPoolMfaConfig,
            "GetUserPoolMfaConfig" => Operation::GetUserPoolMfaConfig,
            "SetUICustomization" => Operation::SetUiCustomization,
            "GetUICustomization" => Operation::GetUiCustomization,
            _ => return None,
        })
    }

    /// Whether the operation acts in a pool its `UserPoolId` names (all but
    /// creating and listing pools).
    pub(super) fn names_a_pool(self) -> bool {
        !matches!(
            self,
            Operation::CreateUserPool
                | Operation::ListUserPools
                | Operation::DescribeUserPoolDomain
        )
    }
}

pub(super) async fn dispatch(
    pool: UserPool,
    operation: Operation,
    request: Value,
) -> Result<Value, ApiError> {
    match operation {
        Operation::InitiateAuth => run(initiate_auth, pool, request).await,
        Operation::RespondToAuthChallenge => {
            run(users::respond_to_auth_challenge, pool, request).await
        }
        Operation::CreateUser => run(create_user, pool, request).await,
        Operation::GetUser => run(get_user, pool, request).await,
        Operation::UpdateUserAttributes => run(update_user_attributes, pool, request).await,
        Operation::DeleteUserAttributes => run(delete_user_attributes, pool, request).await,
        Operation::DeleteUser => run(delete_user, pool, request).await,
        Operation::GetDevice | Operation::ForgetDevice | Operation::UpdateDeviceStatus => {
            run(devices::admin_device, pool, request).await
        }
        Operation::ListDevices => run(devices::admin_list_devices, pool, request).await,
        Operation::DisableUser => run(disable_user, pool, request).await,
        Operation::EnableUser => run(enable_user, pool, request).await,
        Operation::ConfirmSignUp => run(confirm_sign_up, pool, request).await,
        Operation::SetUserPassword => run(set_user_password, pool, request).await,
        Operation::ResetUserPassword => run(reset_user_password, pool, request).await,
        Operation::UserGlobalSignOut => run(global_sign_out, pool, request).await,
        Operation::AddUserToGroup => run(add_user_to_group, pool, request).await,
        Operation::RemoveUserFromGroup => run(remove_user_from_group, pool, request).await,
        Operation::ListGroupsForUser => run(list_groups_for_user, pool, request).await,
        Operation::CreateGroup => run(create_group, pool, request).await,
        Operation::UpdateGroup => run(update_group, pool, request).await,
        Operation::GetGroup => run(get_group, pool, request).await,
        Operation::DeleteGroup => run(delete_group, pool, request).await,
        Operation::ListGroups => run(list_groups, pool, request).await,
        Operation::ListUsers => run(list_users, pool, request).await,
        Operation::ListUsersInGroup => run(list_users_in_group, pool, request).await,
        Operation::CreateUserPool => run(pools::create_user_pool, pool, request).await,
        Operation::DescribeUserPool => run(pools::describe_user_pool, pool, request).await,
        Operation::UpdateUserPool => run(pools::update_user_pool, pool, request).await,
        Operation::DeleteUserPool => run(pools::delete_user_pool, pool, request).await,
        Operation::ListUserPools => run(pools::list_user_pools, pool, request).await,
        Operation::CreateUserPoolClient => {
            run(clients::create_user_pool_client, pool, request).await
        }
        Operation::DescribeUserPoolClient => {
            run(clients::describe_user_pool_client, pool, request).await
        }
        Operation::UpdateUserPoolClient => {
            run(clients::update_user_pool_client, pool, request).await
        }
        Operation::DeleteUserPoolClient => {
            run(clients::delete_user_pool_client, pool, request).await
        }
        Operation::ListUserPoolClients => run(clients::list_user_pool_clients, pool, request).await,
        Operation::CreateUserPoolDomain => {
            run(domains::create_user_pool_domain, pool, request).await
        }
        Operation::DescribeUserPoolDomain => {
            run(domains::describe_user_pool_domain, pool, request).await
        }
        Operation::UpdateUserPoolDomain => {
            run(domains::update_user_pool_domain, pool, request).await
        }
        Operation::DeleteUserPoolDomain => {
            run(domains::delete_user_pool_domain, pool, request).await
        }
        Operation::CreateResourceServer => {
            run(resource_servers::create_resource_server, pool, request).await
        }
        Operation::DescribeResourceServer => {
            run(resource_servers::describe_resource_server, pool, request).await
        }
        Operation::UpdateResourceServer => {
            run(resource_servers::update_resource_server, pool, request).await
        }
        Operation::DeleteResourceServer => {
            run(resource_servers::delete_resource_server, pool, request).await
        }
        Operation::ListResourceServers => {
            run(resource_servers::list_resource_servers, pool, request).await
        }
        Operation::CreateIdentityProvider => {
            run(identity_providers::create_identity_provider, pool, request).await
        }
        Operation::DescribeIdentityProvider => {
            run(
                identity_providers::describe_identity_provider,
                pool,
                request,
            )
            .await
        }
        Operation::UpdateIdentityProvider => {
            run(identity_providers::update_identity_provider, pool, request).await
        }
        Operation::DeleteIdentityProvider => {
            run(identity_providers::delete_identity_provider, pool, request).await
        }
        Operation::ListIdentityProviders => {
            run(identity_providers::list_identity_providers, pool, request).await
        }
        Operation::GetIdentityProviderByIdentifier => {
            run(
                identity_providers::get_identity_provider_by_identifier,
                pool,
                request,
            )
            .await
        }
        Operation::LinkProviderForUser => {
            run(
                identity_providers::admin_link_provider_for_user,
                pool,
                request,
            )
            .await
        }
        Operation::DisableProviderForUser => {
            run(
                identity_providers::admin_disable_provider_for_user,
                pool,
                request,
            )
            .await
        }
        Operation::AddCustomAttributes => run(pools::add_custom_attributes, pool, request).await,
        Operation::SetUserMfaPreference => {
            run(mfa::admin_set_user_mfa_preference, pool, request).await
        }
        Operation::SetUserPoolMfaConfig => run(mfa::set_user_pool_mfa_config, pool, request).await,
        Operation::GetUserPoolMfaConfig => run(mfa::get_user_pool_mfa_config, pool, request).await,
        Operation::SetUiCustomization => run(branding::set_ui_customization, pool, request).await,
        Operation::GetUiCustomization => run(branding::get_ui_customization, pool, request).await,
    }
}

/// Cognito's `UserType`, as ListUsers and AdminCreateUser return it (`Attributes`;
/// AdminGetUser says `UserAttributes`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserType {
    username: String,
    attributes: Vec<AttributeType>,
    user_create_date: i64,
    user_last_modified_date: i64,
    enabled: bool,
    user_status: &'static str,
}

async fn user_type(pool: &UserPool, user: &User) -> Result<UserType, ApiError> {
    Ok(UserType {
        username: user.username.clone(),
        attributes: user_attributes(pool, user).await?,
        user_create_date: user.created_at,
        user_last_modified_date: user.updated_at,
        enabled: user.enabled,
        user_status: user.status(),
    })
}

async fn user_types(pool: &UserPool, users: &[User]) -> Result<Vec<UserType>, ApiError> {
    let mut listed = Vec::with_capacity(users.len());
    for user in users {
        listed.push(user_type(pool, user).await?);
    }
    Ok(listed)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupType {
    group_name: String,
    user_pool_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    precedence: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    creation_date: i64,
    last_modified_date: i64,
}

fn group_type(pool: &UserPool, group: Group) -> GroupType {
    GroupType {
        group_name: group.name,
        user_pool_id: pool.pool().id.clone(),
        description: group.description,
        precedence: group.precedence,
        role_arn: group.role_arn,
        creation_date: group.created_at,
        last_modified_date: group.updated_at,
    }
}

async fn named_group(pool: &UserPool, name: &str) -> Result<Group, ApiError> {
    pool.store()
        .group(name)
        .await?
        .ok_or_else(|| ApiError::ResourceNotFound("Group not found.".to_owned()))
}

// --- authentication (AdminRespondToAuthChallenge is RespondToAuthChallenge) ---

async fn initiate_auth(
    pool: UserPool,
    request: InitiateAuthRequest,
) -> Result<AuthResponse, ApiError> {
    users::authenticate(&pool, &request, true).await
}

// --- users ---

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateUserRequest {
    username: String,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    temporary_password: Option<String>,
    /// `SUPPRESS` (no invitation) or `RESEND` (a new invitation to an existing user).
    message_action: Option<String>,
    /// For the PreSignUp trigger.
    #[serde(default)]
    validation_data: Vec<event::NameValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateUserResponse {
    user: UserType,
}

async fn create_user(
    pool: UserPool,
    request: CreateUserRequest,
) -> Result<CreateUserResponse, ApiError> {
    let action = MessageAction::parse(request.message_action.as_deref())?;
    let (suppress, resend) = (
        action == Some(MessageAction::Suppress),
        action == Some(MessageAction::Resend),
    );
    let policy = pool.pool().password_policy();
    let temporary = match request.temporary_password.clone() {
        Some(given) => {
            password::check_policy(&given, policy)
                .map_err(|policy| ApiError::InvalidPassword(policy.to_string()))?;
            given
        }
        None => secrets::temporary_password(policy.minimum_length)?,
    };
    let now = crate::now();
    // Each branch checks the user before it spends an Argon2 hash on the password.
    let user = if resend {
        // A new temporary password for someone who has not signed in yet.
        let user = named_user(&pool, &request.username).await?;
        if !user.force_password_change {
            return Err(ApiError::UnsupportedUserState);
        }
        directory::renew_temporary_password(&pool, &user, &temporary, now).await?;
        user
    } else {
        let mut given = request.user_attributes;
        let (username, email) = super::new_user_names(&pool, &request.username, &mut given)?;
        super::check_required(&pool, &given)?;
        let schema = &pool.pool().settings.schema_attributes;
        let mut attributes =
            writable_attributes(given, email.as_deref(), schema, Writing::AdminCreateUser)?;
        // Unproven until the administrator says otherwise, as in Cognito.
        if email.is_some() && !attributes.iter().any(|(name, _)| name == "email_verified") {
            attributes.push(("email_verified".to_owned(), "false".to_owned()));
        }
        let told = sign_up::told_attributes(&attributes, email.as_deref());
        let admitted = sign_up::pre_sign_up(
            &pool,
            Caller::administrator(),
            SignUpSource::AdminCreateUser,
            &sign_up::Applicant {
                username: username.as_deref().unwrap_or(&request.username),
                attributes: &told,
                validation_data: &event::validation_data(&request.validation_data),
            },
        )
        .await?;
        admitted.mark_verified(&mut attributes);
        let new = NewUser {
            username: username.as_deref(),
            email: email.as_deref(),
            password: &temporary,
            password_use: PasswordUse::Temporary,
            attributes: &attributes,
        };
        let sub = directory::create_user(&pool, &new, now)
            .await?
            .ok_or(ApiError::UsernameExists)?;
        pool.store()
            .user(&sub)
            .await?
            .ok_or(ApiError::UserNotFound)?
    };
    if let Some(email) = user.email.as_deref().filter(|_| !suppress) {
        // Cognito's invitation names the username the user signs in with: here the address, where it is one.
        let name = match pool.pool().naming() {
            crate::pools::Naming::Attributes(_) => email,
            _ => &user.username,
        };
        let invitation = mail::invitation(pool.pool(), name, &temporary);
        let (caller, source) = (Caller::administrator(), MessageSource::AdminCreateUser);
        let invitation = mail::code_message(
            &pool,
            caller,
            source,
            (&user, None),
            email,
            &temporary,
            invitation,
        )
        .await?;
        mail::send(&pool, email, &invitation).await?;
    }
    Ok(CreateUserResponse {
        user: user_type(&pool, &user).await?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsernameRequest {
    username: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetUserResponse {
    username: String,
    user_attributes: Vec<AttributeType>,
    user_create_date: i64,
    user_last_modified_date: i64,
    enabled: bool,
    user_status: &'static str,
    #[serde(flatten)]
    mfa: super::wire::MfaFields,
}

async fn get_user(pool: UserPool, request: UsernameRequest) -> Result<GetUserResponse, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    let listed = user_type(&pool, &user).await?;
    Ok(GetUserResponse {
        username: listed.username,
        user_attributes: listed.attributes,
        user_create_date: listed.user_create_date,
        user_last_modified_date: listed.user_last_modified_date,
        enabled: listed.enabled,
        user_status: listed.user_status,
        mfa: super::wire::mfa_fields(&pool, &user).await?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateUserAttributesRequest {
    username: String,
    user_attributes: Vec<AttributeType>,
}

async fn update_user_attributes(
    pool: UserPool,
    request: UpdateUserAttributesRequest,
) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    let writing = Writing::AdminUpdateUserAttributes;
    super::update_attributes(&pool, &user, request.user_attributes, writing).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteUserAttributesRequest {
    username: String,
    user_attribute_names: Vec<String>,
}

async fn delete_user_attributes(
    pool: UserPool,
    request: DeleteUserAttributesRequest,
) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    super::delete_attributes(&pool, &user, &request.user_attribute_names).await?;
    Ok(Empty {})
}

async fn delete_user(pool: UserPool, request: UsernameRequest) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    pool.store().delete_user(&user.sub).await?;
    tracing::info!(sub = %user.sub, "user deleted");
    Ok(Empty {})
}

/// Disabling also revokes the user's tokens and sessions.
async fn disable_user(pool: UserPool, request: UsernameRequest) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    pool.store()
        .set_enabled(&user.sub, false, crate::now())
        .await?;
    Ok(Empty {})
}

async fn enable_user(pool: UserPool, request: UsernameRequest) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    pool.store()
        .set_enabled(&user.sub, true, crate::now())
        .await?;
    Ok(Empty {})
}

async fn confirm_sign_up(pool: UserPool, request: UsernameRequest) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    if user.confirmed {
        return Err(ApiError::NotAuthorized(
            "User cannot be confirmed. Current status is CONFIRMED".to_owned(),
        ));
    }
    pool.store().confirm_user(&user.sub, crate::now()).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetUserPasswordRequest {
    username: String,
    password: String,
    #[serde(default)]
    permanent: bool,
}

async fn set_user_password(
    pool: UserPool,
    request: SetUserPasswordRequest,
) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    let password_use = if request.permanent {
        PasswordUse::Permanent
    } else {
        PasswordUse::Temporary
    };
    directory::set_password(&pool, &user, &request.password, password_use, crate::now()).await??;
    Ok(Empty {})
}

/// AdminResetUserPassword: RESET_REQUIRED, and a reset code sent where the
/// pool's account recovery says.
async fn reset_user_password(pool: UserPool, request: UsernameRequest) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    match crate::accounts::reset_by_administrator(
        &pool,
        Caller::administrator(),
        &user,
        crate::now(),
    )
    .await?
    {
        ResetRequest::Sent(_) => Ok(Empty {}),
        ResetRequest::OverLimit => Err(ApiError::LimitExceeded),
        ResetRequest::AdminOnly => Err(super::reset_not_allowed()),
        ResetRequest::NoChannel | ResetRequest::Unknown => Err(super::no_recovery_channel()),
    }
}

async fn global_sign_out(pool: UserPool, request: UsernameRequest) -> Result<Empty, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    pool.store()
        .sign_out_everywhere(&user.sub, crate::now())
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUsersRequest {
    /// Only these attributes of each user (all when absent).
    attributes_to_get: Option<Vec<String>>,
    filter: Option<String>,
    limit: Option<i64>,
    pagination_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListUsersResponse {
    users: Vec<UserType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pagination_token: Option<String>,
}

async fn list_users(
    pool: UserPool,
    request: ListUsersRequest,
) -> Result<ListUsersResponse, ApiError> {
    let filter = match request.filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(parse_filter(text)?),
    };
    let after = after_page_token(request.pagination_token.as_deref())?;
    let page = pool
        .store()
        .list_users(
            filter.as_ref(),
            after.as_deref(),
            page_limit(request.limit)?,
        )
        .await?;
    let mut users = user_types(&pool, &page.items).await?;
    if let Some(names) = &request.attributes_to_get {
        let schema = &pool.pool().settings.schema_attributes;
        let known = |name: &String| {
            matches!(
                name.as_str(),
                "sub" | "email" | "email_verified" | "phone_number_verified"
            ) || super::in_schema(schema, name)
        };
        if !names.iter().all(known) {
            return Err(ApiError::InvalidParameter(
                "One or more requested attributes do not exist.".to_owned(),
            ));
        }
        for user in &mut users {
            user.attributes.retain(|a| names.contains(&a.name));
        }
    }
    Ok(ListUsersResponse {
        pagination_token: page_token(page.last_key(|u| &u.sub)),
        users,
    })
}

/// A `ListUsers` filter: `attribute = "value"` or `attribute ^= "prefix"`, on
/// the attributes Cognito can search.
fn parse_filter(text: &str) -> Result<UserFilter, ApiError> {
    let invalid = || ApiError::InvalidParameter("Error while parsing filter.".to_owned());
    let (name, rest, prefix) = match (text.find("^="), text.find('=')) {
        (Some(i), _) => (&text[..i], &text[i + 2..], true),
        (None, Some(i)) => (&text[..i], &text[i + 1..], false),
        (None, None) => return Err(invalid()),
    };
    let quoted = rest.trim();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .ok_or_else(invalid)?;
    let value = inner.replace("\\\"", "\"");
    let field = match name.trim().trim_matches('"') {
        "username" | "sub" => FilterField::Sub,
        "email" => FilterField::Email,
        "cognito:user_status" => FilterField::UserStatus,
        "status" => FilterField::Enabled,
        "name" => FilterField::Attribute("name"),
        "given_name" => FilterField::Attribute("given_name"),
        "family_name" => FilterField::Attribute("family_name"),
        "preferred_username" => FilterField::Attribute("preferred_username"),
        "phone_number" => FilterField::Attribute("phone_number"),
        other => {
            return Err(ApiError::InvalidParameter(format!(
                "Invalid search attribute: {other}"
            )));
        }
    };
    let value = if field == FilterField::Email {
        value.to_lowercase()
    } else {
        value
    };
    Ok(UserFilter {
        field,
        value,
        prefix,
    })
}

// --- groups ---

/// CreateGroup's and UpdateGroup's body: UpdateGroup changes what it gives.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupRequest {
    group_name: String,
    description: Option<String>,
    precedence: Option<i64>,
    role_arn: Option<String>,
}

impl GroupRequest {
    /// Cognito's constraints on the optional fields.
    fn check(&self) -> Result<(), ApiError> {
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 2048)
            || self.precedence.is_some_and(|p| p < 0)
        {
            return Err(ApiError::InvalidParameter(
                "Description must be at most 2048 characters and Precedence at least 0.".to_owned(),
            ));
        }
        match &self.role_arn {
            Some(arn) if !valid_role_arn(arn) => Err(ApiError::InvalidParameter(format!(
                "1 validation error detected: Value '{arn}' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?"
            ))),
            _ => Ok(()),
        }
    }
}

/// An ARN as Cognito's `ArnType` takes it: 20 to 2048 characters,
/// `arn:partition:service:[region]:account:resource[:qualifier[:qualifier]]`.
fn valid_role_arn(arn: &str) -> bool {
    let word = |part: &str| {
        part.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=/,.@-".contains(c))
    };
    let parts: Vec<&str> = arn.split(':').collect();
    (20..=2048).contains(&arn.len())
        && (6..=8).contains(&parts.len())
        && parts.first() == Some(&"arn")
        && parts.iter().enumerate().skip(1).all(|(i, part)| match i {
            3 => word(part),
            4 => !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()),
            _ => !part.is_empty() && word(part),
        })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupResponse {
    group: GroupType,
}

/// Cognito's group names: 1 to 128 printable characters without whitespace separators.
fn valid_group_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=128).contains(&name.chars().count())
        && name.chars().all(|c| !c.is_control() && !c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidParameter(
            "1 validation error detected: Value at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+".to_owned(),
        ))
    }
}

async fn create_group(pool: UserPool, request: GroupRequest) -> Result<GroupResponse, ApiError> {
    valid_group_name(&request.group_name)?;
    request.check()?;
    let now = crate::now();
    let group = Group {
        name: request.group_name,
        description: request.description,
        precedence: request.precedence,
        role_arn: request.role_arn,
        created_at: now,
        updated_at: now,
    };
    if !directory::create_group(&pool, &group).await? {
        return Err(ApiError::GroupExists(group.name));
    }
    Ok(GroupResponse {
        group: group_type(&pool, group),
    })
}

async fn update_group(pool: UserPool, request: GroupRequest) -> Result<GroupResponse, ApiError> {
    request.check()?;
    let changes = GroupChanges {
        description: request.description,
        precedence: request.precedence,
        role_arn: request.role_arn,
    };
    let group = directory::update_group(&pool, &request.group_name, &changes, crate::now())
        .await?
        .ok_or_else(|| ApiError::ResourceNotFound("Group not found.".to_owned()))?;
    Ok(GroupResponse {
        group: group_type(&pool, group),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupNameRequest {
    group_name: String,
}

async fn get_group(pool: UserPool, request: GroupNameRequest) -> Result<GroupResponse, ApiError> {
    let group = named_group(&pool, &request.group_name).await?;
    Ok(GroupResponse {
        group: group_type(&pool, group),
    })
}

async fn delete_group(pool: UserPool, request: GroupNameRequest) -> Result<Empty, ApiError> {
    if !pool.store().delete_group(&request.group_name).await? {
        return Err(ApiError::ResourceNotFound("Group not found.".to_owned()));
    }
    Ok(Empty {})
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsResponse {
    groups: Vec<GroupType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

async fn list_groups(pool: UserPool, request: NextTokenPage) -> Result<GroupsResponse, ApiError> {
    let after = after_page_token(request.next_token.as_deref())?;
    let page = pool
        .store()
        .list_groups(after.as_deref(), page_limit(request.limit)?)
        .await?;
    let next_token = page_token(page.last_key(|g| &g.name));
    Ok(GroupsResponse {
        groups: page
            .items
            .into_iter()
            .map(|g| group_type(&pool, g))
            .collect(),
        next_token,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MembershipRequest {
    username: String,
    group_name: String,
}

async fn add_user_to_group(pool: UserPool, request: MembershipRequest) -> Result<Empty, ApiError> {
    let group = named_group(&pool, &request.group_name).await?;
    let user = named_user(&pool, &request.username).await?;
    directory::add_to_group(&pool, &user.sub, &group.name).await?;
    Ok(Empty {})
}

async fn remove_user_from_group(
    pool: UserPool,
    request: MembershipRequest,
) -> Result<Empty, ApiError> {
    let group = named_group(&pool, &request.group_name).await?;
    let user = named_user(&pool, &request.username).await?;
    directory::remove_from_group(&pool, &user.sub, &group.name).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsForUserRequest {
    username: String,
    #[serde(flatten)]
    page: NextTokenPage,
}

async fn list_groups_for_user(
    pool: UserPool,
    request: GroupsForUserRequest,
) -> Result<GroupsResponse, ApiError> {
    let user = named_user(&pool, &request.username).await?;
    let limit = usize::try_from(page_limit(request.page.limit)?).unwrap_or(60);
    // A user's groups are few: page through the list in precedence order.
    let skip = match after_page_token(request.page.next_token.as_deref())? {
        Some(offset) => offset
            .parse::<usize>()
            .map_err(|_| ApiError::InvalidParameter("Invalid pagination token.".to_owned()))?,
        None => 0,
    };
    let groups = pool.store().groups_of(&user.sub).await?;
    let more = groups.len() > skip + limit;
    Ok(GroupsResponse {
        groups: groups
            .into_iter()
            .skip(skip)
            .take(limit)
            .map(|g| group_type(&pool, g))
            .collect(),
        next_token: page_token(more.then(|| (skip + limit).to_string()).as_deref()),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsersInGroupRequest {
    group_name: String,
    #[serde(flatten)]
    page: NextTokenPage,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UsersInGroupResponse {
    users: Vec<UserType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

async fn list_users_in_group(
    pool: UserPool,
    request: UsersInGroupRequest,
) -> Result<UsersInGroupResponse, ApiError> {
    let group = named_group(&pool, &request.group_name).await?;
    let after = after_page_token(request.page.next_token.as_deref())?;
    let page = pool
        .store()
        .users_in_group(
            &group.name,
            after.as_deref(),
            page_limit(request.page.limit)?,
        )
        .await?;
    Ok(UsersInGroupResponse {
        next_token: page_token(page.last_key(|u| &u.sub)),
        users: user_types(&pool, &page.items).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_as_cognito_writes_them() {
        let filter = parse_filter(r#"email ^= "Alice""#).unwrap();
        assert_eq!(filter.field, FilterField::Email);
        assert_eq!(filter.value, "alice");
        assert!(filter.prefix);

        let filter = parse_filter(r#"cognito:user_status="FORCE_CHANGE_PASSWORD""#).unwrap();
        assert_eq!(filter.field, FilterField::UserStatus);
        assert!(!filter.prefix);

        let filter = parse_filter(r#"name = "say \"hi\"""#).unwrap();
        assert_eq!(filter.value, r#"say "hi""#);

        for bad in ["email", r#"email = alice"#, r#"password = "x""#, r#"= "x""#] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn listings_of_one_group_or_user_page_by_limit_and_next_token() {
        let request: UsersInGroupRequest = serde_json::from_value(serde_json::json!({
            "UserPoolId": "us-east-1_LocalPool",
            "GroupName": "admins",
            "Limit": 2,
            "NextToken": "YWxpY2U",
        }))
        .unwrap();
        assert_eq!(request.group_name, "admins");
        assert_eq!(request.page.limit, Some(2));
        assert_eq!(request.page.next_token.as_deref(), Some("YWxpY2U"));

        let request: GroupsForUserRequest =
            serde_json::from_value(serde_json::json!({ "Username": "alice", "NextToken": null }))
                .unwrap();
        assert_eq!(request.username, "alice");
        assert!(request.page.limit.is_none() && request.page.next_token.is_none());

        let missing = serde_json::from_value::<GroupsForUserRequest>(serde_json::json!({}));
        assert!(
            missing
                .err()
                .is_some_and(|e| e.to_string().starts_with("missing field `Username`"))
        );
        let wrong = serde_json::json!({ "Username": "alice", "Limit": "2" });
        assert!(serde_json::from_value::<GroupsForUserRequest>(wrong).is_err());
    }
}
