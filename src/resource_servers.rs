//! Resource servers as resources of their pool (CreateResourceServer and the
//! rest): an API's identifier, name and scopes, which make the custom scopes
//! (`<identifier>/<scope>`) app clients may be granted. The servers
//! `userpool.toml` declares take the same form when they are stored.

use serde::{Deserialize, Serialize};

use crate::pools::InvalidSetting;

/// Cognito's `ResourceServerScopeType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ResourceScope {
    pub(crate) scope_name: String,
    #[serde(default)]
    pub(crate) scope_description: String,
}

/// A resource server of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceServer {
    pub(crate) identifier: String,
    pub(crate) name: String,
    pub(crate) scopes: Vec<ResourceScope>,
}

impl ResourceServer {
    /// Its custom scopes, `<identifier>/<scope name>`.
    pub(crate) fn custom_scopes(&self) -> impl Iterator<Item = String> + '_ {
        self.scopes
            .iter()
            .map(|scope| format!("{}/{}", self.identifier, scope.scope_name))
    }

    /// Checks it as Cognito does: an identifier of 1 to 256 visible ASCII
    /// characters but `"` and `\`, a name of 1 to 256 word characters, spaces
    /// and `+=,.@-`, at most 100 scopes named like the identifier but without `/`, each once.
    pub(crate) fn validated(self) -> Result<ResourceServer, InvalidSetting> {
        let visible = |text: &str| {
            !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        };
        if !visible(&self.identifier) || self.identifier.len() > 256 {
            return Err(InvalidSetting::Parameter(format!(
                "1 validation error detected: Value '{}' at 'identifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\x21\\x23-\\x5B\\x5D-\\x7E]+ and have length between 1 and 256",
                self.identifier
            )));
        }
        let name_ok = self
            .name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c));
        if !name_ok || self.name.is_empty() || self.name.chars().count() > 256 {
            return Err(InvalidSetting::Parameter(format!(
                "1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+ and have length between 1 and 256",
                self.name
            )));
        }
        if self.scopes.len() > 100 {
            return Err(InvalidSetting::Parameter(
                "1 validation error detected: Value at 'scopes' failed to satisfy constraint: Member must have length less than or equal to 100".to_owned(),
            ));
        }
        for (i, scope) in self.scopes.iter().enumerate() {
            let name = &scope.scope_name;
            if !visible(name) || name.contains('/') || name.len() > 256 {
                return Err(InvalidSetting::Parameter(format!(
                    "1 validation error detected: Value '{name}' at 'scopes.{}.member.scopeName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+",
                    i + 1
                )));
            }
            if !(1..=256).contains(&scope.scope_description.chars().count()) {
                return Err(InvalidSetting::Parameter(format!(
                    "1 validation error detected: Value at 'scopes.{}.member.scopeDescription' failed to satisfy constraint: Member must have length between 1 and 256",
                    i + 1
                )));
            }
            if self.scopes.iter().take(i).any(|s| s.scope_name == *name) {
                return Err(InvalidSetting::Parameter(format!(
                    "The scope {name} appears twice."
                )));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(identifier: &str, scopes: &[&str]) -> ResourceServer {
        ResourceServer {
            identifier: identifier.to_owned(),
            name: "API".to_owned(),
            scopes: scopes
                .iter()
                .map(|name| ResourceScope {
                    scope_name: (*name).to_owned(),
                    scope_description: "A scope".to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn custom_scopes_are_the_identifier_and_the_scope() {
        let api = server("https://api.example.com", &["read", "write"])
            .validated()
            .unwrap();
        assert_eq!(
            api.custom_scopes().collect::<Vec<_>>(),
            [
                "https://api.example.com/read",
                "https://api.example.com/write"
            ]
        );
        for bad in [
            server("", &["read"]),
            server("has space", &["read"]),
            server("api", &["a/b"]),
            server("api", &["read", "read"]),
            server("say\"hi\"", &["read"]),
            server("back\\slash", &["read"]),
        ] {
            assert!(bad.clone().validated().is_err(), "{bad:?}");
        }
    }
}
