//! The further pools `userpool.toml` declares (`[[user_pools]]`), made at
//! start-up as CreateUserPool and CreateUserPoolClient would make them from
//! the same settings, or brought up to date with the file: every start (and
//! every replica) leaves the same pools and clients. Their users, groups and
//! keys live in the store, as those of pools created through the API do.
//! The declared pool's `[branding]` is kept the same way, as its default UI
//! customization.

use serde_json::Value;

use crate::app_clients::{ClientSettings, StoredClient};
use crate::branding::{self, ALL_CLIENTS, Logo};
use crate::config::{Config, DeclaredPool};
use crate::error::Error;
use crate::pools::{NewPool, StoredPool};
use crate::store::Store;

/// Makes or updates every further pool of `config` and its clients.
pub(crate) async fn declare(config: &Config, store: &Store, now: i64) -> Result<(), Error> {
    for declared in config.user_pools() {
        declare_pool(declared, store, now).await?;
    }
    Ok(())
}

/// What `[branding]` gives the declared pool's hosted UI besides its default
/// customization: a name to show instead of the pool's, an accent colour
/// (`branding::accent_theme`'s stylesheet) and an icon.
#[derive(Debug, Clone, Default)]
pub(crate) struct Look {
    pub(crate) name: Option<String>,
    pub(crate) theme: Option<String>,
    pub(crate) favicon: Option<Favicon>,
}

/// An icon file: SVG, PNG or ICO, by its content.
#[derive(Debug, Clone)]
pub(crate) struct Favicon {
    pub(crate) content_type: &'static str,
    pub(crate) bytes: Vec<u8>,
}

impl Favicon {
    fn new(bytes: Vec<u8>) -> Option<Favicon> {
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0, 0, 1, 0]) {
            "image/x-icon"
        } else if std::str::from_utf8(&bytes).is_ok_and(|text| text.contains("<svg")) {
            "image/svg+xml"
        } else {
            return None;
        };
        Some(Favicon {
            content_type,
            bytes,
        })
    }
}

/// The [`Look`] of `config`'s `[branding]`; a colour or icon that does not pass stops the start.
pub(crate) fn look(config: &Config) -> Result<Look, Error> {
    let Some(branding) = config.branding() else {
        return Ok(Look::default());
    };
    let theme = branding
        .accent
        .as_deref()
        .map(|accent| branding::accent_theme(accent, branding.accent_dark.as_deref()))
        .transpose()
        .map_err(|e| Error::Declaration(format!("branding.accent: {e}")))?;
    let favicon = match &branding.favicon {
        Some(path) => Some(Favicon::new(read(path)?).ok_or_else(|| {
            Error::Declaration(format!(
                "branding.favicon: {} is not an SVG, PNG or ICO file",
                path.display()
            ))
        })?),
        None => None,
    };
    Ok(Look {
        name: branding.name.clone(),
        theme,
        favicon,
    })
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::Declaration(format!("branding: {}: {e}", path.display())))
}

/// Makes the files of `[branding]` the declared pool's default customization,
/// checked as SetUICustomization checks them; a file that does not pass stops the start.
pub(crate) async fn declare_branding(
    config: &Config,
    store: &Store,
    now: i64,
) -> Result<(), Error> {
    let Some(files) = config
        .branding()
        .filter(|files| files.logo.is_some() || files.css.is_some())
    else {
        return Ok(());
    };
    let logo = match &files.logo {
        Some(path) => Some(
            Logo::new(read(path)?)
                .map_err(|e| Error::Declaration(format!("branding.logo: {e}")))?,
        ),
        None => None,
    };
    let css = match &files.css {
        Some(path) => {
            let text = String::from_utf8(read(path)?).map_err(|_| {
                Error::Declaration(format!("branding.css: {} is not UTF-8", path.display()))
            })?;
            Some(
                branding::checked_css(&text)
                    .map_err(|e| Error::Declaration(format!("branding.css: {e}")))?,
            )
        }
        None => None,
    };
    let scoped = store.in_pool(config.pool_id());
    let current = scoped.ui_customizations().await?;
    let unchanged = current
        .iter()
        .any(|custom| custom.client_id == ALL_CLIENTS && custom.css == css && custom.logo == logo);
    if !unchanged {
        scoped
            .put_ui_customization(ALL_CLIENTS, css.as_deref(), logo.as_ref(), now)
            .await?;
    }
    Ok(())
}

async fn declare_pool(declared: &DeclaredPool, store: &Store, now: i64) -> Result<(), Error> {
    let refused =
        |message: String| Error::Declaration(format!("user pool {}: {message}", declared.id));
    let settings = serde_json::from_value::<NewPool>(Value::Object(declared.settings.clone()))
        .map_err(|e| refused(e.to_string()))?
        .settings()
        .map_err(|e| refused(e.to_string()))?;
    match store.pool(&declared.id).await? {
        None => {
            let pool = StoredPool {
                id: declared.id.clone(),
                name: declared.name.clone(),
                settings,
                created_at: now,
                updated_at: now,
            };
            store.create_pool(&pool).await?;
            tracing::info!(pool_id = %declared.id, "created a declared user pool");
        }
        Some(stored) if !stored.settings.names_users_as(&settings) => {
            return Err(refused(
                "UsernameAttributes, AliasAttributes and UsernameConfiguration cannot change \
                 once a pool exists (as in Cognito): delete the pool, or declare another"
                    .to_owned(),
            ));
        }
        Some(stored) if stored.name != declared.name || stored.settings != settings => {
            store
                .update_pool(&declared.id, &declared.name, &settings, now)
                .await?;
        }
        Some(_) => {}
    }
    let scoped = store.in_pool(&declared.id);
    let custom_scopes = scoped.custom_scopes().await?;
    for client in &declared.clients {
        let refused = |message: String| refused(format!("client {}: {message}", client.id));
        let settings =
            serde_json::from_value::<ClientSettings>(Value::Object(client.settings.clone()))
                .map_err(|e| refused(e.to_string()))?
                .validated(client.secret.is_some(), &custom_scopes, &[])
                .map_err(|e| refused(e.to_string()))?;
        let stored = StoredClient {
            client_id: client.id.clone(),
            pool_id: declared.id.clone(),
            name: client.name.clone(),
            secret: client.secret.clone(),
            settings,
            created_at: now,
            updated_at: now,
        };
        scoped.put_client(&stored, true).await?;
    }
    Ok(())
}
