//! The user pools a server runs, by id: each with its settings, its signing
//! keys and its view of the store. A pool is loaded from the store the first
//! time a request names it, and every pool is refreshed every
//! [`keys::RELOAD_INTERVAL`], so a pool another replica created is found at
//! once and one it changed or deleted is seen within that interval.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::app_clients::StoredClient;
use crate::branding::Branding;
use crate::config::Config;
use crate::error::Error;
use crate::identity_providers::IdentityProvider;
use crate::keys::{self, KeyRing};
use crate::pools::{Pool, StoredPool};
use crate::store::Store;

/// One pool as a request sees it.
pub(crate) struct Running {
    pub(crate) pool: Pool,
    /// Its hosted UI's customizations (SetUICustomization).
    pub(crate) branding: Branding,
    /// Its upstream identity providers (CreateIdentityProvider), by name.
    pub(crate) identity_providers: Vec<IdentityProvider>,
    pub(crate) keys: Arc<KeyRing>,
    pub(crate) store: Store,
}

#[derive(Default)]
pub(crate) struct Registry {
    pools: RwLock<HashMap<String, Arc<Running>>>,
}

impl Registry {
    /// The pool with this id, if it is loaded.
    pub(crate) fn cached(&self, id: &str) -> Option<Arc<Running>> {
        self.pools
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }

    /// The pool with this id, loading it from the store if need be; None if there is none.
    pub(crate) async fn get(
        &self,
        config: &Config,
        store: &Store,
        id: &str,
    ) -> Result<Option<Arc<Running>>, Error> {
        if let Some(running) = self.cached(id) {
            return Ok(Some(running));
        }
        let Some(stored) = store.pool(id).await? else {
            return Ok(None);
        };
        Ok(Some(self.install(config, store, stored, None).await?))
    }

    /// Runs `stored` (new, or changed) with its clients: with the keys it
    /// has, or its keys loaded (a first key made for a new pool); requests
    /// from now on see it.
    pub(crate) async fn install(
        &self,
        config: &Config,
        store: &Store,
        stored: StoredPool,
        keys: Option<Arc<KeyRing>>,
    ) -> Result<Arc<Running>, Error> {
        let running = load(config, store, stored, keys).await?;
        self.pools
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(running.pool.id.clone(), running.clone());
        Ok(running)
    }

    /// The loaded pool whose hosted UI is at `domain`, if one is.
    pub(crate) fn cached_with_domain(&self, domain: &str) -> Option<Arc<Running>> {
        self.pools
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .find(|running| running.pool.domain.as_deref() == Some(domain))
            .cloned()
    }

    /// The loaded pool that has the client `client_id`, if one has.
    pub(crate) fn cached_with_client(&self, client_id: &str) -> Option<Arc<Running>> {
        self.pools
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .find(|running| running.pool.client(client_id).is_some())
            .cloned()
    }

    /// Whether any loaded pool has a client for which `test` holds.
    pub(crate) fn any_client(&self, test: impl Fn(&crate::config::Client) -> bool) -> bool {
        self.pools
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .any(|running| running.pool.clients().iter().any(&test))
    }

    pub(crate) fn remove(&self, id: &str) {
        self.pools
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(id);
    }

    /// Brings every loaded pool up to date with the store: settings other
    /// servers changed, keys they rotated in, pools they deleted.
    pub(crate) async fn refresh(&self, config: &Config, store: &Store) -> Result<(), Error> {
        let loaded: Vec<Arc<Running>> = self
            .pools
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .cloned()
            .collect();
        for running in loaded {
            let id = &running.pool.id;
            let fresh = match store.pool(id).await? {
                None => None,
                Some(stored) => {
                    running.keys.reload().await?;
                    // Rebuilt whatever changed (settings, clients): it is cheap.
                    Some(load(config, store, stored, Some(running.keys.clone())).await?)
                }
            };
            // A request of this server may have changed, reinstalled or deleted
            // the pool while it was read: its version wins over this older read.
            let mut pools = self
                .pools
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if pools
                .get(id)
                .is_some_and(|current| Arc::ptr_eq(current, &running))
            {
                match fresh {
                    Some(fresh) => pools.insert(id.clone(), fresh),
                    None => pools.remove(id),
                };
            }
        }
        Ok(())
    }
}

/// `stored` as it runs: its clients, domain and custom scopes read from the
/// store, and its keys (loaded where none are given).
async fn load(
    config: &Config,
    store: &Store,
    stored: StoredPool,
    keys: Option<Arc<KeyRing>>,
) -> Result<Arc<Running>, Error> {
    let scoped = store.in_pool(&stored.id);
    let keys = match keys {
        Some(keys) => keys,
        None => {
            Arc::new(KeyRing::open(scoped.clone(), config.key_encryption_key().cloned()).await?)
        }
    };
    let clients = scoped
        .clients()
        .await?
        .iter()
        .map(StoredClient::client)
        .collect();
    let domain = scoped.domain().await?;
    let custom_scopes = scoped.custom_scopes().await?;
    let branding = Branding::new(scoped.ui_customizations().await?);
    // Cognito allows 300 providers per pool: one page holds them all.
    let identity_providers = scoped.identity_providers(None, 1000).await?.items;
    Ok(Arc::new(Running {
        pool: Pool::new(config, stored, clients, domain, custom_scopes),
        branding,
        identity_providers,
        keys,
        store: scoped,
    }))
}

/// How often [`Registry::refresh`] runs.
pub(crate) const REFRESH_INTERVAL: std::time::Duration = keys::RELOAD_INTERVAL;
