//! Who is signed in, as the server established it from validated tokens. The
//! browser receives these values; it never decides them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub sub: String,
    pub email: String,
    /// `cognito:groups` of the access token.
    pub groups: Vec<String>,
    /// When the tokens expire, in seconds since the Unix epoch.
    pub expires_at: u64,
}

impl SignedInUser {
    pub fn is_admin(&self) -> bool {
        self.groups
            .iter()
            .any(|g| g == crate::directory::ADMIN_GROUP)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Session {
    SignedIn(SignedInUser),
    SignedOut,
    /// The cookies held tokens that are no longer valid; they have been cleared.
    Expired,
    /// Signed out just now with Logout: the next page says so, once.
    Ended,
}

impl Session {
    pub fn user(&self) -> Option<&SignedInUser> {
        match self {
            Session::SignedIn(user) => Some(user),
            Session::SignedOut | Session::Expired | Session::Ended => None,
        }
    }
}
