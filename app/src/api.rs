//! The server functions: the only boundary between the browser and the server.
//! Each one is thin; the work is done by `session`, `verify` and, for the admin
//! console, `cognito_admin`. Authorization happens here, on the server: the
//! admin functions refuse anyone outside the `Admin` group with a 403. They act
//! on the app's own pool unless given another, which must be one the server
//! lists (`list_pools`): the browser's choice is checked, never trusted.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::directory::{Group, PoolSummary, UsersPage};
use crate::mfa::{AppSetup, Factor, SecondFactors};
use crate::passkeys::PasskeySummary;
use crate::pool::PoolEndpoints;
use crate::user::{Session, SignedInUser};

/// What can go wrong in a server function, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AuthError {
    #[error("The sign-in could not be verified ({0}). Please sign in again.")]
    Rejected(String),
    #[error("The server is not configured for sign-in.")]
    NotConfigured,
    #[error("The server could not be reached ({0}). Please try again.")]
    Transport(String),
    #[error("Please sign in first.")]
    SignedOut,
    #[error("Only members of the {0} group may do this.")]
    Forbidden(String),
    #[error("The user pool refused: {0}")]
    Directory(String),
    #[error("The admin console needs AWS credentials for the user pool (see README).")]
    NoDirectory,
    #[error(
        "The admin console manages a Cognito user pool; this app signs in with another OpenID provider, where its users are managed."
    )]
    NoPool,
    #[error("There is no user pool {0} here.")]
    NoSuchPool(String),
    #[error("The passkey could not be saved or changed: {0}")]
    Passkey(String),
    #[error("The second sign-in step could not be changed: {0}")]
    SecondFactor(String),
}

impl FromServerFnError for AuthError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AuthError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
fn auth() -> Result<crate::session::Auth, AuthError> {
    use_context().ok_or(AuthError::NotConfigured)
}

#[cfg(feature = "ssr")]
async fn cookies() -> Result<axum_extra::extract::CookieJar, AuthError> {
    leptos_axum::extract()
        .await
        .map_err(|e| AuthError::Transport(e.to_string()))
}

/// The signed-in member of the Admin group making this request, or a refusal
/// with its HTTP status (401 signed out, 403 not a member).
#[cfg(feature = "ssr")]
async fn require_admin() -> Result<(crate::session::Auth, SignedInUser), AuthError> {
    use crate::directory::ADMIN_GROUP;
    let auth = auth()?;
    let refusal = match auth.session(&cookies().await?).await {
        Session::SignedIn(user) if user.is_admin() => return Ok((auth, user)),
        Session::SignedIn(user) => {
            tracing::warn!(sub = %user.sub, "refused: not a member of {ADMIN_GROUP}");
            (
                axum::http::StatusCode::FORBIDDEN,
                AuthError::Forbidden(ADMIN_GROUP.to_owned()),
            )
        }
        Session::SignedOut | Session::Expired | Session::Ended => {
            (axum::http::StatusCode::UNAUTHORIZED, AuthError::SignedOut)
        }
    };
    Err(refused(refusal.0, refusal.1))
}

/// The server's side of the request of a signed-in user (401 otherwise), with its cookies.
#[cfg(feature = "ssr")]
async fn signed_in() -> Result<(crate::session::Auth, axum_extra::extract::CookieJar), AuthError> {
    let auth = auth()?;
    let jar = cookies().await?;
    match auth.session(&jar).await {
        Session::SignedIn(_) => Ok((auth, jar)),
        Session::SignedOut | Session::Expired | Session::Ended => Err(refused(
            axum::http::StatusCode::UNAUTHORIZED,
            AuthError::SignedOut,
        )),
    }
}

/// `error`, answered with `status`.
#[cfg(feature = "ssr")]
fn refused(status: axum::http::StatusCode, error: AuthError) -> AuthError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    error
}

/// The admin API of the app's own pool, for a member of the Admin group.
#[cfg(feature = "ssr")]
async fn own_directory() -> Result<std::sync::Arc<crate::cognito_admin::CognitoAdmin>, AuthError> {
    let (auth, _) = require_admin().await?;
    if !auth.pool.is_cognito_pool() {
        return Err(AuthError::NoPool);
    }
    auth.directory.clone().ok_or(AuthError::NoDirectory)
}

/// The admin API of `pool` (the app's own when `None` or empty), for a member
/// of the Admin group; another pool must be one of `pools_of` (404 if not).
#[cfg(feature = "ssr")]
async fn directory(
    pool: Option<String>,
) -> Result<std::sync::Arc<crate::cognito_admin::CognitoAdmin>, AuthError> {
    let own = own_directory().await?;
    let Some(chosen) = pool
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty() && *id != own.pool_id())
    else {
        return Ok(own);
    };
    if pools_of(&own).await?.iter().any(|p| p.id == chosen) {
        Ok(std::sync::Arc::new(own.in_pool(chosen)))
    } else {
        tracing::warn!(pool = %chosen, "refused: not one of the listed pools");
        Err(refused(
            axum::http::StatusCode::NOT_FOUND,
            AuthError::NoSuchPool(chosen.to_owned()),
        ))
    }
}

/// The pools the console may work on: the app's own first, then the others
/// ListUserPools lists. Where listing is refused (Amazon Cognito credentials
/// without `cognito-idp:ListUserPools`), only the app's own.
#[cfg(feature = "ssr")]
async fn pools_of(own: &crate::cognito_admin::CognitoAdmin) -> Result<Vec<PoolSummary>, AuthError> {
    use crate::cognito_admin::AdminApiError;
    let listed = match own.list_pools().await {
        Ok(listed) => listed,
        Err(error @ AdminApiError::Refused { .. }) => {
            tracing::info!(%error, "ListUserPools refused: the console offers the app's pool only");
            Vec::new()
        }
        Err(error) => return Err(error.into()),
    };
    let (mine, others): (Vec<_>, Vec<_>) = listed.into_iter().partition(|p| p.id == own.pool_id());
    let mine = mine.into_iter().next().unwrap_or_else(|| PoolSummary {
        id: own.pool_id().to_owned(),
        name: String::new(),
    });
    Ok(std::iter::once(mine).chain(others).collect())
}

#[cfg(feature = "ssr")]
impl From<crate::cognito_admin::AdminApiError> for AuthError {
    fn from(error: crate::cognito_admin::AdminApiError) -> AuthError {
        tracing::warn!(%error, "admin API call failed");
        AuthError::Directory(error.to_string())
    }
}

/// Where the browser finds the hosted UI and which app client it speaks for.
#[server]
pub async fn user_pool() -> Result<PoolEndpoints, AuthError> {
    Ok(auth()?.pool.clone())
}

/// The session the request's cookies prove.
#[server]
pub async fn current_session() -> Result<Session, AuthError> {
    Ok(auth()?.session(&cookies().await?).await)
}

/// Gets new tokens from the pool now, so that group changes show at once, and
/// returns to the profile (its form's page: under `Referrer-Policy: no-referrer`
/// the browser names no page to return to), which then says so.
#[server]
pub async fn refresh_session() -> Result<Session, AuthError> {
    let session = auth()?.refresh_now(&cookies().await?).await;
    leptos_axum::redirect("/profile?refreshed");
    Ok(session)
}

// --- the admin console (members of the Admin group only) ---
// Each function acts on `pool`, the app's own pool when `None`.

/// The pools the console can work on, the app's own first.
#[server]
pub async fn list_pools() -> Result<Vec<PoolSummary>, AuthError> {
    let own = own_directory().await?;
    pools_of(&own).await
}

/// A page of users whose email starts with `search`. (A fixed endpoint, so
/// tests and scripts can name it: `/api/list_users`.)
#[server(endpoint = "list_users")]
pub async fn list_users(
    search: String,
    page: Option<String>,
    pool: Option<String>,
) -> Result<UsersPage, AuthError> {
    Ok(directory(pool)
        .await?
        .list_users(search.trim(), page.as_deref())
        .await?)
}

#[server]
pub async fn list_groups(pool: Option<String>) -> Result<Vec<Group>, AuthError> {
    Ok(directory(pool).await?.list_groups().await?)
}

/// Creates a user; the pool mails them a temporary password.
#[server]
pub async fn create_user(email: String, pool: Option<String>) -> Result<(), AuthError> {
    let directory = directory(pool).await?;
    directory.create_user(email.trim()).await?;
    tracing::info!(pool = %directory.pool_id(), "admin created a user");
    Ok(())
}

#[server]
pub async fn set_user_enabled(
    username: String,
    enabled: bool,
    pool: Option<String>,
) -> Result<(), AuthError> {
    Ok(directory(pool)
        .await?
        .set_enabled(&username, enabled)
        .await?)
}

/// Turns off every second factor of a user (who lost their authenticator app, say).
#[server]
pub async fn reset_second_factors(username: String, pool: Option<String>) -> Result<(), AuthError> {
    let directory = directory(pool).await?;
    directory.reset_second_factors(&username).await?;
    tracing::info!(pool = %directory.pool_id(), "admin reset a user's second factors");
    Ok(())
}

#[server]
pub async fn delete_user(username: String, pool: Option<String>) -> Result<(), AuthError> {
    Ok(directory(pool).await?.delete_user(&username).await?)
}

#[server]
pub async fn set_group_membership(
    username: String,
    group: String,
    member: bool,
    pool: Option<String>,
) -> Result<(), AuthError> {
    Ok(directory(pool)
        .await?
        .set_membership(&username, &group, member)
        .await?)
}

#[server]
pub async fn create_group(
    name: String,
    description: String,
    pool: Option<String>,
) -> Result<(), AuthError> {
    Ok(directory(pool)
        .await?
        .create_group(name.trim(), description.trim())
        .await?)
}

/// Takes the tokens the browser got from the token endpoint, validates them
/// (including the `nonce` of this sign-in attempt) and keeps them in cookies.
#[server]
pub async fn start_session(
    id_token: String,
    access_token: String,
    refresh_token: String,
    nonce: String,
) -> Result<SignedInUser, AuthError> {
    use crate::pool::Redeem;
    use crate::session::Tokens;

    let auth = auth()?;
    if auth.pool.redeem != Redeem::Browser {
        return Err(AuthError::Rejected(
            "this provider's codes are redeemed by the server".into(),
        ));
    }
    let tokens = Tokens {
        id_token: &id_token,
        access_token: &access_token,
        refresh_token: &refresh_token,
    };
    keep_session(&auth, &tokens, &nonce).await
}

/// Redeems the code of a sign-in at the provider (for providers whose codes the
/// server redeems, `pool::Redeem::Server`) with the attempt's PKCE verifier,
/// then validates the tokens and keeps them as `start_session` does.
#[server]
pub async fn redeem_code(
    code: String,
    verifier: String,
    nonce: String,
) -> Result<SignedInUser, AuthError> {
    use crate::pool::Redeem;
    use crate::session::Tokens;
    use crate::token_endpoint::TokenError;

    let auth = auth()?;
    if auth.pool.redeem != Redeem::Server {
        return Err(AuthError::Rejected(
            "this provider's codes are redeemed by the browser".into(),
        ));
    }
    let tokens = auth
        .redeem_code(&code, &verifier)
        .await
        .map_err(|error| match error {
            TokenError::Refused(reason) => {
                AuthError::Rejected(format!("the provider refused the code: {reason}"))
            }
            TokenError::Transport(reason) => AuthError::Transport(reason),
        })?;
    let refresh_token = tokens.refresh_token.unwrap_or_default();
    let tokens = Tokens {
        id_token: &tokens.id_token,
        access_token: &tokens.access_token,
        refresh_token: &refresh_token,
    };
    keep_session(&auth, &tokens, &nonce).await
}

/// Validates a sign-in's tokens (with its `nonce`) and keeps them in cookies.
#[cfg(feature = "ssr")]
async fn keep_session(
    auth: &crate::session::Auth,
    tokens: &crate::session::Tokens<'_>,
    nonce: &str,
) -> Result<SignedInUser, AuthError> {
    let user = auth
        .validate(tokens.id_token, tokens.access_token, Some(nonce))
        .await
        .map_err(|reason| AuthError::Rejected(reason.to_string()))?;
    // None at all is fine: a provider may issue no refresh token.
    if !(tokens.refresh_token.is_empty() || crate::session::is_cookie_safe(tokens.refresh_token)) {
        return Err(AuthError::Rejected("malformed refresh token".into()));
    }
    crate::session::respond_with_cookies(&auth.cookies.set(tokens));
    tracing::info!(sub = %user.sub, "signed in");
    Ok(user)
}

/// Revokes the refresh token at the pool and clears the session cookies, then
/// sends the browser to the pool's logout, which ends the hosted UI's session
/// and returns to the app.
#[server]
pub async fn end_session() -> Result<(), AuthError> {
    let auth = auth()?;
    let jar = cookies().await?;
    // Revoked first: a request of the session arriving meanwhile must not be
    // told by the pool that it still stands, and remembered so.
    auth.revoke_refresh_token(&jar).await;
    auth.forget_session(&jar);
    let logout = auth.logout_url(&jar);
    crate::session::respond_with_cookies(&auth.cookies.signed_out());
    leptos_axum::redirect(&logout);
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cognito_admin::tests::api_answering;

    fn ids(pools: &[PoolSummary]) -> Vec<&str> {
        pools.iter().map(|p| p.id.as_str()).collect()
    }

    #[tokio::test]
    async fn the_apps_own_pool_is_offered_first() {
        let (own, _) = api_answering(|_, _| {
            (
                200,
                json!({ "UserPools": [
                    { "Id": "us-east-1_A", "Name": "a" },
                    { "Id": "us-east-1_Own", "Name": "own" },
                ] }),
            )
        })
        .await;
        let pools = pools_of(&own).await.expect("pools");
        assert_eq!(ids(&pools), ["us-east-1_Own", "us-east-1_A"]);
        assert_eq!(pools.first().map(|p| p.name.as_str()), Some("own"));
    }

    #[tokio::test]
    async fn where_listing_is_denied_only_the_apps_pool_is_offered() {
        let (own, _) = api_answering(|_, _| {
            (
                400,
                json!({ "__type": "AccessDeniedException", "message": "not authorized to perform: cognito-idp:ListUserPools" }),
            )
        })
        .await;
        let pools = pools_of(&own).await.expect("pools");
        assert_eq!(ids(&pools), ["us-east-1_Own"]);
        assert_eq!(
            pools.first().map(PoolSummary::label).as_deref(),
            Some("us-east-1_Own")
        );
    }
}

/// The signed-in user's passkeys.
#[server]
pub async fn list_passkeys() -> Result<Vec<PasskeySummary>, AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.list_passkeys().await.map_err(AuthError::Passkey)
}

/// The options for the browser to make the signed-in user a passkey (JSON).
#[server]
pub async fn start_passkey_registration() -> Result<String, AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.start_passkey_registration()
        .await
        .map_err(AuthError::Passkey)
}

/// Keeps the passkey the browser made (`RegistrationResponseJSON`).
#[server]
pub async fn complete_passkey_registration(credential: String) -> Result<(), AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.complete_passkey_registration(&credential)
        .await
        .map_err(AuthError::Passkey)
}

/// Deletes one of the signed-in user's passkeys.
#[server]
pub async fn delete_passkey(credential_id: String) -> Result<(), AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.delete_passkey(&credential_id)
        .await
        .map_err(AuthError::Passkey)
}

/// The signed-in user's second factors.
#[server]
pub async fn list_second_factors() -> Result<SecondFactors, AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.second_factors().await.map_err(AuthError::SecondFactor)
}

/// A new authenticator-app secret for the signed-in user to scan and confirm.
#[server]
pub async fn start_app_setup() -> Result<AppSetup, AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.start_app_setup().await.map_err(AuthError::SecondFactor)
}

/// The app's first code: it is proven, and turned on as the preferred factor.
#[server]
pub async fn confirm_app(code: String) -> Result<(), AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.confirm_app(code.trim())
        .await
        .map_err(AuthError::SecondFactor)
}

/// Turns one of the signed-in user's second factors on or off.
#[server]
pub async fn set_second_factor(factor: Factor, on: bool) -> Result<(), AuthError> {
    let (auth, jar) = signed_in().await?;
    let api = auth.user_api(&jar).ok_or(AuthError::SignedOut)?;
    api.set_second_factor(factor, on)
        .await
        .map_err(AuthError::SecondFactor)
}
