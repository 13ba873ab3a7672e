//! A user's attributes, and how each place that shows them selects and types
//! them: the JSON API lists all of them as strings, the ID token carries those
//! the client may read (`*_verified` as booleans, `address` as an object, as
//! Cognito's ID tokens do), and `/oauth2/userInfo` those the access token's
//! scopes name (OpenID Connect Core §5.4), as strings.

use serde_json::{Map, Value};

use crate::config::Client;
use crate::error::Error;
use crate::scope::Scope;
use crate::store::{FederatedIdentity, Store, User};

/// Every attribute of `user`, as Cognito lists them: `sub` first, the email
/// and whether it is verified, then the others by name.
pub(crate) async fn of(store: &Store, user: &User) -> Result<Vec<(String, String)>, Error> {
    let stored = store.attributes(&user.sub).await?;
    let mut attributes = vec![("sub".to_owned(), user.sub.clone())];
    if let Some(email) = &user.email {
        attributes.push(("email".to_owned(), email.clone()));
        let verified = email_verified(user, &stored);
        attributes.push(("email_verified".to_owned(), verified.to_string()));
    }
    attributes.extend(
        stored
            .into_iter()
            .filter(|(name, _)| name != "email_verified"),
    );
    let identities = store.identities_of(&user.sub).await?;
    if !identities.is_empty() {
        let list = FederatedIdentity::cognito_list(&identities);
        attributes.push(("identities".to_owned(), list.to_string()));
    }
    Ok(attributes)
}

/// Whether the user's address is verified: as an administrator set it
/// (`stored` attributes), else by confirming the account with a mailed code.
pub(crate) fn email_verified(user: &User, stored: &[(String, String)]) -> bool {
    user.email.is_some()
        && stored
            .iter()
            .find(|(name, _)| name == "email_verified")
            .map_or(user.confirmed, |(_, value)| value == "true")
}

/// The claims of OpenID Connect's `profile` scope (Core §5.4).
const PROFILE: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];

/// The attributes a client may read, as ID-token claims (`sub` left out: the
/// token has it already). `client` is None for a client no longer there.
pub(crate) fn id_token(
    attributes: &[(String, String)],
    client: Option<&Client>,
) -> Map<String, Value> {
    attributes
        .iter()
        .filter(|(name, _)| name != "sub" && client.is_none_or(|c| c.reads(name)))
        .map(|(name, value)| (name.clone(), typed(name, value)))
        .collect()
}

fn typed(name: &str, value: &str) -> Value {
    match name {
        "email_verified" | "phone_number_verified" => Value::Bool(value == "true"),
        "address" => serde_json::json!({ "formatted": value }),
        // An array in Cognito's id tokens, its JSON text as an attribute.
        "identities" => {
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()))
        }
        _ => Value::String(value.to_owned()),
    }
}

/// The attributes `/oauth2/userInfo` answers with for an access token with
/// `scope` (which has `openid`): with no other OpenID scope, all the client
/// may read, as Cognito answers; otherwise those the scopes name.
pub(crate) fn user_info(
    attributes: &[(String, String)],
    client: Option<&Client>,
    scope: &Scope,
) -> Map<String, Value> {
    let by_scope = ["profile", "email", "phone", "address"]
        .iter()
        .any(|s| scope.contains(s));
    let named = |name: &str| match name {
        "sub" => true,
        "email" | "email_verified" => scope.contains("email"),
        "phone_number" | "phone_number_verified" => scope.contains("phone"),
        "address" => scope.contains("address"),
        _ => scope.contains("profile") && PROFILE.contains(&name),
    };
    attributes
        .iter()
        .filter(|(name, _)| client.is_none_or(|c| c.reads(name)))
        .filter(|(name, _)| !by_scope || named(name))
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes() -> Vec<(String, String)> {
        [
            ("sub", "s-1"),
            ("email", "a@example.com"),
            ("email_verified", "true"),
            ("address", "1 Main St"),
            ("custom:tenant", "acme"),
            ("name", "Ann"),
            ("phone_number", "+15555550100"),
            ("phone_number_verified", "false"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn id_tokens_type_the_claims_cognito_types() {
        let claims = id_token(&attributes(), None);
        assert!(!claims.contains_key("sub"));
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["phone_number_verified"], false);
        assert_eq!(
            claims["address"],
            serde_json::json!({ "formatted": "1 Main St" })
        );
        assert_eq!(claims["custom:tenant"], "acme");
    }

    #[test]
    fn user_info_follows_the_scopes() {
        let all = user_info(&attributes(), None, &Scope::parse("openid"));
        assert_eq!(all.len(), 8);
        assert_eq!(all["email_verified"], "true");

        let email = user_info(&attributes(), None, &Scope::parse("openid email"));
        let names: Vec<&str> = email.keys().map(String::as_str).collect();
        assert_eq!(names, ["email", "email_verified", "sub"]);

        let profile = user_info(&attributes(), None, &Scope::parse("openid profile phone"));
        let names: Vec<&str> = profile.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["name", "phone_number", "phone_number_verified", "sub"]
        );
    }
}
