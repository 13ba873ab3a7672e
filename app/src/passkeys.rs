//! The signed-in user's passkeys. On the server: the pool's passkey
//! operations (ListWebAuthnCredentials, StartWebAuthnRegistration,
//! CompleteWebAuthnRegistration, DeleteWebAuthnCredential), called through
//! `user_api` with the user's own access token from their cookies. In the browser: the WebAuthn
//! ceremony between the two registration requests, with the browser's JSON
//! forms of it (`PublicKeyCredential.parseCreationOptionsFromJSON`, `toJSON`).

use serde::{Deserialize, Serialize};

/// A passkey as the profile lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub credential_id: String,
    /// `platform` (this device) or `cross-platform` (a security key, a phone), if known.
    pub attachment: Option<String>,
    /// Seconds since the epoch.
    pub created_at: i64,
}

#[cfg(feature = "ssr")]
mod server {
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::PasskeySummary;
    use crate::user_api::{Nothing, UserApi};

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Listed {
        #[serde(default)]
        credentials: Vec<Described>,
        next_token: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Described {
        credential_id: String,
        authenticator_attachment: Option<String>,
        /// Seconds since the epoch (a number with a fraction, as the SDKs send dates).
        created_at: f64,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Started {
        credential_creation_options: Value,
    }

    impl UserApi<'_> {
        pub async fn list_passkeys(&self) -> Result<Vec<PasskeySummary>, String> {
            let mut all = Vec::new();
            let mut next: Option<String> = None;
            loop {
                let body = match &next {
                    Some(token) => json!({ "NextToken": token }),
                    None => json!({}),
                };
                let page: Listed = self.call("ListWebAuthnCredentials", body).await?;
                all.extend(page.credentials.into_iter().map(|c| PasskeySummary {
                    credential_id: c.credential_id,
                    attachment: c.authenticator_attachment,
                    created_at: c.created_at as i64,
                }));
                next = page.next_token;
                if next.is_none() {
                    return Ok(all);
                }
            }
        }

        /// The options for the browser's `navigator.credentials.create`, as JSON.
        pub async fn start_passkey_registration(&self) -> Result<String, String> {
            let started: Started = self.call("StartWebAuthnRegistration", json!({})).await?;
            Ok(started.credential_creation_options.to_string())
        }

        /// Registers the browser's answer (`RegistrationResponseJSON`).
        pub async fn complete_passkey_registration(&self, credential: &str) -> Result<(), String> {
            let credential: Value = serde_json::from_str(credential)
                .map_err(|_| "the browser's answer is not JSON".to_owned())?;
            let body = json!({ "Credential": credential });
            self.call::<Nothing>("CompleteWebAuthnRegistration", body)
                .await
                .map(drop)
        }

        pub async fn delete_passkey(&self, credential_id: &str) -> Result<(), String> {
            let body = json!({ "CredentialId": credential_id });
            self.call::<Nothing>("DeleteWebAuthnCredential", body)
                .await
                .map(drop)
        }
    }
}

/// Makes a passkey in the browser for the pool's `options`
/// (`PublicKeyCredentialCreationOptionsJSON`); returns the browser's answer
/// (`RegistrationResponseJSON`), or why there is none.
#[cfg(feature = "hydrate")]
pub async fn create_in_browser(options: &str) -> Result<String, String> {
    use js_sys::{Function, JSON, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let why = |error: JsValue| {
        Reflect::get(&error, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "this browser cannot make passkeys".to_owned())
    };
    let method = |target: &JsValue, name: &str| -> Result<Function, String> {
        Reflect::get(target, &name.into())
            .map_err(why)?
            .dyn_into::<Function>()
            .map_err(|_| format!("this browser has no {name}"))
    };
    let window = web_sys::window().ok_or("no window")?;
    let credential_type = Reflect::get(&window, &"PublicKeyCredential".into()).map_err(why)?;
    if credential_type.is_undefined() {
        return Err("this browser has no passkeys".to_owned());
    }
    let parse = method(&credential_type, "parseCreationOptionsFromJSON")?;
    let options = parse
        .call1(&credential_type, &JSON::parse(options).map_err(why)?)
        .map_err(why)?;
    let request = Object::new();
    Reflect::set(&request, &"publicKey".into(), &options).map_err(why)?;
    let credentials = Reflect::get(&window.navigator(), &"credentials".into()).map_err(why)?;
    let created: Promise = method(&credentials, "create")?
        .call1(&credentials, &request)
        .map_err(why)?
        .dyn_into()
        .map_err(|_| "no credential".to_owned())?;
    let credential = wasm_bindgen_futures::JsFuture::from(created)
        .await
        .map_err(why)?;
    let json = method(&credential, "toJSON")?
        .call0(&credential)
        .map_err(why)?;
    JSON::stringify(&json)
        .map_err(why)?
        .as_string()
        .ok_or_else(|| "no answer".to_owned())
}
