//! Moving users between pools: `userpool users export` writes groups, then
//! users with their attributes, groups, password hashes and upstream identities
//! (federation's links), as JSON Lines;
//! `userpool users import` loads such a file into another pool, where the
//! users sign in with their old passwords. (Cognito cannot export password
//! hashes; this pool never locks its users in.)

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::identity_providers::ProviderType;
use crate::store::{FederatedIdentity, Group, User};
use crate::{UserPool, directory};

/// One line of an export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Record {
    Group {
        name: String,
        description: Option<String>,
        precedence: Option<i64>,
        /// Absent from exports made before groups had roles.
        #[serde(default)]
        role_arn: Option<String>,
    },
    User {
        sub: String,
        /// Absent from exports made before pools had plain usernames (it was the sub).
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        email: Option<String>,
        /// Argon2id, PHC string format.
        password_hash: String,
        /// The password's SRP verifier (absent from older exports: their users
        /// get one at their next password sign-in).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        srp_verifier: Option<String>,
        confirmed: bool,
        enabled: bool,
        force_password_change: bool,
        /// RESET_REQUIRED (absent from older exports).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        password_reset_required: bool,
        /// Signed up without a password (absent from older exports).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        passwordless: bool,
        /// Signed in by an upstream identity provider (absent from older exports).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        external_provider: bool,
        created_at: i64,
        updated_at: i64,
        attributes: Vec<(String, String)>,
        groups: Vec<String>,
        /// The upstream identities that sign in as this user (absent from older exports).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        identities: Vec<Identity>,
    },
}

/// An upstream identity of an exported user: it signs in as that user in the
/// target pool once the target has a provider of that name.
#[derive(Debug, Serialize, Deserialize)]
struct Identity {
    provider: String,
    provider_type: ProviderType,
    provider_sub: String,
    created_at: i64,
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub users: usize,
    pub groups: usize,
    /// Users whose sub or email the pool already had: left as they were.
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("reading or writing: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Pool(#[from] Error),
}

const PAGE: i64 = 500;

impl UserPool {
    /// Writes every group, then every user, one JSON object per line.
    pub async fn export_users(&self, out: &mut impl Write) -> Result<usize, TransferError> {
        let store = self.store();
        let mut after: Option<String> = None;
        loop {
            let page = store.list_groups(after.as_deref(), PAGE).await?;
            for group in &page.items {
                write_line(
                    out,
                    &Record::Group {
                        name: group.name.clone(),
                        description: group.description.clone(),
                        precedence: group.precedence,
                        role_arn: group.role_arn.clone(),
                    },
                )?;
            }
            after = page.items.last().map(|g| g.name.clone());
            if !page.more {
                break;
            }
        }
        let mut users = 0;
        let mut after: Option<String> = None;
        loop {
            let page = store.list_users(None, after.as_deref(), PAGE).await?;
            for user in &page.items {
                let record = Record::User {
                    sub: user.sub.clone(),
                    username: Some(user.username.clone()),
                    email: user.email.clone(),
                    password_hash: user.password_hash.clone(),
                    srp_verifier: user.srp_verifier.clone(),
                    confirmed: user.confirmed,
                    enabled: user.enabled,
                    force_password_change: user.force_password_change,
                    password_reset_required: user.password_reset_required,
                    passwordless: user.passwordless,
                    external_provider: user.external_provider,
                    created_at: user.created_at,
                    updated_at: user.updated_at,
                    attributes: store.attributes(&user.sub).await?,
                    groups: store.groups(&user.sub).await?,
                    identities: store
                        .identities_of(&user.sub)
                        .await?
                        .into_iter()
                        .map(|identity| Identity {
                            provider: identity.provider,
                            provider_type: identity.provider_type,
                            provider_sub: identity.provider_sub,
                            created_at: identity.created_at,
                        })
                        .collect(),
                };
                write_line(out, &record)?;
                users += 1;
            }
            after = page.items.last().map(|u| u.sub.clone());
            if !page.more {
                break;
            }
        }
        Ok(users)
    }

    /// Loads an export. Every line is checked before anything is written, so a
    /// bad file changes nothing; users the pool already has are skipped.
    pub async fn import_users(&self, input: impl BufRead) -> Result<ImportSummary, TransferError> {
        let mut records = Vec::new();
        for (index, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: String| TransferError::Line {
                line: index + 1,
                message,
            };
            let record: Record = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            if let Record::User {
                email,
                password_hash,
                ..
            } = &record
            {
                match email {
                    Some(email) => {
                        crate::accounts::valid_email(email).map_err(|e| bad(e.to_string()))?;
                    }
                    None if matches!(
                        self.pool().naming(),
                        crate::pools::Naming::Attributes(by) if by.email && !by.phone_number
                    ) =>
                    {
                        return Err(bad(
                            "the user has no email, which is this pool's username".into()
                        ));
                    }
                    None => {}
                }
                if !password_hash.starts_with("$argon2") {
                    return Err(bad("the password hash is not an Argon2 PHC string".into()));
                }
            }
            records.push(record);
        }
        let now = crate::now();
        let mut summary = ImportSummary::default();
        for record in records {
            match record {
                Record::Group {
                    name,
                    description,
                    precedence,
                    role_arn,
                } => {
                    let group = Group {
                        name,
                        description,
                        precedence,
                        role_arn,
                        created_at: now,
                        updated_at: now,
                    };
                    if directory::create_group(self, &group).await? {
                        summary.groups += 1;
                    }
                }
                Record::User {
                    sub,
                    username,
                    email,
                    password_hash,
                    srp_verifier,
                    confirmed,
                    enabled,
                    force_password_change,
                    password_reset_required,
                    passwordless,
                    external_provider,
                    created_at,
                    updated_at,
                    attributes,
                    groups,
                    identities,
                } => {
                    let user = User {
                        username: username.unwrap_or_else(|| sub.clone()),
                        sub,
                        email: email.map(|email| crate::accounts::normalize_email(&email)),
                        password_hash,
                        srp_verifier,
                        confirmed,
                        enabled,
                        force_password_change,
                        password_reset_required,
                        passwordless,
                        external_provider,
                        created_at,
                        updated_at,
                    };
                    // A sub or email the pool has (perhaps from a sign-up just now) is skipped.
                    if directory::import_user(self, &user, &attributes, &groups).await? {
                        for identity in identities {
                            let identity = FederatedIdentity {
                                provider: identity.provider,
                                provider_type: identity.provider_type,
                                provider_sub: identity.provider_sub,
                                created_at: identity.created_at,
                            };
                            // An identity the target gives someone else already stays theirs.
                            self.store().link_identity(&user.sub, &identity).await?;
                        }
                        summary.users += 1;
                    } else {
                        summary.skipped += 1;
                    }
                }
            }
        }
        Ok(summary)
    }
}

fn write_line(out: &mut impl Write, record: &Record) -> Result<(), TransferError> {
    serde_json::to_writer(&mut *out, record).map_err(|e| TransferError::Pool(e.into()))?;
    out.write_all(b"\n")?;
    Ok(())
}
