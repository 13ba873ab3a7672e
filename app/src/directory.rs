//! The user directory as the admin console shows it: users with their status
//! and groups, pages of them, groups, and the pools the console can work on. Plain data shared by the server (which
//! fills it from the pool's Cognito admin API) and the browser (which draws it).

use serde::{Deserialize, Serialize};

/// The group whose members may administer users and groups.
pub const ADMIN_GROUP: &str = "Admin";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    /// Cognito's `Username` (the `sub` in a pool whose usernames are emails).
    pub username: String,
    pub email: String,
    /// `UNCONFIRMED`, `CONFIRMED`, `FORCE_CHANGE_PASSWORD`, ...
    pub status: String,
    pub enabled: bool,
    pub groups: Vec<String>,
    /// The second factors on (Cognito's `UserMFASettingList`: `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`).
    pub mfa: Vec<String>,
}

impl DirectoryUser {
    /// Cognito's `UserStatus`, in words (an unknown one as it is).
    pub fn status_in_words(&self) -> &str {
        match self.status.as_str() {
            "UNCONFIRMED" => "Not confirmed yet",
            "CONFIRMED" => "Confirmed",
            "FORCE_CHANGE_PASSWORD" => "Must change password",
            "RESET_REQUIRED" => "Must reset password",
            "EXTERNAL_PROVIDER" => "Signs in with another provider",
            "ARCHIVED" => "Archived",
            "COMPROMISED" => "Compromised",
            other => other,
        }
    }

    /// The second factors on, in words.
    pub fn mfa_in_words(&self) -> String {
        let words: Vec<&str> = self
            .mfa
            .iter()
            .map(|factor| match factor.as_str() {
                "SOFTWARE_TOKEN_MFA" => "authenticator app",
                "EMAIL_OTP" => "email codes",
                "SMS_MFA" => "text messages",
                other => other,
            })
            .collect();
        if words.is_empty() {
            "none".to_owned()
        } else {
            words.join(", ")
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    pub users: Vec<DirectoryUser>,
    /// Opaque; asks for the next page.
    pub next_page: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
}

/// One of the server's user pools, as the console's pool picker lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSummary {
    pub id: String,
    /// Empty when unknown (Cognito refused to list the pools).
    pub name: String,
}

impl PoolSummary {
    /// `name (id)`, or the id alone when the name is unknown.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.id.clone()
        } else {
            format!("{} ({})", self.name, self.id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_status(status: &str) -> DirectoryUser {
        DirectoryUser {
            username: "u".into(),
            email: "u@example.com".into(),
            status: status.into(),
            enabled: true,
            groups: Vec::new(),
            mfa: Vec::new(),
        }
    }

    #[test]
    fn statuses_read_as_words_and_unknown_ones_as_they_are() {
        assert_eq!(
            with_status("FORCE_CHANGE_PASSWORD").status_in_words(),
            "Must change password"
        );
        assert_eq!(
            with_status("UNCONFIRMED").status_in_words(),
            "Not confirmed yet"
        );
        assert_eq!(
            with_status("SOMETHING_NEW").status_in_words(),
            "SOMETHING_NEW"
        );
    }
}
