//! Refreshing a session's tokens at the pool, on the server, before they expire,
//! so nobody is signed out while active and group changes reach the session.
//! One refresh per refresh token at a time: requests that arrive together (from
//! several tabs, say) wait for the same one and share its result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::pool::PoolEndpoints;
use crate::token_endpoint::{ClientAuth, TokenError, TokenResponse, request_tokens};

/// A result is shared with requests that waited for it for this long.
const SHARE_RESULT_FOR: Duration = Duration::from_secs(30);

/// A refresh's new tokens (a new refresh token only from providers that rotate them).
pub type Refreshed = TokenResponse;

#[derive(Clone, Debug, thiserror::Error)]
pub enum RefreshError {
    /// Revoked, expired, or not this client's: the session is over.
    #[error("the user pool refused the refresh token")]
    Refused,
    #[error("the user pool could not be reached: {0}")]
    Transport(String),
}

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Result<Refreshed, RefreshError>)>>>;

pub struct Refresher {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_auth: ClientAuth,
    /// Keyed by a digest of the refresh token, never the token itself.
    slots: Mutex<HashMap<[u8; 32], Slot>>,
}

impl Refresher {
    pub fn new(pool: &PoolEndpoints, client_auth: ClientAuth, http: reqwest::Client) -> Refresher {
        Refresher {
            http,
            token_url: pool.token_url.clone(),
            client_id: pool.client_id.clone(),
            client_auth,
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Refreshed, RefreshError> {
        let slot = self.slot(Sha256::digest(refresh_token.as_bytes()).into());
        let mut shared = slot.lock().await;
        if let Some((at, result)) = shared.as_ref()
            && at.elapsed() < SHARE_RESULT_FOR
        {
            return result.clone();
        }
        let result = self.call_pool(refresh_token).await;
        *shared = Some((Instant::now(), result.clone()));
        result
    }

    /// The slot of one refresh token; slots whose result is stale are dropped.
    fn slot(&self, key: [u8; 32]) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slots.retain(|_, slot| {
            slot.try_lock().map_or(true, |shared| {
                shared
                    .as_ref()
                    .is_some_and(|(at, _)| at.elapsed() < SHARE_RESULT_FOR)
            })
        });
        slots.entry(key).or_default().clone()
    }

    async fn call_pool(&self, refresh_token: &str) -> Result<Refreshed, RefreshError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "refresh_token"),
                ("client_id", &self.client_id),
                ("refresh_token", refresh_token),
            ])
            .finish();
        let request = self
            .client_auth
            .post(&self.http, &self.token_url, &self.client_id, body);
        request_tokens(request).await.map_err(|error| match error {
            TokenError::Refused(_) => RefreshError::Refused,
            TokenError::Transport(reason) => RefreshError::Transport(reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::routing::post;

    use super::*;

    /// A token endpoint that counts its calls and answers slowly, so callers overlap.
    async fn token_endpoint(status: u16) -> (PoolEndpoints, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let app = axum::Router::new().route(
            "/oauth2/token",
            post(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    (
                        axum::http::StatusCode::from_u16(status).expect("status"),
                        axum::Json(serde_json::json!({
                            "id_token": "i.d.t", "access_token": "a.c.t",
                            "expires_in": 3600, "token_type": "Bearer"
                        })),
                    )
                }
            }),
        );
        (crate::test_tokens::pool_serving(app).await, calls)
    }

    #[tokio::test]
    async fn requests_that_arrive_together_share_one_refresh() {
        let (pool, calls) = token_endpoint(200).await;
        let refresher = Arc::new(Refresher::new(
            &pool,
            ClientAuth::Public,
            reqwest::Client::new(),
        ));
        let tabs: Vec<_> = (0..5)
            .map(|_| {
                let refresher = refresher.clone();
                tokio::spawn(async move { refresher.refresh("the-refresh-token").await })
            })
            .collect();
        for tab in tabs {
            assert_eq!(
                tab.await.expect("task").expect("refreshed").access_token,
                "a.c.t"
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another session's token is refreshed on its own.
        refresher.refresh("another-token").await.expect("refreshed");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refused_refresh_token_is_reported_as_such() {
        let (pool, _) = token_endpoint(400).await;
        let refresher = Refresher::new(&pool, ClientAuth::Public, reqwest::Client::new());
        assert!(matches!(
            refresher.refresh("revoked").await,
            Err(RefreshError::Refused)
        ));
    }
}
