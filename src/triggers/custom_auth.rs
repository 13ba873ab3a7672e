//! The custom-authentication triggers behind `CUSTOM_AUTH`: DefineAuthChallenge
//! decides, from the challenges answered so far, whether to issue tokens, fail,
//! or ask another; CreateAuthChallenge makes the challenge (what the client
//! sees, and what only the pool keeps); VerifyAuthChallengeResponse judges an answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::event::{self, Caller, Event};
use crate::UserPool;
use crate::error::Error;
use crate::lambda_config::Trigger;
use crate::store::User;

/// One challenge of the sign-in so far, as the events' `session` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChallengeResult {
    pub(crate) challenge_name: String,
    pub(crate) challenge_result: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) challenge_metadata: Option<String>,
}

/// Who is signing in: the name given, and its account (None: `userNotFound`).
#[derive(Clone, Copy)]
pub(crate) struct Signing<'a> {
    pub(crate) name: &'a str,
    pub(crate) user: Option<&'a User>,
    /// The user's attributes as events carry them.
    pub(crate) attributes: &'a Value,
}

/// DefineAuthChallenge's decision.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Decision {
    #[serde(default)]
    pub(crate) challenge_name: Option<String>,
    #[serde(default)]
    pub(crate) issue_tokens: bool,
    #[serde(default)]
    pub(crate) fail_authentication: bool,
}

/// A challenge CreateAuthChallenge made.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Challenge {
    /// Sent to the client as `ChallengeParameters`.
    #[serde(default)]
    pub(crate) public_challenge_parameters: BTreeMap<String, String>,
    /// Kept by the pool, for VerifyAuthChallengeResponse.
    #[serde(default)]
    pub(crate) private_challenge_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) challenge_metadata: Option<String>,
}

fn request(
    caller: Caller<'_>,
    signing: Signing<'_>,
    mut fields: serde_json::Map<String, Value>,
) -> Value {
    fields.insert("userAttributes".to_owned(), signing.attributes.clone());
    fields.insert(
        "clientMetadata".to_owned(),
        event::metadata(caller.metadata),
    );
    if signing.user.is_none() {
        fields.insert("userNotFound".to_owned(), Value::Bool(true));
    }
    Value::Object(fields)
}

async fn send(
    pool: &UserPool,
    caller: Caller<'_>,
    signing: Signing<'_>,
    trigger: Trigger,
    source: &'static str,
    request: Value,
    response: Value,
) -> Result<Value, Error> {
    let answered = event::send(
        pool,
        Event {
            trigger,
            source,
            user_name: Some(signing.user.map_or(signing.name, |u| u.username.as_str())),
            caller,
            request,
            response,
            version: "1",
        },
    )
    .await?;
    // The caller checked that the pool has the trigger.
    answered.ok_or_else(super::invalid_response)
}

/// Asks DefineAuthChallenge what comes after `session`.
pub(crate) async fn define(
    pool: &UserPool,
    caller: Caller<'_>,
    signing: Signing<'_>,
    session: &[ChallengeResult],
) -> Result<Decision, Error> {
    let fields = serde_json::Map::from_iter([("session".to_owned(), json!(session))]);
    let response = send(
        pool,
        caller,
        signing,
        Trigger::DefineAuthChallenge,
        "DefineAuthChallenge_Authentication",
        request(caller, signing, fields),
        json!({ "challengeName": null, "issueTokens": null, "failAuthentication": null }),
    )
    .await?;
    serde_json::from_value(response).map_err(|_| super::invalid_response())
}

/// Asks CreateAuthChallenge for the challenge `name`.
pub(crate) async fn create(
    pool: &UserPool,
    caller: Caller<'_>,
    signing: Signing<'_>,
    name: &str,
    session: &[ChallengeResult],
) -> Result<Challenge, Error> {
    let fields = serde_json::Map::from_iter([
        ("challengeName".to_owned(), json!(name)),
        ("session".to_owned(), json!(session)),
    ]);
    let response = send(
        pool,
        caller,
        signing,
        Trigger::CreateAuthChallenge,
        "CreateAuthChallenge_Authentication",
        request(caller, signing, fields),
        json!({
            "publicChallengeParameters": null,
            "privateChallengeParameters": null,
            "challengeMetadata": null,
        }),
    )
    .await?;
    serde_json::from_value(response).map_err(|_| super::invalid_response())
}

/// Asks VerifyAuthChallengeResponse whether `answer` answers the challenge.
pub(crate) async fn verify(
    pool: &UserPool,
    caller: Caller<'_>,
    signing: Signing<'_>,
    private: &BTreeMap<String, String>,
    answer: &str,
) -> Result<bool, Error> {
    let fields = serde_json::Map::from_iter([
        ("privateChallengeParameters".to_owned(), json!(private)),
        ("challengeAnswer".to_owned(), json!(answer)),
    ]);
    let response = send(
        pool,
        caller,
        signing,
        Trigger::VerifyAuthChallengeResponse,
        "VerifyAuthChallengeResponse_Authentication",
        request(caller, signing, fields),
        json!({ "answerCorrect": null }),
    )
    .await?;
    event::field(&response, "answerCorrect")
}
