//! The device operations (ConfirmDevice, GetDevice, ListDevices,
//! UpdateDeviceStatus, ForgetDevice and their admin twins), answered as
//! Cognito answers them for a pool that does not remember devices: the pool
//! never hands out `NewDeviceMetadata`, so no user has a device, every device
//! key is unknown and every list is empty. The requests are checked as
//! Cognito checks them first (the access token, the user, the key's shape),
//! so a client learns of a bad request, not of a missing feature.

use serde::{Deserialize, Serialize};

use super::users::{Empty, token_holder};
use super::{ApiError, named_user};
use crate::UserPool;

/// Cognito's `DeviceKeyType`: `<region>_<uuid>`, 1 to 55 characters.
fn check_device_key(key: &str) -> Result<(), ApiError> {
    let well_formed = (1..=55).contains(&key.len())
        && key.split_once('_').is_some_and(|(region, id)| {
            !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !id.is_empty()
                && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        });
    if well_formed {
        Ok(())
    } else {
        Err(ApiError::InvalidParameter(format!(
            "1 validation error detected: Value '{key}' at 'deviceKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-f-]+"
        )))
    }
}

fn no_such_device() -> ApiError {
    ApiError::ResourceNotFound("Device does not exist.".to_owned())
}

/// `DeviceRememberedStatus`: `remembered` or `not_remembered`.
fn check_status(status: Option<&str>) -> Result<(), ApiError> {
    match status {
        None | Some("remembered" | "not_remembered") => Ok(()),
        Some(other) => Err(ApiError::InvalidParameter(format!(
            "1 validation error detected: Value '{other}' at 'deviceRememberedStatus' failed to satisfy constraint: Member must satisfy enum value set: [remembered, not_remembered]"
        ))),
    }
}

/// ListDevices' `Limit`: 0 to 60.
fn check_limit(limit: Option<i64>) -> Result<(), ApiError> {
    match limit {
        None | Some(0..=60) => Ok(()),
        Some(_) => Err(ApiError::InvalidParameter(
            "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 0 and 60".to_owned(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConfirmDeviceRequest {
    access_token: String,
    device_key: String,
}

/// No device key was handed out, so none can be confirmed (Cognito's answer
/// for a key it did not issue).
pub(super) async fn confirm_device(
    pool: UserPool,
    request: ConfirmDeviceRequest,
) -> Result<Empty, ApiError> {
    token_holder(&pool, &request.access_token).await?;
    check_device_key(&request.device_key)?;
    Err(ApiError::InvalidParameter(
        "Invalid device key given.".to_owned(),
    ))
}

/// GetDevice, ForgetDevice and UpdateDeviceStatus, by access token.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeviceRequest {
    access_token: String,
    device_key: String,
    device_remembered_status: Option<String>,
}

pub(super) async fn device(pool: UserPool, request: DeviceRequest) -> Result<Empty, ApiError> {
    token_holder(&pool, &request.access_token).await?;
    check_device_key(&request.device_key)?;
    check_status(request.device_remembered_status.as_deref())?;
    Err(no_such_device())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListDevicesRequest {
    access_token: String,
    limit: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListDevicesResponse {
    devices: Vec<()>,
}

pub(super) async fn list_devices(
    pool: UserPool,
    request: ListDevicesRequest,
) -> Result<ListDevicesResponse, ApiError> {
    token_holder(&pool, &request.access_token).await?;
    check_limit(request.limit)?;
    Ok(ListDevicesResponse {
        devices: Vec::new(),
    })
}

/// AdminGetDevice, AdminForgetDevice and AdminUpdateDeviceStatus.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AdminDeviceRequest {
    username: String,
    device_key: String,
    device_remembered_status: Option<String>,
}

pub(super) async fn admin_device(
    pool: UserPool,
    request: AdminDeviceRequest,
) -> Result<Empty, ApiError> {
    check_device_key(&request.device_key)?;
    check_status(request.device_remembered_status.as_deref())?;
    named_user(&pool, &request.username).await?;
    Err(no_such_device())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AdminListDevicesRequest {
    username: String,
    limit: Option<i64>,
}

pub(super) async fn admin_list_devices(
    pool: UserPool,
    request: AdminListDevicesRequest,
) -> Result<ListDevicesResponse, ApiError> {
    check_limit(request.limit)?;
    named_user(&pool, &request.username).await?;
    Ok(ListDevicesResponse {
        devices: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_keys_statuses_and_limits_are_checked() {
        assert!(check_device_key("us-east-1_0a1b2c3d-4e5f-6789-abcd-ef0123456789").is_ok());
        for bad in [
            "",
            "nokey",
            "_abc",
            "us-east-1_",
            "us-east-1_xyz",
            &"a_1".repeat(20),
        ] {
            assert!(check_device_key(bad).is_err(), "{bad}");
        }
        assert!(check_status(Some("remembered")).is_ok());
        assert!(check_status(Some("forgotten")).is_err());
        assert!(check_limit(Some(0)).is_ok());
        assert!(check_limit(Some(61)).is_err());
    }
}
