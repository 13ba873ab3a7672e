//! The ID and access tokens, claim for claim as Cognito issues them, and their
//! signing. Refresh tokens are opaque (see `secrets::token`) and live in the store.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::keys::KeyRing;
use crate::pools::Pool;
use crate::scope::Scope;
use crate::secrets;

/// Everything a token pair is issued from: the user, the client and the
/// authentication event the tokens descend from.
pub(crate) struct Grant<'a> {
    pub(crate) sub: &'a str,
    /// Cognito's username (the sub where the email is the username).
    pub(crate) username: &'a str,
    /// The user's attributes the client may read, for the ID token (see `claims`).
    pub(crate) attributes: &'a Map<String, Value>,
    pub(crate) groups: &'a [String],
    /// The IAM roles of those groups (`cognito:roles`), and the one that takes
    /// precedence, if one does (`cognito:preferred_role`): ID tokens only.
    pub(crate) roles: &'a [String],
    pub(crate) preferred_role: Option<&'a str>,
    pub(crate) client_id: &'a str,
    pub(crate) scope: &'a Scope,
    pub(crate) id_token: bool,
    pub(crate) auth_time: i64,
    /// Shared by every token descending from one sign-in, refreshes included.
    pub(crate) origin_jti: &'a str,
    pub(crate) event_id: &'a str,
    pub(crate) nonce: Option<&'a str>,
    /// What a pre-token-generation trigger changes in each token.
    pub(crate) id_changes: Option<&'a ClaimChanges>,
    pub(crate) access_changes: Option<&'a ClaimChanges>,
}

/// Claims a pre-token-generation trigger adds, overrides or suppresses in one token.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ClaimChanges {
    pub(crate) add: Map<String, Value>,
    pub(crate) suppress: Vec<String>,
}

/// Claims no trigger changes: those the token's validity and its sign-in rest
/// on, and those changed another way (the groups, and the scope by its own lists).
const FIXED_CLAIMS: &[&str] = &[
    "acr",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "azp",
    "client_id",
    "cognito:groups",
    "cognito:preferred_role",
    "cognito:roles",
    "cognito:username",
    "event_id",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "scope",
    "sub",
    "token_use",
    "username",
    "version",
];

impl ClaimChanges {
    /// `claims` as changed: suppressed first, then added or overridden; the
    /// [`FIXED_CLAIMS`] stay as they were (Cognito ignores changes to them).
    fn apply(&self, claims: &impl Serialize) -> Result<Value, Error> {
        let mut claims = match serde_json::to_value(claims)? {
            Value::Object(claims) => claims,
            _ => Map::new(),
        };
        let changeable = |name: &str| !FIXED_CLAIMS.contains(&name);
        for name in self.suppress.iter().filter(|n| changeable(n)) {
            claims.remove(name);
        }
        for (name, value) in self.add.iter().filter(|(n, _)| changeable(n)) {
            claims.insert(name.clone(), value.clone());
        }
        Ok(Value::Object(claims))
    }
}

/// Signs `claims`, with `changes` where a trigger made some.
fn sign(
    key: &KeyRing,
    claims: &impl Serialize,
    changes: Option<&ClaimChanges>,
) -> Result<String, Error> {
    match changes {
        Some(changes) => key.sign(&changes.apply(claims)?),
        None => key.sign(claims),
    }
}

pub(crate) struct Issued {
    /// Only when the grant asks for one (see `grants`).
    pub(crate) id_token: Option<String>,
    pub(crate) access_token: String,
}

#[derive(Serialize)]
struct IdClaims<'a> {
    sub: &'a str,
    #[serde(
        rename = "cognito:groups",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    groups: &'a [String],
    #[serde(rename = "cognito:roles", skip_serializing_if = "<[String]>::is_empty")]
    roles: &'a [String],
    #[serde(
        rename = "cognito:preferred_role",
        skip_serializing_if = "Option::is_none"
    )]
    preferred_role: Option<&'a str>,
    iss: &'a str,
    #[serde(rename = "cognito:username")]
    username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    origin_jti: &'a str,
    aud: &'a str,
    event_id: &'a str,
    token_use: &'static str,
    auth_time: i64,
    exp: i64,
    iat: i64,
    jti: &'a str,
    #[serde(flatten)]
    attributes: &'a Map<String, Value>,
}

#[derive(Serialize)]
struct AccessClaims<'a> {
    sub: &'a str,
    #[serde(
        rename = "cognito:groups",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    groups: &'a [String],
    iss: &'a str,
    version: u8,
    client_id: &'a str,
    origin_jti: &'a str,
    event_id: &'a str,
    token_use: &'static str,
    scope: &'a Scope,
    auth_time: i64,
    exp: i64,
    iat: i64,
    jti: &'a str,
    username: &'a str,
}

/// The access token of the `client_credentials` grant: the client acts for
/// itself, so it is its own `sub`, and there is no user, ID token or sign-in.
#[derive(Serialize)]
struct ClientAccessClaims<'a> {
    sub: &'a str,
    token_use: &'static str,
    scope: &'a Scope,
    auth_time: i64,
    iss: &'a str,
    exp: i64,
    iat: i64,
    version: u8,
    jti: &'a str,
    client_id: &'a str,
}

pub(crate) fn issue_for_client(
    pool: &Pool,
    key: &KeyRing,
    client_id: &str,
    scope: &Scope,
    changes: Option<&ClaimChanges>,
    now: i64,
) -> Result<String, Error> {
    let claims = ClientAccessClaims {
        sub: client_id,
        token_use: "access",
        scope,
        auth_time: now,
        iss: pool.issuer(),
        exp: now + pool.access_token_seconds(client_id),
        iat: now,
        version: 2,
        jti: &secrets::uuid()?,
        client_id,
    };
    sign(key, &claims, changes)
}

pub(crate) fn issue(
    pool: &Pool,
    key: &KeyRing,
    grant: &Grant<'_>,
    now: i64,
) -> Result<Issued, Error> {
    let issuer = pool.issuer();
    let access_jti = secrets::uuid()?;
    let access_token = sign(
        key,
        &AccessClaims {
            sub: grant.sub,
            groups: grant.groups,
            iss: issuer,
            version: 2,
            client_id: grant.client_id,
            origin_jti: grant.origin_jti,
            event_id: grant.event_id,
            token_use: "access",
            scope: grant.scope,
            auth_time: grant.auth_time,
            exp: now + pool.access_token_seconds(grant.client_id),
            iat: now,
            jti: &access_jti,
            username: grant.username,
        },
        grant.access_changes,
    )?;
    let id_token = if grant.id_token {
        let id_jti = secrets::uuid()?;
        Some(sign(
            key,
            &IdClaims {
                sub: grant.sub,
                groups: grant.groups,
                roles: grant.roles,
                preferred_role: grant.preferred_role,
                iss: issuer,
                username: grant.username,
                nonce: grant.nonce,
                origin_jti: grant.origin_jti,
                aud: grant.client_id,
                event_id: grant.event_id,
                token_use: "id",
                auth_time: grant.auth_time,
                exp: now + pool.id_token_seconds(grant.client_id),
                iat: now,
                jti: &id_jti,
                attributes: grant.attributes,
            },
            grant.id_changes,
        )?)
    } else {
        None
    };
    Ok(Issued {
        id_token,
        access_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// The claims, unverified (signatures are checked in `keys` and the integration tests).
    fn payload(jwt: &str) -> serde_json::Value {
        let claims = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn claims_match_cognito() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&crate::store::test_database(dir.path()).await)
            .await
            .unwrap();
        let key = KeyRing::open(store, None).await.unwrap();
        let config = Pool::declared(&crate::Config::from_toml(crate::tests::CONFIG).unwrap());
        let groups = vec!["admins".to_owned()];
        let roles = vec!["arn:aws:iam::123456789012:role/admins".to_owned()];
        let attributes = crate::claims::id_token(
            &[
                ("email".to_owned(), "a@example.com".to_owned()),
                ("email_verified".to_owned(), "true".to_owned()),
                ("custom:tenant".to_owned(), "acme".to_owned()),
            ],
            None,
        );
        let grant = Grant {
            sub: "0b7c2f1e-0000-4000-8000-000000000000",
            username: "0b7c2f1e-0000-4000-8000-000000000000",
            attributes: &attributes,
            groups: &groups,
            roles: &roles,
            preferred_role: roles.first().map(String::as_str),
            client_id: "client",
            scope: &Scope::parse("openid email"),
            id_token: true,
            auth_time: 1000,
            origin_jti: "origin",
            event_id: "event",
            nonce: Some("n-0S6_WzA2Mj"),
            id_changes: None,
            access_changes: None,
        };
        let issued = issue(&config, &key, &grant, 2000).unwrap();

        let id = payload(&issued.id_token.unwrap());
        assert_eq!(id["token_use"], "id");
        assert_eq!(id["aud"], "client");
        assert_eq!(id["cognito:username"], grant.sub);
        assert_eq!(id["cognito:groups"], serde_json::json!(["admins"]));
        assert_eq!(id["cognito:roles"], serde_json::json!(roles));
        assert_eq!(id["cognito:preferred_role"], roles[0]);
        assert_eq!(id["email_verified"], true);
        assert_eq!(id["email"], "a@example.com");
        assert_eq!(id["custom:tenant"], "acme");
        assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(id["iss"], config.issuer());
        assert_eq!(id["exp"], 2000 + 3600);
        assert_eq!(id["auth_time"], 1000);

        let access = payload(&issued.access_token);
        assert_eq!(access["token_use"], "access");
        assert_eq!(access["client_id"], "client");
        assert_eq!(access["username"], grant.sub);
        assert_eq!(access["scope"], "openid email");
        assert_eq!(access["version"], 2);
        assert!(access.get("aud").is_none());
        assert_ne!(access["jti"], id["jti"]);
        assert_eq!(access["origin_jti"], id["origin_jti"]);

        // No ID token asked for: none; no groups: no claim.
        let issued = issue(
            &config,
            &key,
            &Grant {
                scope: &Scope::parse("email"),
                id_token: false,
                groups: &[],
                roles: &[],
                preferred_role: None,
                ..grant
            },
            2000,
        )
        .unwrap();
        assert!(issued.id_token.is_none());
        assert!(
            payload(&issued.access_token)
                .get("cognito:groups")
                .is_none()
        );
    }
}
