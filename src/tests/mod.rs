//! Integration tests: the whole pool driven in-process through its router, as a
//! browser (with a cookie jar) and a client app would. This file is the harness
//! (the sample configuration every unit test shares, the browser, the request
//! builders); each flow has a file of its own.

mod hosted_ui;
mod json_api;
mod layering;
mod limits;
mod logging;
mod migrations;
mod oauth2;
mod pools;
mod triggers;

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;
use tower::ServiceExt;

use crate::{Config, UserPool};

pub(crate) const CONFIG: &str = include_str!("../../userpool.toml");

const CLIENT: &str = "1ocal4pp5c1ient0leptos0cog";
const CALLBACK: &str = "http://127.0.0.1:3000/callback";
const LOGOUT: &str = "http://127.0.0.1:3000/";
// RFC 7636, Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PASSWORD: &str = "correct horse battery";

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `_csrf` hidden field of the page.
    fn csrf(&self) -> String {
        self.field("_csrf")
    }

    /// The value of the page's (first) field called `name`.
    fn field(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker).expect("the field") + marker.len();
        let end = start + self.body[start..].find('"').expect("the end of its value");
        self.body[start..end].to_owned()
    }
}

/// An authenticator app holding `secret` (base32): the code it shows at a
/// Unix time, computed with totp-rs directly, beside the pool's own checks.
fn authenticator_app(secret: String) -> impl Fn(i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret).to_bytes().unwrap();
    let app = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    );
    move |at| app.generate(u64::try_from(at).unwrap())
}

/// A browser: sends requests to the pool's router and keeps its cookies.
struct Browser {
    router: axum::Router,
    pool: UserPool,
    cookies: HashMap<String, String>,
    _dir: tempfile::TempDir,
}

/// A second app client, to check that one client's codes and tokens are not another's.
const OTHER_CLIENT: &str = "0therc1ient";
const OTHER_CLIENT_CONFIG: &str = r#"
[[clients]]
name = "other-app"
id = "0therc1ient"
callback_urls = ["http://127.0.0.1:4000/callback"]
allowed_scopes = ["openid"]
"#;

/// A resource server with a machine client, and a client that rotates refresh tokens.
pub(crate) const MACHINE_AND_ROTATION_CONFIG: &str = r#"
[[resource_servers]]
identifier = "https://api.example.com"
name = "Example API"
scopes = ["read", "write"]

[[clients]]
name = "machine"
id = "mach1ne"
secret = "machine-secret-0123456789"
oauth_flows = ["client_credentials"]
allowed_scopes = ["https://api.example.com/read", "https://api.example.com/write"]
# Lifetimes of its own, rather than the pool's.
tokens = { id_token_minutes = 5, access_token_minutes = 10, refresh_token_days = 1 }

[[clients]]
name = "rotating"
id = "r0tating"
auth_flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
refresh_token_rotation = true
refresh_token_grace_seconds = 0
allowed_scopes = ["openid"]

[[clients]]
name = "rotating with a grace period"
id = "gr4ce"
auth_flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
refresh_token_rotation = true
refresh_token_grace_seconds = 60
allowed_scopes = ["openid"]

[[clients]]
name = "implicit"
id = "impl1cit"
oauth_flows = ["implicit"]
callback_urls = ["http://127.0.0.1:5000/callback"]
allowed_scopes = ["openid", "email"]
"#;

/// The example configuration with the test clients, on a database of its own:
/// PostgreSQL when the run has one (see `store::test_database`), else SQLite.
async fn test_config(dev_outbox: bool) -> (Config, tempfile::TempDir) {
    let (mut config, dir) = sqlite_config(dev_outbox);
    if let crate::Database::Postgres(url) = crate::store::test_database(dir.path()).await {
        config.set_database_url(url.expose()).unwrap();
    }
    (config, dir)
}

/// The example configuration with the test clients, on SQLite whatever the run.
fn sqlite_config(dev_outbox: bool) -> (Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let text = CONFIG.to_owned() + OTHER_CLIENT_CONFIG + MACHINE_AND_ROTATION_CONFIG;
    let text = text.replace(
        "dev_outbox = true",
        if dev_outbox {
            "dev_outbox = true"
        } else {
            "dev_outbox = false"
        },
    );
    let mut config = Config::from_toml(&text).unwrap();
    config.set_data_dir(dir.path());
    (config, dir)
}

impl Browser {
    async fn new() -> Browser {
        Browser::open(test_config(true).await).await
    }

    /// A browser on a pool kept in SQLite, whatever the run's database.
    async fn on_sqlite() -> Browser {
        Browser::open(sqlite_config(true)).await
    }

    async fn open((config, dir): (Config, tempfile::TempDir)) -> Browser {
        let pool = UserPool::open(config).await.unwrap();
        Browser {
            router: pool.router(),
            pool,
            cookies: HashMap::new(),
            _dir: dir,
        }
    }

    /// Another tab on the same pool, with no cookies (its data stays with `self`).
    fn tab(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            pool: self.pool.clone(),
            cookies: HashMap::new(),
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: Body) -> Reply {
        let cookie_header: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = request
            .header(header::COOKIE, cookie_header.join("; "))
            .body(body)
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        // hyper sends what the header says (a middleware that replaced a body
        // must drop the old length).
        if let Some(length) = headers.get(header::CONTENT_LENGTH) {
            assert_eq!(
                length.to_str().unwrap(),
                bytes.len().to_string(),
                "{status}"
            );
        }
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, uri: &str) -> Reply {
        self.send(Request::get(uri), Body::empty()).await
    }

    async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://127.0.0.1:3000");
        self.send(request, Body::from(body)).await
    }

    /// The most recent mail to `to`, via the dev outbox.
    async fn last_mail(&mut self, to: &str) -> Value {
        let reply = self.get(&format!("/_dev/outbox.json?to={to}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        reply.json()[0].clone()
    }

    async fn last_code(&mut self, to: &str) -> String {
        let body = self.last_mail(to).await["body"]
            .as_str()
            .unwrap()
            .to_owned();
        let code: String = body.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(code.len(), 6, "{body}");
        code
    }

    /// Signs up and confirms `email`; returns the redirect to the client.
    async fn sign_up(&mut self, email: &str, state: &str) -> String {
        let params = oauth_params(state);
        let page = self.get(&format!("/signup?{}", query(&params))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<h1>Sign up</h1>"));
        let csrf = page.csrf();
        let reply = self
            .post(
                "/signup",
                &form(
                    &params,
                    &[
                        ("_csrf", &csrf),
                        ("username", email),
                        ("password", PASSWORD),
                    ],
                ),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
        let confirm = reply.location().unwrap().to_owned();
        assert!(confirm.starts_with("/confirm?username="), "{confirm}");
        let page = self.get(&confirm).await;
        assert!(page.body.contains("Confirm your account"));
        let code = self.last_code(email).await;
        let reply = self
            .post(
                "/confirm",
                &form(
                    &params,
                    &[
                        ("_csrf", &page.csrf()),
                        ("username", email),
                        ("code", &code),
                    ],
                ),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
        reply.location().unwrap().to_owned()
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        let params = oauth_params("s");
        let page = self.get(&format!("/login?{}", query(&params))).await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = page.csrf();
        self.post(
            "/login",
            &form(
                &params,
                &[
                    ("_csrf", &csrf),
                    ("username", email),
                    ("password", password),
                ],
            ),
        )
        .await
    }

    /// An authorization code from the live SSO session.
    async fn code_via_session(&mut self) -> String {
        let reply = self
            .get(&format!("/oauth2/authorize?{}", query(&oauth_params("s"))))
            .await;
        assert_eq!(reply.status, StatusCode::FOUND);
        code_from(reply.location().unwrap())
    }

    async fn exchange(&mut self, fields: &[(&str, &str)]) -> Reply {
        self.post("/oauth2/token", fields).await
    }
}

fn oauth_params(state: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT.into()),
        ("redirect_uri", CALLBACK.into()),
        ("state", state.into()),
        ("scope", "openid email".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
        ("nonce", "n0nce".into()),
    ]
}

fn query(params: &[(&str, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

fn form<'a>(
    params: &'a [(&'static str, String)],
    fields: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    params
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(fields.iter().copied())
        .collect()
}

fn code_from(location: &str) -> String {
    let url = url::Url::parse(location).unwrap();
    assert_eq!(&url[..url::Position::AfterPath], CALLBACK);
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

fn code_grant(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ]
}

fn without<'a>(fields: &[(&'a str, &'a str)], name: &str) -> Vec<(&'a str, &'a str)> {
    fields.iter().copied().filter(|(k, _)| *k != name).collect()
}

fn with<'a>(
    fields: &[(&'a str, &'a str)],
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = without(fields, name);
    fields.push((name, value));
    fields
}

/// Verifies a JWT with the pool's published JWKS, as a relying party would.
async fn verify(browser: &mut Browser, jwt: &str, audience: Option<&str>) -> Value {
    let issuer = browser.pool.config().issuer();
    let path = format!("/{}/.well-known/jwks.json", browser.pool.config().pool_id());
    let jwks = browser.get(&path).await.json();
    let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    decode::<Value>(jwt, &key, &validation).unwrap().claims
}

impl Browser {
    /// One JSON API call, as an AWS SDK sends it; `signed` signs it (SigV4) with
    /// the pool's first admin key pair.
    async fn cognito(&mut self, operation: &str, body: &str, signed: bool) -> Reply {
        if signed {
            let (key, secret) = self.pool.config().admin_credential().unwrap();
            let (key, secret) = (key.to_owned(), secret.to_owned());
            return self
                .cognito_signed_by(operation, body, &key, &secret, std::time::SystemTime::now())
                .await;
        }
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            );
        self.send(request, Body::from(body.to_owned())).await
    }

    /// One JSON API call signed by `key`/`secret` at `time`, as an AWS SDK signs it.
    async fn cognito_signed_by(
        &mut self,
        operation: &str,
        body: &str,
        key: &str,
        secret: &str,
        time: std::time::SystemTime,
    ) -> Reply {
        let region = self.pool.config().region().to_owned();
        let mut request = Request::post("/");
        for (name, value) in crate::json_api::signed_headers_for_tests(
            key,
            secret,
            &region,
            "127.0.0.1:9229",
            operation,
            body.as_bytes(),
            time,
        ) {
            request = request.header(name, value);
        }
        self.send(request, Body::from(body.to_owned())).await
    }
}

/// `InitiateAuth`'s body for a password sign-in of `email` (with `PASSWORD`) at `client`.
fn password_auth(client: &str, email: &str) -> String {
    serde_json::json!({
        "ClientId": client,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": { "USERNAME": email, "PASSWORD": PASSWORD },
    })
    .to_string()
}

/// `InitiateAuth`'s body for a refresh of `client`'s `token`.
fn refresh_auth(client: &str, token: &str) -> String {
    serde_json::json!({
        "ClientId": client,
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": { "REFRESH_TOKEN": token },
    })
    .to_string()
}

/// Sends `calls` JSON API requests at once, the `n`th with `body(n)`, each
/// from a tab of its own; the replies in the same order.
async fn at_once(
    browser: &Browser,
    calls: usize,
    operation: &'static str,
    signed: bool,
    body: impl Fn(usize) -> String,
) -> Vec<Reply> {
    let tasks: Vec<_> = (0..calls)
        .map(|n| {
            let (mut tab, body) = (browser.tab(), body(n));
            tokio::spawn(async move { tab.cognito(operation, &body, signed).await })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// "OK", or the exception a JSON API reply names.
fn outcome(reply: &Reply) -> String {
    if reply.status == StatusCode::OK {
        return "OK".to_owned();
    }
    reply.json()["__type"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Which of `replies` succeeded; every other one must be one of `refusals`.
fn only_winner(replies: &[Reply], refusals: &[&str]) -> usize {
    let outcomes: Vec<String> = replies.iter().map(outcome).collect();
    let winners: Vec<usize> = (0..outcomes.len())
        .filter(|&n| outcomes[n] == "OK")
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| o == "OK" || refusals.contains(&o.as_str())),
        "{outcomes:?}"
    );
    winners[0]
}

/// The migrations of `database` as of an older release: the first `count` files, copied to `dir`.
fn older_migrations(database: &crate::Database, dir: &std::path::Path, count: usize) {
    let mut files: Vec<_> = std::fs::read_dir(crate::store::migrations_dir(database))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    std::fs::create_dir_all(dir).unwrap();
    for file in &files[..count] {
        std::fs::copy(file, dir.join(file.file_name().unwrap())).unwrap();
    }
}

/// Everything logged in this test process, at every level. A global subscriber,
/// because call sites first hit by other tests' threads (with no subscriber)
/// would otherwise stay disabled for a scoped one.
pub(crate) struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLog {
    pub(crate) fn start() -> CapturedLog {
        static BUFFER: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
            std::sync::OnceLock::new();
        let buffer = BUFFER
            .get_or_init(|| {
                let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
                let writer = buffer.clone();
                let subscriber = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::TRACE)
                    .with_ansi(false)
                    .with_writer(move || CaptureWriter(writer.clone()))
                    .finish();
                tracing::subscriber::set_global_default(subscriber)
                    .expect("no other global subscriber in tests");
                buffer
            })
            .clone();
        CapturedLog(buffer)
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct CaptureWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The scripts client's `USER_PASSWORD_AUTH` sign-in.
fn password_sign_in(username: &str, password: &str) -> String {
    format!(
        r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"{username}","PASSWORD":"{password}"}}}}"#
    )
}

impl Browser {
    /// A JSON API call from the TCP peer `peer` (as the server's connect info
    /// gives it), with `headers` besides (as a reverse proxy adds them).
    async fn cognito_from(
        &mut self,
        peer: &str,
        headers: &[(&str, &str)],
        operation: &str,
        body: &str,
    ) -> Reply {
        let peer: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
        let mut request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .extension(axum::extract::ConnectInfo(peer));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request, Body::from(body.to_owned())).await
    }
}

/// The same JSON API call for each of `names`: the answers must be identical; returns it.
async fn alike(
    browser: &mut Browser,
    names: &[&str],
    operation: &str,
    body: impl Fn(&str) -> String,
) -> (StatusCode, Value) {
    let mut replies = Vec::new();
    for name in names {
        let reply = browser.cognito(operation, &body(name), false).await;
        replies.push((reply.status, reply.body));
    }
    assert!(
        replies.iter().all(|reply| *reply == replies[0]),
        "{operation}: {replies:?}"
    );
    let (status, body) = replies.swap_remove(0);
    (status, serde_json::from_str(&body).unwrap())
}
