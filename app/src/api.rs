//! The server functions: the only boundary between the browser and the server.
//! Each one is thin; the work is done by `session` and `verify`.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

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

/// Where the browser finds the hosted UI and which app client it speaks for.
#[server]
pub async fn user_pool() -> Result<PoolEndpoints, AuthError> {
    Ok(auth()?.pool)
}

/// The session the request's cookies prove.
#[server]
pub async fn current_session() -> Result<Session, AuthError> {
    let auth = auth()?;
    let jar: axum_extra::extract::CookieJar = leptos_axum::extract()
        .await
        .map_err(|e| AuthError::Transport(e.to_string()))?;
    Ok(auth.session(&jar).await)
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
    use crate::session::{Tokens, respond_with_cookies};

    let auth = auth()?;
    let user = auth
        .validate(&id_token, &access_token, Some(&nonce))
        .await
        .map_err(|reason| AuthError::Rejected(reason.to_string()))?;
    if !crate::session::is_cookie_safe(&refresh_token) {
        return Err(AuthError::Rejected("malformed refresh token".into()));
    }
    respond_with_cookies(&auth.cookies.set(&Tokens {
        id_token: &id_token,
        access_token: &access_token,
        refresh_token: &refresh_token,
    }));
    tracing::info!(sub = %user.sub, "signed in");
    Ok(user)
}

/// Revokes the refresh token at the pool and clears the session cookies, then
/// sends the browser to the pool's logout, which ends the hosted UI's session
/// and returns to the app.
#[server]
pub async fn end_session() -> Result<(), AuthError> {
    let auth = auth()?;
    let jar: axum_extra::extract::CookieJar = leptos_axum::extract()
        .await
        .map_err(|e| AuthError::Transport(e.to_string()))?;
    auth.revoke_refresh_token(&jar).await;
    crate::session::respond_with_cookies(&auth.cookies.clear());
    leptos_axum::redirect(&auth.pool.logout_url());
    Ok(())
}
