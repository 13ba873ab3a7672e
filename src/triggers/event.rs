//! What every trigger's event has (Cognito's "common parameters": `version`,
//! `triggerSource`, `region`, `userPoolId`, `userName`, `callerContext`,
//! `request`, `response`), who the operation is for (`Caller`), and sending
//! an event to the pool's function for its trigger, if it has one.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::UserPool;
use crate::error::Error;
use crate::lambda_config::Trigger;
use crate::store::User;

/// Who an operation is for: the app client, and the `ClientMetadata` the
/// request carried (passed to the triggers as it was given).
#[derive(Clone, Copy)]
pub(crate) struct Caller<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) metadata: &'a Metadata,
}

/// `ClientMetadata` and `ValidationData`: names and values, both strings.
pub(crate) type Metadata = BTreeMap<String, String>;

/// An empty [`Metadata`], for operations whose requests carry none.
pub(crate) static NO_METADATA: Metadata = BTreeMap::new();

impl Caller<'static> {
    /// An administrator's operation, which no app client makes (Cognito's `clientId` for it).
    pub(crate) fn administrator() -> Caller<'static> {
        Caller::of("CLIENT_ID_NOT_APPLICABLE")
    }
}

impl<'a> Caller<'a> {
    /// A caller without `ClientMetadata`.
    pub(crate) fn of(client_id: &'a str) -> Caller<'a> {
        Caller {
            client_id,
            metadata: &NO_METADATA,
        }
    }
}

/// `ValidationData` as the API sends it: a list of `{Name, Value}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NameValue {
    pub(crate) name: String,
    pub(crate) value: String,
}

pub(crate) fn validation_data(list: &[NameValue]) -> Metadata {
    list.iter()
        .map(|pair| (pair.name.clone(), pair.value.clone()))
        .collect()
}

/// One event, before its common parameters are added.
pub(crate) struct Event<'a> {
    pub(crate) trigger: Trigger,
    /// `triggerSource`, e.g. `PreSignUp_SignUp`.
    pub(crate) source: &'static str,
    pub(crate) user_name: Option<&'a str>,
    pub(crate) caller: Caller<'a>,
    pub(crate) request: Value,
    /// The response's fields with Cognito's defaults.
    pub(crate) response: Value,
    /// `version`: "1" except for the pre-token-generation event's later versions.
    pub(crate) version: &'static str,
}

/// Whether the pool has a function for `trigger` (so that an event need not be built).
pub(crate) fn configured(pool: &UserPool, trigger: Trigger) -> bool {
    pool.pool().lambda.function(trigger).is_some()
}

/// Sends `event` to the pool's function for its trigger: the response it
/// answers with, or None where the pool has no such trigger.
pub(crate) async fn send(pool: &UserPool, event: Event<'_>) -> Result<Option<Value>, Error> {
    let running = pool.pool();
    let Some(arn) = running.lambda.function(event.trigger) else {
        return Ok(None);
    };
    let json = serde_json::json!({
        "version": event.version,
        "triggerSource": event.source,
        "region": pool.config().region(),
        "userPoolId": running.id,
        "userName": event.user_name,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": event.caller.client_id,
        },
        "request": event.request,
        "response": event.response,
    });
    let response = pool
        .triggers()
        .call(&running.id, event.trigger, arn, &json)
        .await?;
    Ok(Some(response))
}

/// A user's attributes as events carry them: strings by name, with
/// `cognito:user_status` as AdminGetUser names the status.
pub(crate) fn user_attributes(user: &User, attributes: &[(String, String)]) -> Value {
    let mut map: Map<String, Value> = attributes
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    map.insert(
        "cognito:user_status".to_owned(),
        Value::String(user.status().to_owned()),
    );
    Value::Object(map)
}

/// Attributes given as pairs, as events carry them.
pub(crate) fn attribute_map(attributes: &[(String, String)]) -> Value {
    Value::Object(
        attributes
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect(),
    )
}

/// A map of strings as events carry it (`clientMetadata`, `validationData`).
pub(crate) fn metadata(metadata: &Metadata) -> Value {
    Value::Object(
        metadata
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect(),
    )
}

/// A response's field as `T`, its default where the function left it out or null;
/// anything else is an answer that does not read.
pub(crate) fn field<T: serde::de::DeserializeOwned + Default>(
    response: &Value,
    name: &str,
) -> Result<T, Error> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|_| super::invalid_response()),
    }
}
