//! Cognito's custom authentication (`CUSTOM_AUTH`): the pool's triggers run
//! the sign-in. DefineAuthChallenge looks at the challenges answered so far
//! and issues tokens, fails the sign-in, or asks for a `CUSTOM_CHALLENGE`,
//! which CreateAuthChallenge makes; the client's answer goes, with what the
//! pool kept of the challenge, to VerifyAuthChallengeResponse, and round
//! again. Between steps the sign-in lives in a `USER_AUTH`-style session
//! (three minutes, used once, only its digest stored); a failed sign-in counts
//! toward the lockout as a wrong password does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::{self, Attempts, Proof, Refusal, SignIn};
use crate::error::Error;
use crate::lambda_config::Trigger;
use crate::store::{SessionStep, User};
use crate::triggers::custom_auth::{self, ChallengeResult, Signing};
use crate::triggers::event::{self, Caller};
use crate::{UserPool, user_auth};

/// The one challenge a custom sign-in asks here (Cognito's SRP steps within
/// `CUSTOM_AUTH` are not offered: use `USER_SRP_AUTH`).
pub(crate) const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// Challenges one sign-in may go through before it fails.
const MAX_CHALLENGES: usize = 8;

/// What comes next in a custom sign-in.
pub(crate) enum Next {
    /// The end: signed in (the account's state decides, as after a password), or refused.
    Done(SignIn),
    /// A challenge to answer with this session, and the parameters the client sees.
    Challenge {
        session: String,
        parameters: BTreeMap<String, String>,
    },
}

/// What the session keeps between a challenge and its answer.
#[derive(Serialize, Deserialize)]
struct Pending {
    results: Vec<ChallengeResult>,
    challenge: String,
    private: BTreeMap<String, String>,
    metadata: Option<String>,
}

/// Whether the pool runs custom sign-ins (it has the trigger that decides them).
pub(crate) fn available(pool: &UserPool) -> bool {
    event::configured(pool, Trigger::DefineAuthChallenge)
}

/// Starts a custom sign-in as `name`.
pub(crate) async fn start(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    now: i64,
) -> Result<Next, Error> {
    let user = accounts::user_named(pool, name).await?;
    let attempts =
        Attempts::of(pool, accounts::failure_key(pool, user.as_ref(), name), now).await?;
    if attempts.locked {
        return Ok(Next::Done(SignIn::Refused(Refusal::LockedOut)));
    }
    decide(pool, caller, name, user, &attempts, Vec::new(), now).await
}

/// Answers the challenge of `session` with `answer`.
pub(crate) async fn answer(
    pool: &UserPool,
    caller: Caller<'_>,
    session: &str,
    name: &str,
    answer: &str,
    now: i64,
) -> Result<Result<Next, Refusal>, Error> {
    let steps = [SessionStep::CustomChallenge];
    let (user, stored, attempts) =
        match user_auth::answering(pool, session, caller.client_id, name, &steps, now).await? {
            Ok(answering) => answering,
            Err(refusal) => return Ok(Err(refusal)),
        };
    let Some(pending) = stored
        .state
        .as_deref()
        .and_then(|state| serde_json::from_str::<Pending>(state).ok())
    else {
        return Ok(Err(Refusal::SessionExpired));
    };
    let attributes = attributes_of(pool, user.as_ref()).await?;
    let signing = Signing {
        name,
        user: user.as_ref(),
        attributes: &attributes,
    };
    let correct = custom_auth::verify(pool, caller, signing, &pending.private, answer).await?;
    let mut results = pending.results;
    results.push(ChallengeResult {
        challenge_name: pending.challenge,
        challenge_result: correct,
        challenge_metadata: pending.metadata,
    });
    Ok(Ok(decide(
        pool, caller, name, user, &attempts, results, now,
    )
    .await?))
}

/// The user's attributes as the events carry them (none for a name without an account).
async fn attributes_of(pool: &UserPool, user: Option<&User>) -> Result<Value, Error> {
    Ok(match user {
        Some(user) => event::user_attributes(user, &crate::claims::of(pool.store(), user).await?),
        None => Value::Object(serde_json::Map::new()),
    })
}

/// Asks DefineAuthChallenge what follows `results`, and carries it out.
async fn decide(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    user: Option<User>,
    attempts: &Attempts,
    results: Vec<ChallengeResult>,
    now: i64,
) -> Result<Next, Error> {
    let attributes = attributes_of(pool, user.as_ref()).await?;
    let signing = Signing {
        name,
        user: user.as_ref(),
        attributes: &attributes,
    };
    let decision = custom_auth::define(pool, caller, signing, &results).await?;
    if decision.fail_authentication || results.len() >= MAX_CHALLENGES {
        return Ok(Next::Done(accounts::failed(pool, attempts, now).await?));
    }
    if decision.issue_tokens {
        // A name without an account has nothing to sign in, whatever the trigger says.
        let Some(user) = user else {
            return Ok(Next::Done(accounts::failed(pool, attempts, now).await?));
        };
        let admitted = accounts::admitted(pool, caller, user, attempts, Proof::Complete, now);
        return Ok(Next::Done(admitted.await?));
    }
    match decision.challenge_name.as_deref() {
        Some(CUSTOM_CHALLENGE) => {}
        _ => return Err(crate::triggers::invalid_response()),
    }
    let challenge = custom_auth::create(pool, caller, signing, CUSTOM_CHALLENGE, &results).await?;
    let pending = Pending {
        results,
        challenge: CUSTOM_CHALLENGE.to_owned(),
        private: challenge.private_challenge_parameters,
        metadata: challenge.challenge_metadata,
    };
    let state = serde_json::to_string(&pending)?;
    let step = SessionStep::CustomChallenge;
    let session = user_auth::open_holding(
        pool,
        caller.client_id,
        name,
        user.as_ref(),
        step,
        state,
        now,
    )
    .await?;
    let mut parameters = challenge.public_challenge_parameters;
    parameters.insert(
        "USERNAME".to_owned(),
        user.map_or_else(|| name.to_owned(), |u| u.username),
    );
    Ok(Next::Challenge {
        session,
        parameters,
    })
}
