//! The `ui_customizations` table: each pool's hosted-UI branding, its
//! default (`ALL`) and its app clients' own (SetUICustomization).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Store;
use crate::branding::{ImageKind, Logo, UiCustomization};
use crate::error::Error;

impl<'r> sqlx::FromRow<'r, AnyRow> for UiCustomization {
    fn from_row(row: &'r AnyRow) -> Result<UiCustomization, sqlx::Error> {
        let logo: Option<Vec<u8>> = row.try_get("logo")?;
        let logo_type: Option<String> = row.try_get("logo_type")?;
        let kind = match logo_type.as_deref() {
            Some("image/png") => Some(ImageKind::Png),
            Some("image/jpeg") => Some(ImageKind::Jpeg),
            _ => None,
        };
        Ok(UiCustomization {
            client_id: row.try_get("client_id")?,
            css: row.try_get("css")?,
            logo: logo.zip(kind).map(|(bytes, kind)| Logo { kind, bytes }),
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl Store {
    /// Sets the customization of `client_id` (or the default, `ALL`) in this
    /// pool, replacing the stylesheet and the logo together, as Cognito does.
    pub(crate) async fn put_ui_customization(
        &self,
        client_id: &str,
        css: Option<&str>,
        logo: Option<&Logo>,
        now: i64,
    ) -> Result<UiCustomization, Error> {
        sqlx::query(
            "INSERT INTO ui_customizations
                 (pool_id, client_id, css, logo, logo_type, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
             ON CONFLICT (pool_id, client_id) DO UPDATE SET
                 css = excluded.css, logo = excluded.logo, logo_type = excluded.logo_type,
                 version = ui_customizations.version + 1, updated_at = excluded.updated_at",
        )
        .bind(&*self.pool_id)
        .bind(client_id)
        .bind(css)
        .bind(logo.map(|logo| logo.bytes.clone()))
        .bind(logo.map(|logo| logo.kind.content_type()))
        .bind(now)
        .execute(&self.db)
        .await?;
        let row: UiCustomization = sqlx::query_as(
            "SELECT client_id, css, logo, logo_type, version, created_at, updated_at
             FROM ui_customizations WHERE pool_id = $1 AND client_id = $2",
        )
        .bind(&*self.pool_id)
        .bind(client_id)
        .fetch_one(&self.db)
        .await?;
        Ok(row)
    }

    /// This pool's customizations, the default's and its clients'.
    pub(crate) async fn ui_customizations(&self) -> Result<Vec<UiCustomization>, Error> {
        Ok(sqlx::query_as(
            "SELECT client_id, css, logo, logo_type, version, created_at, updated_at
             FROM ui_customizations WHERE pool_id = $1 ORDER BY client_id",
        )
        .bind(&*self.pool_id)
        .fetch_all(&self.db)
        .await?)
    }
}
