//! The signed-in user's second sign-in step: an authenticator app (TOTP) and
//! codes by email. On the server: the pool's operations for them (GetUser's
//! `UserMFASettingList`, AssociateSoftwareToken, VerifySoftwareToken,
//! SetUserMFAPreference), called through `user_api` with the user's own
//! access token.

use serde::{Deserialize, Serialize};

/// A second factor, by Cognito's name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Factor {
    #[serde(rename = "SOFTWARE_TOKEN_MFA")]
    App,
    #[serde(rename = "EMAIL_OTP")]
    Email,
}

/// Which of the user's second factors are on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactors {
    pub app: bool,
    pub email: bool,
}

/// An authenticator app to set up: the key, and the `otpauth://` URI apps take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSetup {
    pub secret: String,
    pub uri: String,
}

/// The `otpauth://` URI of `secret` for `account` of `issuer` (Google's Key
/// Uri Format, which every authenticator app reads).
pub fn setup_uri(issuer: &str, account: &str, secret: &str) -> String {
    let label = |s: &str| url_escape(&s.replace(':', " "));
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}",
        label(issuer),
        label(account),
        label(issuer)
    )
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(feature = "ssr")]
mod server {
    use serde::Deserialize;
    use serde_json::json;

    use super::{AppSetup, Factor, SecondFactors, setup_uri};
    use crate::user_api::{Attribute, Nothing, UserApi};

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct User {
        username: String,
        /// By name: the pool may list factors the profile does not offer (`SMS_MFA`).
        #[serde(default, rename = "UserMFASettingList")]
        enabled: Vec<String>,
        #[serde(default)]
        user_attributes: Vec<Attribute>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Associated {
        secret_code: String,
    }

    impl UserApi<'_> {
        pub async fn second_factors(&self) -> Result<SecondFactors, String> {
            let user: User = self.call("GetUser", json!({})).await?;
            let on = |name: &str| user.enabled.iter().any(|f| f == name);
            Ok(SecondFactors {
                app: on("SOFTWARE_TOKEN_MFA"),
                email: on("EMAIL_OTP"),
            })
        }

        pub async fn start_app_setup(&self) -> Result<AppSetup, String> {
            let user: User = self.call("GetUser", json!({})).await?;
            let account = user
                .user_attributes
                .into_iter()
                .find(|a| a.name == "email")
                .map_or(user.username, |a| a.value);
            let associated: Associated = self.call("AssociateSoftwareToken", json!({})).await?;
            let uri = setup_uri("leptos-cognito", &account, &associated.secret_code);
            Ok(AppSetup {
                secret: associated.secret_code,
                uri,
            })
        }

        pub async fn confirm_app(&self, code: &str) -> Result<(), String> {
            let body = json!({ "UserCode": code, "FriendlyDeviceName": "Authenticator app" });
            self.call::<serde_json::Value>("VerifySoftwareToken", body)
                .await?;
            self.set_second_factor(Factor::App, true).await
        }

        /// Turns `factor` on (as the preferred one) or off.
        pub async fn set_second_factor(&self, factor: Factor, on: bool) -> Result<(), String> {
            let settings = json!({ "Enabled": on, "PreferredMfa": on });
            let body = match factor {
                Factor::App => json!({ "SoftwareTokenMfaSettings": settings }),
                Factor::Email => json!({ "EmailMfaSettings": settings }),
            };
            self.call::<Nothing>("SetUserMFAPreference", body)
                .await
                .map(drop)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_uris_follow_the_key_uri_format() {
        assert_eq!(
            setup_uri("leptos-cognito", "ann@example.com", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/leptos-cognito:ann@example.com?secret=JBSWY3DPEHPK3PXP&issuer=leptos-cognito"
        );
        assert_eq!(
            setup_uri("My Pool", "a:b", "K"),
            "otpauth://totp/My%20Pool:a%20b?secret=K&issuer=My%20Pool"
        );
    }
}
