//! Cognito's JSON API: `POST /` with `X-Amz-Target:
//! AWSCognitoIdentityProviderService.<Operation>` and an
//! `application/x-amz-json-1.1` body, as the AWS SDKs and the AWS CLI send it.
//! This module owns the dispatch, the wire types the operations share and the
//! one mapping of errors to Cognito's `{"__type", "message"}` shape. `users`
//! holds the operations an app calls for its users (authenticated by client id
//! or access token), `admin` those that need AWS credentials, and `wire` the
//! request shapes both use.
//!
//! Admin operations must be signed with AWS Signature Version 4 by one of the
//! configured `[[admin_credentials]]`, which `sigv4` checks as AWS does.

mod admin;
mod branding;
mod clients;
mod devices;
mod domains;
mod identity_providers;
mod mfa;
mod passkeys;
mod pools;
mod resource_servers;
mod sigv4;
mod users;
mod wire;

#[cfg(test)]
pub(crate) use sigv4::signed_headers_for_tests;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::{self, Refusal};
use crate::config::Client;
use crate::error::{Error, MAIL_UNAVAILABLE};
use crate::passkeys::PasskeyRefusal;
use crate::store::User;
use crate::{UserPool, secrets};

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The scope of access tokens from the JSON API, required by the operations that take one.
pub(crate) const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

pub(crate) fn routes(server: &UserPool) -> Router<UserPool> {
    // Browser apps (Amplify and the like) call the API cross-origin, without
    // cookies: from the app clients' origins only.
    let server = server.clone();
    Router::new()
        .route("/", post(handle))
        .layer(crate::web::cors_for(move |origin| {
            server.serves_browser_origin(origin)
        }))
}

async fn handle(
    State(pool): State<UserPool>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = sigv4::SignedRequest {
        method: method.as_str(),
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    let mut response = match dispatch(pool, &request).await {
        Ok(value) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, CONTENT_TYPE),
                (header::CACHE_CONTROL, "no-store"),
            ],
            value.to_string(),
        )
            .into_response(),
        Err(error) => error.into_response(),
    };
    // AWS's name for the request id (`web::layers` gives every request one),
    // which the SDKs put in their errors and logs.
    if let Some(id) = headers.get("x-request-id") {
        response
            .headers_mut()
            .insert("x-amzn-requestid", id.clone());
    }
    response
}

/// The operations the pool answers, by their `X-Amz-Target` names: those an app
/// calls for its users, and those that need AWS credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    SignUp,
    ConfirmSignUp,
    ResendConfirmationCode,
    InitiateAuth,
    RespondToAuthChallenge,
    ForgotPassword,
    ConfirmForgotPassword,
    ChangePassword,
    GetUser,
    UpdateUserAttributes,
    GlobalSignOut,
    RevokeToken,
    DeleteUser,
    DeleteUserAttributes,
    GetUserAttributeVerificationCode,
    VerifyUserAttribute,
    GetTokensFromRefreshToken,
    ConfirmDevice,
    GetDevice,
    ForgetDevice,
    UpdateDeviceStatus,
    ListDevices,
    StartWebAuthnRegistration,
    CompleteWebAuthnRegistration,
    ListWebAuthnCredentials,
    DeleteWebAuthnCredential,
    AssociateSoftwareToken,
    VerifySoftwareToken,
    SetUserMfaPreference,
    Admin(admin::Operation),
}

impl Operation {
    fn named(name: &str) -> Option<Operation> {
        Some(match name {
            "SignUp" => Operation::SignUp,
            "ConfirmSignUp" => Operation::ConfirmSignUp,
            "ResendConfirmationCode" => Operation::ResendConfirmationCode,
            "InitiateAuth" => Operation::InitiateAuth,
            "RespondToAuthChallenge" => Operation::RespondToAuthChallenge,
            "ForgotPassword" => Operation::ForgotPassword,
            "ConfirmForgotPassword" => Operation::ConfirmForgotPassword,
            "ChangePassword" => Operation::ChangePassword,
            "GetUser" => Operation::GetUser,
            "UpdateUserAttributes" => Operation::UpdateUserAttributes,
            "GlobalSignOut" => Operation::GlobalSignOut,
            "RevokeToken" => Operation::RevokeToken,
            "DeleteUser" => Operation::DeleteUser,
            "DeleteUserAttributes" => Operation::DeleteUserAttributes,
            "GetUserAttributeVerificationCode" => Operation::GetUserAttributeVerificationCode,
            "VerifyUserAttribute" => Operation::VerifyUserAttribute,
            "GetTokensFromRefreshToken" => Operation::GetTokensFromRefreshToken,
            "ConfirmDevice" => Operation::ConfirmDevice,
            "GetDevice" => Operation::GetDevice,
            "ForgetDevice" => Operation::ForgetDevice,
            "UpdateDeviceStatus" => Operation::UpdateDeviceStatus,
            "ListDevices" => Operation::ListDevices,
            "StartWebAuthnRegistration" => Operation::StartWebAuthnRegistration,
            "CompleteWebAuthnRegistration" => Operation::CompleteWebAuthnRegistration,
            "ListWebAuthnCredentials" => Operation::ListWebAuthnCredentials,
            "DeleteWebAuthnCredential" => Operation::DeleteWebAuthnCredential,
            "AssociateSoftwareToken" => Operation::AssociateSoftwareToken,
            "VerifySoftwareToken" => Operation::VerifySoftwareToken,
            "SetUserMFAPreference" => Operation::SetUserMfaPreference,
            admin => Operation::Admin(admin::Operation::named(admin)?),
        })
    }
}

async fn dispatch(pool: UserPool, http: &sigv4::SignedRequest<'_>) -> Result<Value, ApiError> {
    // An operation the pool does not answer is unknown whatever the body or the
    // signature say, as it is to Cognito: checked before either.
    let operation = http
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(TARGET_PREFIX))
        .and_then(Operation::named)
        .ok_or(ApiError::UnknownOperation)?;
    let request: Value = serde_json::from_slice(http.body).map_err(|_| ApiError::Serialization)?;
    if crate::input::json_has_nul(&request) {
        return Err(ApiError::InvalidParameter(
            "1 validation error detected: a value contains the character U+0000, which no field accepts".to_owned(),
        ));
    }
    let pool = match operation {
        Operation::Admin(_) => pool,
        Operation::ChangePassword
        | Operation::GetUser
        | Operation::UpdateUserAttributes
        | Operation::GlobalSignOut
        | Operation::DeleteUser
        | Operation::DeleteUserAttributes
        | Operation::GetUserAttributeVerificationCode
        | Operation::VerifyUserAttribute
        | Operation::ConfirmDevice
        | Operation::GetDevice
        | Operation::ForgetDevice
        | Operation::UpdateDeviceStatus
        | Operation::ListDevices
        | Operation::StartWebAuthnRegistration
        | Operation::CompleteWebAuthnRegistration
        | Operation::ListWebAuthnCredentials
        | Operation::DeleteWebAuthnCredential
        | Operation::SetUserMfaPreference => pool_of_token(&pool, &request).await?,
        // By an access token, or in a sign-in by its session.
        Operation::AssociateSoftwareToken | Operation::VerifySoftwareToken => {
            if request.get("AccessToken").is_some() {
                pool_of_token(&pool, &request).await?
            } else {
                pool_of_session(&pool, &request).await?
            }
        }
        _ => pool_of_client(&pool, &request).await?,
    };
    match operation {
        Operation::SignUp => run(users::sign_up, pool, request).await,
        Operation::ConfirmSignUp => run(users::confirm_sign_up, pool, request).await,
        Operation::ResendConfirmationCode => {
            run(users::resend_confirmation_code, pool, request).await
        }
        Operation::InitiateAuth => run(users::initiate_auth, pool, request).await,
        Operation::RespondToAuthChallenge => {
            run(users::respond_to_auth_challenge, pool, request).await
        }
        Operation::ForgotPassword => run(users::forgot_password, pool, request).await,
        Operation::ConfirmForgotPassword => {
            run(users::confirm_forgot_password, pool, request).await
        }
        Operation::ChangePassword => run(users::change_password, pool, request).await,
        Operation::GetUser => run(users::get_user, pool, request).await,
        Operation::UpdateUserAttributes => run(users::update_user_attributes, pool, request).await,
        Operation::GlobalSignOut => run(users::global_sign_out, pool, request).await,
        Operation::RevokeToken => run(users::revoke_token, pool, request).await,
        Operation::DeleteUser => run(users::delete_user, pool, request).await,
        Operation::DeleteUserAttributes => run(users::delete_user_attributes, pool, request).await,
        Operation::GetUserAttributeVerificationCode => {
            run(users::get_user_attribute_verification_code, pool, request).await
        }
        Operation::VerifyUserAttribute => run(users::verify_user_attribute, pool, request).await,
        Operation::ConfirmDevice => run(devices::confirm_device, pool, request).await,
        Operation::GetDevice | Operation::ForgetDevice | Operation::UpdateDeviceStatus => {
            run(devices::device, pool, request).await
        }
        Operation::ListDevices => run(devices::list_devices, pool, request).await,
        Operation::StartWebAuthnRegistration => {
            run(passkeys::start_registration, pool, request).await
        }
        Operation::CompleteWebAuthnRegistration => {
            run(passkeys::complete_registration, pool, request).await
        }
        Operation::ListWebAuthnCredentials => run(passkeys::list, pool, request).await,
        Operation::DeleteWebAuthnCredential => run(passkeys::delete, pool, request).await,
        Operation::AssociateSoftwareToken => {
            run(mfa::associate_software_token, pool, request).await
        }
        Operation::VerifySoftwareToken => run(mfa::verify_software_token, pool, request).await,
        Operation::SetUserMfaPreference => run(mfa::set_user_mfa_preference, pool, request).await,
        Operation::GetTokensFromRefreshToken => {
            run(users::get_tokens_from_refresh_token, pool, request).await
        }
        Operation::Admin(operation) => {
            authorize_admin(&pool, http)?;
            let pool = if operation.names_a_pool() {
                named_pool(&pool, &request).await?
            } else {
                pool
            };
            admin::dispatch(pool, operation, request).await
        }
    }
}

/// Decodes the request for `operation`, runs it and encodes its response.
async fn run<Req, Resp, Fut>(
    operation: impl FnOnce(UserPool, Req) -> Fut,
    pool: UserPool,
    request: Value,
) -> Result<Value, ApiError>
where
    Req: DeserializeOwned,
    Resp: Serialize,
    Fut: Future<Output = Result<Resp, ApiError>>,
{
    let request = serde_json::from_value(request).map_err(|e| {
        // serde names a missing field, but other messages may quote the input (a password).
        let message = e.to_string();
        ApiError::InvalidParameter(if message.starts_with("missing field") {
            format!("1 validation error detected: {message}")
        } else {
            "1 validation error detected: a field has the wrong type.".to_owned()
        })
    })?;
    let response = operation(pool, request).await?;
    Ok(serde_json::to_value(response).map_err(Error::from)?)
}

/// Admin operations need a valid SigV4 signature by a configured key.
fn authorize_admin(server: &UserPool, http: &sigv4::SignedRequest<'_>) -> Result<(), ApiError> {
    let config = server.config();
    sigv4::verify(
        http,
        config.admin_credentials(),
        config.region(),
        std::time::SystemTime::now(),
    )
}

/// The server acting in the pool that has the client the request's `ClientId`
/// names (a request without one is refused by its operation).
async fn pool_of_client(server: &UserPool, request: &Value) -> Result<UserPool, ApiError> {
    let Some(client_id) = request.get("ClientId").and_then(Value::as_str) else {
        return Ok(server.clone());
    };
    server.with_client(client_id).await?.ok_or_else(|| {
        ApiError::ResourceNotFound(format!("User pool client {client_id} does not exist."))
    })
}

/// The server acting in the pool whose issuer the request's `AccessToken`
/// names (unverified here: the operation verifies it with that pool's keys).
async fn pool_of_token(server: &UserPool, request: &Value) -> Result<UserPool, ApiError> {
    let issuer = request
        .get("AccessToken")
        .and_then(Value::as_str)
        .and_then(|token| token.split('.').nth(1))
        .and_then(|payload| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|payload| serde_json::from_slice::<Value>(&payload).ok())
        .and_then(|claims| claims.get("iss").and_then(Value::as_str).map(str::to_owned));
    let Some(pool_id) = issuer.as_deref().and_then(|iss| iss.rsplit('/').next()) else {
        // Not a token of any pool: the operation refuses it.
        return Ok(server.clone());
    };
    server
        .in_pool(pool_id)
        .await?
        .ok_or_else(|| ApiError::NotAuthorized("Invalid Access Token".to_owned()))
}

/// The server acting in the pool whose sign-in the request's `Session` is
/// of (the operation refuses a session that is not live).
async fn pool_of_session(server: &UserPool, request: &Value) -> Result<UserPool, ApiError> {
    let Some(session) = request.get("Session").and_then(Value::as_str) else {
        return Ok(server.clone());
    };
    let pool_id = server
        .store()
        .auth_session_pool(&secrets::digest(session), crate::now())
        .await?;
    match pool_id {
        Some(id) => Ok(server.in_pool(&id).await?.unwrap_or_else(|| server.clone())),
        None => Ok(server.clone()),
    }
}

/// The server acting in the pool the request's `UserPoolId` names.
async fn named_pool(server: &UserPool, request: &Value) -> Result<UserPool, ApiError> {
    let Some(id) = request.get("UserPoolId").and_then(Value::as_str) else {
        return Err(ApiError::InvalidParameter(
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null".to_owned(),
        ));
    };
    if id != server.config().pool_id() && !crate::pools::well_formed_id(id) {
        return Err(ApiError::InvalidParameter(format!(
            "1 validation error detected: Value '{id}' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
        )));
    }
    server
        .in_pool(id)
        .await?
        .ok_or_else(|| ApiError::ResourceNotFound(format!("User pool {id} does not exist.")))
}

// --- what the operations share ---

/// The app client a request names.
fn client<'a>(pool: &'a UserPool, client_id: &str) -> Result<&'a Client, ApiError> {
    pool.pool().client(client_id).ok_or_else(|| {
        ApiError::ResourceNotFound(format!("User pool client {client_id} does not exist."))
    })
}

/// The user a request names, by sub or email.
async fn named_user(pool: &UserPool, username: &str) -> Result<User, ApiError> {
    pool.store()
        .user_by_username(&pool.pool().naming().lookup(username))
        .await?
        .ok_or(ApiError::UserNotFound)
}

/// Clients with a secret must prove it with each request naming a user.
fn check_secret_hash(
    client: &Client,
    username: &str,
    secret_hash: Option<&str>,
) -> Result<(), ApiError> {
    let Some(secret) = &client.secret else {
        return Ok(());
    };
    let Some(presented) = secret_hash else {
        return Err(ApiError::NotAuthorized(format!(
            "Client {} is configured for secret but secret was not received",
            client.id
        )));
    };
    let expected = secrets::secret_hash(secret, username, &client.id);
    if secrets::equal(expected.as_bytes(), presented.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::NotAuthorized(format!(
            "Unable to verify secret hash for client {}",
            client.id
        )))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttributeType {
    name: String,
    #[serde(default)]
    value: String,
}

/// Who writes attributes, and when: users and administrators may give a
/// new user immutable attributes; only administrators set whether an address
/// or a phone number is verified (users prove it with a code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writing {
    SignUp,
    AdminCreateUser,
    UpdateUserAttributes,
    AdminUpdateUserAttributes,
}

impl Writing {
    fn creating(self) -> bool {
        matches!(self, Writing::SignUp | Writing::AdminCreateUser)
    }

    fn by_administrator(self) -> bool {
        matches!(
            self,
            Writing::AdminCreateUser | Writing::AdminUpdateUserAttributes
        )
    }
}

/// Checks attributes to be written against the pool's `schema` (an empty
/// schema, the declared pool's, takes the standard attributes and any
/// `custom:` one). `email` may only repeat the user's address (a change of
/// address is [`update_attributes`]'s). The `*_verified` flags are an
/// administrator's to set and ignored from anyone else.
fn writable_attributes(
    attributes: Vec<AttributeType>,
    email: Option<&str>,
    schema: &[crate::schema::SchemaAttribute],
    writing: Writing,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut writes = Vec::new();
    for AttributeType { name, value } in attributes {
        match name.as_str() {
            "email" if Some(crate::accounts::normalize_email(&value).as_str()) == email => {}
            "email" => {
                return Err(ApiError::InvalidParameter(
                    "Changing the email address is not supported by this user pool.".to_owned(),
                ));
            }
            "email_verified" | "phone_number_verified" if writing.by_administrator() => {
                if value != "true" && value != "false" {
                    return Err(ApiError::InvalidParameter(format!(
                        "Invalid value for the attribute {name}: it must be true or false."
                    )));
                }
                writes.push((name, value));
            }
            "email_verified" | "phone_number_verified" => {}
            "sub" => {
                return Err(ApiError::InvalidParameter(
                    "Cannot modify the non-mutable attribute sub".to_owned(),
                ));
            }
            _ if !schema.is_empty() => {
                crate::schema::check(schema, &name, &value, writing.creating())
                    .map_err(ApiError::InvalidParameter)?;
                writes.push((name, value));
            }
            _ if in_schema(schema, &name) => {
                if value.chars().count() > 2048 {
                    return Err(ApiError::InvalidParameter(format!(
                        "The value of {name} is longer than 2048 characters."
                    )));
                }
                writes.push((name, value));
            }
            _ => {
                return Err(ApiError::InvalidParameter(format!(
                    "Attribute does not exist in the schema: {name}"
                )));
            }
        }
    }
    Ok(writes)
}

/// Whether the pool's `schema` has the attribute `name` (an empty schema, the
/// declared pool's, has the standard attributes users set and any well-formed
/// `custom:` one: 1 to 20 letters, digits or `_`).
fn in_schema(schema: &[crate::schema::SchemaAttribute], name: &str) -> bool {
    if !schema.is_empty() {
        return schema.iter().any(|s| s.name == name);
    }
    let custom = name.strip_prefix("custom:").is_some_and(|rest| {
        (1..=20).contains(&rest.len())
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    custom || crate::schema::is_standard_value(name)
}

/// Whether `client` may write every one of the attributes `names` (its WriteAttributes).
fn check_writes<'a>(
    client: &Client,
    mut names: impl Iterator<Item = &'a str>,
) -> Result<(), ApiError> {
    if names.all(|name| client.writes(name)) {
        Ok(())
    } else {
        Err(ApiError::NotAuthorized(
            "A client attempted to write unauthorized attribute".to_owned(),
        ))
    }
}

/// Writes `attributes` of an existing user, as the pool's schema allows
/// (UpdateUserAttributes and AdminUpdateUserAttributes). A new email address
/// is the user's once a code sent to it proves it (where the code went is
/// returned), or at once when an administrator gives it; a changed phone
/// number is unverified unless an administrator says otherwise. Nothing is
/// written when anything is refused.
async fn update_attributes(
    pool: &UserPool,
    user: &User,
    attributes: Vec<AttributeType>,
    writing: Writing,
) -> Result<Vec<CodeDeliveryDetails>, ApiError> {
    use crate::verification;
    let schema = &pool.pool().settings.schema_attributes;
    let (emails, others): (Vec<_>, Vec<_>) =
        attributes.into_iter().partition(|a| a.name == "email");
    let new_email = emails
        .last()
        .map(|a| accounts::valid_email(&a.value))
        .transpose()?
        .filter(|email| user.email.as_deref() != Some(email.as_str()));
    let mut writes = writable_attributes(others, user.email.as_deref(), schema, writing)?;
    let store = pool.store();
    let mut after = store.attributes(&user.sub).await?;
    let phone_now = accounts::attribute(&after, "phone_number");
    let new_phone = writes
        .iter()
        .any(|(name, value)| name == "phone_number" && phone_now != Some(value.as_str()));
    if new_phone
        && !writes
            .iter()
            .any(|(name, _)| name == "phone_number_verified")
    {
        writes.push(("phone_number_verified".to_owned(), "false".to_owned()));
    }
    if let Some(email) = &new_email
        && verification::email_taken(pool, user, email).await?
    {
        return Err(ApiError::AliasExists);
    }
    // The sign-in names the user has once the writes are made.
    after.extend(writes.iter().cloned());
    let keys = pool.pool().naming().keys(user.email.as_deref(), &after);
    let now = crate::now();
    if !store.set_attributes(&user.sub, &writes, &keys, now).await? {
        return Err(ApiError::AliasExists);
    }
    let Some(email) = new_email else {
        return Ok(Vec::new());
    };
    if writing.by_administrator() {
        let verified = writes
            .iter()
            .any(|(name, value)| name == "email_verified" && value == "true");
        if !verification::set_email(pool, user, &email, verified, now).await? {
            return Err(ApiError::AliasExists);
        }
        return Ok(Vec::new());
    }
    if verification::change_email(pool, user, &email, now).await? {
        Ok(vec![code_delivery(&email)])
    } else {
        Err(ApiError::LimitExceeded)
    }
}

/// Deletes attributes of an existing user (DeleteUserAttributes and
/// AdminDeleteUserAttributes): not `sub` or the email address (a sign-in name
/// here), nor one the pool's schema makes required or immutable.
async fn delete_attributes(pool: &UserPool, user: &User, names: &[String]) -> Result<(), ApiError> {
    let schema = &pool.pool().settings.schema_attributes;
    let mut deletes = Vec::with_capacity(names.len());
    for name in names {
        let declared = schema.iter().find(|s| &s.name == name);
        match name.as_str() {
            "sub" | "email" => {
                return Err(ApiError::InvalidParameter(format!(
                    "Cannot delete the attribute {name}."
                )));
            }
            _ if !in_schema(schema, name) => {
                return Err(ApiError::InvalidParameter(format!(
                    "Attribute does not exist in the schema: {name}"
                )));
            }
            _ if declared.is_some_and(|s| s.required) => {
                return Err(ApiError::InvalidParameter(format!(
                    "Cannot delete the required attribute {name}."
                )));
            }
            _ if declared.is_some_and(|s| !s.mutable) => {
                return Err(ApiError::InvalidParameter(format!(
                    "Cannot modify the non-mutable attribute {name}"
                )));
            }
            _ => deletes.push((name.clone(), String::new())),
        }
    }
    // An empty value deletes; the sign-in names are those left.
    let mut after = pool.store().attributes(&user.sub).await?;
    after.retain(|(name, _)| !names.contains(name));
    let keys = pool.pool().naming().keys(user.email.as_deref(), &after);
    if !pool
        .store()
        .set_attributes(&user.sub, &deletes, &keys, crate::now())
        .await?
    {
        return Err(ApiError::AliasExists);
    }
    Ok(())
}

/// A user about to be created lacks none of the pool's required attributes
/// (`email` counts where it is the username).
fn check_required(pool: &UserPool, attributes: &[AttributeType]) -> Result<(), ApiError> {
    let given: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
    let except: &[&str] = match pool.pool().naming() {
        crate::pools::Naming::Attributes(_) => &["email", "phone_number"],
        crate::pools::Naming::Plain { .. } => &[],
    };
    let schema = &pool.pool().settings.schema_attributes;
    match crate::schema::missing_required(schema, &given, except) {
        Some(name) => Err(ApiError::InvalidParameter(crate::schema::required_message(
            name,
        ))),
        None => Ok(()),
    }
}

/// The username (None where attributes are the names: the sub stands in) and
/// the email address of a user SignUp or AdminCreateUser is to create from the
/// `Username` and `UserAttributes` given, checked as the pool's naming wants.
/// A phone number given as the username becomes the `phone_number` attribute.
fn new_user_names(
    pool: &UserPool,
    given: &str,
    attributes: &mut Vec<AttributeType>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    use crate::pools::{Naming, plausible_phone_number};
    let naming = pool.pool().naming();
    let email_attribute = attributes
        .iter()
        .find(|a| a.name == "email")
        .map(|a| accounts::valid_email(&a.value))
        .transpose()?;
    match naming {
        Naming::Attributes(by) => {
            if by.email
                && let Ok(email) = accounts::valid_email(given)
            {
                return Ok((None, Some(email)));
            }
            if by.phone_number && plausible_phone_number(given) {
                attributes.retain(|a| a.name != "phone_number");
                attributes.push(AttributeType {
                    name: "phone_number".to_owned(),
                    value: given.to_owned(),
                });
                return Ok((None, email_attribute));
            }
            Err(ApiError::InvalidParameter(
                match (by.email, by.phone_number) {
                    (true, true) => "Username should be either an email or a phone number.",
                    (false, true) => "Username should be a phone number.",
                    _ => "Username should be an email.",
                }
                .to_owned(),
            ))
        }
        Naming::Plain { aliases, .. } => {
            if !crate::pools::plausible_username(given) {
                return Err(ApiError::InvalidParameter(
                    "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+".to_owned(),
                ));
            }
            if aliases.email && accounts::valid_email(given).is_ok() {
                return Err(ApiError::InvalidParameter(
                    "Username cannot be of email format, since user pool is configured for email alias.".to_owned(),
                ));
            }
            if aliases.phone_number && plausible_phone_number(given) {
                return Err(ApiError::InvalidParameter(
                    "Username cannot be of phone number format, since user pool is configured for phone_number alias.".to_owned(),
                ));
            }
            Ok((Some(naming.username_key(given)), email_attribute))
        }
    }
}

/// Where a new user's confirmation code went, if the pool sent one: to the
/// address or the phone number it verifies (`AutoVerifiedAttributes`).
fn sign_up_delivery(
    pool: &UserPool,
    email: Option<&str>,
    attributes: &[(String, String)],
) -> Option<CodeDeliveryDetails> {
    accounts::sign_up_code_destination(pool, email, attributes).map(code_delivery)
}

/// Every attribute of a user, as Cognito lists them.
async fn user_attributes(pool: &UserPool, user: &User) -> Result<Vec<AttributeType>, ApiError> {
    Ok(crate::claims::of(pool.store(), user)
        .await?
        .into_iter()
        .map(|(name, value)| AttributeType { name, value })
        .collect())
}

/// Where a code went, masked as Cognito masks it (`a***@e***`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CodeDeliveryDetails {
    destination: String,
    delivery_medium: &'static str,
    attribute_name: &'static str,
}

fn code_delivery(to: &str) -> CodeDeliveryDetails {
    let destination = crate::mail::masked(to);
    if crate::pools::plausible_phone_number(to) {
        return CodeDeliveryDetails {
            destination,
            delivery_medium: "SMS",
            attribute_name: "phone_number",
        };
    }
    CodeDeliveryDetails {
        destination,
        delivery_medium: "EMAIL",
        attribute_name: "email",
    }
}

/// A password reset where the pool's recovery is `admin_only`, or the user
/// cannot have one (not confirmed).
fn reset_not_allowed() -> ApiError {
    ApiError::NotAuthorized("User password cannot be reset in the current state.".to_owned())
}

/// A client with a secret must present it (`ClientSecret`); a public
/// client's stray one is ignored, as Cognito does.
fn check_client_secret(client: &Client, presented: Option<&str>) -> Result<(), ApiError> {
    if client.secret.is_some() && !client.proves_secret(presented) {
        return Err(ApiError::NotAuthorized(format!(
            "Unable to verify secret hash for client {}",
            client.id
        )));
    }
    Ok(())
}

/// A password reset for a user with no verified address or number to send the code to.
fn no_recovery_channel() -> ApiError {
    ApiError::InvalidParameter(
        "Cannot reset password for the user as there is no registered/verified email or phone_number".to_owned(),
    )
}

/// Cognito's bounds and characters for a pool's or a client's name (`field`).
fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let ok = (1..=128).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+ and have length between 1 and 128"
        )))
    }
}

/// An opaque page token: the last key of the previous page, base64url.
fn page_token(last_key: Option<&str>) -> Option<String> {
    last_key.map(secrets::b64url)
}

fn after_page_token(token: Option<&str>) -> Result<Option<String>, ApiError> {
    use base64::Engine;
    token
        .map(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| ApiError::InvalidParameter("Invalid pagination token.".to_owned()))
        })
        .transpose()
}

/// `Limit` within Cognito's 1..=60, 60 when absent.
fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(60),
        Some(n @ 1..=60) => Ok(n),
        Some(_) => Err(ApiError::InvalidParameter(
            "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and 60".to_owned(),
        )),
    }
}

// --- errors ---

/// Everything an operation can answer instead of success, with Cognito's exception names.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("{0}")]
    NotAuthorized(String),
    #[error("User account already exists.")]
    UsernameExists,
    #[error("User is not confirmed.")]
    UserNotConfirmed,
    /// A rotated-out refresh token presented again: its sign-in has ended.
    #[error("The refresh token was already used and has been revoked, with its sign-in.")]
    RefreshTokenReuse,
    /// An administrator invalidated the password (AdminResetUserPassword).
    #[error("Password reset required for the user")]
    PasswordResetRequired,
    #[error("Invalid verification code provided, please try again.")]
    CodeMismatch,
    #[error("Invalid code provided, please request a code again.")]
    ExpiredCode,
    #[error("Attempt limit exceeded, please try after some time.")]
    LimitExceeded,
    #[error("{0}")]
    InvalidPassword(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    InvalidOAuthFlow(String),
    #[error("{0}")]
    ScopeDoesNotExist(String),
    #[error("User does not exist.")]
    UserNotFound,
    /// A phone number or preferred username another user signs in with.
    #[error("An account with the given phone_number or preferred_username already exists.")]
    AliasExists,
    #[error("A group with the name {0} already exists.")]
    GroupExists(String),
    /// A provider name or identifier the pool has already.
    #[error("{0}")]
    DuplicateProvider(String),
    /// A provider an app client still lists.
    #[error("{0}")]
    UnsupportedIdentityProvider(String),
    #[error("Resend not possible: the user is not in the FORCE_CHANGE_PASSWORD state.")]
    UnsupportedUserState,
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// An `Authorization` header that is not a whole SigV4 one.
    #[error("{0}")]
    IncompleteSignature(String),
    /// An access key the pool does not know.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// A signature that does not match, has expired or has the wrong scope.
    #[error("{0}")]
    InvalidSignature(String),
    #[error("The operation is not supported by this user pool.")]
    UnknownOperation,
    /// An operation the app client does not enable.
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error("The request body is not valid JSON.")]
    Serialization,
    /// TOTP is not one of the pool's second factors.
    #[error("Software Token MFA is not enabled for the user pool.")]
    SoftwareTokenMfaNotFound,
    /// VerifySoftwareToken's code was wrong.
    #[error("Code mismatch and fail enable Software Token MFA mfa")]
    EnableSoftwareTokenMfa,
    /// A passkey operation refused (`WebAuthn*Exception`).
    #[error(transparent)]
    Passkey(#[from] PasskeyRefusal),
    #[error(transparent)]
    Internal(#[from] Error),
}

impl ApiError {
    fn exception(&self) -> &'static str {
        match self {
            ApiError::NotAuthorized(_) => "NotAuthorizedException",
            ApiError::UsernameExists => "UsernameExistsException",
            ApiError::UserNotConfirmed => "UserNotConfirmedException",
            ApiError::PasswordResetRequired => "PasswordResetRequiredException",
            ApiError::RefreshTokenReuse => "RefreshTokenReuseException",
            ApiError::CodeMismatch => "CodeMismatchException",
            ApiError::ExpiredCode => "ExpiredCodeException",
            ApiError::LimitExceeded => "LimitExceededException",
            ApiError::InvalidPassword(_) => "InvalidPasswordException",
            ApiError::InvalidParameter(_) => "InvalidParameterException",
            ApiError::ResourceNotFound(_) => "ResourceNotFoundException",
            ApiError::InvalidOAuthFlow(_) => "InvalidOAuthFlowException",
            ApiError::ScopeDoesNotExist(_) => "ScopeDoesNotExistException",
            ApiError::UserNotFound => "UserNotFoundException",
            ApiError::AliasExists => "AliasExistsException",
            ApiError::GroupExists(_) => "GroupExistsException",
            ApiError::DuplicateProvider(_) => "DuplicateProviderException",
            ApiError::UnsupportedIdentityProvider(_) => "UnsupportedIdentityProviderException",
            ApiError::UnsupportedUserState => "UnsupportedUserStateException",
            ApiError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ApiError::IncompleteSignature(_) => "IncompleteSignatureException",
            ApiError::UnrecognizedClient => "UnrecognizedClientException",
            ApiError::InvalidSignature(_) => "InvalidSignatureException",
            ApiError::UnknownOperation => "UnknownOperationException",
            ApiError::UnsupportedOperation(_) => "UnsupportedOperationException",
            ApiError::Serialization => "SerializationException",
            ApiError::SoftwareTokenMfaNotFound => "SoftwareTokenMFANotFoundException",
            ApiError::EnableSoftwareTokenMfa => "EnableSoftwareTokenMFAException",
            ApiError::Passkey(refusal) => match refusal {
                PasskeyRefusal::NotEnabled => "WebAuthnNotEnabledException",
                PasskeyRefusal::ConfigurationMissing => "WebAuthnConfigurationMissingException",
                PasskeyRefusal::ChallengeNotFound => "WebAuthnChallengeNotFoundException",
                PasskeyRefusal::OriginNotAllowed => "WebAuthnOriginNotAllowedException",
                PasskeyRefusal::RelyingPartyMismatch => "WebAuthnRelyingPartyMismatchException",
                PasskeyRefusal::NotSupported(_) => "WebAuthnCredentialNotSupportedException",
                PasskeyRefusal::TooMany => "LimitExceededException",
            },
            ApiError::Internal(Error::MailQueueFull) => "CodeDeliveryFailureException",
            ApiError::Internal(Error::Trigger { failure, .. }) => failure.exception(),
            ApiError::Internal(_) => "InternalErrorException",
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        match refusal {
            Refusal::InvalidEmail => ApiError::InvalidParameter(refusal.to_string()),
            Refusal::Password(_) => ApiError::InvalidPassword(refusal.to_string()),
            Refusal::WrongCode => ApiError::CodeMismatch,
            Refusal::ExpiredCode => ApiError::ExpiredCode,
            Refusal::CodeAttemptsExceeded => ApiError::LimitExceeded,
            Refusal::IncorrectCredentials
            | Refusal::Disabled
            | Refusal::SessionExpired
            | Refusal::SignUpNotPermitted
            | Refusal::TemporaryPasswordExpired => ApiError::NotAuthorized(refusal.to_string()),
            // Cognito's words for a locked-out account.
            Refusal::LockedOut => ApiError::NotAuthorized("Password attempts exceeded".to_owned()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        ApiError::Internal(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(Error::Busy) = self {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    (header::CONTENT_TYPE, CONTENT_TYPE),
                    (header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS),
                    (
                        HeaderName::from_static("x-amzn-errortype"),
                        "TooManyRequestsException",
                    ),
                ],
                serde_json::json!({
                    "__type": "TooManyRequestsException",
                    "message": "Too many requests. Please try again in a moment.",
                })
                .to_string(),
            )
                .into_response();
        }
        let status = match &self {
            ApiError::Internal(Error::MailQueueFull | Error::Trigger { .. }) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Internal(error) => {
                tracing::error!(%error, "internal error in the JSON API");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::MissingAuthenticationToken => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        };
        let message = match &self {
            ApiError::Internal(Error::MailQueueFull) => MAIL_UNAVAILABLE.to_owned(),
            ApiError::Internal(Error::Trigger { message, .. }) => message.clone(),
            ApiError::Internal(_) => "Internal server error.".to_owned(),
            other => other.to_string(),
        };
        let exception = self.exception();
        // Wrong passwords and codes count against the caller's address (see `throttle`).
        let failed_attempt = matches!(
            self,
            ApiError::NotAuthorized(_)
                | ApiError::RefreshTokenReuse
                | ApiError::CodeMismatch
                | ApiError::EnableSoftwareTokenMfa
                | ApiError::ExpiredCode
                | ApiError::LimitExceeded
        );
        let mut response = (
            status,
            [(header::CONTENT_TYPE, CONTENT_TYPE)],
            serde_json::json!({ "__type": exception, "message": message }).to_string(),
        )
            .into_response();
        response
            .headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(exception));
        if failed_attempt {
            response
                .extensions_mut()
                .insert(crate::web::throttle::FailedAttempt);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saturated_hasher_is_throttling_with_retry_after() {
        let response = ApiError::Internal(Error::Busy).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "TooManyRequestsException"
        );
        let page = crate::web::PageError::Internal(Error::Busy).into_response();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn destinations_are_masked() {
        assert_eq!(code_delivery("alice@example.com").destination, "a***@e***");
    }

    #[test]
    fn attributes_are_checked_before_writing() {
        let attribute = |name: &str, value: &str| AttributeType {
            name: name.to_owned(),
            value: value.to_owned(),
        };
        let writes = writable_attributes(
            vec![
                attribute("name", "Alice"),
                attribute("custom:team", "blue"),
                attribute("email", "Alice@Example.com"),
                attribute("email_verified", "true"),
            ],
            Some("alice@example.com"),
            &[],
            Writing::UpdateUserAttributes,
        )
        .unwrap();
        assert_eq!(
            writes,
            vec![
                ("name".to_owned(), "Alice".to_owned()),
                ("custom:team".to_owned(), "blue".to_owned())
            ]
        );
        for bad in [
            attribute("sub", "x"),
            attribute("email", "mallory@example.com"),
            attribute("favourite_colour", "red"),
            attribute("custom:", "x"),
            attribute("custom:a;drop", "x"),
            attribute("name", &"x".repeat(2049)),
        ] {
            assert!(
                matches!(
                    writable_attributes(
                        vec![bad.clone()],
                        Some("alice@example.com"),
                        &[],
                        Writing::UpdateUserAttributes
                    ),
                    Err(ApiError::InvalidParameter(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn page_tokens_round_trip_and_bad_ones_are_refused() {
        let token = page_token(Some("abc")).unwrap();
        assert_eq!(
            after_page_token(Some(&token)).unwrap().as_deref(),
            Some("abc")
        );
        assert!(after_page_token(Some("!!")).is_err());
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(61)).is_err());
        assert_eq!(page_limit(None).unwrap(), 60);
        let max_results = |max_results| wire::MaxResultsPage {
            max_results,
            next_token: None,
        };
        assert_eq!(max_results(None).limit(50, false).unwrap(), 50);
        assert_eq!(max_results(Some(7)).limit(50, false).unwrap(), 7);
        assert!(max_results(None).limit(60, true).is_err());
        assert!(max_results(Some(51)).limit(50, false).is_err());
        assert!(max_results(Some(0)).limit(60, true).is_err());
    }
}
