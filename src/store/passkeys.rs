//! The `webauthn_credentials` table (users' passkeys) and `webauthn_registrations`
//! (a registration between its two requests); see `passkeys`.

use sqlx::Row;

use super::Store;
use crate::error::Error;

/// A passkey as the store keeps it.
#[derive(Debug, Clone)]
pub(crate) struct StoredPasskey {
    /// Base64url.
    pub(crate) credential_id: String,
    pub(crate) sub: String,
    /// webauthn-rs's `Passkey`, JSON.
    pub(crate) passkey: String,
    pub(crate) friendly_name: Option<String>,
    pub(crate) relying_party_id: String,
    /// `platform` or `cross-platform`, where the browser said.
    pub(crate) attachment: Option<String>,
    /// JSON array of transports (`internal`, `usb`, ...).
    pub(crate) transports: String,
    pub(crate) created_at: i64,
}

fn passkey(row: &sqlx::any::AnyRow) -> Result<StoredPasskey, sqlx::Error> {
    Ok(StoredPasskey {
        credential_id: row.try_get("credential_id")?,
        sub: row.try_get("sub")?,
        passkey: row.try_get("passkey")?,
        friendly_name: row.try_get("friendly_name")?,
        relying_party_id: row.try_get("relying_party_id")?,
        attachment: row.try_get("attachment")?,
        transports: row.try_get("transports")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// The user's passkeys, oldest first.
    pub(crate) async fn passkeys(&self, sub: &str) -> Result<Vec<StoredPasskey>, Error> {
        let rows = sqlx::query(
            "SELECT credential_id, sub, passkey, friendly_name, relying_party_id, attachment,
                    transports, created_at
             FROM webauthn_credentials WHERE sub = $1 AND pool_id = $2
             ORDER BY created_at, credential_id",
        )
        .bind(sub)
        .bind(&*self.pool_id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows.iter().map(passkey).collect::<Result<_, _>>()?)
    }

    /// Adds a passkey; false, adding nothing, when its credential id is already known.
    pub(crate) async fn add_passkey(&self, key: &StoredPasskey) -> Result<bool, Error> {
        let added = sqlx::query(
            "INSERT INTO webauthn_credentials
                (credential_id, pool_id, sub, passkey, friendly_name, relying_party_id, attachment,
                 transports, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&key.credential_id)
        .bind(&*self.pool_id)
        .bind(&key.sub)
        .bind(&key.passkey)
        .bind(&key.friendly_name)
        .bind(&key.relying_party_id)
        .bind(&key.attachment)
        .bind(&key.transports)
        .bind(key.created_at)
        .execute(&self.db)
        .await;
        super::inserted(added)
    }

    /// Keeps a passkey's new record after a sign-in (its sign counter).
    /// The passkey of this pool with this credential id, whoever's it is.
    pub(crate) async fn passkey(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, Error> {
        let row = sqlx::query(
            "SELECT credential_id, sub, passkey, friendly_name, relying_party_id, attachment,
                    transports, created_at
             FROM webauthn_credentials WHERE credential_id = $1 AND pool_id = $2",
        )
        .bind(credential_id)
        .bind(&*self.pool_id)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(passkey).transpose()?)
    }

    pub(crate) async fn update_passkey(
        &self,
        credential_id: &str,
        passkey: &str,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE webauthn_credentials SET passkey = $1 WHERE credential_id = $2")
            .bind(passkey)
            .bind(credential_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Deletes one of the user's passkeys; false when they have none by that id.
    pub(crate) async fn delete_passkey(
        &self,
        sub: &str,
        credential_id: &str,
    ) -> Result<bool, Error> {
        let deleted = sqlx::query(
            "DELETE FROM webauthn_credentials WHERE credential_id = $1 AND sub = $2 AND pool_id = $3",
        )
        .bind(credential_id)
        .bind(sub)
        .bind(&*self.pool_id)
        .execute(&self.db)
        .await?;
        Ok(deleted.rows_affected() == 1)
    }

    /// Keeps the user's registration under way, replacing any earlier one.
    pub(crate) async fn put_passkey_registration(
        &self,
        sub: &str,
        state: &str,
        expires_at: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO webauthn_registrations (sub, state, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (sub) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
        )
        .bind(sub)
        .bind(state)
        .bind(expires_at)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// The user's unexpired registration under way, used up by the reading.
    pub(crate) async fn take_passkey_registration(
        &self,
        sub: &str,
        now: i64,
    ) -> Result<Option<String>, Error> {
        let row = sqlx::query(
            "DELETE FROM webauthn_registrations WHERE sub = $1 RETURNING state, expires_at",
        )
        .bind(sub)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires_at: i64 = row.try_get("expires_at")?;
        Ok((expires_at >= now)
            .then(|| row.try_get("state"))
            .transpose()?)
    }
}
