//! Where the user pool lives, as the browser needs to know it, and the URLs the
//! app sends people to: the hosted UI's authorize and sign-up pages, the token
//! endpoint and logout. The same shapes work for Amazon Cognito and the local pool.

use serde::{Deserialize, Serialize};

/// The pool as seen by this app: its hosted UI and the app client registered there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolEndpoints {
    /// Base URL of the hosted UI, e.g. `https://example.auth.us-east-1.amazoncognito.com`.
    pub hosted_ui: String,
    pub client_id: String,
    /// Where the pool sends the browser back with `?code=` (registered at the pool).
    pub redirect_uri: String,
    /// Where the pool sends the browser after logout (registered at the pool).
    pub logout_uri: String,
    /// Where the pool's JSON API answers, e.g. `https://cognito-idp.us-east-1.amazonaws.com/`
    /// (the server asks `GetUser` about access tokens from the API's password flows).
    pub api_endpoint: String,
}

/// Which hosted-UI page a login attempt starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    SignIn,
    Register,
}

/// The scopes the app asks for: an id token with the email, and the user's own
/// operations of the pool's API (their passkeys, on the profile page).
pub const SCOPES: &str = "openid email profile aws.cognito.signin.user.admin";

impl PoolEndpoints {
    /// The hosted-UI page for `start`, without its query: the sign-in form's target.
    pub fn start_action(&self, start: Start) -> String {
        let path = match start {
            Start::SignIn => "/oauth2/authorize",
            Start::Register => "/signup",
        };
        self.url(path, &[])
    }

    /// Cognito's authorize parameters that are the same for every attempt of this client:
    /// the sign-in form's hidden fields. The browser adds each attempt's own `state`,
    /// `code_challenge` and `nonce` (`login::Attempt`).
    pub fn authorize_params(&self) -> [(&'static str, &str); 5] {
        [
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", SCOPES),
            ("code_challenge_method", crate::pkce::METHOD),
        ]
    }

    pub fn token_url(&self) -> String {
        self.url("/oauth2/token", &[])
    }

    /// OpenID Connect's userInfo endpoint, where the server asks whether a
    /// session's access token still stands (`standing`).
    pub fn userinfo_url(&self) -> String {
        self.url("/oauth2/userInfo", &[])
    }

    /// Where the server revokes a refresh token at logout (RFC 7009).
    pub fn revoke_url(&self) -> String {
        self.url("/oauth2/revoke", &[])
    }

    /// The form body of a refresh-token revocation by a public client.
    pub fn revoke_body(&self, refresh_token: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("token", refresh_token), ("client_id", &self.client_id)])
            .finish()
    }

    /// Cognito's logout: ends the hosted UI's session, then returns to `logout_uri`.
    pub fn logout_url(&self) -> String {
        self.url(
            "/logout",
            &[
                ("client_id", &self.client_id),
                ("logout_uri", &self.logout_uri),
            ],
        )
    }

    /// The form body of an authorization-code exchange by a public client.
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

    fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let base = self.hosted_ui.trim_end_matches('/');
        if query.is_empty() {
            return format!("{base}{path}");
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        format!("{base}{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> PoolEndpoints {
        PoolEndpoints {
            hosted_ui: "https://example.auth.us-east-1.amazoncognito.com/".into(),
            client_id: "client123".into(),
            redirect_uri: "http://127.0.0.1:3000/callback".into(),
            logout_uri: "http://127.0.0.1:3000/".into(),
            api_endpoint: "https://cognito-idp.us-east-1.amazonaws.com/".into(),
        }
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
            pool().logout_url(),
            "https://example.auth.us-east-1.amazoncognito.com/logout?\
             client_id=client123&logout_uri=http%3A%2F%2F127.0.0.1%3A3000%2F"
        );
    }

    #[test]
    fn revocation_is_a_public_client_form_with_the_refresh_token() {
        assert_eq!(
            pool().revoke_url(),
            "https://example.auth.us-east-1.amazoncognito.com/oauth2/revoke"
        );
        assert_eq!(
            pool().revoke_body("r+t/1="),
            "token=r%2Bt%2F1%3D&client_id=client123"
        );
    }

    #[test]
    fn code_exchange_is_a_public_client_form_with_the_verifier() {
        assert_eq!(
            pool().token_url(),
            "https://example.auth.us-east-1.amazoncognito.com/oauth2/token"
        );
        assert_eq!(
            pool().code_exchange_body("c0de", "v=rifier"),
            "grant_type=authorization_code&client_id=client123&code=c0de\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback&code_verifier=v%3Drifier"
        );
    }
}
