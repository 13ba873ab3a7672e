//! PreTokenGeneration: before a sign-in's tokens are signed, the function may
//! add, change or suppress claims and override the groups. Version 1 changes
//! the ID token; versions 2 and 3 the access token's claims and scopes too
//! (`claimsAndScopeOverrideDetails`), and version 3 is also asked about the
//! access tokens of the `client_credentials` grant.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::event::{self, Caller, Event};
use crate::UserPool;
use crate::error::Error;
use crate::lambda_config::{TokenVersion, Trigger};
use crate::scope::Scope;
use crate::tokens::ClaimChanges;

/// What the tokens are for (`TokenGeneration_<source>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// A sign-in through the hosted UI.
    HostedAuth,
    /// A sign-in through the API.
    Authentication,
    RefreshTokens,
    /// The `client_credentials` grant (version 3 only).
    ClientCredentials,
}

impl TokenSource {
    fn name(self) -> &'static str {
        match self {
            TokenSource::HostedAuth => "TokenGeneration_HostedAuth",
            TokenSource::Authentication => "TokenGeneration_Authentication",
            TokenSource::RefreshTokens => "TokenGeneration_RefreshTokens",
            TokenSource::ClientCredentials => "TokenGeneration_ClientCredentials",
        }
    }
}

/// What the tokens would carry without the trigger.
pub(crate) struct Planned<'a> {
    /// Cognito's username (None for a client acting for itself).
    pub(crate) username: Option<&'a str>,
    /// Every attribute of the user, as strings (`claims::of`).
    pub(crate) attributes: Value,
    pub(crate) groups: &'a [String],
    pub(crate) roles: &'a [String],
    pub(crate) preferred_role: Option<&'a str>,
    pub(crate) scope: &'a Scope,
}

/// The function's changes.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Customization {
    pub(crate) id_token: ClaimChanges,
    pub(crate) access_token: ClaimChanges,
    pub(crate) scopes_to_add: Vec<String>,
    pub(crate) scopes_to_suppress: Vec<String>,
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) roles: Option<Vec<String>>,
    pub(crate) preferred_role: Option<String>,
}

impl Customization {
    /// The access token's scope, as the function changed it.
    pub(crate) fn scope(&self, scope: &Scope) -> Scope {
        scope
            .tokens()
            .chain(self.scopes_to_add.iter().map(String::as_str))
            .filter(|token| !self.scopes_to_suppress.iter().any(|s| s == token))
            .collect()
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupOverride {
    groups_to_override: Option<Vec<String>>,
    iam_roles_to_override: Option<Vec<String>>,
    preferred_role: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenChanges<Claim> {
    #[serde(default = "BTreeMap::new")]
    claims_to_add_or_override: BTreeMap<String, Claim>,
    #[serde(default)]
    claims_to_suppress: Vec<String>,
    #[serde(default)]
    scopes_to_add: Vec<String>,
    #[serde(default)]
    scopes_to_suppress: Vec<String>,
}

impl<Claim: Into<Value>> TokenChanges<Claim> {
    fn claims(self) -> ClaimChanges {
        ClaimChanges {
            add: self
                .claims_to_add_or_override
                .into_iter()
                .map(|(name, value)| (name, value.into()))
                .collect::<Map<String, Value>>(),
            suppress: self.claims_to_suppress,
        }
    }
}

/// Version 1's `claimsOverrideDetails`: string claims for the ID token.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1 {
    #[serde(flatten)]
    id_token: TokenChanges<String>,
    group_override_details: Option<GroupOverride>,
}

/// Versions 2 and 3's `claimsAndScopeOverrideDetails`: claims of any JSON type.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2 {
    id_token_generation: Option<TokenChanges<Value>>,
    access_token_generation: Option<TokenChanges<Value>>,
    group_override_details: Option<GroupOverride>,
}

fn with_groups(mut customization: Customization, groups: Option<GroupOverride>) -> Customization {
    if let Some(groups) = groups {
        customization.groups = groups.groups_to_override;
        customization.roles = groups.iam_roles_to_override;
        customization.preferred_role = groups.preferred_role;
    }
    customization
}

/// Runs PreTokenGeneration, if the pool has it (and, for the `client_credentials`
/// grant, only at version 3).
pub(crate) async fn pre_token_generation(
    pool: &UserPool,
    caller: Caller<'_>,
    source: TokenSource,
    planned: Planned<'_>,
) -> Result<Option<Customization>, Error> {
    let version = pool.pool().lambda.token_version;
    if !event::configured(pool, Trigger::PreTokenGeneration)
        || (source == TokenSource::ClientCredentials && version != TokenVersion::V3)
    {
        return Ok(None);
    }
    let mut request = Map::new();
    request.insert("userAttributes".to_owned(), planned.attributes);
    let groups = json!({
        "groupsToOverride": planned.groups,
        "iamRolesToOverride": planned.roles,
        "preferredRole": planned.preferred_role,
    });
    request.insert("groupConfiguration".to_owned(), groups);
    let response = if version == TokenVersion::V1 {
        json!({ "claimsOverrideDetails": null })
    } else {
        let scopes = json!(planned.scope.tokens().collect::<Vec<_>>());
        request.insert("scopes".to_owned(), scopes);
        json!({ "claimsAndScopeOverrideDetails": null })
    };
    request.insert(
        "clientMetadata".to_owned(),
        event::metadata(caller.metadata),
    );
    let request = Value::Object(request);
    let Some(response) = event::send(
        pool,
        Event {
            trigger: Trigger::PreTokenGeneration,
            source: source.name(),
            user_name: planned.username,
            caller,
            request,
            response,
            version: version.event_version(),
        },
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(if version == TokenVersion::V1 {
        let v1: V1 = event::field(&response, "claimsOverrideDetails")?;
        let customization = Customization {
            id_token: v1.id_token.claims(),
            ..Customization::default()
        };
        with_groups(customization, v1.group_override_details)
    } else {
        let v2: V2 = event::field(&response, "claimsAndScopeOverrideDetails")?;
        let access = v2.access_token_generation.unwrap_or_default();
        let customization = Customization {
            id_token: v2.id_token_generation.unwrap_or_default().claims(),
            scopes_to_add: access.scopes_to_add.clone(),
            scopes_to_suppress: access.scopes_to_suppress.clone(),
            access_token: access.claims(),
            ..Customization::default()
        };
        with_groups(customization, v2.group_override_details)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_two_answers_change_both_tokens_and_the_scopes() {
        let v2: V2 = serde_json::from_value(json!({
            "idTokenGeneration": {"claimsToAddOrOverride": {"tier": "gold"}, "claimsToSuppress": ["email"]},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": {"id": 7}},
                "scopesToAdd": ["orders/read"],
                "scopesToSuppress": ["phone"]
            },
            "groupOverrideDetails": {"groupsToOverride": ["Admin"]}
        }))
        .unwrap();
        let access = v2.access_token_generation.unwrap();
        let customization = with_groups(
            Customization {
                id_token: v2.id_token_generation.unwrap().claims(),
                scopes_to_add: access.scopes_to_add.clone(),
                scopes_to_suppress: access.scopes_to_suppress.clone(),
                access_token: access.claims(),
                ..Customization::default()
            },
            v2.group_override_details,
        );
        assert_eq!(customization.id_token.add["tier"], "gold");
        assert_eq!(customization.access_token.add["tenant"]["id"], 7);
        assert_eq!(customization.groups, Some(vec!["Admin".to_owned()]));
        let scope = customization.scope(&Scope::parse("openid phone email"));
        assert_eq!(scope.to_string(), "openid email orders/read");
    }

    #[test]
    fn version_one_claims_are_strings() {
        assert!(serde_json::from_value::<V1>(json!({"claimsToAddOrOverride": {"n": 1}})).is_err());
        let v1: V1 = serde_json::from_value(json!({"claimsToAddOrOverride": {"n": "1"}})).unwrap();
        assert_eq!(v1.id_token.claims().add["n"], "1");
    }
}
