//! `USER_SRP_AUTH`'s `PASSWORD_VERIFIER` challenge, the arithmetic being
//! `srp`'s: the challenge for a client's `SRP_A`, and the check of its proof
//! of the password. Failures count toward the same lockout as the password
//! flow's. A name without an account, or whose password predates SRP here
//! (imported, and not signed in with since), gets a challenge of the same
//! shape that no proof answers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::accounts::{self, Attempts, Proof, Refusal, SignIn};
use crate::error::Error;
use crate::store::SrpChallenge;
use crate::triggers::authentication::pre_authentication;
use crate::triggers::event::Caller;
use crate::{UserPool, secrets, srp};

/// How long a challenge can be answered.
const CHALLENGE_SECONDS: i64 = 300;

/// How far a client's `TIMESTAMP` may be from the pool's clock.
const TIMESTAMP_TOLERANCE_SECONDS: i64 = 300;

/// The challenge's parameters, in Cognito's names.
pub(crate) struct Challenge {
    pub(crate) salt: String,
    pub(crate) srp_b: String,
    pub(crate) secret_block: String,
    /// The username the client hashes in (`USER_ID_FOR_SRP`, also `USERNAME`).
    pub(crate) user_id: String,
}

/// The challenge for `name` and the client's `a_public` (`SRP_A`, hex); None
/// when `SRP_A` is not a usable value.
pub(crate) async fn challenge(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    a_public: &str,
    now: i64,
) -> Result<Option<Challenge>, Error> {
    let this = pool.pool();
    let user = pool
        .store()
        .user_by_username(&this.naming().lookup(name))
        .await?;
    let no_data = crate::triggers::event::Metadata::new();
    pre_authentication(pool, caller, name, user.as_ref(), &no_data).await?;
    let failure_key = accounts::failure_key(pool, user.as_ref(), name);
    let stored = user.as_ref().and_then(|user| {
        let verifier = srp::parse_stored(user.srp_verifier.as_deref()?, &this.id)?;
        Some((user, verifier))
    });
    let (sub, user_id, verifier) = match stored {
        Some((user, verifier)) => (Some(user.sub.clone()), user.username.clone(), verifier),
        // A verifier of a password nobody knows: the same work, and no proof fits.
        None => {
            let unknown = secrets::token()?;
            let decoy = srp::verifier(srp::pool_name(&this.id), name, &unknown)?;
            (None, name.to_owned(), decoy)
        }
    };
    let Ok(session) = srp::start(a_public, &verifier)? else {
        return Ok(None);
    };
    let mut block = [0u8; 64];
    aws_lc_rs::rand::fill(&mut block).map_err(|_| Error::Random)?;
    let secret_block = STANDARD.encode(block);
    let kept = SrpChallenge {
        sub,
        failure_key,
        session_key: STANDARD.encode(session.key),
    };
    pool.store()
        .put_srp_challenge(
            &secrets::digest(&secret_block),
            &kept,
            now,
            now + CHALLENGE_SECONDS,
        )
        .await?;
    Ok(Some(Challenge {
        salt: verifier.salt,
        srp_b: session.b_public,
        secret_block,
        user_id,
    }))
}

/// What the client's answer (`USERNAME`, `PASSWORD_CLAIM_SECRET_BLOCK`,
/// `TIMESTAMP`, `PASSWORD_CLAIM_SIGNATURE`) signs in to, as a password would.
pub(crate) async fn answer(
    pool: &UserPool,
    client_id: &str,
    user_id: &str,
    secret_block: &str,
    timestamp: &str,
    signature: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let store = pool.store();
    // Each challenge is answered once: a replayed answer finds nothing.
    let Some(challenge) = store
        .take_srp_challenge(&secrets::digest(secret_block), now)
        .await?
    else {
        return Ok(SignIn::Refused(Refusal::IncorrectCredentials));
    };
    let attempts = Attempts::of(pool, challenge.failure_key, now).await?;
    if attempts.locked {
        return Ok(SignIn::Refused(Refusal::LockedOut));
    }
    let user = match &challenge.sub {
        Some(sub) => store.user(sub).await?,
        None => None,
    };
    let on_time =
        srp::timestamp(timestamp).is_some_and(|at| (at - now).abs() <= TIMESTAMP_TOLERANCE_SECONDS);
    let key: Option<[u8; 16]> = STANDARD
        .decode(&challenge.session_key)
        .ok()
        .and_then(|key| key.try_into().ok());
    let block = STANDARD.decode(secret_block).ok();
    let proven = |user: &crate::store::User| {
        user.username == user_id
            && on_time
            && key.zip(block.as_deref()).is_some_and(|(key, block)| {
                srp::proves(
                    &key,
                    srp::pool_name(&pool.pool().id),
                    user_id,
                    block,
                    timestamp,
                    signature,
                )
            })
    };
    match user.filter(|user| proven(user)) {
        Some(user) => {
            let caller = Caller::of(client_id);
            accounts::admitted(pool, caller, user, &attempts, Proof::Password, now).await
        }
        None => accounts::failed(pool, &attempts, now).await,
    }
}
