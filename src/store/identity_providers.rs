//! The `identity_providers`, `federation_requests` and `federated_identities`
//! tables: each pool's upstream providers, the sign-ins waiting for one to
//! answer, and which pool user each upstream identity is.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Store;
use super::directory::Page;
use crate::error::Error;
use crate::identity_providers::{IdentityProvider, ProviderType};

/// A sign-in sent to an upstream provider, as `/oauth2/idpresponse` takes it back.
#[derive(Debug, Clone)]
pub(crate) struct FederationRequest {
    pub(crate) provider: String,
    /// The authorization request to answer afterwards, as JSON (`OAuthParams`).
    pub(crate) params: String,
    pub(crate) pkce_verifier: String,
    pub(crate) nonce: String,
    pub(crate) expires_at: i64,
}

/// An upstream identity a pool user has (the `identities` attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FederatedIdentity {
    pub(crate) provider: String,
    pub(crate) provider_type: ProviderType,
    pub(crate) provider_sub: String,
    pub(crate) created_at: i64,
}

impl FederatedIdentity {
    /// Cognito's `identities`: the claim is this array, the attribute its JSON text.
    pub(crate) fn cognito_list(identities: &[FederatedIdentity]) -> serde_json::Value {
        identities
            .iter()
            .enumerate()
            .map(|(i, identity)| {
                serde_json::json!({
                    "userId": identity.provider_sub,
                    "providerName": identity.provider,
                    "providerType": identity.provider_type.as_str(),
                    "issuer": null,
                    "primary": (i == 0).to_string(),
                    "dateCreated": identity.created_at.saturating_mul(1000).to_string(),
                })
            })
            .collect()
    }
}

fn provider_type(row: &AnyRow) -> Result<ProviderType, sqlx::Error> {
    let name: String = row.try_get("provider_type")?;
    ProviderType::named(&name).map_err(|e| sqlx::Error::ColumnDecode {
        index: "provider_type".into(),
        source: Box::new(e),
    })
}

fn provider_of(row: &AnyRow) -> Result<IdentityProvider, sqlx::Error> {
    Ok(IdentityProvider {
        name: row.try_get("name")?,
        provider_type: provider_type(row)?,
        details: super::json_column(row, "details")?,
        attribute_mapping: super::json_column(row, "attribute_mapping")?,
        identifiers: super::json_column(row, "identifiers")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Adds a provider to this pool, or with `replace` rewrites the one of its
    /// name (keeping its creation date); false if the name is taken and `replace` is not set.
    pub(crate) async fn put_identity_provider(
        &self,
        provider: &IdentityProvider,
        replace: bool,
    ) -> Result<bool, Error> {
        let conflict = if replace {
            "DO UPDATE SET provider_type = excluded.provider_type, details = excluded.details,
                           attribute_mapping = excluded.attribute_mapping,
                           identifiers = excluded.identifiers, updated_at = excluded.updated_at"
        } else {
            "DO NOTHING"
        };
        let written = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO identity_providers (pool_id, name, provider_type, details, attribute_mapping,
                                             identifiers, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (pool_id, name) {conflict}"
        )))
        .bind(&*self.pool_id)
        .bind(&provider.name)
        .bind(provider.provider_type.as_str())
        .bind(super::json_text(&provider.details)?)
        .bind(super::json_text(&provider.attribute_mapping)?)
        .bind(super::json_text(&provider.identifiers)?)
        .bind(provider.created_at)
        .bind(provider.updated_at)
        .execute(&self.db)
        .await?;
        Ok(written.rows_affected() == 1)
    }

    /// This pool's providers after the name `after`, and whether more follow.
    pub(crate) async fn identity_providers(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Page<IdentityProvider>, Error> {
        let rows: Vec<AnyRow> = sqlx::query(
            "SELECT name, provider_type, details, attribute_mapping, identifiers, created_at, updated_at
             FROM identity_providers WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3",
        )
        .bind(&*self.pool_id)
        .bind(after.unwrap_or(""))
        .bind(limit + 1)
        .fetch_all(&self.db)
        .await?;
        let providers = rows
            .iter()
            .map(provider_of)
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(super::directory::page(providers, limit))
    }

    /// Deletes a provider of this pool; false if it has none of that name.
    pub(crate) async fn delete_identity_provider(&self, name: &str) -> Result<bool, Error> {
        let deleted =
            sqlx::query("DELETE FROM identity_providers WHERE pool_id = $1 AND name = $2")
                .bind(&*self.pool_id)
                .bind(name)
                .execute(&self.db)
                .await?;
        Ok(deleted.rows_affected() == 1)
    }

    /// Keeps a sign-in sent upstream under the digest of its state, and drops expired ones.
    pub(crate) async fn insert_federation_request(
        &self,
        state_hash: &str,
        request: &FederationRequest,
        now: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM federation_requests WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO federation_requests (state_hash, pool_id, provider, params, pkce_verifier,
                                              nonce, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(state_hash)
        .bind(&*self.pool_id)
        .bind(&request.provider)
        .bind(&request.params)
        .bind(&request.pkce_verifier)
        .bind(&request.nonce)
        .bind(request.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the live sign-in of this state, once: a second answer with the same state finds none.
    pub(crate) async fn take_federation_request(
        &self,
        state_hash: &str,
        now: i64,
    ) -> Result<Option<FederationRequest>, Error> {
        let row: Option<AnyRow> = sqlx::query(
            "DELETE FROM federation_requests WHERE state_hash = $1 AND pool_id = $2
             RETURNING provider, params, pkce_verifier, nonce, expires_at",
        )
        .bind(state_hash)
        .bind(&*self.pool_id)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let request = FederationRequest {
            provider: row.try_get("provider")?,
            params: row.try_get("params")?,
            pkce_verifier: row.try_get("pkce_verifier")?,
            nonce: row.try_get("nonce")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok((request.expires_at >= now).then_some(request))
    }

    /// The pool user an upstream identity is, if it has signed in or been linked before.
    pub(crate) async fn federated_user(
        &self,
        provider: &str,
        provider_sub: &str,
    ) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar(
            "SELECT sub FROM federated_identities
             WHERE pool_id = $1 AND provider = $2 AND provider_sub = $3",
        )
        .bind(&*self.pool_id)
        .bind(provider)
        .bind(provider_sub)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Makes an upstream identity the user `sub`; false, changing nothing, if it is someone's already.
    pub(crate) async fn link_identity(
        &self,
        sub: &str,
        identity: &FederatedIdentity,
    ) -> Result<bool, Error> {
        let insert = sqlx::query(
            "INSERT INTO federated_identities (pool_id, provider, provider_type, provider_sub, sub,
                                               created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&*self.pool_id)
        .bind(&identity.provider)
        .bind(identity.provider_type.as_str())
        .bind(&identity.provider_sub)
        .bind(sub)
        .bind(identity.created_at)
        .execute(&self.db)
        .await;
        super::inserted(insert)
    }

    /// Removes an upstream identity (AdminDisableProviderForUser); false if nobody has it.
    pub(crate) async fn unlink_identity(
        &self,
        provider: &str,
        provider_sub: &str,
    ) -> Result<bool, Error> {
        let deleted = sqlx::query(
            "DELETE FROM federated_identities
             WHERE pool_id = $1 AND provider = $2 AND provider_sub = $3",
        )
        .bind(&*self.pool_id)
        .bind(provider)
        .bind(provider_sub)
        .execute(&self.db)
        .await?;
        Ok(deleted.rows_affected() == 1)
    }

    /// The upstream identities of the user `sub`, oldest first.
    pub(crate) async fn identities_of(&self, sub: &str) -> Result<Vec<FederatedIdentity>, Error> {
        let rows: Vec<AnyRow> = sqlx::query(
            "SELECT provider, provider_type, provider_sub, created_at FROM federated_identities
             WHERE pool_id = $1 AND sub = $2 ORDER BY created_at, provider",
        )
        .bind(&*self.pool_id)
        .bind(sub)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                Ok(FederatedIdentity {
                    provider: row.try_get("provider")?,
                    provider_type: provider_type(row)?,
                    provider_sub: row.try_get("provider_sub")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }
}
