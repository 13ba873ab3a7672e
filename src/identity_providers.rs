//! Upstream identity providers as resources of their pool (CreateIdentityProvider
//! and the rest): an OpenID provider's name, type, details (client, issuer,
//! scopes, endpoints), attribute mapping and identifiers, checked and completed
//! as Cognito does. Signing people in through one is `federation`'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pools::InvalidSetting;

/// Cognito's `IdentityProviderTypeType`, of the types this pool signs people in through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ProviderType {
    #[serde(rename = "OIDC")]
    Oidc,
    Google,
}

impl ProviderType {
    /// The type Cognito names `given`; the types it has that this pool does not
    /// sign people in through (SAML, Facebook, ...) are refused by name.
    pub(crate) fn named(given: &str) -> Result<ProviderType, InvalidSetting> {
        match given {
            "OIDC" => Ok(ProviderType::Oidc),
            "Google" => Ok(ProviderType::Google),
            "SAML" | "Facebook" | "LoginWithAmazon" | "SignInWithApple" => Err(invalid(format!(
                "Provider type {given} is not supported by this user pool: OIDC and Google are."
            ))),
            _ => Err(invalid(format!(
                "1 validation error detected: Value '{given}' at 'providerType' failed to satisfy constraint: Member must satisfy enum value set: [SAML, Facebook, Google, LoginWithAmazon, SignInWithApple, OIDC]"
            ))),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProviderType::Oidc => "OIDC",
            ProviderType::Google => "Google",
        }
    }
}

/// The `ProviderDetails` keys of an OIDC provider: those Cognito requires, then
/// the endpoints it takes where discovery from `oidc_issuer` does not give them.
const OIDC_REQUIRED: &[&str] = &["client_id", "authorize_scopes", "oidc_issuer"];
const OIDC_OPTIONAL: &[&str] = &[
    "client_secret",
    "attributes_request_method",
    "authorize_url",
    "token_url",
    "attributes_url",
    "jwks_uri",
    "attributes_url_add_attributes",
];
const ENDPOINTS: &[&str] = &[
    "oidc_issuer",
    "authorize_url",
    "token_url",
    "attributes_url",
    "jwks_uri",
];

/// Google's fixed endpoints, which Cognito fills in for a `Google` provider.
const GOOGLE: &[(&str, &str)] = &[
    (
        "attributes_url",
        "https://people.googleapis.com/v1/people/me?personFields=",
    ),
    ("attributes_url_add_attributes", "true"),
    (
        "authorize_url",
        "https://accounts.google.com/o/oauth2/v2/auth",
    ),
    ("oidc_issuer", "https://accounts.google.com"),
    ("token_request_method", "POST"),
    ("token_url", "https://www.googleapis.com/oauth2/v4/token"),
    ("jwks_uri", "https://www.googleapis.com/oauth2/v3/certs"),
];

/// An upstream identity provider of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityProvider {
    pub(crate) name: String,
    pub(crate) provider_type: ProviderType,
    pub(crate) details: BTreeMap<String, String>,
    /// Pool attribute → the upstream's claim.
    pub(crate) attribute_mapping: BTreeMap<String, String>,
    /// `IdpIdentifiers`: names (email domains, say) that `idp_identifier=` picks it by.
    pub(crate) identifiers: Vec<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

fn invalid(message: impl Into<String>) -> InvalidSetting {
    InvalidSetting::Parameter(message.into())
}

/// Whether `name` fits Cognito's `ProviderName`: 1 to 32 characters, matching
/// `[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+`, and not `COGNITO` (the pool's own users).
pub(crate) fn valid_name(name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    let plain = |c: &char| *c != '_' && !c.is_whitespace();
    chars.len() >= 3
        && chars.len() <= 32
        && chars.first().is_some_and(plain)
        && chars
            .get(1)
            .is_some_and(|c| !c.is_whitespace() && !c.is_control())
        && chars.iter().skip(2).all(plain)
        && !name.eq_ignore_ascii_case("COGNITO")
}

fn http_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|url| {
        matches!(url.scheme(), "https" | "http") && url.host().is_some() && url.fragment().is_none()
    })
}

impl IdentityProvider {
    /// Checks it as Cognito does and fills in what Cognito adds: Google's
    /// endpoints, `attributes_request_method` GET, and `username` mapped from `sub`.
    pub(crate) fn validated(mut self) -> Result<IdentityProvider, InvalidSetting> {
        if !valid_name(&self.name) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'providerName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^_\\p{{Z}}][\\p{{L}}\\p{{M}}\\p{{S}}\\p{{N}}\\p{{P}}][^_\\p{{Z}}]+ and have length between 1 and 32",
                self.name
            )));
        }
        let allowed: &[&str] = match self.provider_type {
            ProviderType::Oidc => OIDC_OPTIONAL,
            ProviderType::Google => &["client_secret"],
        };
        let required: &[&str] = match self.provider_type {
            ProviderType::Oidc => OIDC_REQUIRED,
            ProviderType::Google => &["client_id", "client_secret", "authorize_scopes"],
        };
        if self.provider_type == ProviderType::Google {
            // Cognito's own values; what a request gives for them is replaced.
            for (key, _) in GOOGLE {
                self.details.remove(*key);
            }
        }
        for key in self.details.keys() {
            if !required.contains(&key.as_str()) && !allowed.contains(&key.as_str()) {
                return Err(invalid(format!(
                    "{key} is not a valid provider detail for a {} provider.",
                    self.provider_type.as_str()
                )));
            }
        }
        for key in required {
            if self.details.get(*key).is_none_or(|v| v.trim().is_empty()) {
                return Err(invalid(format!(
                    "{key} is required for a {} provider.",
                    self.provider_type.as_str()
                )));
            }
        }
        if !self.scopes().any(|s| s == "openid") {
            return Err(invalid("authorize_scopes must include openid."));
        }
        for key in ENDPOINTS {
            if let Some(value) = self.details.get(*key)
                && !http_url(value)
            {
                return Err(invalid(format!("{key} must be an http or https URL.")));
            }
        }
        match self.provider_type {
            ProviderType::Oidc => {
                let method = self
                    .details
                    .entry("attributes_request_method".to_owned())
                    .or_insert_with(|| "GET".to_owned());
                if method != "GET" && method != "POST" {
                    return Err(invalid("attributes_request_method must be GET or POST."));
                }
                self.details.insert(
                    "attributes_url_add_attributes".to_owned(),
                    "false".to_owned(),
                );
            }
            ProviderType::Google => {
                for (key, value) in GOOGLE {
                    self.details.insert((*key).to_owned(), (*value).to_owned());
                }
            }
        }
        for (attribute, claim) in &self.attribute_mapping {
            let known = attribute == "username"
                || crate::schema::is_standard(attribute)
                || attribute.starts_with("custom:");
            if !known || attribute.chars().count() > 32 || claim.is_empty() || claim.len() > 131_072
            {
                return Err(invalid(format!(
                    "The attribute mapping of {attribute} is not valid: map a standard or custom attribute (or username) to a claim of the provider."
                )));
            }
        }
        self.attribute_mapping
            .entry("username".to_owned())
            .or_insert_with(|| "sub".to_owned());
        if self.identifiers.len() > 50 {
            return Err(invalid(
                "1 validation error detected: Value at 'idpIdentifiers' failed to satisfy constraint: Member must have length less than or equal to 50",
            ));
        }
        for identifier in &self.identifiers {
            let fits = (1..=40).contains(&identifier.chars().count())
                && identifier.chars().all(|c| {
                    c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=.@-".contains(c)
                });
            if !fits {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{identifier}' at 'idpIdentifiers' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=.@-]+ and have length between 1 and 40"
                )));
            }
        }
        Ok(self)
    }

    pub(crate) fn detail(&self, key: &str) -> Option<&str> {
        self.details.get(key).map(String::as_str)
    }

    /// The scopes the pool asks the upstream for (`authorize_scopes`).
    pub(crate) fn scopes(&self) -> impl Iterator<Item = &str> {
        self.detail("authorize_scopes")
            .unwrap_or_default()
            .split([' ', ','])
            .filter(|s| !s.is_empty())
    }

    /// The username of a user it vouches for, as Cognito makes it: `<ProviderName>_<sub>`.
    pub(crate) fn username_for(&self, upstream_sub: &str) -> String {
        format!("{}_{upstream_sub}", self.name)
    }

    /// The group Cognito puts every user it signs in into: `<pool id>_<ProviderName>`.
    pub(crate) fn group(&self, pool_id: &str) -> String {
        format!("{pool_id}_{}", self.name)
    }

    /// Whether `identifier` (an `idp_identifier=`) names it; Cognito compares them exactly.
    pub(crate) fn is_identified_by(&self, identifier: &str) -> bool {
        self.identifiers.iter().any(|own| own == identifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(details: &[(&str, &str)]) -> IdentityProvider {
        IdentityProvider {
            name: "Upstream".into(),
            provider_type: ProviderType::Oidc,
            details: details
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            attribute_mapping: [("email".to_owned(), "email".to_owned())].into(),
            identifiers: vec!["example.com".into()],
            created_at: 0,
            updated_at: 0,
        }
    }

    const OIDC: &[(&str, &str)] = &[
        ("client_id", "pool"),
        ("client_secret", "s3cret"),
        ("authorize_scopes", "openid email"),
        ("oidc_issuer", "http://127.0.0.1:3500"),
    ];

    #[test]
    fn an_oidc_provider_gets_cognitos_defaults() {
        let provider = upstream(OIDC).validated().unwrap();
        assert_eq!(provider.detail("attributes_request_method"), Some("GET"));
        assert_eq!(
            provider.detail("attributes_url_add_attributes"),
            Some("false")
        );
        assert_eq!(provider.attribute_mapping["username"], "sub");
        assert_eq!(provider.username_for("abc"), "Upstream_abc");
        assert_eq!(provider.group("eu-west-1_X"), "eu-west-1_X_Upstream");
        assert!(provider.is_identified_by("example.com"));
        assert!(!provider.is_identified_by("Example.com"));
    }

    #[test]
    fn what_cognito_refuses_is_refused() {
        let without_issuer = &OIDC[..3];
        assert!(upstream(without_issuer).validated().is_err());
        let mut details = OIDC.to_vec();
        details.push(("metadata_url", "x"));
        assert!(upstream(&details).validated().is_err());
        let no_openid = [
            ("client_id", "pool"),
            ("authorize_scopes", "email"),
            ("oidc_issuer", "https://id.example.com"),
        ];
        assert!(upstream(&no_openid).validated().is_err());
        let not_a_url = [
            ("client_id", "pool"),
            ("authorize_scopes", "openid"),
            ("oidc_issuer", "javascript:alert(1)"),
        ];
        assert!(upstream(&not_a_url).validated().is_err());
        for name in [
            "COGNITO",
            "_Up",
            "Up stream",
            "Up_stream",
            "ab",
            &"x".repeat(33),
        ] {
            let mut provider = upstream(OIDC);
            provider.name = name.to_owned();
            assert!(provider.validated().is_err(), "{name}");
        }
        let mut provider = upstream(OIDC);
        provider
            .attribute_mapping
            .insert("favourite".into(), "x".into());
        assert!(provider.validated().is_err());
        assert!(ProviderType::named("SAML").is_err());
        assert!(ProviderType::named("Okta").is_err());
    }

    #[test]
    fn google_has_googles_endpoints() {
        let mut provider = upstream(&[
            ("client_id", "g"),
            ("client_secret", "s"),
            ("authorize_scopes", "openid email profile"),
            ("token_url", "https://evil.example.com/token"),
        ]);
        provider.provider_type = ProviderType::Google;
        let provider = provider.validated().unwrap();
        assert_eq!(
            provider.detail("oidc_issuer"),
            Some("https://accounts.google.com")
        );
        assert_eq!(
            provider.detail("token_url"),
            Some("https://www.googleapis.com/oauth2/v4/token")
        );
    }
}
