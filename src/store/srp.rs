//! The `srp_challenges` table: `PASSWORD_VERIFIER` challenges under way, each
//! answered once (see `accounts::srp`).

use sqlx::Row;

use super::Store;
use crate::error::Error;

/// A challenge as it was issued.
pub(crate) struct SrpChallenge {
    /// None for a name without an account.
    pub(crate) sub: Option<String>,
    pub(crate) failure_key: String,
    /// Hex.
    pub(crate) session_key: String,
}

impl Store {
    /// Keeps a challenge until `expires_at`, and drops those long expired.
    pub(crate) async fn put_srp_challenge(
        &self,
        block_hash: &str,
        challenge: &SrpChallenge,
        now: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM srp_challenges WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO srp_challenges (block_hash, pool_id, sub, failure_key, session_key, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(block_hash)
        .bind(&*self.pool_id)
        .bind(&challenge.sub)
        .bind(&challenge.failure_key)
        .bind(&challenge.session_key)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The unexpired challenge of this pool whose block has this digest, which
    /// is used up by the reading: one answer per challenge.
    pub(crate) async fn take_srp_challenge(
        &self,
        block_hash: &str,
        now: i64,
    ) -> Result<Option<SrpChallenge>, Error> {
        let row = sqlx::query(
            "DELETE FROM srp_challenges WHERE block_hash = $1 AND pool_id = $2
             RETURNING sub, failure_key, session_key, expires_at",
        )
        .bind(block_hash)
        .bind(&*self.pool_id)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at < now {
            return Ok(None);
        }
        Ok(Some(SrpChallenge {
            sub: row.try_get("sub")?,
            failure_key: row.try_get("failure_key")?,
            session_key: row.try_get("session_key")?,
        }))
    }
}
