//! The counters behind the pool's limits, kept in the database so that every
//! pool process on it sees the same figures: failed sign-ins per account or
//! unknown username, decoy password-reset codes for addresses without an
//! account, and failed attempts per client address. Each count changes in one
//! statement, so concurrent requests all count. Names arrive digested.

use super::{Issuance, NewCode, Store, VerificationCode};
use crate::error::Error;

/// Failed sign-ins of a username since its last success.
#[derive(Debug, Default, Clone, Copy, sqlx::FromRow)]
pub(crate) struct LoginFailures {
    pub(crate) failures: i64,
    pub(crate) locked_until: i64,
}

/// Failed attempts from a client address since `window_start`.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub(crate) struct AddressWindow {
    pub(crate) window_start: i64,
    pub(crate) failures: i64,
}

impl Store {
    // --- failed sign-ins ---

    pub(crate) async fn login_failures(&self, name_hash: &str) -> Result<LoginFailures, Error> {
        Ok(
            sqlx::query_as(
                "SELECT failures, locked_until FROM login_failures WHERE name_hash = $1",
            )
            .bind(name_hash)
            .fetch_optional(&self.db)
            .await?
            .unwrap_or_default(),
        )
    }

    /// Counts one more failed sign-in; returns the count.
    pub(crate) async fn count_login_failure(
        &self,
        name_hash: &str,
        now: i64,
    ) -> Result<i64, Error> {
        Ok(sqlx::query_scalar(
            "INSERT INTO login_failures (name_hash, failures, last_failure) VALUES ($1, 1, $2)
             ON CONFLICT (name_hash) DO UPDATE
                SET failures = login_failures.failures + 1, last_failure = excluded.last_failure
             RETURNING failures",
        )
        .bind(name_hash)
        .bind(now)
        .fetch_one(&self.db)
        .await?)
    }

    pub(crate) async fn lock_login(&self, name_hash: &str, until: i64) -> Result<(), Error> {
        sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE name_hash = $2")
            .bind(until)
            .bind(name_hash)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    pub(crate) async fn clear_login_failures(&self, name_hash: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_failures WHERE name_hash = $1")
            .bind(name_hash)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    // --- decoy reset codes ---

    pub(crate) async fn decoy_code(
        &self,
        name_hash: &str,
    ) -> Result<Option<VerificationCode>, Error> {
        Ok(sqlx::query_as(
            "SELECT code_hash, expires_at, attempts FROM decoy_codes WHERE name_hash = $1",
        )
        .bind(name_hash)
        .fetch_optional(&self.db)
        .await?)
    }

    /// How many decoy codes the name was "mailed" lately.
    pub(crate) async fn decoy_issuance(&self, name_hash: &str) -> Result<Option<Issuance>, Error> {
        Ok(sqlx::query_as(
            "SELECT window_start, issued_in_window FROM decoy_codes WHERE name_hash = $1",
        )
        .bind(name_hash)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Replaces the name's decoy code; a new code starts with no failed attempts.
    pub(crate) async fn put_decoy_code(
        &self,
        name_hash: &str,
        code: &NewCode<'_>,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO decoy_codes
                (name_hash, code_hash, expires_at, attempts, window_start, issued_in_window)
             VALUES ($1, $2, $3, 0, $4, $5)
             ON CONFLICT (name_hash) DO UPDATE SET code_hash = excluded.code_hash,
                expires_at = excluded.expires_at, attempts = 0,
                window_start = excluded.window_start, issued_in_window = excluded.issued_in_window",
        )
        .bind(name_hash)
        .bind(code.code_hash)
        .bind(code.expires_at)
        .bind(code.issuance.window_start)
        .bind(code.issuance.issued_in_window)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub(crate) async fn count_decoy_attempt(&self, name_hash: &str) -> Result<(), Error> {
        sqlx::query("UPDATE decoy_codes SET attempts = attempts + 1 WHERE name_hash = $1")
            .bind(name_hash)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    // --- failed attempts per client address ---

    pub(crate) async fn address_window(
        &self,
        address: &str,
    ) -> Result<Option<AddressWindow>, Error> {
        Ok(
            sqlx::query_as(
                "SELECT window_start, failures FROM address_failures WHERE address = $1",
            )
            .bind(address)
            .fetch_optional(&self.db)
            .await?,
        )
    }

    /// Counts a failure against `address`, in a new window if its window
    /// started at `stale_before` or earlier.
    pub(crate) async fn count_address_failure(
        &self,
        address: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO address_failures (address, window_start, failures) VALUES ($1, $2, 1)
             ON CONFLICT (address) DO UPDATE SET
                failures = CASE WHEN address_failures.window_start <= $3 THEN 1
                                ELSE address_failures.failures + 1 END,
                window_start = CASE WHEN address_failures.window_start <= $3 THEN $2
                                    ELSE address_failures.window_start END",
        )
        .bind(address)
        .bind(now)
        .bind(stale_before)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    // --- pruning ---

    /// Forgets what no limit needs any more: sign-in failures last counted at
    /// `logins_before` or earlier (and no longer locking), decoy codes expired
    /// at `now`, and address windows started at `addresses_before` or earlier.
    pub(crate) async fn prune_counters(
        &self,
        now: i64,
        logins_before: i64,
        addresses_before: i64,
    ) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_failures WHERE last_failure <= $1 AND locked_until <= $2")
            .bind(logins_before)
            .bind(now)
            .execute(&self.db)
            .await?;
        sqlx::query("DELETE FROM decoy_codes WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.db)
            .await?;
        sqlx::query("DELETE FROM address_failures WHERE window_start <= $1")
            .bind(addresses_before)
            .execute(&self.db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CodePurpose;

    #[tokio::test]
    async fn pruning_forgets_only_what_no_limit_needs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_database(dir.path()).await)
            .await
            .unwrap();
        for (name, at) in [("old", 1000), ("recent", 1500), ("locked", 1000)] {
            store.count_login_failure(name, at).await.unwrap();
        }
        store.lock_login("locked", 2500).await.unwrap();
        for (name, expires_at) in [("expired", 2000), ("live", 2001)] {
            let code = NewCode {
                code_hash: "hash",
                purpose: CodePurpose::PasswordReset,
                expires_at,
                issuance: Issuance {
                    window_start: expires_at - 3600,
                    issued_in_window: 1,
                },
            };
            store.put_decoy_code(name, &code).await.unwrap();
        }
        for (address, at) in [("192.0.2.1", 1100), ("192.0.2.2", 1101)] {
            store.count_address_failure(address, at, 0).await.unwrap();
        }

        store.prune_counters(2000, 1000, 1100).await.unwrap();
        assert_eq!(store.login_failures("old").await.unwrap().failures, 0);
        assert_eq!(store.login_failures("recent").await.unwrap().failures, 1);
        // Still locked: kept, however old its failures.
        assert_eq!(store.login_failures("locked").await.unwrap().failures, 1);
        assert!(store.decoy_code("expired").await.unwrap().is_none());
        assert!(store.decoy_code("live").await.unwrap().is_some());
        assert!(store.address_window("192.0.2.1").await.unwrap().is_none());
        assert!(store.address_window("192.0.2.2").await.unwrap().is_some());
    }
}
