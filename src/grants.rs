//! Issuing a sign-in's tokens, refreshing them, and recognising its access
//! tokens when they come back: shared by the OAuth2 endpoints (token, userInfo)
//! and the JSON API. Every refresh token is stored digested with the sign-in it
//! descends from (`origin_jti`), so revoking it ends the whole sign-in, access
//! tokens included.

use serde::Deserialize;

use crate::config::Client;
use crate::error::Error;
use crate::lambda_config::Trigger;
use crate::scope::Scope;
use crate::store::{Group, RefreshToken, User};
use crate::tokens::{self, Grant};
use crate::triggers::event::Caller;
use crate::triggers::token::{self, Planned, TokenSource};
use crate::{UserPool, claims, secrets, triggers};

/// A successful authentication, about to be turned into tokens.
pub(crate) struct Authentication<'a> {
    pub(crate) user: &'a User,
    pub(crate) client_id: &'a str,
    /// The granted scopes.
    pub(crate) scope: &'a Scope,
    pub(crate) auth_time: i64,
    pub(crate) event_id: &'a str,
    pub(crate) nonce: Option<&'a str>,
    pub(crate) source: Source<'a>,
}

/// How the user authenticated.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// Through the hosted UI, redeeming the authorization code with this digest.
    AuthorizationCode(&'a str),
    /// Through the hosted UI, for an implicit client.
    Implicit,
    /// Through the JSON API's password flows.
    Api,
}

pub(crate) struct Tokens {
    pub(crate) id_token: Option<String>,
    pub(crate) access_token: String,
    /// When a sign-in starts, and at each refresh for clients with rotation.
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires_in: i64,
}

/// The JSON API's flows always return an ID token, whatever the scope (Cognito's behaviour).
fn wants_id_token(scope: &Scope, from_api: bool) -> bool {
    from_api || scope.contains("openid")
}

/// A user's groups as tokens name them: by precedence, with their IAM roles.
struct Memberships {
    names: Vec<String>,
    roles: Vec<String>,
    preferred_role: Option<String>,
}

impl Memberships {
    async fn of(pool: &UserPool, sub: &str) -> Result<Memberships, Error> {
        Ok(Memberships::from_groups(
            &pool.store().groups_of(sub).await?,
        ))
    }

    /// `groups` in precedence order (as the store lists them). The preferred role
    /// is that of the groups with a role and the lowest precedence, if they agree
    /// on it: Cognito sets none when groups of equal precedence name different roles.
    fn from_groups(groups: &[Group]) -> Memberships {
        let mut roles: Vec<String> = Vec::new();
        for role in groups.iter().filter_map(|g| g.role_arn.as_ref()) {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        }
        let with_roles = || groups.iter().filter(|g| g.role_arn.is_some());
        let best = with_roles().next().map(|g| g.precedence);
        let mut candidates = with_roles()
            .filter(|g| Some(g.precedence) == best)
            .filter_map(|g| g.role_arn.as_ref());
        let first = candidates.next().cloned();
        let preferred_role = first.filter(|role| candidates.all(|other| other == role));
        Memberships {
            names: groups.iter().map(|g| g.name.clone()).collect(),
            roles,
            preferred_role,
        }
    }
}

/// The ID token's attribute claims: those `client_id` may read (none when
/// no ID token is issued, saving the query).
async fn readable_claims(
    pool: &UserPool,
    user: &User,
    client_id: &str,
    id_token: bool,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    if !id_token {
        return Ok(serde_json::Map::new());
    }
    let attributes = claims::of(pool.store(), user).await?;
    Ok(claims::id_token(&attributes, pool.pool().client(client_id)))
}

/// What a token pair is signed for.
struct Signing<'a> {
    user: &'a User,
    client_id: &'a str,
    scope: &'a Scope,
    id_token: bool,
    auth_time: i64,
    origin_jti: &'a str,
    event_id: &'a str,
    nonce: Option<&'a str>,
    source: TokenSource,
}

/// Signs the ID (if wanted) and access tokens, as the pool's pre-token-generation
/// trigger (if it has one) changes them.
async fn signed(pool: &UserPool, signing: &Signing<'_>, now: i64) -> Result<tokens::Issued, Error> {
    let user = signing.user;
    let mut groups = Memberships::of(pool, &user.sub).await?;
    let customization = if triggers::event::configured(pool, Trigger::PreTokenGeneration) {
        let attributes = claims::of(pool.store(), user).await?;
        let planned = Planned {
            username: Some(&user.username),
            attributes: triggers::event::user_attributes(user, &attributes),
            groups: &groups.names,
            roles: &groups.roles,
            preferred_role: groups.preferred_role.as_deref(),
            scope: signing.scope,
        };
        let caller = Caller::of(signing.client_id);
        token::pre_token_generation(pool, caller, signing.source, planned).await?
    } else {
        None
    };
    let scope = match &customization {
        Some(customization) => {
            if let Some(names) = &customization.groups {
                groups.names.clone_from(names);
            }
            if let Some(roles) = &customization.roles {
                groups.roles.clone_from(roles);
            }
            if customization.preferred_role.is_some() {
                groups
                    .preferred_role
                    .clone_from(&customization.preferred_role);
            }
            customization.scope(signing.scope)
        }
        None => signing.scope.clone(),
    };
    tokens::issue(
        pool.pool(),
        pool.key(),
        &Grant {
            sub: &user.sub,
            username: &user.username,
            attributes: &readable_claims(pool, user, signing.client_id, signing.id_token).await?,
            groups: &groups.names,
            roles: &groups.roles,
            preferred_role: groups.preferred_role.as_deref(),
            client_id: signing.client_id,
            scope: &scope,
            id_token: signing.id_token,
            auth_time: signing.auth_time,
            origin_jti: signing.origin_jti,
            event_id: signing.event_id,
            nonce: signing.nonce,
            id_changes: customization.as_ref().map(|c| &c.id_token),
            access_changes: customization.as_ref().map(|c| &c.access_token),
        },
        now,
    )
}

/// Signs the ID (if wanted) and access tokens of a new sign-in.
async fn sign(
    pool: &UserPool,
    auth: &Authentication<'_>,
    origin_jti: &str,
    now: i64,
) -> Result<tokens::Issued, Error> {
    let signing = Signing {
        user: auth.user,
        client_id: auth.client_id,
        scope: auth.scope,
        id_token: wants_id_token(auth.scope, matches!(auth.source, Source::Api)),
        auth_time: auth.auth_time,
        origin_jti,
        event_id: auth.event_id,
        nonce: auth.nonce,
        source: match auth.source {
            Source::Api => TokenSource::Authentication,
            Source::AuthorizationCode(_) | Source::Implicit => TokenSource::HostedAuth,
        },
    };
    signed(pool, &signing, now).await
}

/// The access token of the `client_credentials` grant, as a version-3
/// pre-token-generation trigger (if the pool has one) changes it.
pub(crate) async fn for_client(
    pool: &UserPool,
    client_id: &str,
    scope: &Scope,
    now: i64,
) -> Result<String, Error> {
    let planned = Planned {
        username: None,
        attributes: serde_json::json!({}),
        groups: &[],
        roles: &[],
        preferred_role: None,
        scope,
    };
    let caller = Caller::of(client_id);
    let source = TokenSource::ClientCredentials;
    let customization = token::pre_token_generation(pool, caller, source, planned).await?;
    let scope = customization
        .as_ref()
        .map_or_else(|| scope.clone(), |c| c.scope(scope));
    let changes = customization.as_ref().map(|c| &c.access_token);
    tokens::issue_for_client(pool.pool(), pool.key(), client_id, &scope, changes, now)
}

/// Tokens for a new sign-in, with a refresh token.
pub(crate) async fn start(
    pool: &UserPool,
    auth: &Authentication<'_>,
    now: i64,
) -> Result<Tokens, Error> {
    let origin_jti = secrets::uuid()?;
    let signed = sign(pool, auth, &origin_jti, now).await?;
    let refresh_token = secrets::token()?;
    store_refresh_token(pool, &refresh_token, auth, origin_jti, now).await?;
    Ok(Tokens {
        id_token: signed.id_token,
        access_token: signed.access_token,
        refresh_token: Some(refresh_token),
        expires_in: pool.pool().access_token_seconds(auth.client_id),
    })
}

/// Tokens for the implicit grant: ID and access tokens only, as Cognito issues them.
pub(crate) async fn implicit(
    pool: &UserPool,
    auth: &Authentication<'_>,
    now: i64,
) -> Result<Tokens, Error> {
    let signed = sign(pool, auth, &secrets::uuid()?, now).await?;
    Ok(Tokens {
        id_token: signed.id_token,
        access_token: signed.access_token,
        refresh_token: None,
        expires_in: pool.pool().access_token_seconds(auth.client_id),
    })
}

async fn store_refresh_token(
    pool: &UserPool,
    refresh_token: &str,
    auth: &Authentication<'_>,
    origin_jti: String,
    now: i64,
) -> Result<(), Error> {
    pool.store()
        .insert_refresh_token(&RefreshToken {
            token_hash: secrets::digest(refresh_token),
            client_id: auth.client_id.to_owned(),
            sub: auth.user.sub.clone(),
            scope: auth.scope.clone(),
            auth_time: auth.auth_time,
            origin_jti,
            event_id: auth.event_id.to_owned(),
            auth_code_hash: match auth.source {
                Source::AuthorizationCode(hash) => Some(hash.to_owned()),
                Source::Implicit | Source::Api => None,
            },
            expires_at: now + pool.pool().refresh_token_seconds(auth.client_id),
        })
        .await
}

/// Why a refresh token got no tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshRefusal {
    /// Unknown, expired, revoked, of another client, or its user may hold no tokens.
    Invalid,
    /// Rotated out and presented again after the grace period: its sign-in has ended.
    Reused,
}

/// New ID and access tokens from a live refresh token of `client`, for a user
/// who may still hold tokens; a refusal otherwise. A client with rotation also gets
/// a new refresh token; a retired one presented again within the client's
/// grace period is a retry (two requests refreshing at once) and gets a
/// successor of its own, and after it revokes the sign-in (RFC 9700 §4.14.2).
pub(crate) async fn refresh(
    pool: &UserPool,
    client: &Client,
    presented: &str,
    now: i64,
) -> Result<Result<Tokens, RefreshRefusal>, Error> {
    let presented_hash = secrets::digest(presented);
    let live = pool
        .store()
        .live_refresh_token(&presented_hash, now)
        .await?
        .filter(|t| t.client_id == client.id);
    let (stored, retired) = match live {
        Some(stored) => (stored, false),
        None => match in_grace(pool, client, &presented_hash, now).await? {
            Some(stored) => (stored, true),
            None => {
                return Ok(Err(
                    if revoke_if_replayed(pool, client, &presented_hash, now).await? {
                        RefreshRefusal::Reused
                    } else {
                        RefreshRefusal::Invalid
                    },
                ));
            }
        },
    };
    let Some(user) = pool
        .store()
        .user(&stored.sub)
        .await?
        .filter(User::can_hold_tokens)
    else {
        return Ok(Err(RefreshRefusal::Invalid));
    };
    // Signed before a rotation is stored: a trigger that refuses leaves the token as it was.
    let signing = Signing {
        user: &user,
        client_id: &client.id,
        scope: &stored.scope,
        id_token: wants_id_token(&stored.scope, stored.auth_code_hash.is_none()),
        auth_time: stored.auth_time,
        origin_jti: &stored.origin_jti,
        event_id: &stored.event_id,
        // The nonce belongs to the original authentication response only.
        nonce: None,
        source: TokenSource::RefreshTokens,
    };
    let signed = signed(pool, &signing, now).await?;
    let refresh_token = if client.refresh_token_rotation {
        let successor = secrets::token()?;
        let row = RefreshToken {
            token_hash: secrets::digest(&successor),
            ..stored.clone()
        };
        if retired {
            pool.store().insert_refresh_token(&row).await?;
        } else if !pool
            .store()
            .rotate_refresh_token(&presented_hash, &row, now)
            .await?
        {
            // Rotated by a concurrent request a moment ago: within the grace
            // period that is a retry; otherwise one of the two is a thief.
            if in_grace(pool, client, &presented_hash, now)
                .await?
                .is_none()
            {
                pool.store()
                    .revoke_refresh_family(&presented_hash, &client.id, now)
                    .await?;
                return Ok(Err(RefreshRefusal::Reused));
            }
            pool.store().insert_refresh_token(&row).await?;
        }
        Some(successor)
    } else {
        None
    };
    Ok(Ok(Tokens {
        id_token: signed.id_token,
        access_token: signed.access_token,
        refresh_token,
        expires_in: pool.pool().access_token_seconds(&client.id),
    }))
}

/// The retired refresh token `token_hash` of a rotating `client`, if it was
/// rotated out within the client's grace period.
async fn in_grace(
    pool: &UserPool,
    client: &Client,
    token_hash: &str,
    now: i64,
) -> Result<Option<RefreshToken>, Error> {
    if !client.refresh_token_rotation || client.refresh_token_grace_seconds == 0 {
        return Ok(None);
    }
    pool.store()
        .refresh_token_in_grace(
            token_hash,
            &client.id,
            now - client.refresh_token_grace_seconds,
            now,
        )
        .await
}

/// A retired refresh token presented after its grace period was stolen (or
/// its holder's successor was): the whole sign-in ends. Whether it was one.
async fn revoke_if_replayed(
    pool: &UserPool,
    client: &Client,
    token_hash: &str,
    now: i64,
) -> Result<bool, Error> {
    let replayed = pool
        .store()
        .refresh_token_rotated(token_hash, &client.id)
        .await?;
    if replayed {
        let revoked = pool
            .store()
            .revoke_refresh_family(token_hash, &client.id, now)
            .await?;
        tracing::warn!(
            revoked,
            "a retired refresh token was replayed; its sign-in is revoked"
        );
    }
    Ok(replayed)
}

/// The user a live access token was issued to, and the token's scopes.
pub(crate) struct Holder {
    pub(crate) user: User,
    pub(crate) scope: Scope,
    /// The app client the token was issued to.
    pub(crate) client_id: String,
}

impl Holder {
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scope.contains(scope)
    }
}

#[derive(Deserialize)]
struct AccessClaims {
    sub: String,
    token_use: String,
    scope: Scope,
    origin_jti: String,
    client_id: String,
}

/// Checks an access token: this pool's signature, unexpired, an access token,
/// from a sign-in not revoked since, of a user who may still hold tokens.
pub(crate) async fn holder(pool: &UserPool, access_token: &str) -> Result<Option<Holder>, Error> {
    let Some(claims) = pool
        .key()
        .verify::<AccessClaims>(access_token, pool.pool().issuer())
        .filter(|claims| claims.token_use == "access")
    else {
        return Ok(None);
    };
    if pool.store().origin_revoked(&claims.origin_jti).await? {
        return Ok(None);
    }
    let user = pool
        .store()
        .user(&claims.sub)
        .await?
        .filter(User::can_hold_tokens);
    Ok(user.map(|user| Holder {
        user,
        scope: claims.scope,
        client_id: claims.client_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, precedence: Option<i64>, role: Option<&str>) -> Group {
        Group {
            name: name.to_owned(),
            description: None,
            precedence,
            role_arn: role.map(str::to_owned),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_preferred_role_is_the_best_placed_groups_if_they_agree() {
        const READ: &str = "arn:aws:iam::123456789012:role/read";
        const WRITE: &str = "arn:aws:iam::123456789012:role/write";
        let memberships = Memberships::from_groups(&[
            group("none", Some(0), None),
            group("writers", Some(1), Some(WRITE)),
            group("readers", Some(2), Some(READ)),
            group("also-readers", None, Some(READ)),
        ]);
        assert_eq!(
            memberships.names,
            ["none", "writers", "readers", "also-readers"]
        );
        assert_eq!(memberships.roles, [WRITE, READ]);
        assert_eq!(memberships.preferred_role.as_deref(), Some(WRITE));

        // Two roles at the same precedence: neither is preferred.
        let tied = [
            group("a", Some(1), Some(WRITE)),
            group("b", Some(1), Some(READ)),
        ];
        assert_eq!(Memberships::from_groups(&tied).preferred_role, None);
        // The same role twice at the same precedence: that one.
        let agreed = [
            group("a", Some(1), Some(READ)),
            group("b", Some(1), Some(READ)),
        ];
        assert_eq!(
            Memberships::from_groups(&agreed).preferred_role.as_deref(),
            Some(READ)
        );
        // No precedence at all counts as equal.
        let unplaced = [group("a", None, Some(WRITE)), group("b", None, Some(READ))];
        assert_eq!(Memberships::from_groups(&unplaced).preferred_role, None);
        assert!(Memberships::from_groups(&[]).roles.is_empty());
    }
}
