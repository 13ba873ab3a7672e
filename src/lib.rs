//! A local, Amazon-Cognito-compatible user pool: the hosted UI (sign-up, confirmation,
//! sign-in), the OAuth 2.0 / OpenID Connect endpoints (authorize, token, logout,
//! discovery, JWKS), Cognito's JSON API and RS256 token signing, backed by SQLite
//! or PostgreSQL.
//!
//! Embed it with [`UserPool::open`] and mount [`UserPool::router`], or run the
//! `userpool serve` binary.

mod accounts;
mod app_clients;
mod auth_factors;
mod branding;
mod challenge;
mod claims;
mod config;
mod csrf;
mod custom_auth;
mod declared;
mod directory;
mod error;
mod federation;
mod grants;
mod health;
mod hosted_ui;
mod identity_providers;
mod input;
mod json_api;
mod keys;
mod lambda_config;
mod mail;
mod mfa;
mod mfa_config;
mod oauth2;
mod passkeys;
mod password;
mod password_verifier;
mod pkce;
mod pools;
mod registry;
mod resource_servers;
mod schema;
mod scope;
mod secrets;
mod serve;
mod signin;
mod srp;
mod store;
mod tokens;
mod totp;
mod transfer;
mod triggers;
mod user_auth;
mod verification;
mod web;
mod well_known;

#[cfg(feature = "bench-support")]
#[doc(hidden)]
pub mod bench_support;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use config::{Config, ConfigError, Database, DatabaseUrl, environment_help};
pub use error::Error;
pub use serve::{
    DEFAULT_MAX_CONNECTIONS, HEADER_READ_TIMEOUT, Limits, MAX_BLOCKING_THREADS, runtime, serve,
    shutdown_signal,
};
pub use transfer::{ImportSummary, TransferError};
pub use web::allowed_hosts::{AllowedHosts, allow_hosts};
pub use web::bearer::bearer_token;
pub use web::layers::{around, http_layers};

/// A handle on a running user-pool server, acting in one of its user pools
/// (the one the configuration declares, unless [`UserPool::in_pool`] chose
/// another): configuration, database, signing keys and password hasher. Cheap to clone.
#[derive(Clone)]
pub struct UserPool {
    inner: Arc<Inner>,
    current: Arc<registry::Running>,
}

struct Inner {
    config: Config,
    /// The server's view of the database; each pool has its own (`registry::Running::store`).
    store: store::Store,
    pools: registry::Registry,
    /// The pool's own names, and one label below them: its pools' domains.
    hosts: AllowedHosts,
    csrf: csrf::CsrfKey,
    decoys: secrets::DecoyKey,
    hasher: password::Hasher,
    /// The SMTP server's queue, where `[smtp]` names one.
    mailer: Option<mail::smtp::Mailer>,
    /// Calls the functions of the pools' triggers.
    triggers: triggers::Runner,
    /// Requests out: triggers' webhooks, upstream identity providers.
    http: reqwest::Client,
    /// The declared pool's name, colours and icon from `[branding]`.
    look: declared::Look,
    health_probe: health::Probe,
}

/// How often failure counters that no limit needs any more are pruned.
const PRUNE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(300);

impl UserPool {
    /// Opens (or creates) the configured database (SQLite in the data
    /// directory, or PostgreSQL), applies the embedded migrations and loads (or creates and persists) the
    /// RSA signing key and the key of the hosted UI's CSRF tokens.
    pub async fn open(config: Config) -> Result<UserPool, Error> {
        let store = store::Store::open(&config.database()).await?;
        let declared = pools::StoredPool {
            id: config.pool_id().to_owned(),
            name: config.pool_name().to_owned(),
            settings: pools::declared_settings(&config),
            created_at: now(),
            updated_at: now(),
        };
        store.declare_pool(&declared).await?;
        for client in config.clients() {
            let stored = app_clients::StoredClient {
                client_id: client.id.clone(),
                pool_id: declared.id.clone(),
                name: client.name.clone(),
                secret: client.secret.clone(),
                settings: app_clients::ClientSettings::of(client),
                created_at: declared.created_at,
                updated_at: declared.created_at,
            };
            store.put_client(&stored, true).await?;
        }
        for (identifier, name, scopes) in config.resource_servers() {
            let server = resource_servers::ResourceServer {
                identifier: identifier.to_owned(),
                name: name.to_owned(),
                scopes: scopes
                    .iter()
                    .map(|scope| resource_servers::ResourceScope {
                        scope_name: scope.clone(),
                        scope_description: scope.clone(),
                    })
                    .collect(),
            };
            store
                .in_pool(&declared.id)
                .put_resource_server(&server, true)
                .await?;
        }
        declared::declare(&config, &store, now()).await?;
        declared::declare_branding(&config, &store, now()).await?;
        let pools = registry::Registry::default();
        let current = pools
            .get(&config, &store, config.pool_id())
            .await?
            .ok_or_else(|| Error::PoolGone(config.pool_id().to_owned()))?;
        let csrf = keys::pool_secret(&store, config.key_encryption_key(), "csrf").await?;
        let csrf = csrf::CsrfKey::new(&csrf);
        let decoys = keys::pool_secret(&store, config.key_encryption_key(), "decoys").await?;
        let decoys = secrets::DecoyKey::new(&decoys);
        let hasher = password::Hasher::new().await?;
        let mailer = config.smtp().map(mail::smtp::Mailer::start).transpose()?;
        let look = declared::look(&config)?;
        // Triggers' webhooks and upstream identity providers: no redirects (RFC 9700 §4.11,
        // against SSRF), and each request bounded as a trigger's Lambda function is.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| Error::HttpClient(e.to_string()))?;
        let triggers = triggers::Runner::new(&config, http.clone());
        let hosts =
            AllowedHosts::new(config.public_url(), config.listen().port()).with_subdomains();
        let inner = Arc::new(Inner {
            config,
            store,
            pools,
            hosts,
            csrf,
            decoys,
            hasher,
            mailer,
            triggers,
            http,
            look,
            health_probe: health::Probe::default(),
        });
        // Keys rotated in by another process (`userpool keys rotate`) and pools
        // other replicas changed are picked up while the server runs.
        every(&inner, registry::REFRESH_INTERVAL, |inner| async move {
            if let Err(error) = inner.pools.refresh(&inner.config, &inner.store).await {
                tracing::warn!(%error, "could not refresh the pools and their signing keys");
            }
        });
        // Off the request path, so that no request's time depends on it.
        every(&inner, PRUNE_INTERVAL, |inner| async move {
            let now = now();
            let pruned = inner.store.prune_counters(
                now,
                now - accounts::LOGIN_FAILURE_MEMORY_SECONDS,
                now - web::throttle::WINDOW_SECONDS,
            );
            if let Err(error) = pruned.await {
                tracing::warn!(%error, "could not prune the failure counters");
            }
        });
        Ok(UserPool { inner, current })
    }

    /// The same server acting in the pool `id` (one `userpool.toml` declares
    /// or one created through the API), for the command line's `--pool`; None
    /// if there is no such pool.
    pub async fn with_pool(&self, id: &str) -> Result<Option<UserPool>, Error> {
        self.in_pool(id).await
    }

    /// The same server acting in the pool `id`, loaded from the store if need
    /// be; None if there is no such pool.
    async fn in_pool(&self, id: &str) -> Result<Option<UserPool>, Error> {
        // Garbage from a URL or a request body costs no query.
        if id != self.inner.config.pool_id() && !pools::well_formed_id(id) {
            return Ok(None);
        }
        let running = self
            .inner
            .pools
            .get(&self.inner.config, &self.inner.store, id)
            .await?;
        Ok(running.map(|current| UserPool {
            inner: self.inner.clone(),
            current,
        }))
    }

    /// The same server acting in the pool whose hosted UI a request for
    /// `host` (a `Host` value) is for: the pool with that domain where the host
    /// is one label below the server's names, else the declared pool. None if
    /// no pool has the domain.
    async fn for_host(&self, host: Option<&str>) -> Result<Option<UserPool>, Error> {
        match host.and_then(|host| self.inner.hosts.subdomain(host)) {
            Some(label) => self.with_domain(&label.to_ascii_lowercase()).await,
            None => self.in_declared_pool().await,
        }
    }

    /// The URL of the hosted UI of the pool with the domain `prefix`: one label
    /// below the public URL's host (below `localhost` where that is an address).
    fn domain_url(&self, prefix: &str) -> String {
        let public = self.config().public_url();
        match url::Url::parse(public) {
            Ok(url) => {
                let host = match url.host() {
                    Some(url::Host::Domain(name)) => name.to_owned(),
                    _ => "localhost".to_owned(),
                };
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{}://{prefix}.{host}{port}", url.scheme())
            }
            Err(_) => public.to_owned(),
        }
    }

    /// The same server acting in the pool the configuration declares, as it is now.
    async fn in_declared_pool(&self) -> Result<Option<UserPool>, Error> {
        if let Some(current) = self.inner.pools.cached(self.inner.config.pool_id()) {
            return Ok(Some(UserPool {
                inner: self.inner.clone(),
                current,
            }));
        }
        self.in_pool(self.inner.config.pool_id()).await
    }

    /// The pool this handle acts in.
    fn pool(&self) -> &pools::Pool {
        &self.current.pool
    }

    /// The pool's hosted-UI customizations.
    fn branding(&self) -> &branding::Branding {
        &self.current.branding
    }

    /// The pool's upstream identity providers, by name.
    fn identity_providers(&self) -> &[identity_providers::IdentityProvider] {
        &self.current.identity_providers
    }

    /// The upstream identity provider of this name, if the pool has one.
    fn identity_provider(&self, name: &str) -> Option<&identity_providers::IdentityProvider> {
        self.identity_providers().iter().find(|p| p.name == name)
    }

    /// What `[branding]` adds to the hosted UI, if this is the declared pool.
    fn look(&self) -> Option<&declared::Look> {
        (self.pool().id == self.config().pool_id()).then_some(&self.inner.look)
    }

    /// Where the pool's hosted UI is: its domain's URL, or the server's own for
    /// the declared pool; None for another pool without a domain.
    fn hosted_ui_url(&self) -> Option<String> {
        match &self.pool().domain {
            Some(domain) => Some(self.domain_url(domain)),
            None if self.pool().id == self.config().pool_id() => {
                Some(self.config().public_url().to_owned())
            }
            None => None,
        }
    }

    /// Adds a pool (with its first signing key); None, changing nothing, if
    /// one has its id. The handle returned acts in it.
    async fn add_pool(&self, stored: pools::StoredPool) -> Result<Option<UserPool>, Error> {
        if !self.inner.store.create_pool(&stored).await? {
            return Ok(None);
        }
        let current = self
            .inner
            .pools
            .install(&self.inner.config, &self.inner.store, stored, None)
            .await?;
        Ok(Some(UserPool {
            inner: self.inner.clone(),
            current,
        }))
    }

    /// Replaces the settings (and the name) of the pool this handle acts in;
    /// requests from now on see them. The handle returned sees them too.
    async fn change_pool(
        &self,
        name: &str,
        settings: &pools::PoolSettings,
        now: i64,
    ) -> Result<UserPool, Error> {
        let id = &self.pool().id;
        self.inner
            .store
            .update_pool(id, name, settings, now)
            .await?;
        self.reloaded().await
    }

    /// The pool this handle acts in as the store has it now (after a change
    /// to it or its clients); requests from now on see it as well.
    async fn reloaded(&self) -> Result<UserPool, Error> {
        let id = &self.pool().id;
        let stored =
            (self.inner.store.pool(id).await?).ok_or_else(|| Error::PoolGone(id.clone()))?;
        let current = self
            .inner
            .pools
            .install(
                &self.inner.config,
                &self.inner.store,
                stored,
                Some(self.current.keys.clone()),
            )
            .await?;
        Ok(UserPool {
            inner: self.inner.clone(),
            current,
        })
    }

    /// The same server acting in the pool whose hosted UI is at `domain`; None if none is.
    async fn with_domain(&self, domain: &str) -> Result<Option<UserPool>, Error> {
        if let Some(current) = self.inner.pools.cached_with_domain(domain) {
            return Ok(Some(UserPool {
                inner: self.inner.clone(),
                current,
            }));
        }
        match self.inner.store.pool_of_domain(domain).await? {
            Some(pool_id) => self.in_pool(&pool_id).await,
            None => Ok(None),
        }
    }

    /// The same server acting in the pool that has the app client `client_id`; None if none has.
    async fn with_client(&self, client_id: &str) -> Result<Option<UserPool>, Error> {
        if let Some(current) = self.inner.pools.cached_with_client(client_id) {
            return Ok(Some(UserPool {
                inner: self.inner.clone(),
                current,
            }));
        }
        match self.inner.store.pool_of_client(client_id).await? {
            Some(pool_id) => self.in_pool(&pool_id).await,
            None => Ok(None),
        }
    }

    /// Deletes the pool this handle acts in, and everything in it.
    async fn remove_pool(&self) -> Result<(), Error> {
        self.inner.store.delete_pool(&self.pool().id).await?;
        self.inner.pools.remove(&self.pool().id);
        Ok(())
    }

    /// Whether a web page from `origin` may call the JSON API: the origin of an
    /// app client's callback URL (in any pool), or one `pool.allowed_origins` names.
    fn serves_browser_origin(&self, origin: &str) -> bool {
        self.config().allowed_origins().iter().any(|o| o == origin)
            || self.inner.pools.any_client(|client| {
                client
                    .callback_urls
                    .iter()
                    .any(|url| config::web_origin(url).as_deref() == Some(origin))
            })
    }

    /// The server's view of the database (pools, not any one pool's users).
    fn server_store(&self) -> &store::Store {
        &self.inner.store
    }

    /// Every endpoint of the pool, with its state, the Host allow-list ([`allow_hosts`]) and
    /// [`http_layers`] applied.
    pub fn router(&self) -> axum::Router {
        let mut router = axum::Router::new()
            .merge(hosted_ui::routes())
            .merge(oauth2::routes())
            .merge(json_api::routes(self))
            .merge(well_known::routes())
            .route("/healthz", axum::routing::get(health::health));
        if self.config().dev_outbox() {
            router = router.merge(hosted_ui::outbox::routes());
        }
        let layers = tower::ServiceBuilder::new()
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                web::brand_error_pages,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                web::throttle::throttle,
            ));
        // Only requests for the pool's own names (DNS rebinding, see `allowed_hosts`).
        http_layers(allow_hosts(
            around(router.with_state(self.clone()), layers),
            self.inner.hosts.clone(),
        ))
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
        let now = now();
        let new = directory::NewUser {
            username: None,
            email: Some(email),
            password,
            password_use: directory::PasswordUse::Permanent,
            attributes: &[],
        };
        // None when the user exists, perhaps seeded by another replica starting at the same time.
        let Some(sub) = directory::create_user(self, &new, now).await? else {
            return Ok(());
        };
        directory::add_to_groups(self, &sub, groups, now).await?;
        tracing::info!(%email, "seeded a demo user");
        Ok(())
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The database, seen from the pool this handle acts in.
    fn store(&self) -> &store::Store {
        &self.current.store
    }

    fn health_probe(&self) -> &health::Probe {
        &self.inner.health_probe
    }

    /// The signing keys of the pool this handle acts in.
    fn key(&self) -> &keys::KeyRing {
        &self.current.keys
    }

    /// Adds a signing key that takes over in `publish_ahead` seconds (published
    /// in the JWKS at once); returns its `kid`. Running pools pick it up.
    pub async fn rotate_key(&self, publish_ahead: Option<i64>) -> Result<String, Error> {
        let ahead = publish_ahead.unwrap_or(keys::PUBLISH_AHEAD_SECONDS).max(0);
        self.key().add(now() + ahead).await
    }

    fn decoy_key(&self) -> &secrets::DecoyKey {
        &self.inner.decoys
    }

    fn csrf_key(&self) -> &csrf::CsrfKey {
        &self.inner.csrf
    }

    fn mailer(&self) -> Option<&mail::smtp::Mailer> {
        self.inner.mailer.as_ref()
    }

    fn triggers(&self) -> &triggers::Runner {
        &self.inner.triggers
    }

    /// The client of requests out of the pool: no redirects, 5 s each.
    fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    fn hasher(&self) -> &password::Hasher {
        &self.inner.hasher
    }
}

/// Runs `job` every `interval` while the pool is open; the task ends with the pool.
fn every<F, Fut>(inner: &Arc<Inner>, interval: std::time::Duration, job: F)
where
    F: Fn(Arc<Inner>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let weak = Arc::downgrade(inner);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(inner) = weak.upgrade() else { return };
            job(inner).await;
        }
    });
}

/// Seconds since the Unix epoch: the unit of every timestamp in the database and in tokens.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
