//! A pool's triggers as Cognito configures them (`LambdaConfig`: a Lambda
//! function's ARN per trigger, and which version of the pre-token-generation
//! event it takes), and where a server sends each ARN instead of Lambda: an
//! HTTP(S) webhook or a local command (`[triggers]` of `userpool.toml`).
//! A leaf: parsing and checking only; `triggers` calls them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The triggers a pool may have, by their `LambdaConfig` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Trigger {
    PreSignUp,
    PostConfirmation,
    PreAuthentication,
    PostAuthentication,
    PreTokenGeneration,
    CustomMessage,
    UserMigration,
    DefineAuthChallenge,
    CreateAuthChallenge,
    VerifyAuthChallengeResponse,
}

impl Trigger {
    pub(crate) const ALL: [Trigger; 10] = [
        Trigger::PreSignUp,
        Trigger::PostConfirmation,
        Trigger::PreAuthentication,
        Trigger::PostAuthentication,
        Trigger::PreTokenGeneration,
        Trigger::CustomMessage,
        Trigger::UserMigration,
        Trigger::DefineAuthChallenge,
        Trigger::CreateAuthChallenge,
        Trigger::VerifyAuthChallengeResponse,
    ];

    /// Its key in `LambdaConfig`, and the name its errors carry.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Trigger::PreSignUp => "PreSignUp",
            Trigger::PostConfirmation => "PostConfirmation",
            Trigger::PreAuthentication => "PreAuthentication",
            Trigger::PostAuthentication => "PostAuthentication",
            Trigger::PreTokenGeneration => "PreTokenGeneration",
            Trigger::CustomMessage => "CustomMessage",
            Trigger::UserMigration => "UserMigration",
            Trigger::DefineAuthChallenge => "DefineAuthChallenge",
            Trigger::CreateAuthChallenge => "CreateAuthChallenge",
            Trigger::VerifyAuthChallengeResponse => "VerifyAuthChallengeResponse",
        }
    }
}

/// The version of the pre-token-generation event (`PreTokenGenerationConfig.LambdaVersion`):
/// V1 changes the ID token only; V2 the access token's claims and scopes too;
/// V3 also the access tokens of the `client_credentials` grant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TokenVersion {
    #[default]
    V1,
    V2,
    V3,
}

impl TokenVersion {
    fn parse(name: &str) -> Option<TokenVersion> {
        match name {
            "V1_0" => Some(TokenVersion::V1),
            "V2_0" => Some(TokenVersion::V2),
            "V3_0" => Some(TokenVersion::V3),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            TokenVersion::V1 => "V1_0",
            TokenVersion::V2 => "V2_0",
            TokenVersion::V3 => "V3_0",
        }
    }

    /// The event's `version` field.
    pub(crate) fn event_version(self) -> &'static str {
        match self {
            TokenVersion::V1 => "1",
            TokenVersion::V2 => "2",
            TokenVersion::V3 => "3",
        }
    }
}

/// A pool's `LambdaConfig`, as far as triggers go: the ARN of each trigger's
/// function. (`CustomEmailSender`, `CustomSMSSender` and `KMSKeyID` are kept
/// as given but not called: mail goes out through `[smtp]`.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LambdaConfig {
    functions: BTreeMap<Trigger, String>,
    pub(crate) token_version: TokenVersion,
}

/// Cognito's pattern for a Lambda function's ARN, checked by hand:
/// `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
pub(crate) fn is_lambda_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=/,.@-_".contains(c))
    };
    (20..=2048).contains(&arn.len())
        && (7..=8).contains(&parts.len())
        && parts.first() == Some(&"arn")
        && parts.iter().skip(1).all(|p| p.is_empty() || word(p))
        && parts.get(1).is_some_and(|p| !p.is_empty())
        && parts
            .get(4)
            .is_some_and(|a| a.chars().all(|c| c.is_ascii_digit()) && !a.is_empty())
        && parts.get(6).is_some_and(|name| !name.is_empty())
}

impl LambdaConfig {
    /// Reads a `LambdaConfig` object, refusing what Cognito refuses, with its message.
    pub(crate) fn from_json(value: &Value) -> Result<LambdaConfig, String> {
        let Some(object) = value.as_object() else {
            return Err("LambdaConfig must be an object.".to_owned());
        };
        let mut config = LambdaConfig::default();
        for trigger in Trigger::ALL {
            if let Some(arn) = object.get(trigger.name()) {
                config
                    .functions
                    .insert(trigger, checked_arn(trigger.name(), arn)?);
            }
        }
        if let Some(token) = object.get("PreTokenGenerationConfig") {
            let token = token
                .as_object()
                .ok_or("PreTokenGenerationConfig must be an object.")?;
            let version = token
                .get("LambdaVersion")
                .and_then(Value::as_str)
                .ok_or("PreTokenGenerationConfig.LambdaVersion is required.")?;
            config.token_version = TokenVersion::parse(version).ok_or_else(|| {
                format!("1 validation error detected: Value '{version}' at 'lambdaConfig.preTokenGenerationConfig.lambdaVersion' failed to satisfy constraint: Member must satisfy enum value set: [V1_0, V2_0, V3_0]")
            })?;
            let arn = checked_arn(
                "PreTokenGenerationConfig.LambdaArn",
                token
                    .get("LambdaArn")
                    .ok_or("PreTokenGenerationConfig.LambdaArn is required.")?,
            )?;
            match config.functions.get(&Trigger::PreTokenGeneration) {
                Some(other) if *other != arn => {
                    return Err("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same function.".to_owned());
                }
                _ => {
                    config.functions.insert(Trigger::PreTokenGeneration, arn);
                }
            }
        }
        Ok(config)
    }

    /// The `LambdaConfig` object DescribeUserPool returns for this configuration.
    pub(crate) fn to_json(&self) -> Value {
        let mut object: Map<String, Value> = self
            .functions
            .iter()
            .map(|(trigger, arn)| (trigger.name().to_owned(), Value::String(arn.clone())))
            .collect();
        if let Some(arn) = self.functions.get(&Trigger::PreTokenGeneration) {
            object.insert(
                "PreTokenGenerationConfig".to_owned(),
                serde_json::json!({ "LambdaVersion": self.token_version.name(), "LambdaArn": arn }),
            );
        }
        Value::Object(object)
    }

    /// The ARN of the function `trigger` calls, if the pool has one.
    pub(crate) fn function(&self, trigger: Trigger) -> Option<&str> {
        self.functions.get(&trigger).map(String::as_str)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }
}

fn checked_arn(field: &str, value: &Value) -> Result<String, String> {
    match value.as_str() {
        Some(arn) if is_lambda_arn(arn) => Ok(arn.to_owned()),
        _ => Err(format!(
            "1 validation error detected: Value at 'lambdaConfig.{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?"
        )),
    }
}

/// Where a trigger's event goes instead of Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// POSTed as JSON; the answer is the event with its `response` filled in,
    /// as a Lambda function returns it.
    Url(url::Url),
    /// A program and its arguments: the event on its standard input, the
    /// answer on its standard output.
    Command(Vec<String>),
}

/// What `userpool.toml` says a trigger or an ARN goes to: a URL, an ARN
/// (per trigger only: one of `lambda_urls`), or a command as a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Destination {
    Text(String),
    Command(Vec<String>),
}

/// `[triggers]`: the declared pool's triggers by name (`pre_sign_up = ...`),
/// the version of its pre-token-generation event, and `[triggers.lambda_urls]`,
/// where the events of each Lambda ARN that any pool names go.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TriggersConfig {
    #[serde(default)]
    pre_token_generation_version: Option<String>,
    #[serde(default)]
    lambda_urls: BTreeMap<String, Destination>,
    #[serde(flatten)]
    triggers: BTreeMap<Trigger, Destination>,
}

/// The account the ARNs of triggers declared by URL or command are made up in.
const DECLARED_ACCOUNT: &str = "000000000000";

/// A server's triggers, checked: where each ARN goes, and the declared pool's `LambdaConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Triggers {
    pub(crate) functions: BTreeMap<String, Target>,
    pub(crate) declared: LambdaConfig,
}

impl TriggersConfig {
    /// Checks the section. A trigger given a URL or a command gets an ARN of its own
    /// (`arn:aws:lambda:<region>:000000000000:function:userpool-<trigger>`), which
    /// DescribeUserPool shows.
    pub(crate) fn resolve(&self, region: &str) -> Result<Triggers, (&'static str, String)> {
        let mut resolved = Triggers::default();
        for (arn, destination) in &self.lambda_urls {
            if !is_lambda_arn(arn) {
                return Err((
                    "triggers.lambda_urls",
                    format!("{arn:?} is not a Lambda function's ARN"),
                ));
            }
            let target =
                target(destination).map_err(|m| ("triggers.lambda_urls", format!("{arn}: {m}")))?;
            resolved.functions.insert(arn.clone(), target);
        }
        let mut config = serde_json::Map::new();
        for (trigger, destination) in &self.triggers {
            let arn = match destination {
                Destination::Text(arn) if arn.starts_with("arn:") => {
                    if !resolved.functions.contains_key(arn) {
                        return Err((
                            "triggers",
                            format!(
                                "{}: {arn} is not one of triggers.lambda_urls",
                                trigger.name()
                            ),
                        ));
                    }
                    arn.clone()
                }
                destination => {
                    let target = target(destination)
                        .map_err(|m| ("triggers", format!("{}: {m}", trigger.name())))?;
                    let arn = format!(
                        "arn:aws:lambda:{region}:{DECLARED_ACCOUNT}:function:userpool-{}",
                        trigger.name()
                    );
                    resolved.functions.insert(arn.clone(), target);
                    arn
                }
            };
            config.insert(trigger.name().to_owned(), Value::String(arn));
        }
        if let Some(version) = &self.pre_token_generation_version {
            let Some(arn) = config.get("PreTokenGeneration").cloned() else {
                return Err((
                    "triggers.pre_token_generation_version",
                    "needs triggers.pre_token_generation".to_owned(),
                ));
            };
            config.insert(
                "PreTokenGenerationConfig".to_owned(),
                serde_json::json!({ "LambdaVersion": version, "LambdaArn": arn }),
            );
        }
        resolved.declared = LambdaConfig::from_json(&Value::Object(config))
            .map_err(|m| ("triggers.pre_token_generation_version", m))?;
        Ok(resolved)
    }
}

/// A URL (HTTPS, or HTTP to this machine only: events carry passwords) or a command.
fn target(destination: &Destination) -> Result<Target, String> {
    match destination {
        Destination::Command(command) => match command.first() {
            Some(program) if !program.is_empty() => Ok(Target::Command(command.clone())),
            _ => Err("a command needs a program".to_owned()),
        },
        Destination::Text(text) => {
            let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(name)) => name == "localhost",
                None => false,
            };
            match url.scheme() {
                "https" => Ok(Target::Url(url)),
                "http" if loopback => Ok(Target::Url(url)),
                "http" => Err(format!(
                    "{text}: plain HTTP only to this machine (127.0.0.1, ::1, localhost); use https"
                )),
                _ => Err(format!("{text}: an http(s) URL or a command (a list)")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:pre";

    #[test]
    fn lambda_config_reads_cognitos_fields() {
        let config = LambdaConfig::from_json(&serde_json::json!({
            "PreSignUp": ARN,
            "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": ARN},
            "KMSKeyID": "ignored here",
        }))
        .unwrap();
        assert_eq!(config.function(Trigger::PreSignUp), Some(ARN));
        assert_eq!(config.function(Trigger::PreTokenGeneration), Some(ARN));
        assert_eq!(config.token_version, TokenVersion::V2);
        assert_eq!(config.function(Trigger::UserMigration), None);
        let back = config.to_json();
        assert_eq!(back["PreTokenGeneration"], ARN);
        assert_eq!(back["PreTokenGenerationConfig"]["LambdaVersion"], "V2_0");
    }

    #[test]
    fn bad_arns_and_versions_are_refused() {
        for bad in [
            serde_json::json!({"PreSignUp": "https://example.com/hook"}),
            serde_json::json!({"PreSignUp": 7}),
            serde_json::json!({"PreTokenGenerationConfig": {"LambdaVersion": "V9_0", "LambdaArn": ARN}}),
            serde_json::json!({"PreTokenGeneration": ARN, "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:other"}}),
        ] {
            assert!(LambdaConfig::from_json(&bad).is_err(), "{bad}");
        }
        assert!(is_lambda_arn(
            "arn:aws:lambda:eu-west-1:000000000000:function:f:live"
        ));
        assert!(!is_lambda_arn(
            "arn:aws:lambda:eu-west-1:account:function:f"
        ));
    }

    #[test]
    fn the_file_names_urls_commands_and_arns() {
        let config: TriggersConfig = toml::from_str(
            r#"
            pre_sign_up = "http://127.0.0.1:9000/pre-sign-up"
            custom_message = ["python3", "hooks/message.py"]
            pre_token_generation = "arn:aws:lambda:us-east-1:123456789012:function:tokens"
            pre_token_generation_version = "V2_0"
            [lambda_urls]
            "arn:aws:lambda:us-east-1:123456789012:function:tokens" = "https://hooks.example.com/tokens"
            "#,
        )
        .unwrap();
        let resolved = config.resolve("us-east-1").unwrap();
        let own = "arn:aws:lambda:us-east-1:000000000000:function:userpool-PreSignUp";
        assert_eq!(resolved.declared.function(Trigger::PreSignUp), Some(own));
        assert!(matches!(resolved.functions.get(own), Some(Target::Url(_))));
        assert_eq!(resolved.declared.token_version, TokenVersion::V2);
        assert!(matches!(
            resolved.functions.get(resolved.declared.function(Trigger::CustomMessage).unwrap()),
            Some(Target::Command(c)) if c[0] == "python3"
        ));
        for bad in [
            r#"pre_sign_up = "http://hooks.example.com/""#,
            r#"pre_sign_up = "arn:aws:lambda:us-east-1:123456789012:function:unmapped""#,
            r#"pre_sign_up = []"#,
            r#"pre_token_generation_version = "V2_0""#,
        ] {
            let config: TriggersConfig = toml::from_str(bad).unwrap();
            assert!(config.resolve("us-east-1").is_err(), "{bad}");
        }
        assert!(toml::from_str::<TriggersConfig>(r#"pre_signup = "https://x""#).is_err());
    }
}
