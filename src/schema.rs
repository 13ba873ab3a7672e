//! A pool's attribute schema, as Cognito defines it: the standard attributes
//! (OpenID Connect's claims, with Cognito's types and bounds) and the pool's
//! `custom:` attributes (CreateUserPool's `Schema`, AddCustomAttributes), and
//! the checks every attribute written must pass: known, of its type and
//! bounds, mutable unless the user is being created, and present where required.

use serde::{Deserialize, Serialize};

/// Cognito's message when a schema is refused (`InvalidParameterException`).
pub(crate) type Refused = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum DataType {
    #[default]
    String,
    Number,
    DateTime,
    Boolean,
}

/// Cognito writes these bounds as strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StringConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_length: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_length: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NumberConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_value: Option<String>,
}

/// Cognito's `SchemaAttributeType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SchemaAttribute {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) attribute_data_type: DataType,
    #[serde(default)]
    pub(crate) developer_only_attribute: bool,
    #[serde(default = "mutable_by_default")]
    pub(crate) mutable: bool,
    #[serde(default)]
    pub(crate) required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) string_attribute_constraints: Option<StringConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) number_attribute_constraints: Option<NumberConstraints>,
}

fn mutable_by_default() -> bool {
    true
}

/// Cognito's standard attributes: name, type, and whether it can change.
const STANDARD: &[(&str, DataType, bool)] = &[
    ("sub", DataType::String, false),
    ("name", DataType::String, true),
    ("given_name", DataType::String, true),
    ("family_name", DataType::String, true),
    ("middle_name", DataType::String, true),
    ("nickname", DataType::String, true),
    ("preferred_username", DataType::String, true),
    ("profile", DataType::String, true),
    ("picture", DataType::String, true),
    ("website", DataType::String, true),
    ("email", DataType::String, true),
    ("email_verified", DataType::Boolean, true),
    ("gender", DataType::String, true),
    ("birthdate", DataType::String, true),
    ("zoneinfo", DataType::String, true),
    ("locale", DataType::String, true),
    ("phone_number", DataType::String, true),
    ("phone_number_verified", DataType::Boolean, true),
    ("address", DataType::String, true),
    ("updated_at", DataType::Number, true),
    ("identities", DataType::String, true),
];

/// Whether `name` is one of Cognito's standard attributes.
pub(crate) fn is_standard(name: &str) -> bool {
    STANDARD.iter().any(|(standard, _, _)| *standard == name)
}

/// Whether `name` is a standard attribute whose value users and
/// administrators set (OpenID Connect's claims): not `sub`, the email (a
/// sign-in name), the verified flags or `identities`, which the pool keeps.
pub(crate) fn is_standard_value(name: &str) -> bool {
    !matches!(
        name,
        "sub" | "email" | "email_verified" | "phone_number_verified" | "identities"
    ) && is_standard(name)
}

fn invalid(message: impl Into<String>) -> Refused {
    message.into()
}

fn standard(name: &str, data_type: DataType, mutable: bool) -> SchemaAttribute {
    let (strings, numbers) = match (name, data_type) {
        ("sub", _) => (Some(("1", "2048")), None),
        ("birthdate", _) => (Some(("10", "10")), None),
        (_, DataType::String) => (Some(("0", "2048")), None),
        (_, DataType::Number) => (None, Some("0")),
        _ => (None, None),
    };
    SchemaAttribute {
        name: name.to_owned(),
        attribute_data_type: data_type,
        developer_only_attribute: false,
        mutable,
        required: name == "sub",
        string_attribute_constraints: strings.map(|(min, max)| StringConstraints {
            min_length: Some(min.to_owned()),
            max_length: Some(max.to_owned()),
        }),
        number_attribute_constraints: numbers.map(|min| NumberConstraints {
            min_value: Some(min.to_owned()),
            max_value: None,
        }),
    }
}

/// Cognito's bounds on a custom attribute's name (without `custom:`).
fn check_custom_name(name: &str) -> Result<(), Refused> {
    if (1..=20).contains(&name.chars().count())
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Ok(())
    } else {
        Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length between 1 and 20 and no spaces"
        )))
    }
}

/// The schema of a new pool: the standard attributes (those `given` names
/// made required), and `given`'s custom attributes, named `custom:<name>`.
pub(crate) fn new_schema(given: &[SchemaAttribute]) -> Result<Vec<SchemaAttribute>, Refused> {
    let mut schema: Vec<SchemaAttribute> = STANDARD
        .iter()
        .map(|(name, data_type, mutable)| standard(name, *data_type, *mutable))
        .collect();
    let mut custom = Vec::new();
    for attribute in given {
        match schema.iter_mut().find(|s| s.name == attribute.name) {
            Some(existing) => {
                existing.required = existing.required || attribute.required;
                existing.mutable = attribute.mutable && existing.name != "sub";
            }
            None => custom.push(attribute.clone()),
        }
    }
    add_custom(&mut schema, &custom)?;
    Ok(schema)
}

/// Adds custom attributes (AddCustomAttributes, or a new pool's): named
/// `custom:<name>`, never required, each name once, at most 50.
pub(crate) fn add_custom(
    schema: &mut Vec<SchemaAttribute>,
    custom: &[SchemaAttribute],
) -> Result<(), Refused> {
    for attribute in custom {
        let bare = attribute
            .name
            .strip_prefix("custom:")
            .unwrap_or(&attribute.name);
        check_custom_name(bare)?;
        if attribute.required {
            return Err(invalid(
                "Required custom attributes are not supported currently.",
            ));
        }
        let name = format!("custom:{bare}");
        if schema.iter().any(|s| s.name == name) {
            return Err(invalid(format!(
                "Existing attribute already has name {name}."
            )));
        }
        let strings = (attribute.attribute_data_type == DataType::String).then(|| {
            attribute
                .string_attribute_constraints
                .clone()
                .unwrap_or_default()
        });
        schema.push(SchemaAttribute {
            name,
            string_attribute_constraints: strings,
            ..attribute.clone()
        });
    }
    if schema
        .iter()
        .filter(|s| s.name.starts_with("custom:"))
        .count()
        > 50
    {
        return Err(invalid("A user pool has at most 50 custom attributes."));
    }
    Ok(())
}

/// Why an attribute value does not conform, in Cognito's words.
fn nonconforming(detail: impl std::fmt::Display) -> String {
    format!("Attributes did not conform to the schema: {detail}")
}

fn bound(text: Option<&String>) -> Option<f64> {
    text.and_then(|t| t.parse().ok())
}

/// Checks `name = value` against `schema`; `creating` allows immutable
/// attributes (set once, when the user is created).
pub(crate) fn check(
    schema: &[SchemaAttribute],
    name: &str,
    value: &str,
    creating: bool,
) -> Result<(), String> {
    let Some(attribute) = schema.iter().find(|s| s.name == name) else {
        return Err(nonconforming(format!(
            "Type for attribute {{{name}}} could not be determined"
        )));
    };
    if !attribute.mutable && !creating {
        return Err(format!("Cannot modify the non-mutable attribute {name}"));
    }
    match attribute.attribute_data_type {
        DataType::String | DataType::DateTime => {
            let length = value.chars().count();
            let constraints = attribute.string_attribute_constraints.as_ref();
            let max = bound(constraints.and_then(|c| c.max_length.as_ref())).unwrap_or(2048.0);
            let min = bound(constraints.and_then(|c| c.min_length.as_ref())).unwrap_or(0.0);
            #[allow(
                clippy::cast_precision_loss,
                reason = "lengths are at most a few thousand"
            )]
            let length = length as f64;
            if length > max {
                return Err(nonconforming(format!(
                    "{name}: String must be no longer than {max} characters"
                )));
            }
            if length < min {
                return Err(nonconforming(format!(
                    "{name}: String must be no shorter than {min} characters"
                )));
            }
        }
        DataType::Number => {
            let number: f64 = value
                .trim()
                .parse()
                .map_err(|_| nonconforming(format!("{name}: Number is not a number")))?;
            let constraints = attribute.number_attribute_constraints.as_ref();
            if bound(constraints.and_then(|c| c.min_value.as_ref())).is_some_and(|m| number < m)
                || bound(constraints.and_then(|c| c.max_value.as_ref())).is_some_and(|m| number > m)
            {
                return Err(nonconforming(format!("{name}: Number is out of range")));
            }
        }
        DataType::Boolean => {
            if !matches!(value, "true" | "false") {
                return Err(nonconforming(format!(
                    "{name}: Boolean must be true or false"
                )));
            }
        }
    }
    Ok(())
}

/// The required attributes of `schema` that `given` (names) lacks, but those
/// the pool fills in itself (`sub`, and `except`: the email where it is the username).
pub(crate) fn missing_required<'a>(
    schema: &'a [SchemaAttribute],
    given: &[&str],
    except: &[&str],
) -> Option<&'a str> {
    schema
        .iter()
        .filter(|s| s.required && s.name != "sub" && !except.contains(&s.name.as_str()))
        .map(|s| s.name.as_str())
        .find(|name| !given.contains(name))
}

/// The message of a required attribute left out.
pub(crate) fn required_message(name: &str) -> String {
    nonconforming(format!("{name}: The attribute is required"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str, data_type: DataType, mutable: bool) -> SchemaAttribute {
        SchemaAttribute {
            name: name.to_owned(),
            attribute_data_type: data_type,
            developer_only_attribute: false,
            mutable,
            required: false,
            string_attribute_constraints: None,
            number_attribute_constraints: None,
        }
    }

    #[test]
    fn a_new_schema_has_the_standard_attributes_and_the_custom_ones() {
        let mut required_name = custom("name", DataType::String, true);
        required_name.required = true;
        let schema = new_schema(&[
            required_name,
            custom("team", DataType::String, true),
            custom("level", DataType::Number, false),
        ])
        .unwrap();
        assert!(schema.iter().any(|s| s.name == "name" && s.required));
        assert!(schema.iter().any(|s| s.name == "custom:team"));
        assert_eq!(schema.len(), STANDARD.len() + 2);
        assert_eq!(missing_required(&schema, &["email"], &[]), Some("name"));
        assert_eq!(missing_required(&schema, &["name"], &[]), None);

        assert!(check(&schema, "custom:team", "blue", false).is_ok());
        assert!(check(&schema, "custom:colour", "red", false).is_err());
        assert!(check(&schema, "custom:level", "3", true).is_ok());
        assert!(check(&schema, "custom:level", "3", false).is_err());
        assert!(check(&schema, "custom:level", "three", true).is_err());
        assert!(check(&schema, "email_verified", "maybe", false).is_err());
        assert!(check(&schema, "name", &"x".repeat(2049), false).is_err());
        assert!(check(&schema, "sub", "x", false).is_err());
    }

    #[test]
    fn custom_attributes_are_named_once_and_never_required() {
        let mut schema = new_schema(&[]).unwrap();
        add_custom(&mut schema, &[custom("team", DataType::String, true)]).unwrap();
        assert!(add_custom(&mut schema, &[custom("team", DataType::String, true)]).is_err());
        let mut required = custom("other", DataType::String, true);
        required.required = true;
        assert!(add_custom(&mut schema, &[required]).is_err());
        assert!(add_custom(&mut schema, &[custom("has space", DataType::String, true)]).is_err());
    }
}
