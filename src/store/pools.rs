//! The `user_pools` table: each pool's name and settings (JSON). Deleting a
//! pool deletes its users, groups and keys with it (foreign keys).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Store;
use crate::error::Error;
use crate::pools::{PoolSettings, StoredPool};

impl<'r> sqlx::FromRow<'r, AnyRow> for StoredPool {
    fn from_row(row: &'r AnyRow) -> Result<StoredPool, sqlx::Error> {
        Ok(StoredPool {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            settings: super::json_column(row, "settings")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT_POOLS: &str = "SELECT id, name, settings, created_at, updated_at FROM user_pools ";

impl Store {
    /// Adds a pool; false, changing nothing, if one has its id.
    pub(crate) async fn create_pool(&self, pool: &StoredPool) -> Result<bool, Error> {
        let inserted = sqlx::query(
            "INSERT INTO user_pools (id, name, settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&pool.id)
        .bind(&pool.name)
        .bind(super::json_text(&pool.settings)?)
        .bind(pool.created_at)
        .bind(pool.updated_at)
        .execute(&self.db)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    pub(crate) async fn pool(&self, id: &str) -> Result<Option<StoredPool>, Error> {
        Ok(
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_POOLS} WHERE id = $1")))
                .bind(id)
                .fetch_optional(&self.db)
                .await?,
        )
    }

    /// Whether a pool has this name (pools named so get the same id with deterministic ids).
    pub(crate) async fn pool_named(&self, name: &str) -> Result<bool, Error> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM user_pools WHERE name = $1")
            .bind(name)
            .fetch_one(&self.db)
            .await?;
        Ok(count > 0)
    }

    /// Pools in id order after `after`, and whether more follow. The pool of the
    /// releases before (id '') is never listed.
    pub(crate) async fn list_pools(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<super::directory::Page<StoredPool>, Error> {
        let pools = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_POOLS} WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(after.unwrap_or(""))
        .bind(limit + 1)
        .fetch_all(&self.db)
        .await?;
        Ok(super::directory::page(pools, limit))
    }

    /// Replaces a pool's name and settings; false if there is no such pool.
    pub(crate) async fn update_pool(
        &self,
        id: &str,
        name: &str,
        settings: &PoolSettings,
        now: i64,
    ) -> Result<bool, Error> {
        let updated = sqlx::query(
            "UPDATE user_pools SET name = $1, settings = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(name)
        .bind(super::json_text(settings)?)
        .bind(now)
        .bind(id)
        .execute(&self.db)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Deletes a pool and everything in it; false if there was none.
    pub(crate) async fn delete_pool(&self, id: &str) -> Result<bool, Error> {
        let deleted = sqlx::query("DELETE FROM user_pools WHERE id = $1")
            .bind(id)
            .execute(&self.db)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    /// The declared pool at start-up: the pool of the releases before becomes
    /// it (users, groups and keys renamed along, by the foreign keys' ON UPDATE
    /// CASCADE) if it has no row yet; then its name and settings are the file's.
    pub(crate) async fn declare_pool(&self, pool: &StoredPool) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        let exists: i64 = sqlx::query_scalar("SELECT count(*) FROM user_pools WHERE id = $1")
            .bind(&pool.id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            sqlx::query("UPDATE user_pools SET id = $1, created_at = $2 WHERE id = ''")
                .bind(&pool.id)
                .bind(pool.created_at)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO user_pools (id, name, settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, settings = excluded.settings",
        )
        .bind(&pool.id)
        .bind(&pool.name)
        .bind(super::json_text(&pool.settings)?)
        .bind(pool.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many users the pool has (DescribeUserPool's `EstimatedNumberOfUsers`).
    pub(crate) async fn count_users(&self) -> Result<i64, Error> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM users WHERE pool_id = $1")
                .bind(&*self.pool_id)
                .fetch_one(&self.db)
                .await?,
        )
    }

    // --- domains ---

    /// Gives a pool its domain; false, changing nothing, if the domain is
    /// taken or the pool has one.
    pub(crate) async fn create_domain(
        &self,
        domain: &str,
        pool_id: &str,
        now: i64,
    ) -> Result<bool, Error> {
        let inserted = sqlx::query(
            "INSERT INTO pool_domains (domain, pool_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(domain)
        .bind(pool_id)
        .bind(now)
        .execute(&self.db)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// The pool a domain belongs to, if any.
    pub(crate) async fn pool_of_domain(&self, domain: &str) -> Result<Option<String>, Error> {
        Ok(
            sqlx::query_scalar("SELECT pool_id FROM pool_domains WHERE domain = $1")
                .bind(domain)
                .fetch_optional(&self.db)
                .await?,
        )
    }

    /// The domain of this store's pool, if it has one.
    pub(crate) async fn domain(&self) -> Result<Option<String>, Error> {
        Ok(
            sqlx::query_scalar("SELECT domain FROM pool_domains WHERE pool_id = $1")
                .bind(&*self.pool_id)
                .fetch_optional(&self.db)
                .await?,
        )
    }

    /// Takes a domain from its pool; false if the pool did not have it.
    pub(crate) async fn delete_domain(&self, domain: &str, pool_id: &str) -> Result<bool, Error> {
        let deleted = sqlx::query("DELETE FROM pool_domains WHERE domain = $1 AND pool_id = $2")
            .bind(domain)
            .bind(pool_id)
            .execute(&self.db)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }
}
