//! The session, kept by the browser in HttpOnly cookies and by nobody else: the
//! server stores no session state, so any instance can serve any request.
//!
//! Owns the cookie names and attributes and turns cookies into a [`Session`] by
//! validating the tokens in them on every request.

use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::cognito_admin::CognitoAdmin;
use crate::pool::PoolEndpoints;
use crate::refresh::Refresher;
use crate::standing::{Standing, Standings};
use crate::token_endpoint::{ClientAuth, TokenError, TokenResponse};
use crate::user::{Session, SignedInUser};
use crate::verify::{AccessClaims, TokenShape, Verifier, VerifyError};

/// What a cookie's name starts with over https: the browser then keeps it to this
/// host, secure, with `Path=/`.
const HOST_PREFIX: &str = "__Host-";
const ID_TOKEN: &str = "id_token";
const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";
/// Set by Logout and read once by the page the pool sends the browser back to, which
/// then says the person has been signed out.
const SIGNED_OUT: &str = "signed_out";
const SIGNED_OUT_MAX_AGE_MINUTES: i64 = 5;
/// Cookies outlive the 1-hour tokens so an expired session is noticed (and
/// reported) rather than silently forgotten; Cognito's refresh tokens live 30 days.
const COOKIE_MAX_AGE_DAYS: i64 = 30;

/// The tokens of one signed-in user.
pub struct Tokens<'a> {
    pub id_token: &'a str,
    pub access_token: &'a str,
    /// Empty when the provider issued none: the session then ends with its tokens.
    pub refresh_token: &'a str,
}

/// How long the server waits for the pool when it revokes a refresh token.
const POOL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Tokens this close to expiry are refreshed with the next request.
const REFRESH_MARGIN_SECONDS: u64 = 300;

/// What the server functions need: the pool, the token verifier, how to write
/// cookies, and the pool's admin API for the admin console. Shared: every
/// render and every bearer-API request gets a clone, which is a count.
#[derive(Clone)]
pub struct Auth(Arc<AuthParts>);

/// [`Auth`]'s contents, which it dereferences to.
#[derive(Clone)]
pub struct AuthParts {
    pub pool: PoolEndpoints,
    pub verifier: Arc<Verifier>,
    pub cookies: CookiePolicy,
    /// None when no AWS credentials are configured for a real Cognito pool.
    pub directory: Option<Arc<CognitoAdmin>>,
    refresher: Arc<Refresher>,
    standings: Arc<Standings>,
    /// How the app's client authenticates at the token and revocation endpoints.
    client_auth: ClientAuth,
    http: reqwest::Client,
}

impl std::ops::Deref for Auth {
    type Target = AuthParts;

    fn deref(&self) -> &AuthParts {
        &self.0
    }
}

/// The validation of a request's session tokens, made by `Auth::settled_user`
/// from the request's own `Cookie` headers (it reads the tokens a jar reads).
#[derive(Clone, Debug)]
pub struct Validated(Result<SignedInUser, VerifyError>);

/// Cookie attributes: `Secure` and the `__Host-` prefix when the app is served over https.
#[derive(Clone, Copy, Debug)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    fn name(&self, base: &str) -> String {
        if self.secure {
            format!("{HOST_PREFIX}{base}")
        } else {
            base.to_owned()
        }
    }

    fn cookie(&self, base: &str, value: String) -> Cookie<'static> {
        Cookie::build((self.name(base), value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .max_age(cookie::time::Duration::days(COOKIE_MAX_AGE_DAYS))
            .build()
    }

    pub fn set(&self, tokens: &Tokens) -> [Cookie<'static>; 3] {
        [
            self.cookie(ID_TOKEN, tokens.id_token.to_owned()),
            self.cookie(ACCESS_TOKEN, tokens.access_token.to_owned()),
            self.cookie(REFRESH_TOKEN, tokens.refresh_token.to_owned()),
        ]
    }

    pub fn clear(&self) -> [Cookie<'static>; 3] {
        [ID_TOKEN, ACCESS_TOKEN, REFRESH_TOKEN].map(|base| {
            let mut cookie = self.cookie(base, String::new());
            cookie.make_removal();
            cookie
        })
    }

    /// The session's cookies cleared, and the mark that the person signed out just now.
    pub fn signed_out(&self) -> [Cookie<'static>; 4] {
        let mut mark = self.cookie(SIGNED_OUT, "1".to_owned());
        mark.set_max_age(cookie::time::Duration::minutes(SIGNED_OUT_MAX_AGE_MINUTES));
        let [id, access, refresh] = self.clear();
        [id, access, refresh, mark]
    }

    /// The mark read: its removal.
    fn signed_out_seen(&self) -> Cookie<'static> {
        let mut mark = self.cookie(SIGNED_OUT, String::new());
        mark.make_removal();
        mark
    }

    /// Whether `name` is the name of the cookie `base` under this policy.
    fn is_named(&self, name: &str, base: &str) -> bool {
        let name = if self.secure {
            name.strip_prefix(HOST_PREFIX)
        } else {
            Some(name)
        };
        name == Some(base)
    }

    /// The id and access tokens of the `Cookie` headers as sent, neither copied
    /// nor decoded (a jar was a tenth of a signed-in page's time). Tokens never
    /// need percent-encoding, so for cookies that carry any this is None, and
    /// so it is for anything else a jar would read differently. As in a jar,
    /// the last cookie of a name counts.
    fn tokens_sent<'h>(&self, headers: &'h HeaderMap) -> Option<(&'h str, &'h str)> {
        let (mut id_token, mut access_token) = (None, None);
        for sent in headers.get_all(header::COOKIE) {
            let sent = sent.to_str().ok().filter(|s| !s.contains('%'))?;
            for cookie in Cookie::split_parse(sent) {
                let cookie = cookie.ok()?;
                let (name, value) = (cookie.name_raw()?, cookie.value_raw()?);
                if self.is_named(name, ID_TOKEN) {
                    id_token = Some(value);
                } else if self.is_named(name, ACCESS_TOKEN) {
                    access_token = Some(value);
                }
            }
        }
        let present = |token: Option<&'h str>| token.filter(|v| !v.is_empty());
        Some((present(id_token)?, present(access_token)?))
    }

    fn read<'j>(&self, jar: &'j CookieJar, base: &str) -> Option<&'j str> {
        jar.get(&self.name(base))
            .map(|cookie| cookie.value())
            .filter(|v| !v.is_empty())
    }
}

impl Auth {
    /// `directory` builds the admin API client from the HTTP client the app shares.
    /// The app's client is public (Cognito's app clients without secret).
    pub fn new(
        pool: PoolEndpoints,
        verifier: Verifier,
        cookies: CookiePolicy,
        directory: impl FnOnce(reqwest::Client) -> Option<CognitoAdmin>,
    ) -> Result<Auth, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(POOL_TIMEOUT).build()?;
        let directory = directory(http.clone()).map(Arc::new);
        let standings = standings(
            &http,
            &pool,
            &verifier,
            crate::standing::DEFAULT_INTERVAL,
            directory.clone(),
        );
        Ok(Auth(Arc::new(AuthParts {
            refresher: Arc::new(Refresher::new(&pool, ClientAuth::Public, http.clone())),
            standings: Arc::new(standings),
            client_auth: ClientAuth::Public,
            directory,
            pool,
            verifier: Arc::new(verifier),
            cookies,
            http,
        })))
    }

    /// The app's client authenticates with `client_auth` (a client secret at
    /// another OpenID provider).
    pub fn with_client_auth(mut self, client_auth: ClientAuth) -> Auth {
        let parts = Arc::make_mut(&mut self.0);
        parts.refresher = Arc::new(Refresher::new(
            &parts.pool,
            client_auth.clone(),
            parts.http.clone(),
        ));
        parts.client_auth = client_auth;
        self
    }

    /// Asks the pool about each session at most this often (instead of
    /// `standing::DEFAULT_INTERVAL`): the longest a session ended elsewhere
    /// (logout on another instance, global sign-out, a disabled user, a
    /// removed group) stays usable here.
    pub fn check_sessions_every(mut self, interval: std::time::Duration) -> Auth {
        let parts = Arc::make_mut(&mut self.0);
        parts.standings = Arc::new(standings(
            &parts.http,
            &parts.pool,
            &parts.verifier,
            interval,
            parts.directory.clone(),
        ));
        self
    }

    /// A verified access token's claims as they stand at the pool now: refused
    /// if its session was ended there, with its groups as they are now.
    pub async fn standing(
        &self,
        token: &str,
        claims: AccessClaims,
    ) -> Result<AccessClaims, VerifyError> {
        self.standing_with_email(token, claims)
            .await
            .map(|(claims, _)| claims)
    }

    /// `standing`, and the email the provider's userInfo gave.
    async fn standing_with_email(
        &self,
        token: &str,
        mut claims: AccessClaims,
    ) -> Result<(AccessClaims, Option<String>), VerifyError> {
        match self.standings.of(token, &claims).await {
            Standing::Ended => Err(VerifyError::Ended),
            Standing::Live { groups, email } => {
                if let Some(groups) = groups {
                    claims.groups = groups;
                }
                Ok((claims, email))
            }
        }
    }

    /// Revokes the request's refresh token at the pool, so that logging out
    /// leaves nothing there that could mint new tokens. Best effort: a pool
    /// that cannot be reached must not keep anybody signed in, so failures
    /// are logged and the caller clears the cookies anyway.
    pub async fn revoke_refresh_token(&self, jar: &CookieJar) {
        let Some(token) = self.cookies.read(jar, REFRESH_TOKEN) else {
            return;
        };
        let Some(url) = &self.pool.revocation_url else {
            return;
        };
        let outcome = self
            .client_auth
            .post(
                &self.http,
                url,
                &self.pool.client_id,
                self.pool.revoke_body(token),
            )
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        if let Err(error) = outcome {
            tracing::warn!(%error, "could not revoke the refresh token at the user pool");
        }
    }

    /// Where Logout sends the browser, naming the request's session to the provider.
    pub fn logout_url(&self, jar: &CookieJar) -> String {
        self.pool.logout_url(self.cookies.read(jar, ID_TOKEN))
    }

    /// Redeems a code at the token endpoint, for providers whose codes the
    /// server redeems (`pool::Redeem::Server`).
    pub async fn redeem_code(
        &self,
        code: &str,
        verifier: &str,
    ) -> Result<TokenResponse, TokenError> {
        crate::token_endpoint::redeem_code(
            &self.http,
            &self.pool,
            &self.client_auth,
            code,
            verifier,
        )
        .await
    }

    /// The pool's operations for the request's signed-in user (their access
    /// token); None without a Cognito pool's API or a session.
    pub fn user_api<'a>(&'a self, jar: &'a CookieJar) -> Option<crate::user_api::UserApi<'a>> {
        Some(crate::user_api::UserApi {
            http: &self.http,
            api_endpoint: self.pool.api_endpoint.as_deref()?,
            access_token: self.cookies.read(jar, ACCESS_TOKEN)?,
        })
    }

    /// Forgets the request's verified tokens (at logout).
    pub fn forget_session(&self, jar: &CookieJar) {
        if let (Some(id_token), Some(access_token)) = (
            self.cookies.read(jar, ID_TOKEN),
            self.cookies.read(jar, ACCESS_TOKEN),
        ) {
            self.verifier.forget(id_token, access_token);
            self.standings.forget(access_token);
        }
    }

    /// The user the id and access tokens prove, or why they prove nothing.
    /// `nonce` is checked when a session is being established.
    pub async fn validate(
        &self,
        id_token: &str,
        access_token: &str,
        nonce: Option<&str>,
    ) -> Result<SignedInUser, VerifyError> {
        let id = self.verifier.verify_id(id_token, nonce).await?;
        let access = match self.verifier.shape() {
            TokenShape::Cognito => {
                let access = self.verifier.verify_access(access_token).await?;
                if id.sub != access.sub {
                    return Err(VerifyError::Claims);
                }
                access
            }
            TokenShape::OpenId { .. } => AccessClaims::vouched_by(&id, self.verifier.client_id()),
        };
        let (access, userinfo_email) = self.standing_with_email(access_token, access).await?;
        Ok(SignedInUser {
            sub: id.sub,
            email: id.email.or(userinfo_email).ok_or(VerifyError::NoEmail)?,
            groups: access.groups,
            expires_at: id.exp.min(access.exp),
        })
    }

    /// The session the request's cookies carry. Tokens that expire soon (or
    /// have) are refreshed at the pool and the cookies replaced; cookies with
    /// tokens that no longer validate are cleared, so nobody is left half signed in.
    pub async fn session(&self, jar: &CookieJar) -> Session {
        let id_token = self.cookies.read(jar, ID_TOKEN);
        let access_token = self.cookies.read(jar, ACCESS_TOKEN);
        let (Some(id_token), Some(access_token)) = (id_token, access_token) else {
            if self.cookies.read(jar, SIGNED_OUT).is_some() {
                respond_with_cookies(&[self.cookies.signed_out_seen()]);
                return Session::Ended;
            }
            return Session::SignedOut;
        };
        let before =
            use_context::<Parts>().and_then(|parts| parts.extensions.get::<Validated>().cloned());
        let validated = match before {
            Some(Validated(validated)) => validated,
            None => self.validate(id_token, access_token, None).await,
        };
        match validated {
            Ok(user) if fresh_enough(&user) => Session::SignedIn(user),
            // Genuine but about to expire, or expired: try the refresh token.
            Ok(_) | Err(VerifyError::Expired) => match self.refresh(jar).await {
                Some(user) => Session::SignedIn(user),
                None => match validated {
                    Ok(user) => Session::SignedIn(user),
                    Err(_) => self.expired(),
                },
            },
            Err(reason) => {
                tracing::info!(%reason, "session cookies rejected");
                self.expired()
            }
        }
    }

    /// The user the cookies prove when their session needs nothing done: tokens
    /// that validate and do not expire soon. An error whenever `session` would
    /// refresh, clear cookies or find nobody, so a caller that gets one asks
    /// `session`; with the tokens' validation, if they were validated, which the
    /// caller hands on in the request's extensions (`session` then reuses it: a
    /// forged token costs one signature check per request, not two).
    pub async fn settled_user(
        &self,
        headers: &HeaderMap,
    ) -> Result<SignedInUser, Option<Validated>> {
        let (id_token, access_token) = self.cookies.tokens_sent(headers).ok_or(None)?;
        match self.validate(id_token, access_token, None).await {
            Ok(user) if fresh_enough(&user) => Ok(user),
            validated => Err(Some(Validated(validated))),
        }
    }

    /// New tokens for the session now, so changes at the pool (groups) show at once.
    pub async fn refresh_now(&self, jar: &CookieJar) -> Session {
        match self.refresh(jar).await {
            Some(user) => Session::SignedIn(user),
            None => self.session(jar).await,
        }
    }

    /// Refreshes the tokens with the refresh-token cookie and sets the new
    /// cookies; None when there is no refresh token or the pool refuses it.
    async fn refresh(&self, jar: &CookieJar) -> Option<SignedInUser> {
        let refresh_token = self.cookies.read(jar, REFRESH_TOKEN)?;
        let refreshed = match self.refresher.refresh(refresh_token).await {
            Ok(refreshed) => refreshed,
            Err(error) => {
                tracing::info!(%error, "the session could not be refreshed");
                return None;
            }
        };
        let user = match self
            .validate(&refreshed.id_token, &refreshed.access_token, None)
            .await
        {
            Ok(user) => user,
            Err(reason) => {
                tracing::warn!(%reason, "the pool's refreshed tokens did not validate");
                return None;
            }
        };
        let refresh_token = refreshed
            .refresh_token
            .as_deref()
            .filter(|t| is_cookie_safe(t))
            .unwrap_or(refresh_token);
        respond_with_cookies(&self.cookies.set(&Tokens {
            id_token: &refreshed.id_token,
            access_token: &refreshed.access_token,
            refresh_token,
        }));
        tracing::info!(sub = %user.sub, "session refreshed");
        Some(user)
    }

    fn expired(&self) -> Session {
        respond_with_cookies(&self.cookies.clear());
        Session::Expired
    }
}

/// Whether a session's tokens last long enough not to be refreshed first.
fn fresh_enough(user: &SignedInUser) -> bool {
    user.expires_at > now() + REFRESH_MARGIN_SECONDS
}

/// Who asks the provider about sessions every `interval`; another OpenID
/// provider's userInfo answers bring the groups its tokens are verified with.
fn standings(
    http: &reqwest::Client,
    pool: &PoolEndpoints,
    verifier: &Verifier,
    interval: std::time::Duration,
    directory: Option<Arc<CognitoAdmin>>,
) -> Standings {
    let userinfo_groups = match verifier.shape() {
        TokenShape::OpenId { groups } => Some(groups.clone()),
        TokenShape::Cognito => None,
    };
    Standings::new(http.clone(), pool, userinfo_groups, interval, directory)
}

/// Seconds since the Unix epoch: the unit of a token's `exp` and `iat`.
pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Refresh tokens are opaque to the app: it only makes sure one fits in a
/// cookie unchanged (Cognito's are dot-separated base64url, under 2 KB).
pub fn is_cookie_safe(token: &str) -> bool {
    const MAX_LEN: usize = 4000;
    !token.is_empty()
        && token.len() <= MAX_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b))
}

/// Adds `Set-Cookie` headers to the response of the current server function or page.
pub fn respond_with_cookies(cookies: &[Cookie<'static>]) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.append_header(axum::http::header::SET_COOKIE, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKENS: Tokens<'static> = Tokens {
        id_token: "i.d.t",
        access_token: "a.c.t",
        refresh_token: "r.e.f",
    };

    #[test]
    fn over_https_cookies_are_secure_host_only_and_http_only() {
        for cookie in (CookiePolicy { secure: true }).set(&TOKENS) {
            let text = cookie.to_string();
            assert!(cookie.name().starts_with("__Host-"), "{text}");
            assert_eq!(cookie.secure(), Some(true), "{text}");
            assert_eq!(cookie.http_only(), Some(true), "{text}");
            assert_eq!(cookie.same_site(), Some(SameSite::Lax), "{text}");
            // What the __Host- prefix demands: Path=/ and no Domain.
            assert_eq!(cookie.path(), Some("/"), "{text}");
            assert_eq!(cookie.domain(), None, "{text}");
        }
    }

    #[test]
    fn over_plain_http_cookies_keep_their_names_and_are_not_secure() {
        let names: Vec<String> = (CookiePolicy { secure: false })
            .set(&TOKENS)
            .iter()
            .inspect(|cookie| {
                assert_eq!(cookie.secure(), Some(false));
                assert_eq!(cookie.http_only(), Some(true));
            })
            .map(|cookie| cookie.name().to_owned())
            .collect();
        assert_eq!(names, ["id_token", "access_token", "refresh_token"]);
    }

    #[test]
    fn logout_expires_every_session_cookie_under_the_same_name() {
        for secure in [false, true] {
            let policy = CookiePolicy { secure };
            let set = policy.set(&TOKENS);
            let [id, access, refresh, mark] = policy.signed_out();
            for (set, cleared) in set.iter().zip([id, access, refresh]) {
                assert_eq!(set.name(), cleared.name());
                assert_eq!(cleared.value(), "");
                assert_eq!(cleared.max_age(), Some(cookie::time::Duration::ZERO));
            }
            // And marks the signing out for the page the pool sends the browser back to.
            assert_eq!(mark.name(), policy.name(SIGNED_OUT));
            assert_eq!(mark.http_only(), Some(true));
            assert_eq!(mark.max_age(), Some(cookie::time::Duration::minutes(5)));
        }
    }

    #[test]
    fn the_tokens_sent_are_read_as_a_jar_reads_them() {
        let sent = |policy: CookiePolicy, headers: &[&str]| {
            let mut map = HeaderMap::new();
            for value in headers {
                map.append(header::COOKIE, HeaderValue::from_str(value).unwrap());
            }
            let jar = CookieJar::from_headers(&map);
            let tokens = policy
                .tokens_sent(&map)
                .map(|(i, a)| (i.to_owned(), a.to_owned()));
            if let Some((id, access)) = &tokens {
                assert_eq!(policy.read(&jar, ID_TOKEN), Some(id.as_str()));
                assert_eq!(policy.read(&jar, ACCESS_TOKEN), Some(access.as_str()));
            }
            tokens
        };
        let plain = CookiePolicy { secure: false };
        let pair = |i: &str, a: &str| Some((i.to_owned(), a.to_owned()));
        assert_eq!(
            sent(plain, &["theme=dark; id_token=i.d.t; access_token=a.c.t"]),
            pair("i.d.t", "a.c.t")
        );
        // Several Cookie headers, a name twice: the last counts.
        assert_eq!(
            sent(plain, &["id_token=old; access_token=a", "id_token=new"]),
            pair("new", "a")
        );
        // Over https only the prefixed names are the session's.
        let secure = CookiePolicy { secure: true };
        assert_eq!(sent(secure, &["id_token=i; access_token=a"]), None);
        assert_eq!(
            sent(secure, &["__Host-id_token=i; __Host-access_token=a"]),
            pair("i", "a")
        );
        // Missing, empty or percent-encoded: the caller asks the jar instead.
        assert_eq!(sent(plain, &["id_token=i"]), None);
        assert_eq!(sent(plain, &["id_token=; access_token=a"]), None);
        assert_eq!(sent(plain, &["id_token=i; access_token=a%2E"]), None);
        assert_eq!(sent(plain, &["id%5Ftoken=i; access_token=a"]), None);
    }

    #[test]
    fn only_plain_token_characters_go_into_a_cookie() {
        assert!(is_cookie_safe("eyJhbGciOi.JSUzI1NiJ9-_~+/="));
        for bad in [
            "",
            "a;b",
            "a b",
            "a\r\nSet-Cookie: x=1",
            "\"quoted\"",
            &"x".repeat(4001),
        ] {
            assert!(!is_cookie_safe(bad), "{bad:.20}");
        }
    }
}
