//! The sign-in triggers: PreAuthentication, which may refuse a sign-in before
//! the password is checked; PostAuthentication, told of one that succeeded
//! (and able to stop it); and UserMigration, asked about a name the pool does
//! not know, which may bring the user over from an old system.

use serde::Deserialize;
use serde_json::json;

use super::event::{self, Caller, Event, Metadata};
use crate::UserPool;
use crate::error::Error;
use crate::lambda_config::Trigger;
use crate::store::User;

/// Runs PreAuthentication for a sign-in as `name` (`user`, or nobody: `userNotFound`).
pub(crate) async fn pre_authentication(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    user: Option<&User>,
    validation_data: &Metadata,
) -> Result<(), Error> {
    if !event::configured(pool, Trigger::PreAuthentication) {
        return Ok(());
    }
    let attributes = match user {
        Some(user) => event::user_attributes(user, &crate::claims::of(pool.store(), user).await?),
        None => json!({}),
    };
    let request = match user {
        Some(_) => json!({
            "userAttributes": attributes,
            "validationData": event::metadata(validation_data),
        }),
        None => json!({
            "userAttributes": attributes,
            "validationData": event::metadata(validation_data),
            "userNotFound": true,
        }),
    };
    event::send(
        pool,
        Event {
            trigger: Trigger::PreAuthentication,
            source: "PreAuthentication_Authentication",
            user_name: Some(user.map_or(name, |u| u.username.as_str())),
            caller,
            request,
            response: json!({}),
            version: "1",
        },
    )
    .await?;
    Ok(())
}

/// Runs PostAuthentication for `user`, who just signed in: an error stops the sign-in.
pub(crate) async fn post_authentication(
    pool: &UserPool,
    caller: Caller<'_>,
    user: &User,
) -> Result<(), Error> {
    if !event::configured(pool, Trigger::PostAuthentication) {
        return Ok(());
    }
    let attributes = crate::claims::of(pool.store(), user).await?;
    event::send(
        pool,
        Event {
            trigger: Trigger::PostAuthentication,
            source: "PostAuthentication_Authentication",
            user_name: Some(&user.username),
            caller,
            request: json!({
                "userAttributes": event::user_attributes(user, &attributes),
                "newDeviceUsed": false,
                "clientMetadata": event::metadata(caller.metadata),
            }),
            response: json!({}),
            version: "1",
        },
    )
    .await?;
    Ok(())
}

/// Why UserMigration is asked (`UserMigration_Authentication`, `_ForgotPassword`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Migrating<'a> {
    /// Signing in with this password, which the old system checks.
    SignIn {
        password: &'a str,
    },
    ForgotPassword,
}

/// The status a migrated user starts in.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum FinalStatus {
    /// Signed in with the password given.
    #[default]
    Confirmed,
    /// Must reset their password before signing in.
    ResetRequired,
}

/// The user an old system vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Migrated {
    /// Their attributes, as the function gave them (checked by the caller).
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) status: FinalStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MigrationResponse {
    #[serde(default)]
    user_attributes: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    final_user_status: Option<FinalStatus>,
}

/// Asks UserMigration about `name`: the user to create, or None when the pool
/// has no such trigger or the old system does not know them (the function failed).
pub(crate) async fn user_migration(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    migrating: Migrating<'_>,
) -> Result<Option<Migrated>, Error> {
    let (source, request) = match migrating {
        Migrating::SignIn { password } => (
            "UserMigration_Authentication",
            json!({
                "password": password,
                "validationData": {},
                "clientMetadata": event::metadata(caller.metadata),
            }),
        ),
        Migrating::ForgotPassword => (
            "UserMigration_ForgotPassword",
            json!({
                "validationData": {},
                "clientMetadata": event::metadata(caller.metadata),
            }),
        ),
    };
    let sent = event::send(
        pool,
        Event {
            trigger: Trigger::UserMigration,
            source,
            user_name: Some(name),
            caller,
            request,
            response: json!({
                "userAttributes": null,
                "finalUserStatus": null,
                "messageAction": null,
                "desiredDeliveryMediums": null,
                "forceAliasCreation": null,
                "enableSMSMFA": null,
            }),
            version: "1",
        },
    )
    .await;
    let response = match sent {
        Ok(Some(response)) => response,
        Ok(None) => return Ok(None),
        // The old system does not vouch for them: to the caller, an unknown name.
        Err(Error::Trigger { message, .. }) => {
            tracing::info!(%message, "UserMigration did not migrate the user");
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    let answer: MigrationResponse =
        serde_json::from_value(response).map_err(|_| super::invalid_response())?;
    let Some(attributes) = answer.user_attributes else {
        return Err(super::invalid_response());
    };
    Ok(Some(Migrated {
        attributes: attributes.into_iter().collect(),
        status: answer.final_user_status.unwrap_or_default(),
    }))
}
