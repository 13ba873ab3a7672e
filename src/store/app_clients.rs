//! The `app_clients` and `resource_servers` tables: each pool's app clients,
//! their settings (JSON) and secrets, and the APIs whose scopes they may be granted.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Store;
use super::directory::Page;
use crate::app_clients::{ClientSettings, StoredClient};
use crate::error::Error;
use crate::resource_servers::ResourceServer;

impl<'r> sqlx::FromRow<'r, AnyRow> for StoredClient {
    fn from_row(row: &'r AnyRow) -> Result<StoredClient, sqlx::Error> {
        Ok(StoredClient {
            client_id: row.try_get("client_id")?,
            pool_id: row.try_get("pool_id")?,
            name: row.try_get("name")?,
            secret: row.try_get("secret")?,
            settings: super::json_column(row, "settings")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT_CLIENTS: &str =
    "SELECT client_id, pool_id, name, secret, settings, created_at, updated_at
                              FROM app_clients ";

impl Store {
    /// Adds a client, or with `replace` rewrites one of that id (a declared
    /// client at start-up); false if the id is taken and `replace` is not set.
    pub(crate) async fn put_client(
        &self,
        client: &StoredClient,
        replace: bool,
    ) -> Result<bool, Error> {
        let conflict = if replace {
            "DO UPDATE SET pool_id = excluded.pool_id, name = excluded.name,
                           secret = excluded.secret, settings = excluded.settings"
        } else {
            "DO NOTHING"
        };
        let written = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO app_clients (client_id, pool_id, name, secret, settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id) {conflict}"
        )))
        .bind(&client.client_id)
        .bind(&client.pool_id)
        .bind(&client.name)
        .bind(&client.secret)
        .bind(super::json_text(&client.settings)?)
        .bind(client.created_at)
        .bind(client.updated_at)
        .execute(&self.db)
        .await?;
        Ok(written.rows_affected() == 1)
    }

    /// Every client of this store's pool, by id.
    pub(crate) async fn clients(&self) -> Result<Vec<StoredClient>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_CLIENTS} WHERE pool_id = $1 ORDER BY client_id"
        )))
        .bind(&*self.pool_id)
        .fetch_all(&self.db)
        .await?)
    }

    /// This pool's client `client_id`, if it has one.
    pub(crate) async fn client(&self, client_id: &str) -> Result<Option<StoredClient>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_CLIENTS} WHERE pool_id = $1 AND client_id = $2"
        )))
        .bind(&*self.pool_id)
        .bind(client_id)
        .fetch_optional(&self.db)
        .await?)
    }

    /// This pool's clients after `after`, by id, and whether more follow.
    pub(crate) async fn list_clients(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Page<StoredClient>, Error> {
        let clients = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_CLIENTS} WHERE pool_id = $1 AND client_id > $2 ORDER BY client_id LIMIT $3"
        )))
        .bind(&*self.pool_id)
        .bind(after.unwrap_or(""))
        .bind(limit + 1)
        .fetch_all(&self.db)
        .await?;
        Ok(super::directory::page(clients, limit))
    }

    /// Which pool has the client `client_id`, if one has.
    pub(crate) async fn pool_of_client(&self, client_id: &str) -> Result<Option<String>, Error> {
        Ok(
            sqlx::query_scalar("SELECT pool_id FROM app_clients WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(&self.db)
                .await?,
        )
    }

    /// Replaces a client's name and settings; false if this pool has no such client.
    pub(crate) async fn update_client(
        &self,
        client_id: &str,
        name: &str,
        settings: &ClientSettings,
        now: i64,
    ) -> Result<bool, Error> {
        let updated = sqlx::query(
            "UPDATE app_clients SET name = $1, settings = $2, updated_at = $3
             WHERE pool_id = $4 AND client_id = $5",
        )
        .bind(name)
        .bind(super::json_text(settings)?)
        .bind(now)
        .bind(&*self.pool_id)
        .bind(client_id)
        .execute(&self.db)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Deletes a client of this pool, and its branding; false if it has none of that id.
    pub(crate) async fn delete_client(&self, client_id: &str) -> Result<bool, Error> {
        sqlx::query("DELETE FROM ui_customizations WHERE pool_id = $1 AND client_id = $2")
            .bind(&*self.pool_id)
            .bind(client_id)
            .execute(&self.db)
            .await?;
        let deleted = sqlx::query("DELETE FROM app_clients WHERE pool_id = $1 AND client_id = $2")
            .bind(&*self.pool_id)
            .bind(client_id)
            .execute(&self.db)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }
}

impl Store {
    // --- resource servers ---

    /// Adds a resource server to this pool, or with `replace` rewrites the one
    /// of its identifier; false if the identifier is taken and `replace` is not set.
    pub(crate) async fn put_resource_server(
        &self,
        server: &ResourceServer,
        replace: bool,
    ) -> Result<bool, Error> {
        let conflict = if replace {
            "DO UPDATE SET name = excluded.name, scopes = excluded.scopes"
        } else {
            "DO NOTHING"
        };
        let written = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO resource_servers (pool_id, identifier, name, scopes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (pool_id, identifier) {conflict}"
        )))
        .bind(&*self.pool_id)
        .bind(&server.identifier)
        .bind(&server.name)
        .bind(super::json_text(&server.scopes)?)
        .execute(&self.db)
        .await?;
        Ok(written.rows_affected() == 1)
    }

    /// This pool's resource servers after the identifier `after`, and whether more follow.
    pub(crate) async fn resource_servers(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Page<ResourceServer>, Error> {
        let rows: Vec<AnyRow> = sqlx::query(
            "SELECT identifier, name, scopes FROM resource_servers
             WHERE pool_id = $1 AND identifier > $2 ORDER BY identifier LIMIT $3",
        )
        .bind(&*self.pool_id)
        .bind(after.unwrap_or(""))
        .bind(limit + 1)
        .fetch_all(&self.db)
        .await?;
        let servers = rows
            .iter()
            .map(|row| {
                Ok(ResourceServer {
                    identifier: row.try_get("identifier")?,
                    name: row.try_get("name")?,
                    scopes: super::json_column(row, "scopes")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(super::directory::page(servers, limit))
    }

    /// The custom scopes of this pool's resource servers (`<identifier>/<scope>`).
    pub(crate) async fn custom_scopes(&self) -> Result<Vec<String>, Error> {
        // Cognito allows 25 resource servers per pool; a page of 1000 is all of them.
        Ok(self
            .resource_servers(None, 1000)
            .await?
            .items
            .iter()
            .flat_map(|server| server.custom_scopes().collect::<Vec<_>>())
            .collect())
    }

    /// Deletes a resource server of this pool; false if it has none of that identifier.
    pub(crate) async fn delete_resource_server(&self, identifier: &str) -> Result<bool, Error> {
        let deleted =
            sqlx::query("DELETE FROM resource_servers WHERE pool_id = $1 AND identifier = $2")
                .bind(&*self.pool_id)
                .bind(identifier)
                .execute(&self.db)
                .await?;
        Ok(deleted.rows_affected() == 1)
    }
}
