//! A local, Amazon-Cognito-compatible user pool: the hosted UI (sign-up, confirmation,
//! sign-in), the OAuth 2.0 / OpenID Connect endpoints (authorize, token, logout,
//! discovery, JWKS) and RS256 token signing, backed by SQLite.
//!
//! Embed it with [`UserPool::open`] and mount [`UserPool::router`], or run the
//! `userpool serve` binary.

mod accounts;
mod challenge;
mod config;
mod csrf;
mod error;
mod grants;
mod health;
mod hosted_ui;
mod http_layers;
mod json_api;
mod keys;
mod mail;
mod oauth2;
mod password;
mod pkce;
mod secrets;
mod store;
mod throttle;
mod tokens;
mod transfer;
mod well_known;

#[cfg(feature = "bench-support")]
#[doc(hidden)]
pub mod bench_support;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use config::{Config, ConfigError, Database, DatabaseUrl};
pub use error::Error;
pub use http_layers::http_layers;
pub use transfer::{ImportSummary, TransferError};

/// A handle on a running user pool: configuration, database, signing key and
/// password hasher. Cheap to clone.
#[derive(Clone)]
pub struct UserPool {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: store::Store,
    keys: keys::KeyRing,
    hasher: password::Hasher,
    throttle: throttle::Throttle,
}

impl UserPool {
    /// Opens (or creates) the configured database (SQLite in the data
    /// directory, or PostgreSQL), applies the embedded migrations and loads (or creates and persists) the
    /// RSA signing key.
    pub async fn open(config: Config) -> Result<UserPool, Error> {
        let store = store::Store::open(&config.database()).await?;
        let keys = keys::KeyRing::open(store.clone(), config.key_encryption_key().cloned()).await?;
        let hasher = password::Hasher::new().await?;
        let inner = Arc::new(Inner {
            config,
            store,
            keys,
            hasher,
            throttle: throttle::Throttle::default(),
        });
        // Keys rotated in by another process (`userpool keys rotate`) are picked up
        // while the pool runs; the task ends with the pool.
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(keys::RELOAD_INTERVAL).await;
                let Some(inner) = weak.upgrade() else { return };
                if let Err(error) = inner.keys.reload().await {
                    tracing::warn!(%error, "could not reload the signing keys");
                }
            }
        });
        Ok(UserPool { inner })
    }

    /// Every endpoint of the pool, with its state and [`http_layers`] applied.
    pub fn router(&self) -> axum::Router {
        let mut router = axum::Router::new()
            .merge(hosted_ui::routes())
            .merge(oauth2::routes())
            .merge(json_api::routes())
            .merge(well_known::routes(self.config()))
            .route("/healthz", axum::routing::get(health::health));
        if self.config().dev_outbox() {
            router = router.merge(mail::dev_routes());
        }
        let router = router.layer(axum::middleware::from_fn_with_state(
            self.clone(),
            throttle::throttle,
        ));
        http_layers(router.with_state(self.clone()))
    }

    /// Makes sure a confirmed user with this email exists, in these groups (created
    /// if need be), for demos and local development. An existing user is left
    /// as they are, password included.
    pub async fn seed_user(
        &self,
        email: &str,
        password: &str,
        groups: &[&str],
    ) -> Result<(), Error> {
        let store = self.store();
        let now = now();
        let sub = match store.user_by_email(email).await? {
            Some(_) => return Ok(()),
            None => secrets::uuid()?,
        };
        let hash = self.hasher().hash(password).await?;
        store
            .create_confirmed_user(&sub, email, &hash, false, &[], now)
            .await?;
        for group in groups {
            store
                .create_group(&store::Group {
                    name: (*group).to_owned(),
                    description: None,
                    precedence: None,
                    created_at: now,
                    updated_at: now,
                })
                .await?;
            store.add_to_group(&sub, group).await?;
        }
        tracing::info!(%email, "seeded a demo user");
        Ok(())
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    fn store(&self) -> &store::Store {
        &self.inner.store
    }

    fn key(&self) -> &keys::KeyRing {
        &self.inner.keys
    }

    /// Adds a signing key that takes over in `publish_ahead` seconds (published
    /// in the JWKS at once); returns its `kid`. Running pools pick it up.
    pub async fn rotate_key(&self, publish_ahead: Option<i64>) -> Result<String, Error> {
        let ahead = publish_ahead.unwrap_or(keys::PUBLISH_AHEAD_SECONDS).max(0);
        self.key().add(now() + ahead).await
    }

    fn hasher(&self) -> &password::Hasher {
        &self.inner.hasher
    }

    fn throttle(&self) -> &throttle::Throttle {
        &self.inner.throttle
    }
}

/// Seconds since the Unix epoch: the unit of every timestamp in the database and in tokens.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A 302 Found to `location`. (axum's `Redirect` offers 303 and 307; Cognito uses 302.)
fn found(location: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    match axum::http::HeaderValue::from_str(location) {
        Ok(value) => (
            axum::http::StatusCode::FOUND,
            [(axum::http::header::LOCATION, value)],
        )
            .into_response(),
        // Every location is built with `url`'s encoder, so this is a bug, not a user error.
        Err(_) => error::PageError::BadRequest("Invalid redirect location.".into()).into_response(),
    }
}
