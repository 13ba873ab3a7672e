//! OAuth 2.0 scopes (RFC 6749 §3.3): a set of scope tokens, read from and
//! written as the space-separated string that requests, tokens and the
//! database carry. The set keeps its tokens in the order first given, so that
//! the strings it writes are stable (and the same as the pool always wrote).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Without duplicates, in first-seen order.
    tokens: Vec<String>,
}

impl Scope {
    /// The scope a space-separated string names; repeated tokens count once.
    pub(crate) fn parse(text: &str) -> Scope {
        text.split_whitespace().collect()
    }

    pub(crate) fn contains(&self, token: &str) -> bool {
        self.tokens.iter().any(|t| t == token)
    }

    pub(crate) fn tokens(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(String::as_str)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether every token of this scope is in `other`.
    pub(crate) fn is_subset(&self, other: &Scope) -> bool {
        self.tokens.iter().all(|t| other.contains(t))
    }

    /// The tokens of this scope that are also in `other`, in this scope's order.
    pub(crate) fn intersection(&self, other: &Scope) -> Scope {
        self.tokens
            .iter()
            .map(String::as_str)
            .filter(|t| other.contains(t))
            .collect()
    }
}

impl<'a> FromIterator<&'a str> for Scope {
    fn from_iter<I: IntoIterator<Item = &'a str>>(tokens: I) -> Scope {
        let mut scope = Scope::default();
        for token in tokens {
            if !scope.contains(token) {
                scope.tokens.push(token.to_owned());
            }
        }
        scope
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tokens.join(" "))
    }
}

/// As the space-separated string (the `scope` claim of access tokens).
impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scope, D::Error> {
        Ok(Scope::parse(&String::deserialize(deserializer)?))
    }
}

/// For the store's `scope` columns (`#[sqlx(try_from = "String")]`).
impl From<String> for Scope {
    fn from(text: String) -> Scope {
        Scope::parse(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_in_first_seen_order() {
        let scope = Scope::parse("  openid email openid\tprofile ");
        assert_eq!(scope.to_string(), "openid email profile");
        assert!(scope.contains("email"));
        assert!(!scope.contains("mail"));
        assert!(Scope::parse("").is_empty());
        assert_eq!(
            serde_json::to_value(&scope).unwrap(),
            serde_json::json!("openid email profile")
        );
        let read: Scope = serde_json::from_value(serde_json::json!("a b")).unwrap();
        assert_eq!(read, Scope::parse("a b"));
    }

    #[test]
    fn subsets_and_intersections() {
        let allowed = Scope::parse("openid email profile");
        let asked = Scope::parse("profile bogus openid");
        assert!(!asked.is_subset(&allowed));
        assert!(Scope::parse("email openid").is_subset(&allowed));
        assert!(Scope::default().is_subset(&allowed));
        assert_eq!(asked.intersection(&allowed).to_string(), "profile openid");
    }
}
