//! The JSON API's hosted-UI branding operations (AWS credentials required):
//! SetUICustomization and GetUICustomization, with Cognito's
//! `UICustomizationType` as their wire shape. The logo is served at the
//! `ImageUrl` they return, on the pool's hosted UI.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::UserPool;
use crate::branding::{self, ALL_CLIENTS, Logo, UiCustomization};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SetRequest {
    client_id: Option<String>,
    #[serde(rename = "CSS")]
    css: Option<String>,
    /// The logo, base64 (a blob in the AWS SDKs).
    image_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetRequest {
    client_id: Option<String>,
}

/// Cognito's `UICustomizationType`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UiCustomizationType {
    user_pool_id: String,
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<String>,
    #[serde(rename = "CSS", skip_serializing_if = "Option::is_none")]
    css: Option<String>,
    #[serde(rename = "CSSVersion", skip_serializing_if = "Option::is_none")]
    css_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified_date: Option<i64>,
}

#[derive(Serialize)]
pub(super) struct CustomizationResponse {
    #[serde(rename = "UICustomization")]
    ui_customization: UiCustomizationType,
}

fn customization_type(
    pool: &UserPool,
    client_id: &str,
    custom: Option<&UiCustomization>,
) -> CustomizationResponse {
    let base = pool.hosted_ui_url().unwrap_or_default();
    CustomizationResponse {
        ui_customization: UiCustomizationType {
            user_pool_id: pool.pool().id.clone(),
            client_id: custom
                .map_or(client_id, |custom| &custom.client_id)
                .to_owned(),
            image_url: custom.and_then(|custom| {
                custom
                    .logo
                    .as_ref()
                    .map(|_| format!("{base}{}", crate::web::logo_path(custom)))
            }),
            css: custom.and_then(|custom| custom.css.clone()),
            css_version: custom.map(|custom| custom.version.to_string()),
            creation_date: custom.map(|custom| custom.created_at),
            last_modified_date: custom.map(|custom| custom.updated_at),
        },
    }
}

/// The `ClientId` a request names: `ALL` (also when it names none) or one of the pool's clients.
fn client_of(pool: &UserPool, client_id: Option<String>) -> Result<String, ApiError> {
    let client_id = client_id.unwrap_or_else(|| ALL_CLIENTS.to_owned());
    let well_formed = !client_id.is_empty()
        && client_id.len() <= 128
        && client_id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '+');
    if !well_formed {
        return Err(ApiError::InvalidParameter(format!(
            "1 validation error detected: Value '{client_id}' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+"
        )));
    }
    if client_id != ALL_CLIENTS {
        super::client(pool, &client_id)?;
    }
    Ok(client_id)
}

pub(super) async fn set_ui_customization(
    pool: UserPool,
    request: SetRequest,
) -> Result<CustomizationResponse, ApiError> {
    let client_id = client_of(&pool, request.client_id)?;
    if pool.hosted_ui_url().is_none() {
        return Err(ApiError::InvalidParameter(
            "There has to be an existing domain associated with this user pool".to_owned(),
        ));
    }
    let css = match request.css.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(css) => Some(branding::checked_css(css)?),
    };
    let logo = match request.image_file.as_deref() {
        None | Some("") => None,
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| {
                    ApiError::InvalidParameter(
                        "1 validation error detected: Value at 'imageFile' failed to satisfy constraint: Member must be base64 encoded".to_owned(),
                    )
                })?;
            Some(Logo::new(bytes)?)
        }
    };
    let stored = pool
        .store()
        .put_ui_customization(&client_id, css.as_deref(), logo.as_ref(), crate::now())
        .await?;
    let pool = pool.reloaded().await?;
    tracing::info!(pool_id = %pool.pool().id, %client_id, version = stored.version, "set the hosted UI's customization");
    Ok(customization_type(&pool, &client_id, Some(&stored)))
}

pub(super) async fn get_ui_customization(
    pool: UserPool,
    request: GetRequest,
) -> Result<CustomizationResponse, ApiError> {
    let client_id = client_of(&pool, request.client_id)?;
    Ok(customization_type(
        &pool,
        &client_id,
        pool.branding().for_client(&client_id),
    ))
}
