//! Integration tests: the whole pool driven in-process through its router, as a
//! browser (with a cookie jar) and a client app would.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;
use tower::ServiceExt;

use crate::{Config, UserPool};

pub(crate) const CONFIG: &str = include_str!("../userpool.toml");

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
        let marker = r#"name="_csrf" value=""#;
        let start = self.body.find(marker).expect("a _csrf field") + marker.len();
        let end = start
            + self.body[start..]
                .find('"')
                .expect("end of the _csrf value");
        self.body[start..end].to_owned()
    }
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
const MACHINE_AND_ROTATION_CONFIG: &str = r#"
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
        Reply {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
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

#[tokio::test]
async fn golden_path() {
    let mut browser = Browser::new().await;

    // The app sends the browser to authorize; with no session, on to the sign-in page.
    let reply = browser
        .get(&format!(
            "/oauth2/authorize?{}",
            query(&oauth_params("st4te"))
        ))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let login = reply.location().unwrap().to_owned();
    assert!(
        login.starts_with("/login?") && login.contains("code_challenge="),
        "{login}"
    );
    let page = browser.get(&login).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Sign in</h1>"));
    assert!(
        page.header(header::CONTENT_SECURITY_POLICY)
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(page.header(header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(page.header(header::CACHE_CONTROL), "no-store");

    // Sign up, read the code from the outbox, confirm: back to the app with a code.
    let back = browser.sign_up("Alice@Example.com", "st4te").await;
    assert!(back.ends_with("&state=st4te"), "{back}");
    let code = code_from(&back);
    assert!(browser.cookies.contains_key("cognito"));
    let mail = browser.last_mail("alice@example.com").await;
    assert_eq!(mail["subject"], "Your verification code");

    // The app exchanges the code.
    let reply = browser.exchange(&code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let id = verify(
        &mut browser,
        tokens["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["cognito:username"], id["sub"]);
    assert!(id.get("cognito:groups").is_none());
    let access = verify(&mut browser, tokens["access_token"].as_str().unwrap(), None).await;
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], CLIENT);
    assert_eq!(access["scope"], "openid email");
    assert_eq!(access["sub"], id["sub"]);

    // Refreshing keeps the authentication event; the app's public client rotates its
    // refresh tokens (RFC 9700 §4.14.2), so a new one comes with each refresh.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let reply = browser
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", refresh_token),
        ])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let refreshed = reply.json();
    let rotated = refreshed["refresh_token"]
        .as_str()
        .expect("a new refresh token");
    assert_ne!(rotated, refresh_token);
    let id2 = verify(
        &mut browser,
        refreshed["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id2["auth_time"], id["auth_time"]);
    assert_eq!(id2["origin_jti"], id["origin_jti"]);
    assert_ne!(id2["jti"], id["jti"]);

    // The SSO session skips the sign-in page.
    let code = browser.code_via_session().await;
    assert_eq!(
        browser.exchange(&code_grant(&code)).await.status,
        StatusCode::OK
    );

    // Logout clears the session and returns to the registered URL.
    let reply = browser
        .get(&format!("/logout?client_id={CLIENT}&logout_uri={LOGOUT}"))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.location(), Some(LOGOUT));
    assert!(!browser.cookies.contains_key("cognito"));
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&oauth_params("s"))))
        .await;
    assert!(reply.location().unwrap().starts_with("/login?"));

    // Signing in again works, with the email in any case.
    let reply = browser.sign_in("alice@example.COM", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let code = code_from(reply.location().unwrap());
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let id3 = verify(
        &mut browser,
        tokens["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id3["sub"], id["sub"]);
}

#[tokio::test]
async fn token_endpoint_refusals() {
    let mut browser = Browser::new().await;
    browser.sign_up("bob@example.com", "s").await;

    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser.exchange(&without(&grant, "code_verifier")).await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
    let reply = browser
        .exchange(&with(&grant, "code_verifier", wrong))
        .await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // The failed attempt spent the code.
    let reply = browser.exchange(&grant).await;
    assert_eq!(reply.json()["error"], "invalid_grant");

    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser
        .exchange(&with(&grant, "redirect_uri", "http://127.0.0.1:3000/other"))
        .await;
    assert_eq!(reply.json()["error"], "invalid_grant");

    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser
        .exchange(&with(&grant, "client_id", "unknownclient"))
        .await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let reply = browser
        .exchange(&with(&grant, "grant_type", "password"))
        .await;
    assert_eq!(reply.json()["error"], "unsupported_grant_type");

    // A replayed code is refused and revokes the refresh token it produced.
    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let first = browser.exchange(&grant).await;
    assert_eq!(first.status, StatusCode::OK);
    let refresh_token = first.json()["refresh_token"].as_str().unwrap().to_owned();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT),
        ("refresh_token", refresh_token.as_str()),
    ];
    assert_eq!(browser.exchange(&refresh).await.status, StatusCode::OK);
    let replay = browser.exchange(&grant).await;
    assert_eq!(
        (replay.status, replay.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let reply = browser.exchange(&refresh).await;
    assert_eq!(reply.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn authorize_never_redirects_to_unknown_places() {
    let mut browser = Browser::new().await;
    for (name, value) in [
        ("client_id", "unknownclient"),
        ("redirect_uri", "https://evil.example/callback"),
    ] {
        let params: Vec<_> = oauth_params("s")
            .into_iter()
            .map(|(k, v)| {
                if k == name {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        let reply = browser
            .get(&format!("/oauth2/authorize?{}", query(&params)))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(reply.location().is_none());
        assert!(reply.body.contains("An error was encountered"));
        assert_eq!(reply.header(header::X_FRAME_OPTIONS), "DENY");
    }

    // A valid client and redirect URI: other errors go back to the app, with state.
    let params: Vec<_> = oauth_params("s")
        .into_iter()
        .filter(|(k, _)| *k != "code_challenge")
        .collect();
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let location = reply.location().unwrap();
    assert!(
        location.starts_with(&format!("{CALLBACK}?error=invalid_request&")),
        "{location}"
    );
    assert!(location.ends_with("&state=s"), "{location}");

    // Logout with an unregistered logout_uri shows the error page.
    let reply = browser
        .get(&format!(
            "/logout?client_id={CLIENT}&logout_uri=https://evil.example/"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.location().is_none());
}

#[tokio::test]
async fn sign_in_failures_reveal_nothing_and_lock_out() {
    let mut browser = Browser::new().await;
    browser.sign_up("carol@example.com", "s").await;
    browser
        .get(&format!("/logout?client_id={CLIENT}&logout_uri={LOGOUT}"))
        .await;

    let unknown = browser.sign_in("nobody@example.com", PASSWORD).await;
    let wrong = browser.sign_in("carol@example.com", "wrong password").await;
    for reply in [&unknown, &wrong] {
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply.body.contains("Incorrect username or password."),
            "{}",
            reply.body
        );
    }

    // Signing up again with a confirmed address looks like success; the owner gets a notice.
    let params = oauth_params("s");
    let csrf = browser
        .get(&format!("/signup?{}", query(&params)))
        .await
        .csrf();
    let reply = browser
        .post(
            "/signup",
            &form(
                &params,
                &[
                    ("_csrf", &csrf),
                    ("username", "carol@example.com"),
                    ("password", "another password"),
                ],
            ),
        )
        .await;
    assert!(reply.location().unwrap().starts_with("/confirm?"));
    let notice = browser.last_mail("carol@example.com").await;
    assert!(
        !notice["body"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c.is_ascii_digit())
    );
    assert_eq!(
        browser.sign_in("carol@example.com", PASSWORD).await.status,
        StatusCode::FOUND
    );
    browser
        .get(&format!("/logout?client_id={CLIENT}&logout_uri={LOGOUT}"))
        .await;

    // Five failures lock the account, even for the right password.
    for _ in 0..5 {
        browser.sign_in("carol@example.com", "wrong password").await;
    }
    let reply = browser.sign_in("carol@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("Password attempts exceeded"),
        "{}",
        reply.body
    );

    // Password policy.
    let csrf = browser
        .get(&format!("/signup?{}", query(&params)))
        .await
        .csrf();
    let reply = browser
        .post(
            "/signup",
            &form(
                &params,
                &[
                    ("_csrf", &csrf),
                    ("username", "dave@example.com"),
                    ("password", "short"),
                ],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("Password not long enough"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn confirmation_codes_die_after_five_wrong_attempts() {
    let mut browser = Browser::new().await;
    let params = oauth_params("s");
    let csrf = browser
        .get(&format!("/signup?{}", query(&params)))
        .await
        .csrf();
    let email = "erin@example.com";
    let reply = browser
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
    assert_eq!(reply.status, StatusCode::FOUND);
    let code = browser.last_code(email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let reply = browser
            .post(
                "/confirm",
                &form(
                    &params,
                    &[("_csrf", &csrf), ("username", email), ("code", wrong)],
                ),
            )
            .await;
        assert!(
            reply
                .body
                .contains("Invalid verification code provided, please try again.")
        );
    }
    let reply = browser
        .post(
            "/confirm",
            &form(
                &params,
                &[("_csrf", &csrf), ("username", email), ("code", &code)],
            ),
        )
        .await;
    assert!(
        reply
            .body
            .contains("Attempt limit exceeded, please request a code again."),
        "{}",
        reply.body
    );

    // A resent code works.
    let reply = browser
        .post(
            "/resend",
            &form(&params, &[("_csrf", &csrf), ("username", email)]),
        )
        .await;
    assert!(reply.body.contains("new code"));
    let code = browser.last_code(email).await;
    let reply = browser
        .post(
            "/confirm",
            &form(
                &params,
                &[("_csrf", &csrf), ("username", email), ("code", &code)],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert!(reply.location().unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn csrf_mismatch_is_refused() {
    let mut browser = Browser::new().await;
    let params = oauth_params("s");
    browser.get(&format!("/login?{}", query(&params))).await;
    assert!(browser.cookies.contains_key("XSRF-TOKEN"));
    let fields = [("username", "x@example.com"), ("password", PASSWORD)];
    for token in ["forged", ""] {
        let reply = browser
            .post(
                "/login",
                &form(&params, &[&fields[..], &[("_csrf", token)]].concat()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(reply.body.contains("Start again"));
    }
    // Without the cookie, even a token from an earlier page fails.
    let token = browser
        .get(&format!("/login?{}", query(&params)))
        .await
        .csrf();
    browser.cookies.clear();
    let reply = browser
        .post(
            "/login",
            &form(
                &params,
                &[&fields[..], &[("_csrf", token.as_str())]].concat(),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_planted_csrf_cookie_is_not_adopted() {
    let mut browser = Browser::new().await;
    let email = "planted@example.com";
    browser.pool.seed_user(email, PASSWORD, &[]).await.unwrap();
    let params = oauth_params("s");
    let credentials = [("username", email), ("password", PASSWORD)];
    // A cookie planted from a sibling subdomain, and the same value in the
    // field: a plain random token, and one shaped like the pool's.
    let plain = crate::secrets::token().unwrap();
    let shaped = format!("{plain}.{}", crate::secrets::token().unwrap());
    for planted in [plain, shaped] {
        browser.cookies.insert("XSRF-TOKEN".into(), planted.clone());
        let reply = browser
            .post(
                "/login",
                &form(
                    &params,
                    &[&credentials[..], &[("_csrf", &planted)]].concat(),
                ),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{planted}");
        assert!(!browser.cookies.contains_key("cognito"));
        // The page replaces the planted token rather than adopting it.
        let page = browser.get(&format!("/login?{}", query(&params))).await;
        assert_ne!(page.csrf(), planted);
        assert_eq!(browser.cookies["XSRF-TOKEN"], page.csrf());
    }
    // The pool's own token works.
    let reply = browser.sign_in(email, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert!(reply.location().unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn the_sign_up_page_refuses_a_common_password_and_says_why() {
    let mut browser = Browser::new().await;
    let params = oauth_params("s");
    let email = "common@example.com";
    let page = browser.get(&format!("/signup?{}", query(&params))).await;
    let reply = browser
        .post(
            "/signup",
            &form(
                &params,
                &[
                    ("_csrf", &page.csrf()),
                    ("username", email),
                    ("password", "Password123"),
                ],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .body
            .contains("Password is too common: choose one that is harder to guess."),
        "{}",
        reply.body
    );
    // Nothing was created, and no code was mailed.
    assert!(
        browser
            .pool
            .store()
            .user_by_email(email)
            .await
            .unwrap()
            .is_none()
    );
    let outbox = browser.get(&format!("/_dev/outbox.json?to={email}")).await;
    assert_eq!(outbox.json(), serde_json::json!([]));
}

#[tokio::test]
async fn pages_escape_what_they_echo() {
    let mut browser = Browser::new().await;
    let payload = r#""><script>alert(1)</script>"#;
    let page = browser
        .get(&format!("/login?{}", query(&oauth_params(payload))))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(!page.body.contains(payload));
    assert!(
        page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn discovery_and_dev_outbox_switch() {
    let mut browser = Browser::new().await;
    let doc = browser
        .get("/us-east-1_LocalPool/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(doc["issuer"], "http://127.0.0.1:9229/us-east-1_LocalPool");
    assert_eq!(
        doc["jwks_uri"],
        "http://127.0.0.1:9229/us-east-1_LocalPool/.well-known/jwks.json"
    );
    assert_eq!(doc["end_session_endpoint"], "http://127.0.0.1:9229/logout");
    assert_eq!(
        doc["revocation_endpoint"],
        "http://127.0.0.1:9229/oauth2/revoke"
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["userinfo_endpoint"],
        "http://127.0.0.1:9229/oauth2/userInfo"
    );
    assert_eq!(browser.get("/_dev/outbox").await.status, StatusCode::OK);

    let (config, _dir) = test_config(false).await;
    let router = UserPool::open(config).await.unwrap().router();
    let reply = router
        .oneshot(
            Request::get("/_dev/outbox.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_mailed_code() {
    let mut browser = Browser::new().await;
    let email = "frank@example.com";
    browser.sign_up(email, "s").await;
    let code = browser.code_via_session().await;
    let old_tokens = browser.exchange(&code_grant(&code)).await.json();
    let params = oauth_params("s");

    // The sign-in page links to the reset; asking for it looks the same for
    // every address, but only a real account gets a code.
    let login = browser.get(&format!("/login?{}", query(&params))).await;
    assert!(login.body.contains("/forgotPassword?"), "{}", login.body);
    let page = browser
        .get(&format!("/forgotPassword?{}", query(&params)))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let mut next_pages = Vec::new();
    for address in ["nobody@example.com", "Frank@Example.com"] {
        let reply = browser
            .post(
                "/forgotPassword",
                &form(&params, &[("_csrf", &csrf), ("username", address)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
        next_pages.push(reply.location().unwrap().replace("nobody%40", "X"));
    }
    assert_eq!(next_pages[0].replace("X", "frank%40"), next_pages[1]);
    let mails = browser.get("/_dev/outbox.json?to=nobody@example.com").await;
    assert_eq!(mails.json(), serde_json::json!([]));
    let page = browser.get(&next_pages[1]).await;
    assert!(page.body.contains("Reset your password"), "{}", page.body);
    let code = browser.last_code(email).await;

    fn reset<'a>(
        params: &'a [(&'static str, String)],
        csrf: &'a str,
        code: &'a str,
        password: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        form(
            params,
            &[
                ("_csrf", csrf),
                ("username", "frank@example.com"),
                ("code", code),
                ("password", password),
            ],
        )
    }
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, wrong, "a new password"),
        )
        .await;
    assert!(reply.body.contains("Invalid verification code provided"));
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, &code, "short"),
        )
        .await;
    assert!(reply.body.contains("Password not long enough"));
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, &code, "a new password"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("Your password has been changed."));
    // The code is spent.
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, &code, "a third password"),
        )
        .await;
    assert!(
        reply.body.contains("Invalid code provided"),
        "{}",
        reply.body
    );

    // The reset ended every session: the old refresh token and the SSO session.
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT),
        (
            "refresh_token",
            old_tokens["refresh_token"].as_str().unwrap(),
        ),
    ];
    assert_eq!(
        browser.exchange(&refresh).await.json()["error"],
        "invalid_grant"
    );
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    assert!(reply.location().unwrap().starts_with("/login?"));

    let reply = browser.sign_in(email, PASSWORD).await;
    assert!(reply.body.contains("Incorrect username or password."));
    let reply = browser.sign_in(email, "a new password").await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert!(reply.location().unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn codes_mailed_to_one_user_are_rationed() {
    let mut browser = Browser::new().await;
    let email = "gina@example.com";
    browser.sign_up(email, "s").await;
    let params = oauth_params("s");
    let csrf = browser
        .get(&format!("/forgotPassword?{}", query(&params)))
        .await
        .csrf();
    for _ in 0..8 {
        let reply = browser
            .post(
                "/forgotPassword",
                &form(&params, &[("_csrf", &csrf), ("username", email)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND);
    }
    let mails = browser
        .get(&format!("/_dev/outbox.json?to={email}"))
        .await
        .json();
    // The sign-up code, then reset codes up to the limit of five per hour.
    assert_eq!(mails.as_array().unwrap().len(), 1 + 5, "{mails}");
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_use() {
    let mut browser = Browser::new().await;
    browser.sign_up("hana@example.com", "s").await;
    let code = browser.code_via_session().await;
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT),
        ("refresh_token", refresh_token),
    ];
    assert_eq!(browser.exchange(&refresh).await.status, StatusCode::OK);

    let revoke = [("token", refresh_token), ("client_id", CLIENT)];
    let reply = browser
        .post("/oauth2/revoke", &without(&revoke, "token"))
        .await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let reply = browser
        .post(
            "/oauth2/revoke",
            &with(&revoke, "client_id", "unknownclient"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // Unknown tokens are answered like live ones (RFC 7009 §2.2) and change nothing.
    let reply = browser
        .post("/oauth2/revoke", &with(&revoke, "token", "not-a-token"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(browser.exchange(&refresh).await.status, StatusCode::OK);

    let reply = browser.post("/oauth2/revoke", &revoke).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(
        browser.exchange(&refresh).await.json()["error"],
        "invalid_grant"
    );
    assert_eq!(
        browser.post("/oauth2/revoke", &revoke).await.status,
        StatusCode::OK
    );
}

/// What the app asks, every `SESSION_CHECK_SECONDS`, to learn that a session
/// ended elsewhere: userInfo refuses the access tokens of a revoked sign-in and
/// of a disabled user at once, though they are unexpired and well signed.
#[tokio::test]
async fn user_info_refuses_the_tokens_of_a_session_ended_at_the_pool() {
    let mut browser = Browser::new().await;
    browser.sign_up("ivy@example.com", "s").await;
    let sign_in = async |browser: &mut Browser| {
        let code = browser.code_via_session().await;
        browser.exchange(&code_grant(&code)).await.json()
    };
    let user_info = async |browser: &mut Browser, access_token: &str| {
        let request = Request::get("/oauth2/userInfo")
            .header(header::AUTHORIZATION, format!("Bearer {access_token}"));
        browser.send(request, Body::empty()).await.status
    };
    let tokens = sign_in(&mut browser).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_info(&mut browser, access_token).await, StatusCode::OK);
    let revoke = [
        ("token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", CLIENT),
    ];
    assert_eq!(
        browser.post("/oauth2/revoke", &revoke).await.status,
        StatusCode::OK
    );
    assert_eq!(
        user_info(&mut browser, access_token).await,
        StatusCode::UNAUTHORIZED
    );

    let tokens = sign_in(&mut browser).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_info(&mut browser, access_token).await, StatusCode::OK);
    let sub = browser
        .pool
        .store()
        .user_by_email("ivy@example.com")
        .await
        .unwrap()
        .unwrap()
        .sub;
    browser
        .pool
        .store()
        .set_enabled(&sub, false, crate::now())
        .await
        .unwrap();
    assert_eq!(
        user_info(&mut browser, access_token).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn user_info_answers_only_live_access_tokens_with_openid() {
    let mut browser = Browser::new().await;
    browser.sign_up("ines@example.com", "s").await;
    let code = browser.code_via_session().await;
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let access_token = tokens["access_token"].as_str().unwrap();

    async fn user_info(browser: &mut Browser, authorization: Option<&str>) -> Reply {
        let mut request = Request::get("/oauth2/userInfo");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        browser.send(request, Body::empty()).await
    }

    let reply = user_info(&mut browser, Some(&format!("Bearer {access_token}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let info = reply.json();
    assert_eq!(info["email"], "ines@example.com");
    assert_eq!(info["email_verified"], "true");
    assert_eq!(info["username"], info["sub"]);

    let reply = user_info(&mut browser, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header(header::WWW_AUTHENTICATE), "Bearer");
    let id_token = format!("Bearer {}", tokens["id_token"].as_str().unwrap());
    let (signed, _) = access_token.rsplit_once('.').unwrap();
    let unsigned = format!("Bearer {signed}.");
    for bad in [id_token.as_str(), unsigned.as_str(), "Bearer nonsense"] {
        let reply = user_info(&mut browser, Some(bad)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad:.30}");
        assert_eq!(
            reply.header(header::WWW_AUTHENTICATE),
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(reply.json()["error"], "invalid_token");
    }

    // Without the openid scope the token is refused as insufficient.
    let mut params = oauth_params("s");
    params.retain(|(name, _)| *name != "scope");
    params.push(("scope", "email".into()));
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    let code = code_from(reply.location().unwrap());
    let email_only = browser.exchange(&code_grant(&code)).await.json();
    let bearer = format!("Bearer {}", email_only["access_token"].as_str().unwrap());
    let reply = user_info(&mut browser, Some(&bearer)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "insufficient_scope");

    // Revoking the sign-in's refresh token kills its access tokens here too.
    let revoke = [
        ("token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", CLIENT),
    ];
    assert_eq!(
        browser.post("/oauth2/revoke", &revoke).await.status,
        StatusCode::OK
    );
    let reply = user_info(&mut browser, Some(&format!("Bearer {access_token}"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn protocol_tricks_are_refused() {
    let mut browser = Browser::new().await;
    browser.sign_up("ivan@example.com", "s").await;
    let authorize = |changes: &[(&'static str, &str)]| {
        let mut params = oauth_params("s");
        for (name, value) in changes {
            params.retain(|(k, _)| k != name);
            params.push((name, (*value).to_owned()));
        }
        format!("/oauth2/authorize?{}", query(&params))
    };

    // A redirect URI must be registered exactly: no case, slash, query or fragment games.
    for uri in [
        "http://127.0.0.1:3000/Callback",
        "HTTP://127.0.0.1:3000/callback",
        "http://127.0.0.1:3000/callback/",
        "http://127.0.0.1:3000/callback?next=/admin",
        "http://127.0.0.1:3000/callback#x",
        "http://127.0.0.1:4000/callback",
    ] {
        let reply = browser.get(&authorize(&[("redirect_uri", uri)])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(reply.location().is_none(), "{uri}");
    }
    // PKCE is S256 only.
    for method in ["plain", "s256", ""] {
        let reply = browser
            .get(&authorize(&[("code_challenge_method", method)]))
            .await;
        let location = reply.location().unwrap_or_default().to_owned();
        assert!(
            location.starts_with(&format!("{CALLBACK}?error=invalid_request&")),
            "{method}: {location}"
        );
    }

    // A code is the client's that asked for it, and dies after five minutes.
    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser
        .exchange(&with(&grant, "client_id", OTHER_CLIENT))
        .await;
    assert_eq!(reply.json()["error"], "invalid_grant");
    let code = browser.code_via_session().await;
    let db = crate::store::connect(&browser.pool.config().database())
        .await
        .unwrap();
    sqlx::query("UPDATE auth_codes SET expires_at = $1 WHERE used_at IS NULL")
        .bind(crate::now() - 1)
        .execute(&db)
        .await
        .unwrap();
    let reply = browser.exchange(&code_grant(&code)).await;
    assert_eq!(reply.json()["error"], "invalid_grant");

    // A refresh token is its client's too.
    let code = browser.code_via_session().await;
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let reply = browser
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("client_id", OTHER_CLIENT),
            ("refresh_token", refresh_token),
        ])
        .await;
    assert_eq!(reply.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn health_and_request_limits() {
    let mut browser = Browser::new().await;
    let reply = browser.get("/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ok");

    // An oversized form is refused before it is read, and changes nothing.
    let body = format!(
        "grant_type=authorization_code&code={}",
        "x".repeat(100 * 1024)
    );
    let request = Request::post("/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, body.len());
    let reply = browser.send(request, Body::from(body)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a declared length (chunked) it is cut off while read, before any
    // handler sees it: 413 all the same, from the OAuth endpoints (which would
    // answer their own `invalid_request`), the hosted UI's forms and the JSON API.
    for (path, content_type) in [
        ("/oauth2/token", "application/x-www-form-urlencoded"),
        ("/oauth2/revoke", "application/x-www-form-urlencoded"),
        ("/login", "application/x-www-form-urlencoded"),
        ("/signup", "application/x-www-form-urlencoded"),
        ("/", "application/x-amz-json-1.1"),
    ] {
        let body = format!("code={}", "x".repeat(100 * 1024));
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp");
        let reply = browser.send(request, Body::from(body)).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
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

#[tokio::test]
async fn admin_operations_need_a_valid_signature_by_a_configured_key() {
    let mut browser = Browser::new().await;
    let list = format!(r#"{{"UserPoolId":"{}"}}"#, browser.pool.config().pool_id());
    let (key, secret) = browser.pool.config().admin_credential().unwrap();
    let (key, secret) = (key.to_owned(), secret.to_owned());
    let now = std::time::SystemTime::now();

    let reply = browser
        .cognito_signed_by("ListUsers", &list, &key, &secret, now)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // Each refusal is AWS's, with its type in x-amzn-ErrorType, and changes nothing.
    let create = format!(
        r#"{{"UserPoolId":"{}","Username":"mallory@example.com","MessageAction":"SUPPRESS"}}"#,
        browser.pool.config().pool_id()
    );
    let fifteen_minutes_ago = now - std::time::Duration::from_secs(16 * 60);
    for (reply, status, expected) in [
        (
            browser
                .cognito_signed_by(
                    "AdminCreateUser",
                    &create,
                    &key,
                    "a-wrong-secret-0123456789",
                    now,
                )
                .await,
            StatusCode::BAD_REQUEST,
            "InvalidSignatureException",
        ),
        (
            browser
                .cognito_signed_by(
                    "AdminCreateUser",
                    &create,
                    "AKIANOTCONFIGURED001",
                    &secret,
                    now,
                )
                .await,
            StatusCode::BAD_REQUEST,
            "UnrecognizedClientException",
        ),
        (
            browser
                .cognito_signed_by(
                    "AdminCreateUser",
                    &create,
                    &key,
                    &secret,
                    fifteen_minutes_ago,
                )
                .await,
            StatusCode::BAD_REQUEST,
            "InvalidSignatureException",
        ),
        (
            browser.cognito("AdminCreateUser", &create, false).await,
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
        ),
    ] {
        assert_eq!(
            (reply.status, reply.json()["__type"].as_str()),
            (status, Some(expected)),
            "{}",
            reply.body
        );
        assert_eq!(
            reply.header(header::HeaderName::from_static("x-amzn-errortype")),
            expected
        );
    }
    let reply = browser.cognito("ListUsers", &list, true).await;
    assert!(!reply.body.contains("mallory"), "{}", reply.body);

    // A pool without admin credentials refuses every admin operation.
    let start = CONFIG.find("[[admin_credentials]]").unwrap();
    let end = start + CONFIG[start..].find("\n\n").unwrap();
    let mut config = Config::from_toml(&format!("{}{}", &CONFIG[..start], &CONFIG[end..])).unwrap();
    assert_eq!(config.admin_credential(), None);
    let dir = tempfile::tempdir().unwrap();
    config.set_data_dir(dir.path());
    let mut bare = Browser::open((config, dir)).await;
    let reply = bare
        .cognito_signed_by("ListUsers", &list, &key, &secret, now)
        .await;
    assert_eq!(reply.json()["__type"], "UnrecognizedClientException");
}

#[tokio::test]
async fn the_pool_answers_only_for_its_own_host() {
    let mut browser = Browser::new().await;
    // The dev outbox, the hosted UI and the JSON API alike.
    for uri in ["/", "/_dev/outbox.json", "/login", "/oauth2/token"] {
        for host in ["evil.example:9229", "evil.example", "127.0.0.1:3000"] {
            let reply = browser
                .send(Request::get(uri).header(header::HOST, host), Body::empty())
                .await;
            assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{host}{uri}");
        }
    }
    let reply = browser
        .send(
            Request::post("/")
                .header(header::HOST, "evil.example:9229")
                .header(
                    "x-amz-target",
                    "AWSCognitoIdentityProviderService.ListUsers",
                ),
            Body::from("{}"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST);
    for host in ["127.0.0.1:9229", "localhost:9229", "[::1]:9229"] {
        let reply = browser
            .send(
                Request::get("/_dev/outbox.json").header(header::HOST, host),
                Body::empty(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{host}");
    }
    // Health checks from a load balancer name the address.
    let reply = browser
        .send(
            Request::get("/healthz").header(header::HOST, "10.0.0.7:9229"),
            Body::empty(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn the_json_api_speaks_cognitos_wire_format() {
    let mut browser = Browser::new().await;
    let scripts = "5cr1pt5c1ient0leptos0cog";

    let reply = browser
        .cognito(
            "SignUp",
            &format!(
                r#"{{"ClientId":"{scripts}","Username":"Carol@Example.com","Password":"{PASSWORD}"}}"#
            ),
            false,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "application/x-amz-json-1.1"
    );
    let signed_up = reply.json();
    assert_eq!(signed_up["UserConfirmed"], false);
    assert_eq!(signed_up["CodeDeliveryDetails"]["Destination"], "c***@e***");
    let code = browser.last_code("carol@example.com").await;
    let reply = browser
        .cognito(
            "ConfirmSignUp",
            &format!(
                r#"{{"ClientId":"{scripts}","Username":"carol@example.com","ConfirmationCode":"{code}"}}"#
            ),
            false,
        )
        .await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "{}"));

    // Errors: HTTP 400, `__type` and `message`, and the type in x-amzn-ErrorType.
    let reply = browser
        .cognito(
            "InitiateAuth",
            &format!(
                r#"{{"ClientId":"{scripts}","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"carol@example.com","PASSWORD":"wrong password"}}}}"#
            ),
            false,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        serde_json::json!({"__type": "NotAuthorizedException", "message": "Incorrect username or password."})
    );
    assert_eq!(
        reply.header(header::HeaderName::from_static("x-amzn-errortype")),
        "NotAuthorizedException"
    );

    let reply = browser
        .cognito(
            "InitiateAuth",
            &format!(
                r#"{{"ClientId":"{scripts}","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"carol@example.com","PASSWORD":"{PASSWORD}"}}}}"#
            ),
            false,
        )
        .await;
    let result = &reply.json()["AuthenticationResult"];
    let id = verify(
        &mut browser,
        result["IdToken"].as_str().unwrap(),
        Some(scripts),
    )
    .await;
    assert_eq!(id["email"], "carol@example.com");
    let access = verify(&mut browser, result["AccessToken"].as_str().unwrap(), None).await;
    assert_eq!(access["scope"], "aws.cognito.signin.user.admin");

    // Admin operations need a signature and this pool's id.
    let list = format!(r#"{{"UserPoolId":"{}"}}"#, browser.pool.config().pool_id());
    let reply = browser.cognito("ListUsers", &list, false).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.json()["__type"],
        "MissingAuthenticationTokenException"
    );
    let reply = browser.cognito("ListUsers", &list, true).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["Users"][0]["UserStatus"], "CONFIRMED");
    let reply = browser
        .cognito("ListUsers", r#"{"UserPoolId":"us-east-1_Other"}"#, true)
        .await;
    assert_eq!(reply.json()["__type"], "ResourceNotFoundException");

    // Malformed requests change nothing and never reach an operation.
    for (operation, body, expected) in [
        ("SignUp", "{", "SerializationException"),
        ("SignUp", "{}", "InvalidParameterException"),
        ("SignUp", r#"{"ClientId":7}"#, "InvalidParameterException"),
        (
            "NoSuchOperation",
            "{}",
            "MissingAuthenticationTokenException",
        ),
    ] {
        let reply = browser.cognito(operation, body, false).await;
        assert_eq!(reply.json()["__type"], expected, "{operation} {body}");
    }
    let reply = browser.cognito("NoSuchOperation", &list, true).await;
    assert_eq!(reply.json()["__type"], "UnknownOperationException");
}

/// U+0000, which PostgreSQL cannot store, is refused at every boundary before
/// anything is written: each interface in its own error shape, never a 500.
#[tokio::test]
async fn nul_characters_are_refused_before_anything_is_written() {
    let mut browser = Browser::new().await;
    let scripts = "5cr1pt5c1ient0leptos0cog";
    let pool_id = browser.pool.config().pool_id().to_owned();
    let nul = r"\u0000";
    let sign_up = format!(
        r#"{{"ClientId":"{scripts}","Username":"user@example.com","Password":"{PASSWORD}"}}"#
    );
    assert_eq!(
        browser.cognito("SignUp", &sign_up, false).await.status,
        StatusCode::OK
    );
    let calls = [
        (
            "SignUp",
            format!(
                r#"{{"ClientId":"{scripts}","Username":"nul@example.com","Password":"{PASSWORD}","UserAttributes":[{{"Name":"name","Value":"a{nul}b"}}]}}"#
            ),
            false,
        ),
        (
            "SignUp",
            format!(
                r#"{{"ClientId":"{scripts}","Username":"nul{nul}@example.com","Password":"{PASSWORD}"}}"#
            ),
            false,
        ),
        (
            "SignUp",
            format!(
                r#"{{"ClientId":"{scripts}","Username":"nul@example.com","Password":"{PASSWORD}","Extra{nul}":1}}"#
            ),
            false,
        ),
        (
            "ForgotPassword",
            format!(r#"{{"ClientId":"{scripts}","Username":"user{nul}@example.com"}}"#),
            false,
        ),
        (
            "InitiateAuth",
            format!(
                r#"{{"ClientId":"{scripts}","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"user@example.com{nul}","PASSWORD":"{PASSWORD}"}}}}"#
            ),
            false,
        ),
        (
            "AdminGetUser",
            format!(r#"{{"UserPoolId":"{pool_id}","Username":"user{nul}@example.com"}}"#),
            true,
        ),
        (
            "CreateGroup",
            format!(r#"{{"UserPoolId":"{pool_id}","GroupName":"nul{nul}group"}}"#),
            true,
        ),
        (
            "ListUsers",
            format!(r#"{{"UserPoolId":"{pool_id}","Filter":"email = \"user{nul}\""}}"#),
            true,
        ),
        (
            "AdminUpdateUserAttributes",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"user@example.com","UserAttributes":[{{"Name":"name","Value":"{nul}"}}]}}"#
            ),
            true,
        ),
    ];
    for (operation, body, signed) in calls {
        let reply = browser.cognito(operation, &body, signed).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{operation}: {}",
            reply.body
        );
        assert_eq!(
            reply.json()["__type"],
            "InvalidParameterException",
            "{operation}"
        );
    }
    let pool = browser.pool.clone();
    let store = pool.store();
    assert!(
        store
            .user_by_email("nul@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let user = store
        .user_by_email("user@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .attributes(&user.sub)
            .await
            .unwrap()
            .iter()
            .all(|(name, _)| name != "name")
    );
    let groups = store.list_groups(None, 60).await.unwrap();
    assert!(groups.items.iter().all(|g| !g.name.starts_with("nul")));

    // The hosted UI: its error page. A form post with a valid CSRF token...
    let params = oauth_params("s");
    let page = browser.get(&format!("/signup?{}", query(&params))).await;
    let csrf = page.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("username", "nul@example.com"),
        ("password", "correct horse\0battery"),
    ];
    let reply = browser.post("/signup", &form(&params, &fields)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("U+0000"), "{}", reply.body);
    assert!(
        store
            .user_by_email("nul@example.com")
            .await
            .unwrap()
            .is_none()
    );
    // ... and a query string.
    let reply = browser
        .get(&format!("/login?{}", query(&oauth_params("s\0"))))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    // The token endpoint: `invalid_request`.
    let reply = browser.exchange(&code_grant("x\0y")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.json()["error"], "invalid_request");
}

#[tokio::test]
async fn a_user_created_by_an_admin_chooses_a_password_at_first_sign_in() {
    let mut browser = Browser::new().await;
    let pool_id = browser.pool.config().pool_id().to_owned();
    let reply = browser
        .cognito(
            "AdminCreateUser",
            &format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"dave@example.com","TemporaryPassword":"temporary pw"}}"#
            ),
            true,
        )
        .await;
    assert_eq!(reply.json()["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");

    // The temporary password leads to the new-password page, not to the client.
    let params = oauth_params("s");
    let page = browser.get(&format!("/login?{}", query(&params))).await;
    let csrf = page.csrf();
    let login = [
        ("_csrf", csrf.as_str()),
        ("username", "dave@example.com"),
        ("password", "temporary pw"),
    ];
    let reply = browser.post("/login", &form(&params, &login)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("Change your password"),
        "{}",
        reply.body
    );
    assert!(!browser.cookies.contains_key("cognito"));
    let marker = r#"name="session" value=""#;
    let start = reply.body.find(marker).unwrap() + marker.len();
    let session = reply.body[start..][..reply.body[start..].find('"').unwrap()].to_owned();
    let csrf = reply.csrf();

    // A forged session, or one for someone else, starts over at sign-in.
    let forged = [
        ("_csrf", csrf.as_str()),
        ("session", "e30.e30.e30"),
        ("username", "dave@example.com"),
        ("password", "my own password"),
    ];
    let reply = browser.post("/newPassword", &form(&params, &forged)).await;
    assert!(reply.body.contains("session is expired"), "{}", reply.body);

    // Too short: the same page again, with the policy's words.
    let fields = [
        ("_csrf", csrf.as_str()),
        ("session", session.as_str()),
        ("username", "dave@example.com"),
        ("password", "short"),
    ];
    let reply = browser.post("/newPassword", &form(&params, &fields)).await;
    assert!(
        reply.body.contains("Password not long enough"),
        "{}",
        reply.body
    );

    let fields = [
        ("_csrf", csrf.as_str()),
        ("session", session.as_str()),
        ("username", "dave@example.com"),
        ("password", "my own password"),
    ];
    let reply = browser.post("/newPassword", &form(&params, &fields)).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let code = code_from(reply.location().unwrap());
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let id = verify(
        &mut browser,
        tokens["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id["email"], "dave@example.com");

    // The session is spent: answering again starts over.
    let reply = browser.post("/newPassword", &form(&params, &fields)).await;
    assert!(reply.body.contains("session is expired"), "{}", reply.body);
}

#[tokio::test]
async fn machine_clients_get_access_tokens_with_custom_scopes() {
    let mut browser = Browser::new().await;
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "mach1ne:machine-secret-0123456789"
        )
    );
    let mut machine = async |fields: &[(&str, &str)]| {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post("/oauth2/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, &basic);
        browser.send(request, Body::from(body)).await
    };

    let reply = machine(&[("grant_type", "client_credentials")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let tokens = reply.json();
    assert!(tokens.get("id_token").is_none() && tokens.get("refresh_token").is_none());
    assert_eq!(tokens["expires_in"], 600);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let reply = machine(&[
        ("grant_type", "client_credentials"),
        ("scope", "https://api.example.com/read"),
    ])
    .await;
    let read_only = reply.json()["access_token"].as_str().unwrap().to_owned();
    for (fields, error) in [
        (
            vec![("grant_type", "client_credentials"), ("scope", "openid")],
            "invalid_scope",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "https://api.example.com/admin"),
            ],
            "invalid_scope",
        ),
        (
            vec![("grant_type", "authorization_code"), ("code", "x")],
            "unauthorized_client",
        ),
    ] {
        assert_eq!(machine(&fields).await.json()["error"], error, "{fields:?}");
    }

    let claims = verify(&mut browser, &access, None).await;
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["sub"], "mach1ne");
    assert_eq!(claims["client_id"], "mach1ne");
    assert_eq!(claims["token_use"], "access");
    assert_eq!(
        claims["scope"],
        "https://api.example.com/read https://api.example.com/write"
    );
    assert!(claims.get("username").is_none());
    let claims = verify(&mut browser, &read_only, None).await;
    assert_eq!(claims["scope"], "https://api.example.com/read");

    // Public clients cannot use the grant.
    let reply = browser
        .exchange(&[("grant_type", "client_credentials"), ("client_id", CLIENT)])
        .await;
    assert_eq!(reply.json()["error"], "unauthorized_client");
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

#[tokio::test]
async fn a_replayed_rotated_refresh_token_ends_the_sign_in() {
    let mut browser = Browser::new().await;
    let sign_up = format!(
        r#"{{"ClientId":"r0tating","Username":"erin@example.com","Password":"{PASSWORD}"}}"#
    );
    assert_eq!(
        browser.cognito("SignUp", &sign_up, false).await.status,
        StatusCode::OK
    );
    let code = browser.last_code("erin@example.com").await;
    let confirm = format!(
        r#"{{"ClientId":"r0tating","Username":"erin@example.com","ConfirmationCode":"{code}"}}"#
    );
    assert_eq!(
        browser
            .cognito("ConfirmSignUp", &confirm, false)
            .await
            .status,
        StatusCode::OK
    );
    let first = browser
        .cognito(
            "InitiateAuth",
            &password_auth("r0tating", "erin@example.com"),
            false,
        )
        .await
        .json();
    let refresh = |token: &str| refresh_auth("r0tating", token);
    let r1 = first["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let second = browser
        .cognito("InitiateAuth", &refresh(&r1), false)
        .await
        .json();
    let r2 = second["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();
    assert_ne!(r1, r2);
    let access = second["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // The old token again: refused, and the whole sign-in with it.
    let replay = browser.cognito("InitiateAuth", &refresh(&r1), false).await;
    assert_eq!(replay.json()["__type"], "NotAuthorizedException");
    let after = browser.cognito("InitiateAuth", &refresh(&r2), false).await;
    assert_eq!(after.json()["__type"], "NotAuthorizedException");
    let get_user = format!(r#"{{"AccessToken":"{access}"}}"#);
    let reply = browser.cognito("GetUser", &get_user, false).await;
    assert_eq!(reply.json()["__type"], "NotAuthorizedException");
}

/// Two requests that refresh one session at once (two tabs, two app servers)
/// both keep it: the token just rotated out still works within the grace period.
#[tokio::test]
async fn a_rotated_refresh_token_is_a_retry_within_the_grace_period() {
    let mut browser = Browser::new().await;
    browser.sign_up("gail@example.com", "s").await;
    let first = browser
        .cognito(
            "InitiateAuth",
            &password_auth("gr4ce", "gail@example.com"),
            false,
        )
        .await
        .json();
    let refresh = |token: &str| refresh_auth("gr4ce", token);
    let new_refresh_token = |reply: &Reply| {
        reply.json()["AuthenticationResult"]["RefreshToken"]
            .as_str()
            .expect("a new refresh token")
            .to_owned()
    };
    let r1 = first["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // Cookie-less JSON API calls: two copies of the browser's router, side by side.
    let (mut tab1, mut tab2) = (browser.tab(), browser.tab());
    let request = refresh(&r1);
    let (one, two) = tokio::join!(
        tab1.cognito("InitiateAuth", &request, false),
        tab2.cognito("InitiateAuth", &request, false),
    );
    let (r2, r3) = (new_refresh_token(&one), new_refresh_token(&two));
    assert_ne!(r2, r3);
    // Both successors live on, and the sign-in with them.
    for token in [&r2, &r3] {
        let reply = browser
            .cognito("InitiateAuth", &refresh(token), false)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let access = reply.json()["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let get_user = format!(r#"{{"AccessToken":"{access}"}}"#);
        assert_eq!(
            browser.cognito("GetUser", &get_user, false).await.status,
            StatusCode::OK
        );
    }
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

/// 50 sign-ups with one email at once: one creates the account, every other
/// is told it exists (or, past the Argon2 queue, to retry) and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sign_ups_with_one_email_create_one_account() {
    let mut browser = Browser::new().await;
    let scripts = "5cr1pt5c1ient0leptos0cog";
    let email = "racer@example.com";
    let password = |n: usize| format!("password number {n}");
    let replies = at_once(&browser, 50, "SignUp", false, |n| {
        serde_json::json!({"ClientId": scripts, "Username": email, "Password": password(n)})
            .to_string()
    })
    .await;
    let winner = only_winner(
        &replies,
        &["UsernameExistsException", "TooManyRequestsException"],
    );

    // One code was mailed, and the winner's password is the account's.
    let mail = browser.get(&format!("/_dev/outbox.json?to={email}")).await;
    assert_eq!(mail.json().as_array().unwrap().len(), 1, "{}", mail.body);
    let code = browser.last_code(email).await;
    let confirm =
        serde_json::json!({"ClientId": scripts, "Username": email, "ConfirmationCode": code});
    let reply = browser
        .cognito("ConfirmSignUp", &confirm.to_string(), false)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let sign_in = serde_json::json!({
        "ClientId": scripts,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": password(winner)},
    });
    let reply = browser
        .cognito("InitiateAuth", &sign_in.to_string(), false)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// 20 administrators creating one group, then one user, at once: one of each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_admin_creations_make_one_group_and_one_user() {
    let mut browser = Browser::new().await;
    let pool_id = browser.pool.config().pool_id().to_owned();
    let replies = at_once(&browser, 20, "CreateGroup", true, |n| {
        serde_json::json!({"UserPoolId": pool_id, "GroupName": "racers", "Precedence": n})
            .to_string()
    })
    .await;
    let winner = only_winner(&replies, &["GroupExistsException"]);
    let reply = browser
        .cognito(
            "GetGroup",
            &serde_json::json!({"UserPoolId": pool_id, "GroupName": "racers"}).to_string(),
            true,
        )
        .await;
    assert_eq!(reply.json()["Group"]["Precedence"], winner);

    let email = "invited@example.com";
    let temporary = |n: usize| format!("temporary number {n}");
    let replies = at_once(&browser, 20, "AdminCreateUser", true, |n| {
        serde_json::json!({
            "UserPoolId": pool_id,
            "Username": email,
            "TemporaryPassword": temporary(n),
            "MessageAction": "SUPPRESS",
        })
        .to_string()
    })
    .await;
    let winner = only_winner(
        &replies,
        &["UsernameExistsException", "TooManyRequestsException"],
    );
    // The winner's temporary password is the one to replace.
    let sign_in = serde_json::json!({
        "ClientId": "5cr1pt5c1ient0leptos0cog",
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": temporary(winner)},
    });
    let reply = browser
        .cognito("InitiateAuth", &sign_in.to_string(), false)
        .await;
    assert_eq!(
        reply.json()["ChallengeName"],
        "NEW_PASSWORD_REQUIRED",
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn implicit_clients_get_tokens_in_the_fragment_and_nothing_else() {
    let mut browser = Browser::new().await;
    browser.sign_up("frank@example.com", "s").await;
    let authorize = |response_type: &str| {
        format!(
            "/oauth2/authorize?{}",
            query(&[
                ("response_type", response_type.into()),
                ("client_id", "impl1cit".into()),
                ("redirect_uri", "http://127.0.0.1:5000/callback".into()),
                ("scope", "openid email".into()),
                ("state", "st".into()),
                ("nonce", "n1".into()),
            ])
        )
    };
    // The live SSO session answers at once, with tokens after the `#`.
    let reply = browser.get(&authorize("token")).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let location = url::Url::parse(reply.location().unwrap()).unwrap();
    assert_eq!(location.query(), None);
    let fragment: HashMap<String, String> =
        url::form_urlencoded::parse(location.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(fragment["state"], "st");
    assert_eq!(fragment["token_type"], "Bearer");
    assert!(!fragment.contains_key("refresh_token"));
    let id = verify(&mut browser, &fragment["id_token"], Some("impl1cit")).await;
    assert_eq!(
        (id["email"].as_str(), id["nonce"].as_str()),
        (Some("frank@example.com"), Some("n1"))
    );

    // This client may not use codes.
    let reply = browser.get(&authorize("code")).await;
    assert!(
        reply
            .location()
            .unwrap()
            .contains("error=unauthorized_client"),
        "{:?}",
        reply.location()
    );
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

#[tokio::test]
async fn users_of_an_older_schema_still_sign_in_after_the_upgrade() {
    let (config, _dir) = test_config(true).await;
    let database = config.database();
    // A database as release 0.1 (migrations 0001-0002) left it, with a confirmed user.
    let old = tempfile::tempdir().unwrap();
    older_migrations(&database, old.path(), 2);
    let db = crate::store::connect(&database).await.unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap();
    let hash = crate::password::Hasher::new()
        .await
        .unwrap()
        .hash(PASSWORD)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO users (sub, email, password_hash, confirmed, created_at, updated_at)
         VALUES ('7e1c0f5e-0000-4000-8000-000000000001', 'old@example.com', $1, TRUE, 1, 1)",
    )
    .bind(&hash)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;

    // The new release opens it: the remaining migrations apply, the user signs in.
    let pool = UserPool::open(config).await.unwrap();
    match crate::accounts::sign_in(&pool, "old@example.com", PASSWORD)
        .await
        .unwrap()
    {
        crate::accounts::SignIn::Authenticated(user) => {
            assert!(user.enabled && !user.force_password_change);
        }
        _ => panic!("the old user could not sign in"),
    }
}

#[tokio::test]
async fn a_failing_migration_leaves_the_database_as_it_was() {
    let (config, _dir) = test_config(true).await;
    let database = config.database();
    drop(crate::store::Store::open(&database).await.unwrap());
    // Today's migrations, then a broken one.
    let next = tempfile::tempdir().unwrap();
    let today = std::fs::read_dir(crate::store::migrations_dir(&database))
        .unwrap()
        .count();
    older_migrations(&database, next.path(), today);
    std::fs::write(
        next.path().join("9999_broken.sql"),
        "ALTER TABLE users ADD COLUMN half_done INTEGER; SELECT no_such_function();",
    )
    .unwrap();
    let db = crate::store::connect(&database).await.unwrap();
    let error = sqlx::migrate::Migrator::new(next.path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("9999"), "{error}");
    // Its first statement was rolled back with it, and it is not recorded.
    let half_done = sqlx::query("SELECT half_done FROM users")
        .fetch_all(&db)
        .await;
    assert!(half_done.is_err(), "the column half_done was left behind");
    let recorded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE version = 9999")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(recorded, 0);
    // And the pool still opens it.
    drop(db);
    UserPool::open(config).await.unwrap();
}

#[tokio::test]
async fn exported_users_sign_in_to_another_pool_with_their_old_passwords() {
    // From SQLite to the run's database: PostgreSQL in `make test`'s second run.
    let mut source = Browser::on_sqlite().await;
    let pool_id = source.pool.config().pool_id().to_owned();
    source.sign_up("grace@example.com", "s").await;
    for (operation, body) in [
        (
            "CreateGroup",
            format!(r#"{{"UserPoolId":"{pool_id}","GroupName":"Admin","Precedence":1}}"#),
        ),
        (
            "AdminAddUserToGroup",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"grace@example.com","GroupName":"Admin"}}"#
            ),
        ),
        (
            "AdminUpdateUserAttributes",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"grace@example.com","UserAttributes":[{{"Name":"name","Value":"Grace"}}]}}"#
            ),
        ),
    ] {
        let reply = source.cognito(operation, &body, true).await;
        assert_eq!(reply.status, StatusCode::OK, "{operation}: {}", reply.body);
    }
    let mut export = Vec::new();
    assert_eq!(source.pool.export_users(&mut export).await.unwrap(), 1);
    let text = String::from_utf8(export.clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("$argon2id$"), "{text}");

    let target = Browser::new().await;
    let summary = target.pool.import_users(&export[..]).await.unwrap();
    assert_eq!(
        summary,
        crate::ImportSummary {
            users: 1,
            groups: 1,
            skipped: 0
        }
    );
    let user = match crate::accounts::sign_in(&target.pool, "grace@example.com", PASSWORD)
        .await
        .unwrap()
    {
        crate::accounts::SignIn::Authenticated(user) => user,
        _ => panic!("the imported user could not sign in"),
    };
    assert_eq!(
        target.pool.store().groups(&user.sub).await.unwrap(),
        ["Admin"]
    );
    assert_eq!(
        target.pool.store().attributes(&user.sub).await.unwrap(),
        [("name".to_owned(), "Grace".to_owned())]
    );
    // Importing again changes nothing; a bad file changes nothing either.
    let again = target.pool.import_users(&export[..]).await.unwrap();
    assert_eq!((again.users, again.skipped), (0, 1));
    let empty = Browser::new().await;
    let bad = format!("{text}{{\"type\":\"user\",\"sub\":\"x\"}}\n");
    let error = empty.pool.import_users(bad.as_bytes()).await.unwrap_err();
    assert!(error.to_string().starts_with("line 3:"), "{error}");
    assert!(
        empty
            .pool
            .store()
            .user_by_email("grace@example.com")
            .await
            .unwrap()
            .is_none()
    );
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

#[tokio::test]
async fn no_token_password_or_code_reaches_the_log() {
    let log = CapturedLog::start();
    let mut browser = Browser::new().await;
    let back = browser.sign_up("heidi@example.com", "s").await;
    let code = code_from(&back);
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = browser
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", &refresh_token),
        ])
        .await
        .json();
    let api = browser
        .cognito(
            "InitiateAuth",
            &format!(
                r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"heidi@example.com","PASSWORD":"{PASSWORD}"}}}}"#
            ),
            false,
        )
        .await
        .json();
    // A wrong password and a replayed code are logged as events, without the secrets.
    browser
        .cognito(
            "InitiateAuth",
            r#"{"ClientId":"5cr1pt5c1ient0leptos0cog","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"heidi@example.com","PASSWORD":"not-my-password"}}"#,
            false,
        )
        .await;
    browser.exchange(&code_grant(&code)).await;
    browser
        .post(
            "/oauth2/revoke",
            &[("token", &refresh_token), ("client_id", CLIENT)],
        )
        .await;

    let text = log.text();
    assert!(text.contains("request"), "the capture works: {text}");
    let session = browser.cookies["cognito"].clone();
    let secrets = [
        ("authorization code", code.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("id token", tokens["id_token"].as_str().unwrap()),
        ("access token", tokens["access_token"].as_str().unwrap()),
        (
            "refreshed access token",
            refreshed["access_token"].as_str().unwrap(),
        ),
        (
            "API refresh token",
            api["AuthenticationResult"]["RefreshToken"]
                .as_str()
                .unwrap(),
        ),
        ("password", PASSWORD),
        ("wrong password", "not-my-password"),
        ("SSO session cookie", session.as_str()),
        ("PKCE verifier", VERIFIER),
    ];
    for (name, secret) in secrets {
        assert!(!text.contains(secret), "the {name} was logged");
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

#[tokio::test]
async fn an_address_that_keeps_failing_is_turned_away_and_others_are_not() {
    let mut browser = Browser::new().await;
    browser
        .pool
        .seed_user("ivan@example.com", PASSWORD, &[])
        .await
        .unwrap();
    let mut from = async |address: &str, forwarded_for: &str, body: String| {
        let headers = [("x-forwarded-for", forwarded_for)];
        browser
            .cognito_from(address, &headers, "InitiateAuth", &body)
            .await
    };
    // Guessing across many accounts from one address; without trusted proxies,
    // a forwarded address changes nothing (anyone can send one).
    for n in 0..50 {
        let reply = from(
            "192.0.2.7",
            &format!("198.51.100.{n}"),
            password_sign_in(&format!("user{n}@example.com"), "guess"),
        )
        .await;
        assert_eq!(reply.json()["__type"], "NotAuthorizedException");
    }
    let right = || password_sign_in("ivan@example.com", PASSWORD);
    let refused = from("192.0.2.7", "198.51.100.200", right()).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json()["__type"], "TooManyRequestsException");
    assert!(refused.header(header::RETRY_AFTER).parse::<i64>().unwrap() > 0);
    // The account itself is fine, from anywhere else.
    let elsewhere = from("198.51.100.1", "192.0.2.7", right()).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.body);
    // Without trusted proxies, loopback (a reverse proxy on the host) is never throttled by address.
    for _ in 0..60 {
        from(
            "127.0.0.1",
            "192.0.2.9",
            password_sign_in("nobody@example.com", "guess"),
        )
        .await;
    }
    let local = from("127.0.0.1", "192.0.2.9", right()).await;
    assert_eq!(local.status, StatusCode::OK, "{}", local.body);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let (mut config, dir) = test_config(true).await;
    config.set_trusted_proxies("127.0.0.1");
    let mut browser = Browser::open((config, dir)).await;
    browser
        .pool
        .seed_user("ivan@example.com", PASSWORD, &[])
        .await
        .unwrap();
    let mut via_proxy = async |forwarded_for: &str, body: String| {
        let headers = [("x-forwarded-for", forwarded_for)];
        browser
            .cognito_from("127.0.0.1", &headers, "InitiateAuth", &body)
            .await
    };
    for n in 0..50 {
        // What the client puts left of its own address is its claim, not the proxy's word.
        let claim = format!("203.0.113.{n}, 198.51.100.7");
        let reply = via_proxy(
            &claim,
            password_sign_in(&format!("user{n}@example.com"), "guess"),
        )
        .await;
        assert_eq!(reply.json()["__type"], "NotAuthorizedException");
    }
    let right = || password_sign_in("ivan@example.com", PASSWORD);
    let refused = via_proxy("198.51.100.7", right()).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert!(refused.header(header::RETRY_AFTER).parse::<i64>().unwrap() > 0);
    let neighbour = via_proxy("198.51.100.8", right()).await;
    assert_eq!(neighbour.status, StatusCode::OK, "{}", neighbour.body);
}

#[tokio::test]
async fn pools_on_one_database_share_their_failure_counts() {
    let (config, dir) = test_config(true).await;
    let mut one = Browser::open((config.clone(), dir)).await;
    let other = UserPool::open(config).await.unwrap();
    let mut two = Browser {
        router: other.router(),
        pool: other,
        cookies: HashMap::new(),
        _dir: tempfile::tempdir().unwrap(),
    };
    one.pool
        .seed_user("ivan@example.com", PASSWORD, &[])
        .await
        .unwrap();
    let guess = |n: usize| password_sign_in(&format!("user{n}@example.com"), "guess");
    for n in 0..50 {
        let replica = if n % 2 == 0 { &mut one } else { &mut two };
        let reply = replica
            .cognito_from("192.0.2.7", &[], "InitiateAuth", &guess(n))
            .await;
        assert_eq!(reply.json()["__type"], "NotAuthorizedException");
    }
    let right = password_sign_in("ivan@example.com", PASSWORD);
    for replica in [&mut one, &mut two] {
        let reply = replica
            .cognito_from("192.0.2.7", &[], "InitiateAuth", &right)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            reply.body
        );
    }
    // So does the lockout of a name: five failures, spread over both, lock it on both.
    let wrong = password_sign_in("ivan@example.com", "wrong password");
    for n in 0..5 {
        let replica = if n % 2 == 0 { &mut one } else { &mut two };
        replica
            .cognito_from("198.51.100.1", &[], "InitiateAuth", &wrong)
            .await;
    }
    for replica in [&mut one, &mut two] {
        let reply = replica
            .cognito_from("198.51.100.2", &[], "InitiateAuth", &right)
            .await;
        assert_eq!(reply.json()["message"], "Password attempts exceeded");
    }
}

#[tokio::test]
async fn an_unknown_name_is_refused_and_locked_out_exactly_as_an_account() {
    let mut browser = Browser::new().await;
    browser
        .pool
        .seed_user("kate@example.com", PASSWORD, &[])
        .await
        .unwrap();
    // The unknown name in two spellings: it is counted as one name, normalized.
    let unknown = ["Kyle@Example.com ", "kyle@example.com"];
    for attempt in 1..=7 {
        let known = browser
            .cognito(
                "InitiateAuth",
                &password_sign_in("kate@example.com", "wrong"),
                false,
            )
            .await;
        let spelling = unknown[attempt % 2];
        let nobody = browser
            .cognito("InitiateAuth", &password_sign_in(spelling, "wrong"), false)
            .await;
        assert_eq!(
            (
                known.status,
                known.header(header::HeaderName::from_static("x-amzn-errortype")),
                &known.body
            ),
            (
                nobody.status,
                nobody.header(header::HeaderName::from_static("x-amzn-errortype")),
                &nobody.body
            ),
            "attempt {attempt}"
        );
        // Each round fails twice (here and in the hosted UI): the fifth failure,
        // in the third round, locks; while locked, nothing more is counted.
        let expected = if attempt < 3 {
            "Incorrect username or password."
        } else {
            "Password attempts exceeded"
        };
        assert_eq!(known.json()["message"], expected, "attempt {attempt}");

        // The hosted UI says the same to both.
        let error = |reply: &Reply| {
            let marker = r#"<p class="message error" role="alert">"#;
            let start = reply.body.find(marker).expect("an error") + marker.len();
            let end = start + reply.body[start..].find("</p>").unwrap();
            reply.body[start..end].to_owned()
        };
        let known = browser.sign_in("kate@example.com", "wrong").await;
        let nobody = browser.sign_in(spelling, "wrong").await;
        assert_eq!(known.status, nobody.status);
        assert_eq!(error(&known), error(&nobody), "attempt {attempt}");
    }
    // Both counted five failures, so both are locked for as long; the unknown
    // name is kept only as a digest.
    let store = browser.pool.store();
    let kate = store
        .user_by_email("kate@example.com")
        .await
        .unwrap()
        .unwrap();
    let known = store
        .login_failures(&crate::secrets::digest(&kate.sub))
        .await
        .unwrap();
    let nobody = store
        .login_failures(&crate::secrets::digest("kyle@example.com"))
        .await
        .unwrap();
    assert_eq!((known.failures, nobody.failures), (5, 5));
    assert!(known.locked_until > crate::now() && nobody.locked_until > crate::now());
    // The right password does not help while locked.
    let reply = browser
        .cognito(
            "InitiateAuth",
            &password_sign_in("kate@example.com", PASSWORD),
            false,
        )
        .await;
    assert_eq!(reply.json()["__type"], "NotAuthorizedException");
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

#[tokio::test]
async fn a_password_reset_answers_alike_for_accounts_and_other_addresses() {
    let mut browser = Browser::new().await;
    browser
        .pool
        .seed_user("kate@example.com", PASSWORD, &[])
        .await
        .unwrap();
    // An unconfirmed account has no proven address: it is answered as an unknown one.
    let sign_up = format!(
        r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","Username":"kim@example.com","Password":"{PASSWORD}"}}"#
    );
    let reply = browser.cognito("SignUp", &sign_up, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Names alike enough that the masked destinations ("k***@e***") are too.
    let names = ["kate@example.com", "kim@example.com", "kyle@example.com"];
    let forgot =
        |name: &str| format!(r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","Username":"{name}"}}"#);
    // (The chance that 000000 is the code is ignored.)
    let guess = |name: &str| {
        format!(
            r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","Username":"{name}","ConfirmationCode":"000000","Password":"a new password"}}"#
        )
    };
    let b = &mut browser;
    // No code asked for yet.
    let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
    assert_eq!(reply["__type"], "ExpiredCodeException");
    // A code "sent"; five wrong guesses, then it is dead until the next one.
    let (status, reply) = alike(b, &names, "ForgotPassword", forgot).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    for _ in 0..5 {
        let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
        assert_eq!(reply["__type"], "CodeMismatchException");
    }
    let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
    assert_eq!(reply["__type"], "LimitExceededException");
    alike(b, &names, "ForgotPassword", forgot).await;
    let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
    assert_eq!(reply["__type"], "CodeMismatchException");
    // Only the account was mailed a code.
    assert!(browser.last_mail("kate@example.com").await["body"].is_string());
    let reply = browser.get("/_dev/outbox.json?to=kyle@example.com").await;
    assert_eq!(reply.json(), serde_json::json!([]));
}
