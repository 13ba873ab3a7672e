//! One sign-in attempt, from the browser's side: before leaving for the hosted
//! UI it keeps a PKCE verifier, `state` and `nonce` in local storage; when the
//! pool redirects back it checks `state`, exchanges the code for tokens and
//! hands them to the server (or, for providers whose codes the server redeems,
//! hands it the code and verifier). The stored values are used once and removed.
//!
//! The decisions are plain functions (tested natively); the browser glue is in
//! `browser`, compiled only for the WASM build.

/// What the browser keeps between leaving for the hosted UI and coming back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

impl PendingLogin {
    /// The local-storage form: the three values joined by `.`, which none of them
    /// contains (they are base64url). Plain text keeps a JSON codec out of the WASM
    /// that every page with islands loads.
    pub fn to_stored(&self) -> String {
        format!("{}.{}.{}", self.state, self.nonce, self.verifier)
    }

    /// Reads `to_stored`'s form back; anything else is no pending login at all.
    pub fn from_stored(stored: &str) -> Option<PendingLogin> {
        let mut values = stored.split('.').map(str::to_owned);
        let (state, nonce, verifier) = (values.next()?, values.next()?, values.next()?);
        let complete = values.next().is_none()
            && !(state.is_empty() || nonce.is_empty() || verifier.is_empty());
        complete.then_some(PendingLogin {
            state,
            nonce,
            verifier,
        })
    }
}

/// What a new attempt adds to the client's fixed authorize parameters
/// (`PoolEndpoints::authorize_params`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
}

/// The query of the redirect back from the hosted UI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl Callback {
    /// Reads the redirect's query string (with or without its leading `?`).
    pub fn from_query(query: &str) -> Callback {
        let mut callback = Callback::default();
        let query = query.strip_prefix('?').unwrap_or(query);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let field = match name.as_ref() {
                "code" => &mut callback.code,
                "state" => &mut callback.state,
                "error" => &mut callback.error,
                "error_description" => &mut callback.error_description,
                _ => continue,
            };
            // The first value wins, as in `URLSearchParams.get`.
            field.get_or_insert_with(|| value.into_owned());
        }
        callback
    }
}

/// Why a callback did not sign anybody in, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("Sign-in was cancelled or refused by the user pool ({0}).")]
    Refused(String),
    #[error("This sign-in link has already been used, or was started in another browser.")]
    NoPendingLogin,
    #[error("This sign-in response does not belong to the sign-in you started, so it was ignored.")]
    StateMismatch,
    #[error("The user pool sent no sign-in code.")]
    MissingCode,
    #[error("The user pool could not be reached. Check that it is running, then try again.")]
    Unreachable,
    #[error("The user pool did not accept the sign-in code ({0}).")]
    CodeRejected(String),
    #[error("{0}")]
    Session(String),
    #[error("This browser cannot sign in here ({0}).")]
    Browser(String),
}

/// The code and the values to redeem it with, once the callback is known to
/// answer the sign-in this browser started. No code is exchanged otherwise.
pub fn check_callback(
    callback: Callback,
    pending: Option<PendingLogin>,
) -> Result<(String, PendingLogin), CallbackError> {
    if let Some(error) = callback.error {
        let detail = callback.error_description.unwrap_or(error);
        return Err(CallbackError::Refused(detail));
    }
    let pending = pending.ok_or(CallbackError::NoPendingLogin)?;
    if callback.state.as_deref() != Some(pending.state.as_str()) {
        return Err(CallbackError::StateMismatch);
    }
    let code = callback
        .code
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::MissingCode)?;
    Ok((code, pending))
}

#[cfg(feature = "hydrate")]
pub use browser::{begin, callback_from_location, finish, replace_location};

#[cfg(feature = "hydrate")]
mod browser {
    use serde::Deserialize;

    use super::{Attempt, Callback, CallbackError, PendingLogin, check_callback};
    use crate::api::{redeem_code, start_session};
    use crate::pkce;
    use crate::pool::{PoolEndpoints, Redeem};
    use crate::user::SignedInUser;

    const PENDING_KEY: &str = "leptos-cognito.pending-login";

    fn location() -> Result<web_sys::Location, CallbackError> {
        web_sys::window()
            .map(|window| window.location())
            .ok_or_else(|| CallbackError::Browser("no window".into()))
    }

    fn local_storage() -> Result<web_sys::Storage, CallbackError> {
        web_sys::window()
            .and_then(|window| window.local_storage().ok().flatten())
            .ok_or_else(|| CallbackError::Browser("local storage is unavailable".into()))
    }

    /// The callback this page was loaded with.
    pub fn callback_from_location() -> Result<Callback, CallbackError> {
        let search = location()?
            .search()
            .map_err(|_| CallbackError::Browser("unreadable address".into()))?;
        Ok(Callback::from_query(&search))
    }

    /// Loads `url` in place of the current page, which leaves history too.
    pub fn replace_location(url: &str) -> Result<(), CallbackError> {
        location()?
            .replace(url)
            .map_err(|_| CallbackError::Browser("navigation refused".into()))
    }

    /// Starts an attempt: stores fresh secrets for the callback and returns what
    /// the authorize request carries of them.
    pub fn begin() -> Result<Attempt, CallbackError> {
        let random = || pkce::random_token().map_err(CallbackError::Browser);
        let pending = PendingLogin {
            state: random()?,
            nonce: random()?,
            verifier: random()?,
        };
        local_storage()?
            .set_item(PENDING_KEY, &pending.to_stored())
            .map_err(|_| CallbackError::Browser("local storage is full or disabled".into()))?;
        Ok(Attempt {
            code_challenge: pkce::challenge(&pending.verifier),
            state: pending.state,
            nonce: pending.nonce,
        })
    }

    /// Finishes an attempt from the callback's query.
    pub async fn finish(
        pool: &PoolEndpoints,
        callback: Callback,
    ) -> Result<SignedInUser, CallbackError> {
        // Taken out before anything else, so a replayed callback URL finds nothing.
        let storage = local_storage()?;
        let pending = storage.get_item(PENDING_KEY).ok().flatten();
        // A storage that cannot forget the secrets must not use them either.
        storage
            .remove_item(PENDING_KEY)
            .map_err(|_| CallbackError::Browser("local storage is disabled".into()))?;
        let pending = pending.as_deref().and_then(PendingLogin::from_stored);
        let (code, pending) = check_callback(callback, pending)?;
        let signed_in = match pool.redeem {
            Redeem::Browser => {
                let tokens = exchange(pool, &code, &pending.verifier).await?;
                start_session(
                    tokens.id_token,
                    tokens.access_token,
                    tokens.refresh_token,
                    pending.nonce,
                )
                .await
            }
            Redeem::Server => redeem_code(code, pending.verifier, pending.nonce).await,
        };
        signed_in.map_err(|e| CallbackError::Session(e.to_string()))
    }

    #[derive(Deserialize)]
    struct TokenResponse {
        id_token: String,
        access_token: String,
        refresh_token: String,
    }

    #[derive(Deserialize)]
    struct TokenError {
        error: String,
    }

    async fn exchange(
        pool: &PoolEndpoints,
        code: &str,
        verifier: &str,
    ) -> Result<TokenResponse, CallbackError> {
        let response = gloo_net::http::Request::post(&pool.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(pool.code_exchange_body(code, verifier))
            .map_err(|e| CallbackError::Browser(e.to_string()))?
            .send()
            .await
            .map_err(|_| CallbackError::Unreachable)?;
        if !response.ok() {
            let reason = match response.json::<TokenError>().await {
                Ok(body) => body.error,
                Err(_) => format!("HTTP {}", response.status()),
            };
            return Err(CallbackError::CodeRejected(reason));
        }
        response
            .json()
            .await
            .map_err(|_| CallbackError::CodeRejected("unreadable token response".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingLogin {
        PendingLogin {
            state: "s-1".into(),
            nonce: "n-1".into(),
            verifier: "v-1".into(),
        }
    }

    fn callback(code: &str, state: &str) -> Callback {
        Callback {
            code: Some(code.into()),
            state: Some(state.into()),
            ..Callback::default()
        }
    }

    #[test]
    fn a_pending_login_is_stored_as_plain_text_and_read_back() {
        let stored = pending().to_stored();
        assert_eq!(stored, "s-1.n-1.v-1");
        assert_eq!(PendingLogin::from_stored(&stored), Some(pending()));
        for damaged in [
            "",
            "s-1.n-1",
            "s-1.n-1.v-1.x",
            "s-1..v-1",
            "{\"state\":\"s-1\"}",
        ] {
            assert_eq!(PendingLogin::from_stored(damaged), None, "{damaged}");
        }
    }

    #[test]
    fn the_callback_is_read_from_the_query() {
        assert_eq!(
            Callback::from_query("?code=c%2B1&state=s+1&extra=x&code=second"),
            Callback {
                code: Some("c+1".into()),
                state: Some("s 1".into()),
                ..Callback::default()
            }
        );
        assert_eq!(
            Callback::from_query("error=access_denied&error_description=User%20cancelled"),
            Callback {
                error: Some("access_denied".into()),
                error_description: Some("User cancelled".into()),
                ..Callback::default()
            }
        );
        assert_eq!(Callback::from_query(""), Callback::default());
    }

    #[test]
    fn a_matching_callback_yields_the_code_and_the_pending_secrets() {
        assert_eq!(
            check_callback(callback("c-1", "s-1"), Some(pending())),
            Ok(("c-1".into(), pending()))
        );
    }

    #[test]
    fn a_state_mismatch_exchanges_nothing() {
        assert_eq!(
            check_callback(callback("c-1", "s-2"), Some(pending())),
            Err(CallbackError::StateMismatch)
        );
        let no_state = Callback {
            state: None,
            ..callback("c-1", "")
        };
        assert_eq!(
            check_callback(no_state, Some(pending())),
            Err(CallbackError::StateMismatch)
        );
    }

    #[test]
    fn a_replayed_callback_finds_no_pending_login() {
        assert_eq!(
            check_callback(callback("c-1", "s-1"), None),
            Err(CallbackError::NoPendingLogin)
        );
    }

    #[test]
    fn an_error_callback_is_reported_with_the_pools_description() {
        let refused = Callback {
            error: Some("access_denied".into()),
            error_description: Some("User cancelled".into()),
            state: Some("s-1".into()),
            ..Callback::default()
        };
        assert_eq!(
            check_callback(refused, Some(pending())),
            Err(CallbackError::Refused("User cancelled".into()))
        );
    }

    #[test]
    fn a_callback_without_a_code_is_refused() {
        let empty = Callback {
            state: Some("s-1".into()),
            ..Callback::default()
        };
        assert_eq!(
            check_callback(empty, Some(pending())),
            Err(CallbackError::MissingCode)
        );
    }
}
