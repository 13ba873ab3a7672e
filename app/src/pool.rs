//! Where the user pool (or another OpenID provider) lives, as the browser needs
//! to know it, and the URLs the app sends people to: the authorize and sign-up
//! pages, the token endpoint and logout. One shape for every provider: Amazon
//! Cognito and the local pool fill it from their fixed paths (`cognito`), any
//! other OpenID provider from its discovery document (`discovery`).

use serde::{Deserialize, Serialize};

/// The provider as seen by this app: its endpoints and the app client registered there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolEndpoints {
    pub client_id: String,
    /// Where the provider sends the browser back with `?code=` (registered there).
    pub redirect_uri: String,
    /// Where the provider sends the browser after logout (registered there).
    pub logout_uri: String,
    pub authorize_url: String,
    /// Cognito's sign-up page; other providers start Register at `authorize_url`.
    pub sign_up_url: String,
    pub token_url: String,
    /// OpenID Connect's userInfo endpoint, where the server asks whether a
    /// session's access token still stands (`standing`).
    pub userinfo_url: String,
    /// Where the server revokes a refresh token at logout (RFC 7009), if the provider has it.
    pub revocation_url: Option<String>,
    pub logout: Logout,
    /// Where Cognito's JSON API answers, e.g. `https://cognito-idp.us-east-1.amazonaws.com/`
    /// (the user's own operations: passkeys, second factors; `GetUser`).
    /// None for a provider that is no Cognito pool.
    pub api_endpoint: Option<String>,
    /// The scopes the app asks for, space-separated.
    pub scopes: String,
    pub redeem: Redeem,
}

/// How logging out ends the session at the provider too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Logout {
    /// Cognito's `/logout?client_id=…&logout_uri=…`.
    Cognito(String),
    /// OpenID Connect RP-Initiated Logout at the provider's `end_session_endpoint`.
    EndSession(String),
    /// The provider has no logout endpoint: only the app's session ends.
    AppOnly,
}

/// Who redeems the authorization code at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Redeem {
    /// The browser, as Cognito's public clients do (the pool answers it cross-origin).
    Browser,
    /// The server: another provider may want a client secret, or not answer a
    /// browser's cross-origin request; the browser hands the code and verifier
    /// to the server (`api::redeem_code`).
    Server,
}

/// Which page a login attempt starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    SignIn,
    Register,
}

/// The scopes the app asks a Cognito pool for: an id token with the email, and
/// the user's own operations of the pool's API (their passkeys, on the profile page).
pub const COGNITO_SCOPES: &str = "openid email profile aws.cognito.signin.user.admin";

impl PoolEndpoints {
    /// A Cognito pool (or the local one) whose hosted UI is at `hosted_ui` and
    /// whose JSON API answers at `api_endpoint`.
    pub fn cognito(
        hosted_ui: &str,
        api_endpoint: &str,
        client_id: &str,
        redirect_uri: &str,
        logout_uri: &str,
    ) -> PoolEndpoints {
        let base = hosted_ui.trim_end_matches('/');
        PoolEndpoints {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            logout_uri: logout_uri.to_owned(),
            authorize_url: format!("{base}/oauth2/authorize"),
            sign_up_url: format!("{base}/signup"),
            token_url: format!("{base}/oauth2/token"),
            userinfo_url: format!("{base}/oauth2/userInfo"),
            revocation_url: Some(format!("{base}/oauth2/revoke")),
            logout: Logout::Cognito(format!("{base}/logout")),
            api_endpoint: Some(api_endpoint.to_owned()),
            scopes: COGNITO_SCOPES.to_owned(),
            redeem: Redeem::Browser,
        }
    }

    /// Whether the provider is a Cognito pool, whose API has the user's own
    /// operations (passkeys, second factors) and the admin console's.
    pub fn is_cognito_pool(&self) -> bool {
        self.api_endpoint.is_some()
    }

    /// The page for `start`, without its query: the sign-in form's target.
    pub fn start_action(&self, start: Start) -> String {
        match start {
            Start::SignIn => self.authorize_url.clone(),
            Start::Register => self.sign_up_url.clone(),
        }
    }

    /// The authorize parameters that are the same for every attempt of this client:
    /// the sign-in form's hidden fields. The browser adds each attempt's own `state`,
    /// `code_challenge` and `nonce` (`login::Attempt`).
    pub fn authorize_params(&self) -> [(&'static str, &str); 5] {
        [
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scopes),
            ("code_challenge_method", crate::pkce::METHOD),
        ]
    }

    /// The form body of a refresh-token revocation; the client's secret, if
    /// it has one, is added by the server (`token_endpoint`).
    pub fn revoke_body(&self, refresh_token: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("token", refresh_token), ("client_id", &self.client_id)])
            .finish()
    }

    /// Where Logout sends the browser: the provider's logout, which ends its own
    /// session and returns to `logout_uri`. `id_token_hint` is the session's id
    /// token, which RP-Initiated Logout wants to know whose session ends.
    pub fn logout_url(&self, id_token_hint: Option<&str>) -> String {
        match &self.logout {
            Logout::Cognito(url) => with_query(
                url,
                &[
                    ("client_id", &self.client_id),
                    ("logout_uri", &self.logout_uri),
                ],
            ),
            Logout::EndSession(url) => {
                let mut query = vec![
                    ("client_id", self.client_id.as_str()),
                    ("post_logout_redirect_uri", self.logout_uri.as_str()),
                ];
                query.extend(id_token_hint.map(|hint| ("id_token_hint", hint)));
                with_query(url, &query)
            }
            Logout::AppOnly => self.logout_uri.clone(),
        }
    }

    /// The form body of an authorization-code exchange; the client's secret,
    /// if it has one, is added by the server (`token_endpoint`).
    pub fn code_exchange_body(&self, code: &str, code_verifier: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "authorization_code"),
                ("client_id", &self.client_id),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", code_verifier),
            ])
            .finish()
    }
}

/// `url` with `query` added, after what query it already has (a discovered
/// endpoint may carry one).
fn with_query(url: &str, query: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> PoolEndpoints {
        PoolEndpoints::cognito(
            "https://example.auth.us-east-1.amazoncognito.com/",
            "https://cognito-idp.us-east-1.amazonaws.com/",
            "client123",
            "http://127.0.0.1:3000/callback",
            "http://127.0.0.1:3000/",
        )
    }

    /// The URL a browser submits the sign-in form to: its action, then its fields in order.
    fn submitted(pool: &PoolEndpoints, start: Start) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pool.authorize_params())
            .extend_pairs([
                ("state", "st&te"),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("nonce", "n0nce"),
            ])
            .finish();
        format!("{}?{query}", pool.start_action(start))
    }

    #[test]
    fn sign_in_goes_to_authorize_with_cognito_parameters() {
        assert_eq!(
            submitted(&pool(), Start::SignIn),
            "https://example.auth.us-east-1.amazoncognito.com/oauth2/authorize?\
             response_type=code&client_id=client123\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback\
             &scope=openid+email+profile+aws.cognito.signin.user.admin&code_challenge_method=S256&state=st%26te\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&nonce=n0nce"
        );
    }

    #[test]
    fn register_goes_to_the_sign_up_page_with_the_same_parameters() {
        assert_eq!(
            pool().start_action(Start::Register),
            "https://example.auth.us-east-1.amazoncognito.com/signup"
        );
        let sign_in = submitted(&pool(), Start::SignIn);
        let register = submitted(&pool(), Start::Register);
        assert_eq!(
            register.split_once('?').map(|(_, q)| q),
            sign_in.split_once('?').map(|(_, q)| q)
        );
    }

    #[test]
    fn logout_names_the_client_and_the_registered_logout_uri() {
        assert_eq!(
            pool().logout_url(Some("ignored.by.cognito")),
            "https://example.auth.us-east-1.amazoncognito.com/logout?\
             client_id=client123&logout_uri=http%3A%2F%2F127.0.0.1%3A3000%2F"
        );
    }

    #[test]
    fn revocation_is_a_public_client_form_with_the_refresh_token() {
        assert_eq!(
            pool().revocation_url.as_deref(),
            Some("https://example.auth.us-east-1.amazoncognito.com/oauth2/revoke")
        );
        assert_eq!(
            pool().revoke_body("r+t/1="),
            "token=r%2Bt%2F1%3D&client_id=client123"
        );
    }

    #[test]
    fn code_exchange_is_a_public_client_form_with_the_verifier() {
        assert_eq!(
            pool().token_url,
            "https://example.auth.us-east-1.amazoncognito.com/oauth2/token"
        );
        assert_eq!(
            pool().code_exchange_body("c0de", "v=rifier"),
            "grant_type=authorization_code&client_id=client123&code=c0de\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback&code_verifier=v%3Drifier"
        );
    }

    #[test]
    fn rp_initiated_logout_names_the_client_the_return_and_the_session() {
        let provider = PoolEndpoints {
            logout: Logout::EndSession("https://id.example/session/end?tenant=t".into()),
            ..pool()
        };
        assert_eq!(
            provider.logout_url(Some("h.p.s")),
            "https://id.example/session/end?tenant=t&client_id=client123\
             &post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2F&id_token_hint=h.p.s"
        );
        let without_logout = PoolEndpoints {
            logout: Logout::AppOnly,
            ..pool()
        };
        assert_eq!(
            without_logout.logout_url(Some("h.p.s")),
            "http://127.0.0.1:3000/"
        );
    }
}
