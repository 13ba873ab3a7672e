//! Passkeys (WebAuthn), with kanidm's webauthn-rs: registering one for a
//! signed-in user (the two requests of a ceremony, its state kept in between),
//! listing and deleting them, and the checks of a sign-in's assertion. The
//! relying party is the pool's (`WebAuthnConfiguration`, else the server's
//! `pool.webauthn_relying_party_id`); a
//! ceremony's page must be of the hosted UI, of an app client's callback
//! origin or of `pool.allowed_origins`, under that name. User verification is
//! always required (webauthn-rs's passkeys ask for it; a pool's `preferred`
//! is kept, and stricter here than in Cognito), the sign counter
//! must grow, and a credential id belongs to one account. Passkeys are made
//! discoverable, so that a sign-in page can offer them in its username
//! field's autofill (conditional UI) before anyone types a name.

use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, DiscoverableAuthentication, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use sha2::{Digest, Sha256};

use crate::auth_factors::AuthFactor;
use crate::error::Error;
use crate::store::{StoredPasskey, User};
use crate::{UserPool, config, secrets};

/// How long a registration may take between its two requests.
const REGISTRATION_SECONDS: i64 = 300;
/// Cognito's limit of passkeys per user.
const MAX_PASSKEYS: usize = 20;

/// Why a passkey operation was refused; the JSON API names each after Cognito's exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PasskeyRefusal {
    #[error(
        "Passkeys are not enabled for this user pool: its SignInPolicy does not allow WEB_AUTHN."
    )]
    NotEnabled,
    #[error(
        "The user pool has no WebAuthn relying party: set pool.webauthn_relying_party_id to a domain name its pages are served under."
    )]
    ConfigurationMissing,
    #[error("No passkey registration is under way for this user, or it expired: start again.")]
    ChallengeNotFound,
    #[error("The passkey's origin is not one this user pool allows.")]
    OriginNotAllowed,
    #[error("The passkey was made for another relying party.")]
    RelyingPartyMismatch,
    #[error("{0}")]
    NotSupported(String),
    #[error("The user already has the most passkeys allowed (20).")]
    TooMany,
}

impl From<WebauthnError> for PasskeyRefusal {
    fn from(error: WebauthnError) -> PasskeyRefusal {
        match error {
            WebauthnError::InvalidRPOrigin => PasskeyRefusal::OriginNotAllowed,
            WebauthnError::InvalidRPIDHash => PasskeyRefusal::RelyingPartyMismatch,
            WebauthnError::MismatchedChallenge | WebauthnError::ChallengeNotFound => {
                PasskeyRefusal::ChallengeNotFound
            }
            other => PasskeyRefusal::NotSupported(format!("The passkey was refused: {other}.")),
        }
    }
}

/// Whether the pool's policy lets people sign in with passkeys.
pub(crate) fn enabled(pool: &UserPool) -> bool {
    pool.pool()
        .settings
        .policies
        .sign_in_policy
        .allows(AuthFactor::WebAuthn)
}

/// Whether pages at `origin` can hold a ceremony: the pool allows passkeys and
/// the origin's host is the relying party's name or below it.
pub(crate) fn usable_at(pool: &UserPool, origin: &str) -> bool {
    let Some(rp_id) = relying_party_id(pool) else {
        return false;
    };
    enabled(pool) && Url::parse(origin).is_ok_and(|url| under(&rp_id, &url))
}

/// The relying party's name: the pool's `WebAuthnConfiguration.RelyingPartyId`
/// (SetUserPoolMfaConfig), else the server's (`pool.webauthn_relying_party_id`).
fn relying_party_id(pool: &UserPool) -> Option<String> {
    pool.pool()
        .settings
        .mfa
        .web_authn_configuration
        .as_ref()
        .and_then(|w| w.relying_party_id.clone())
        .or_else(|| pool.config().webauthn_relying_party_id())
}

/// Whether `url`'s host is `rp_id` or a name below it.
fn under(rp_id: &str, url: &Url) -> bool {
    url.domain()
        .is_some_and(|host| host == rp_id || host.ends_with(&format!(".{rp_id}")))
}

/// The pool's relying party, accepting ceremonies from the origins above.
fn relying_party(pool: &UserPool) -> Result<Webauthn, PasskeyRefusal> {
    if !enabled(pool) {
        return Err(PasskeyRefusal::NotEnabled);
    }
    let rp_id = relying_party_id(pool).ok_or(PasskeyRefusal::ConfigurationMissing)?;

    let callback_origins = pool
        .pool()
        .clients()
        .iter()
        .flat_map(|client| client.callback_urls.iter())
        .filter_map(|url| config::web_origin(url));
    let mut origins: Vec<Url> = std::iter::once(pool.config().public_url().to_owned())
        .chain(callback_origins)
        .chain(pool.config().allowed_origins().iter().cloned())
        .filter_map(|origin| Url::parse(&origin).ok())
        .filter(|url| under(&rp_id, url))
        .collect();
    origins.dedup();
    let Some((first, others)) = origins.split_first() else {
        return Err(PasskeyRefusal::ConfigurationMissing);
    };
    let name = pool.pool().name.clone();
    let builder = WebauthnBuilder::new(&rp_id, first)
        .map_err(|_| PasskeyRefusal::ConfigurationMissing)?
        .rp_name(&name);
    others
        .iter()
        .fold(builder, |builder, origin| {
            builder.append_allowed_origin(origin)
        })
        .build()
        .map_err(|_| PasskeyRefusal::ConfigurationMissing)
}

/// The user's passkeys as webauthn-rs reads them, with what the store keeps.
async fn passkeys_of(pool: &UserPool, sub: &str) -> Result<Vec<(StoredPasskey, Passkey)>, Error> {
    Ok(pool
        .store()
        .passkeys(sub)
        .await?
        .into_iter()
        .filter_map(|stored| {
            let passkey = serde_json::from_str(&stored.passkey).ok()?;
            Some((stored, passkey))
        })
        .collect())
}

/// The 16 bytes WebAuthn knows the user by: their `sub` where it is a UUID.
fn user_handle(user: &User) -> Uuid {
    Uuid::parse_str(&user.sub).unwrap_or_else(|_| {
        let digest = Sha256::digest(user.sub.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.iter_mut().zip(digest).for_each(|(b, d)| *b = d);
        Uuid::from_bytes(bytes)
    })
}

/// Starts a registration for `user`: the options for the browser's
/// `navigator.credentials.create` (`PublicKeyCredentialCreationOptionsJSON`).
pub(crate) async fn start_registration(
    pool: &UserPool,
    user: &User,
    now: i64,
) -> Result<Result<serde_json::Value, PasskeyRefusal>, Error> {
    let relying_party = match relying_party(pool) {
        Ok(relying_party) => relying_party,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let existing = passkeys_of(pool, &user.sub).await?;
    if existing.len() >= MAX_PASSKEYS {
        return Ok(Err(PasskeyRefusal::TooMany));
    }
    let name = user.email.as_deref().unwrap_or(&user.username);
    let exclude = existing.iter().map(|(_, p)| p.cred_id().clone()).collect();
    let (options, state): (CreationChallengeResponse, PasskeyRegistration) = match relying_party
        .start_passkey_registration(user_handle(user), name, name, Some(exclude))
    {
        Ok(started) => started,
        Err(error) => return Ok(Err(error.into())),
    };
    pool.store()
        .put_passkey_registration(
            &user.sub,
            &serde_json::to_string(&state)?,
            now + REGISTRATION_SECONDS,
        )
        .await?;
    let mut options = serde_json::to_value(options.public_key)?;
    // A passkey the authenticator keeps (a discoverable credential), as passkeys are, so that
    // conditional UI can find it; webauthn-rs asks for none, and checks the answer alike.
    if let Some(selection) = options
        .get_mut("authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".to_owned(), "required".into());
        selection.insert("requireResidentKey".to_owned(), true.into());
    }
    Ok(Ok(options))
}

/// Completes `user`'s registration with the browser's answer
/// (`RegistrationResponseJSON`), and keeps the passkey.
pub(crate) async fn complete_registration(
    pool: &UserPool,
    user: &User,
    credential: &serde_json::Value,
    now: i64,
) -> Result<Result<(), PasskeyRefusal>, Error> {
    let relying_party = match relying_party(pool) {
        Ok(relying_party) => relying_party,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(state) = pool
        .store()
        .take_passkey_registration(&user.sub, now)
        .await?
        .and_then(|state| serde_json::from_str::<PasskeyRegistration>(&state).ok())
    else {
        return Ok(Err(PasskeyRefusal::ChallengeNotFound));
    };
    let Ok(answer) = serde_json::from_value::<RegisterPublicKeyCredential>(credential.clone())
    else {
        return Ok(Err(PasskeyRefusal::NotSupported(
            "Credential is not a WebAuthn registration response (RegistrationResponseJSON)."
                .to_owned(),
        )));
    };
    let passkey = match relying_party.finish_passkey_registration(&answer, &state) {
        Ok(passkey) => passkey,
        Err(error) => return Ok(Err(error.into())),
    };
    let attachment = credential
        .get("authenticatorAttachment")
        .and_then(serde_json::Value::as_str)
        .filter(|a| ["platform", "cross-platform"].contains(a))
        .map(str::to_owned);
    let transports = answer.response.transports.clone().unwrap_or_default();
    let stored = StoredPasskey {
        credential_id: secrets::b64url(passkey.cred_id()),
        sub: user.sub.clone(),
        passkey: serde_json::to_string(&passkey)?,
        friendly_name: None,
        relying_party_id: relying_party_id(pool).unwrap_or_default(),
        attachment,
        transports: serde_json::to_string(&transports)?,
        created_at: now,
    };
    if !pool.store().add_passkey(&stored).await? {
        return Ok(Err(PasskeyRefusal::NotSupported(
            "This passkey is already registered.".to_owned(),
        )));
    }
    tracing::info!(sub = %user.sub, "passkey registered");
    Ok(Ok(()))
}

/// The user's passkeys, oldest first.
pub(crate) async fn list(pool: &UserPool, user: &User) -> Result<Vec<StoredPasskey>, Error> {
    pool.store().passkeys(&user.sub).await
}

/// Deletes one of the user's passkeys; false when they have none by that id.
pub(crate) async fn delete(
    pool: &UserPool,
    user: &User,
    credential_id: &str,
) -> Result<bool, Error> {
    let deleted = pool
        .store()
        .delete_passkey(&user.sub, credential_id)
        .await?;
    if deleted {
        tracing::info!(sub = %user.sub, "passkey deleted");
    }
    Ok(deleted)
}

/// A passkey's name as ListWebAuthnCredentials shows it (Cognito's is made
/// up too): what kind of authenticator keeps it, and the day it was added.
pub(crate) fn friendly_name(stored: &StoredPasskey) -> String {
    if let Some(name) = &stored.friendly_name {
        return name.clone();
    }
    let kind = match stored.attachment.as_deref() {
        Some("platform") => "Passkey on this device",
        Some("cross-platform") => "Passkey on a security key or phone",
        _ => "Passkey",
    };
    let day = time::OffsetDateTime::from_unix_timestamp(stored.created_at)
        .ok()
        .and_then(|at| {
            at.format(time::macros::format_description!("[year]-[month]-[day]"))
                .ok()
        });
    match day {
        Some(day) => format!("{kind}, added {day}"),
        None => kind.to_owned(),
    }
}

/// Whether `user` has a passkey to sign in with.
pub(crate) async fn has_passkeys(pool: &UserPool, user: &User) -> Result<bool, Error> {
    Ok(!pool.store().passkeys(&user.sub).await?.is_empty())
}

/// A sign-in's challenge for `user`'s passkeys: the options for the browser's
/// `navigator.credentials.get` (`PublicKeyCredentialRequestOptionsJSON`), and
/// the state that checks the answer.
pub(crate) async fn start_sign_in(
    pool: &UserPool,
    user: &User,
) -> Result<Result<(serde_json::Value, String), PasskeyRefusal>, Error> {
    let relying_party = match relying_party(pool) {
        Ok(relying_party) => relying_party,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let passkeys: Vec<Passkey> = passkeys_of(pool, &user.sub)
        .await?
        .into_iter()
        .map(|(_, passkey)| passkey)
        .collect();
    challenge(relying_party.start_passkey_authentication(&passkeys))
}

/// A sign-in challenge webauthn-rs started: the options for the browser, and
/// its state as the session keeps it.
fn challenge<State: serde::Serialize>(
    started: Result<(RequestChallengeResponse, State), WebauthnError>,
) -> Result<Result<(serde_json::Value, String), PasskeyRefusal>, Error> {
    let (options, state) = match started {
        Ok(started) => started,
        Err(error) => return Ok(Err(error.into())),
    };
    Ok(Ok((
        serde_json::to_value(options.public_key)?,
        serde_json::to_string(&state)?,
    )))
}

/// Checks a sign-in's assertion (`AuthenticationResponseJSON`) against the
/// challenge's `state`, for one of `user`'s passkeys, and keeps its new counter.
pub(crate) async fn finish_sign_in(
    pool: &UserPool,
    user: &User,
    state: &str,
    credential: &str,
) -> Result<Result<(), PasskeyRefusal>, Error> {
    let relying_party = match relying_party(pool) {
        Ok(relying_party) => relying_party,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (Ok(state), Ok(answer)) = (
        serde_json::from_str::<PasskeyAuthentication>(state),
        serde_json::from_str::<PublicKeyCredential>(credential),
    ) else {
        return Ok(Err(PasskeyRefusal::NotSupported(
            "CREDENTIAL is not a WebAuthn authentication response (AuthenticationResponseJSON)."
                .to_owned(),
        )));
    };
    let result = match relying_party.finish_passkey_authentication(&answer, &state) {
        Ok(result) => result,
        Err(error) => return Ok(Err(error.into())),
    };
    // The user's passkey still, not one deleted since the challenge.
    let current = passkeys_of(pool, &user.sub).await?;
    let Some((stored, passkey)) = current
        .into_iter()
        .find(|(_, passkey)| passkey.cred_id() == result.cred_id())
    else {
        return Ok(Err(no_longer_registered()));
    };
    keep_counter(pool, &stored, passkey, &result).await?;
    Ok(Ok(()))
}

fn no_longer_registered() -> PasskeyRefusal {
    PasskeyRefusal::NotSupported("The passkey is no longer registered.".to_owned())
}

/// Keeps the sign counter an assertion moved on.
async fn keep_counter(
    pool: &UserPool,
    stored: &StoredPasskey,
    mut passkey: Passkey,
    result: &AuthenticationResult,
) -> Result<(), Error> {
    if passkey.update_credential(result) == Some(true) {
        pool.store()
            .update_passkey(&stored.credential_id, &serde_json::to_string(&passkey)?)
            .await?;
    }
    Ok(())
}

/// A sign-in with whichever passkey of the pool's the browser offers in a
/// username field's autofill (conditional UI): the options for
/// `navigator.credentials.get` with `mediation: "conditional"`, and the state
/// that checks the answer.
pub(crate) fn start_discoverable_sign_in(
    pool: &UserPool,
) -> Result<Result<(serde_json::Value, String), PasskeyRefusal>, Error> {
    let relying_party = match relying_party(pool) {
        Ok(relying_party) => relying_party,
        Err(refusal) => return Ok(Err(refusal)),
    };
    challenge(relying_party.start_discoverable_authentication())
}

/// The account whose passkey answered a discoverable challenge (the answer's
/// credential id and user handle name it), checked against `state`; the
/// passkey's counter is kept.
pub(crate) async fn finish_discoverable_sign_in(
    pool: &UserPool,
    state: &str,
    credential: &str,
) -> Result<Result<User, PasskeyRefusal>, Error> {
    let relying_party = match relying_party(pool) {
        Ok(relying_party) => relying_party,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let (Ok(state), Ok(answer)) = (
        serde_json::from_str::<DiscoverableAuthentication>(state),
        serde_json::from_str::<PublicKeyCredential>(credential),
    ) else {
        return Ok(Err(PasskeyRefusal::NotSupported(
            "The answer is not a WebAuthn authentication response (AuthenticationResponseJSON)."
                .to_owned(),
        )));
    };
    let (handle, credential_id) = match relying_party.identify_discoverable_authentication(&answer)
    {
        Ok(identified) => identified,
        Err(error) => return Ok(Err(error.into())),
    };
    let store = pool.store();
    let Some(stored) = store.passkey(&secrets::b64url(credential_id)).await? else {
        return Ok(Err(no_longer_registered()));
    };
    let (Some(user), Ok(passkey)) = (
        store.user(&stored.sub).await?,
        serde_json::from_str::<Passkey>(&stored.passkey),
    ) else {
        return Ok(Err(no_longer_registered()));
    };
    if user_handle(&user) != handle {
        return Ok(Err(no_longer_registered()));
    }
    let result = match relying_party.finish_discoverable_authentication_v2(&answer, state, &passkey)
    {
        Ok(result) => result,
        Err(error) => return Ok(Err(error.into())),
    };
    keep_counter(pool, &stored, passkey, &result).await?;
    Ok(Ok(user))
}
