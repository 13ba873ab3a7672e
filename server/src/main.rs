//! The leptos-cognito server: renders the app (SSR), serves its WASM bundle,
//! answers its server functions and, unless an Amazon Cognito pool or another
//! OpenID provider is configured, runs the local user pool beside it.

mod anonymous_page;
mod assets;
mod bearer_api;
mod health;
mod origin_check;
mod plain_pages;
mod security_headers;
mod settings;

use std::process::ExitCode;
use std::sync::Arc;

use app::cognito_admin::CognitoAdmin;
use app::pool::PoolEndpoints;
use app::session::{Auth, CookiePolicy};
use app::token_endpoint::ClientAuth;
use app::verify::{TokenShape, Verifier};
use app::{App, shell};
use axum::Router;
use axum::routing::get;
use clap::Parser;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tracing_subscriber::EnvFilter;
use userpool::UserPool;

use anonymous_page::{AnonymousPage, serve_anonymous_page};
use origin_check::{AppOrigin, refuse_cross_site};
use plain_pages::{PlainPages, serve_plain_pages};
use security_headers::{SecurityHeaders, add_security_headers, provide_request_nonce};
use settings::{PoolChoice, Settings};

// mimalloc: a page render is hundreds of small allocations, and glibc's arenas kept
// Argon2's 19 MiB buffers resident after sign-ins (`make bench` measures both).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("the Leptos configuration: {0}")]
    Leptos(String),
    #[error("the user pool configuration: {0}")]
    PoolConfig(#[from] userpool::ConfigError),
    #[error(
        "the embedded user pool has no app client with the callback URL {0}; add it to the pool's configuration or set APP_URL"
    )]
    NoAppClient(String),
    #[error("the user pool: {0}")]
    Pool(#[from] userpool::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("the HTTP client for the user pool: {0}")]
    Http(String),
    #[error("the OpenID provider {issuer}: {source}")]
    Provider {
        issuer: String,
        source: app::discovery::DiscoveryError,
    },
}

fn main() -> ExitCode {
    match userpool::runtime() {
        Ok(runtime) => runtime.block_on(start()),
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> ExitCode {
    let settings = Settings::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("cannot start: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> Result<(), StartError> {
    let mut leptos = get_configuration(None)
        .map_err(|e| StartError::Leptos(e.to_string()))?
        .leptos_options;
    // Built by cargo-leptos with `hash-files`: the bundles' names carry their hash
    // (listed in hash.txt beside the binary), whether or not cargo-leptos runs it.
    leptos.hash_files |= option_env!("LEPTOS_HASH_FILES") == Some("true");
    // One signal stops both listeners (the app's and the embedded pool's); each
    // then drains its connections, and the process exits once both have.
    let (stop, stopped) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        userpool::shutdown_signal().await;
        stop.send_replace(());
    });
    let mut client_auth = ClientAuth::Public;
    let (pool, verifier, directory, embedded_pool) = match settings.pool() {
        PoolChoice::Embedded(config) => {
            let (endpoints, verifier, directory, server) =
                start_embedded_pool(&settings, &config, until_stopped(&stopped)).await?;
            (endpoints, verifier, directory, Some(server))
        }
        PoolChoice::OpenId(client, groups) => {
            let discovered =
                app::discovery::discover(&client)
                    .await
                    .map_err(|source| StartError::Provider {
                        issuer: client.issuer.clone(),
                        source,
                    })?;
            tracing::info!(issuer = %client.issuer, "using an OpenID provider");
            let verifier = Verifier::for_provider(
                &client.issuer,
                &client.client_id,
                &discovered.jwks_uri,
                TokenShape::OpenId { groups },
            )
            .map_err(|e| StartError::Http(e.to_string()))?;
            client_auth = discovered.client_auth;
            (discovered.endpoints, verifier, None, None)
        }
        PoolChoice::Cognito(cognito) => {
            tracing::info!(hosted_ui = %cognito.hosted_ui, issuer = %cognito.issuer, "using an external user pool");
            let endpoints = PoolEndpoints::cognito(
                &cognito.hosted_ui,
                &cognito.api_endpoint,
                &cognito.client_id,
                &settings.redirect_uri(),
                &settings.logout_uri(),
            );
            let verifier = Verifier::new(&cognito.issuer, &cognito.client_id)
                .map_err(|e| StartError::Http(e.to_string()))?;
            let credentials = match (&settings.aws_access_key_id, &settings.aws_secret_access_key) {
                (Some(key), Some(secret)) => Some((key.clone(), secret.clone())),
                // A standalone local pool started from the same configuration accepts its pair.
                _ if cognito.local => local_pool_credential(&settings.userpool_config),
                _ => None,
            };
            let directory = match credentials {
                Some((access_key_id, secret_access_key)) => Some(AdminApi {
                    endpoint: cognito.api_endpoint.clone(),
                    region: cognito.region.clone(),
                    pool_id: cognito.pool_id.clone(),
                    access_key_id,
                    secret_access_key,
                    session_token: settings.aws_session_token.clone(),
                }),
                None => {
                    tracing::warn!("no AWS credentials: the admin console is unavailable");
                    None
                }
            };
            (endpoints, verifier, directory, None)
        }
    };
    verifier.prefetch().await;
    let cookies = CookiePolicy {
        secure: settings.secure_cookies(),
    };
    let auth = Auth::new(pool, verifier, cookies, |http| {
        directory.map(|api| api.client(http))
    })
    .map_err(|e| StartError::Http(e.to_string()))?
    .with_client_auth(client_auth)
    .check_sessions_every(std::time::Duration::from_secs(
        settings.session_check_seconds,
    ));

    let app = app_router(leptos.clone(), auth, AppOrigin::of(settings.app_url()));
    let addr = leptos.site_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    tracing::info!(
        "app listening on http://{addr} (public URL {})",
        settings.app_url()
    );
    let limits = userpool::Limits::with_max_connections(settings.max_connections);
    userpool::serve(listener, app, limits, until_stopped(&stopped)).await;
    if let Some(server) = embedded_pool
        && let Err(error) = server.await
    {
        tracing::error!(%error, "the embedded user pool stopped");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves once the stop signal has come (or its sender is gone).
fn until_stopped(
    stopped: &tokio::sync::watch::Receiver<()>,
) -> impl Future<Output = ()> + Send + 'static {
    let mut stopped = stopped.clone();
    async move {
        let _ = stopped.changed().await;
    }
}

/// The first admin key pair of the pool configuration at `path` (with its
/// `USERPOOL_ADMIN_*` overrides), for a standalone local pool run from it.
fn local_pool_credential(path: &std::path::Path) -> Option<(String, String)> {
    match userpool::Config::load(path) {
        Ok(config) => config
            .admin_credential()
            .map(|(key, secret)| (key.to_owned(), secret.to_owned())),
        Err(error) => {
            tracing::warn!(%error, "no AWS credentials, and no admin key pair in the pool configuration");
            None
        }
    }
}

/// Where the admin console reaches the pool's Cognito admin API, and as whom.
struct AdminApi {
    endpoint: String,
    region: String,
    pool_id: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl AdminApi {
    fn client(self, http: reqwest::Client) -> CognitoAdmin {
        CognitoAdmin::new(
            &self.endpoint,
            &self.region,
            &self.pool_id,
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token,
            http,
        )
    }
}

/// The routes' state: the build's options, shared.
#[derive(Clone)]
struct AppState(Arc<LeptosOptions>);

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        LeptosOptions::clone(&state.0)
    }
}

/// The app's routes, with the same HTTP layers as the pool (`userpool::http_layers`).
fn app_router(leptos: LeptosOptions, auth: Auth, origin: AppOrigin) -> Router {
    let routes = generate_route_list(App);
    let health = get(health::health).with_state(auth.verifier.clone());
    let security = SecurityHeaders::new(
        &AppOrigin::of(&auth.pool.authorize_url).0,
        SecurityHeaders::live_reload(&leptos, &origin.0).as_deref(),
    );
    // Only requests for APP_URL's host or loopback at the listening port (DNS rebinding).
    let hosts = userpool::AllowedHosts::new(&origin.0, leptos.site_addr.port());
    let plain = PlainPages::from_environment(auth.clone(), leptos.clone());
    let bundles = assets::bundles(&leptos);
    // axum clones a route's whole service for every request it routes, with what
    // its handlers hold: behind an `Arc`, that is a count, not a copy of the options
    // (about a fifth of the kept page's time, `make bench`). `Auth` is shared already.
    let state = AppState(Arc::new(leptos));
    let router = Router::new()
        .route("/healthz", health)
        .merge(bearer_api::routes(auth.clone()))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(auth.clone());
                provide_request_nonce();
            },
            {
                let options = state.0.clone();
                move || shell(LeptosOptions::clone(&options))
            },
        )
        .merge(bundles)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_request_nonce, shell))
        .with_state(state);
    // Outermost first.
    let layers = ServiceBuilder::new()
        .layer(assets::uncached_by_default())
        .layer(axum::middleware::from_fn_with_state(
            origin,
            refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            AnonymousPage::from_environment(),
            serve_anonymous_page,
        ))
        .layer(axum::middleware::from_fn_with_state(
            plain,
            serve_plain_pages,
        ));
    let router = userpool::allow_hosts(userpool::around(router, layers), hosts);
    // Outermost, so that the layers' own answers (413, 408) carry the headers too.
    userpool::around(
        userpool::http_layers(router),
        axum::middleware::from_fn_with_state(security, add_security_headers),
    )
}

/// Starts the local user pool on its own address and returns how the app
/// reaches it, and a verifier for its tokens (its keys are fetched from the
/// pool itself, whatever issuer the tokens name). Its listener stops at `stop`
/// and drains; the returned task ends when it has.
async fn start_embedded_pool(
    settings: &Settings,
    config_path: &std::path::Path,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<
    (
        PoolEndpoints,
        Verifier,
        Option<AdminApi>,
        tokio::task::JoinHandle<()>,
    ),
    StartError,
> {
    let config = userpool::Config::load(config_path)?;
    let redirect_uri = settings.redirect_uri();
    let client_id = config
        .client_with_callback(&redirect_uri)
        .ok_or_else(|| StartError::NoAppClient(redirect_uri.clone()))?
        .to_owned();
    let addr = config.listen();
    let pool = UserPool::open(config).await?;
    if pool.config().dev_outbox() {
        seed_demo_users(&pool).await?;
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    let endpoints = PoolEndpoints::cognito(
        pool.config().public_url(),
        &format!("{}/", pool.config().public_url()),
        &client_id,
        &redirect_uri,
        &settings.logout_uri(),
    );
    let verifier = Verifier::with_jwks_url(
        &pool.config().issuer(),
        &endpoints.client_id,
        &pool.config().jwks_url(),
    )
    .map_err(|e| StartError::Http(e.to_string()))?;
    let server = tokio::spawn(userpool::serve(
        listener,
        pool.router(),
        pool.config().limits(),
        stop,
    ));
    tracing::info!(
        "user pool listening on http://{addr} (hosted UI {})",
        pool.config().public_url()
    );
    // The console signs its admin API calls with the pool's own first admin key pair.
    let directory = match pool.config().admin_credential() {
        Some((access_key_id, secret_access_key)) => Some(AdminApi {
            endpoint: format!("{}/", pool.config().public_url()),
            region: pool.config().region().to_owned(),
            pool_id: pool.config().pool_id().to_owned(),
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: None,
        }),
        None => {
            tracing::warn!(
                "the user pool has no [[admin_credentials]]: the admin console is unavailable"
            );
            None
        }
    };
    Ok((endpoints, verifier, directory, server))
}

/// The demo accounts of a development pool (README): an administrator and a user.
pub const DEMO_ADMIN: (&str, &str) = ("admin@example.com", "admin password");
pub const DEMO_USER: (&str, &str) = ("user@example.com", "user password");

async fn seed_demo_users(pool: &UserPool) -> Result<(), StartError> {
    pool.seed_user(DEMO_ADMIN.0, DEMO_ADMIN.1, &[app::directory::ADMIN_GROUP])
        .await?;
    pool.seed_user(DEMO_USER.0, DEMO_USER.1, &[]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::test_tokens::{CLIENT, Pool};
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    /// What the server functions and the bearer API get, trusting `pool`
    /// (no admin API behind it).
    pub(crate) async fn auth_for(pool: &Pool) -> Auth {
        let endpoints = PoolEndpoints::cognito(
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            CLIENT,
            "http://127.0.0.1:3000/callback",
            "http://127.0.0.1:3000/",
        );
        let cookies = CookiePolicy { secure: false };
        Auth::new(endpoints, pool.verifier().await, cookies, |_| None).expect("http client")
    }

    /// Tests that render pages or call server functions run one at a time.
    /// Leptos keeps process-wide state, and each `#[tokio::test]` has a runtime
    /// of its own. Run side by side, about one run in fifty left a page render
    /// waiting forever (408 after 30 s); one at a time, none did in 140 runs. The
    /// server has a single runtime, and showed no stall in ~700k requests under
    /// wrk (`benches/ssr_load.py`: 0 errors, p99 ≈ 2 ms).
    async fn one_leptos_test_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
        static LEPTOS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        LEPTOS.lock().await
    }

    /// The app as the server runs it, trusting `pool`.
    async fn app_for(pool: &Pool) -> Router {
        let leptos = LeptosOptions::builder()
            .output_name("leptos-cognito")
            .build();
        app_router(
            leptos,
            auth_for(pool).await,
            AppOrigin::of("http://127.0.0.1:3000"),
        )
    }

    async fn home_page(app: &Router, id_token: &str, access_token: &str) -> (StatusCode, String) {
        page(app, "/", id_token, access_token).await
    }

    async fn page(
        app: &Router,
        uri: &str,
        id_token: &str,
        access_token: &str,
    ) -> (StatusCode, String) {
        let request = Request::get(uri)
            .header(
                header::COOKIE,
                format!("id_token={id_token}; access_token={access_token}"),
            )
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get_status(app: &Router, uri: &str) -> StatusCode {
        let request = Request::get(uri).body(Body::empty()).expect("request");
        app.clone()
            .oneshot(request)
            .await
            .expect("response")
            .status()
    }

    /// The app signing in with another OpenID provider (`TokenShape::OpenId`): id tokens
    /// from `pool`'s key, and a userInfo endpoint that knows two opaque access tokens.
    async fn app_with_openid_provider(pool: &Pool) -> Router {
        use app::verify::{GroupsClaim, TokenShape};
        use axum::response::IntoResponse;
        let userinfo = Router::new().route(
            "/oauth2/userInfo",
            get(|headers: axum::http::HeaderMap| async move {
                let user = match headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                {
                    Some("Bearer opaque-token-of-ada") => serde_json::json!({
                        "sub": "5f0c1a4e-0000-4000-8000-000000000001",
                        "email": "ada@example.com",
                        "roles": ["Admin"],
                    }),
                    Some("Bearer opaque-token-of-mallory") => {
                        serde_json::json!({ "sub": "mallory", "email": "mallory@example.com" })
                    }
                    _ => return StatusCode::UNAUTHORIZED.into_response(),
                };
                axum::Json(user).into_response()
            }),
        );
        let endpoints = PoolEndpoints {
            api_endpoint: None,
            redeem: app::pool::Redeem::Server,
            client_id: CLIENT.into(),
            ..app::test_tokens::pool_serving(userinfo).await
        };
        let groups = GroupsClaim::new("roles").expect("claim");
        let verifier = Verifier::for_provider(
            &pool.issuer,
            CLIENT,
            &format!("{}/.well-known/jwks.json", pool.issuer),
            TokenShape::OpenId { groups },
        )
        .expect("http client");
        let auth = Auth::new(endpoints, verifier, CookiePolicy { secure: false }, |_| {
            None
        })
        .expect("http client");
        let leptos = LeptosOptions::builder()
            .output_name("leptos-cognito")
            .build();
        app_router(leptos, auth, AppOrigin::of("http://127.0.0.1:3000"))
    }

    #[tokio::test]
    async fn another_providers_session_is_its_id_token_bound_to_an_access_token_by_userinfo() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let app = app_with_openid_provider(&pool).await;
        // A standard id token: no token_use, and no email (the provider keeps it for userInfo).
        let mut claims = pool.id_claims();
        let object = claims.as_object_mut().expect("object");
        object.remove("token_use");
        object.remove("email");
        let id_token = pool.sign(&claims);

        let (status, html) = home_page(&app, &id_token, "opaque-token-of-ada").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Hello ada@example.com"), "{html}");
        // The provider's groups claim, from userInfo: an administrator.
        assert!(html.contains(r#"<a href="/admin">Admin"#), "{html}");

        // Someone else's access token beside ada's id token opens nothing, nor does a made-up one.
        for access_token in ["opaque-token-of-mallory", "made-up"] {
            let (_, html) = home_page(&app, &id_token, access_token).await;
            assert!(!html.contains("Hello "), "{access_token}: {html}");
        }
        // The id token is checked as strictly as a pool's.
        for (name, forged) in pool.forgeries(&Pool::serve().await) {
            let cognito_only = ["token_use missing", "token_use refresh", "email missing"];
            if cognito_only.contains(&name) {
                continue;
            }
            let (_, html) = home_page(&app, &forged, "opaque-token-of-ada").await;
            assert!(!html.contains("Hello "), "signed in with: {name}");
        }
    }

    #[tokio::test]
    async fn the_app_answers_only_for_its_own_host() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let app = app_for(&pool).await;
        let status = |uri: &'static str, host: &'static str| {
            let app = app.clone();
            async move {
                let request = Request::get(uri)
                    .header(header::HOST, host)
                    .body(Body::empty())
                    .expect("request");
                app.oneshot(request).await.expect("response").status()
            }
        };
        // A DNS-rebinding page's requests name its own host: refused before any handler.
        for uri in ["/", "/_dev/outbox.json", "/login", "/api/me"] {
            for host in ["evil.example:9229", "evil.example:3000", "127.0.0.1:9229"] {
                assert_eq!(
                    status(uri, host).await,
                    StatusCode::MISDIRECTED_REQUEST,
                    "{host}{uri}"
                );
            }
        }
        for host in ["127.0.0.1:3000", "localhost:3000", "[::1]:3000"] {
            assert_eq!(status("/", host).await, StatusCode::OK, "{host}");
        }
        // Load balancers probe the health check by address.
        assert_eq!(status("/healthz", "10.0.0.7:3000").await, StatusCode::OK);
    }

    #[tokio::test]
    async fn healthy_while_it_holds_the_pools_keys() {
        let _leptos = one_leptos_test_at_a_time().await;
        let mut pool = Pool::serve().await;
        let app = app_for(&pool).await;
        assert_eq!(get_status(&app, "/healthz").await, StatusCode::OK);
        // Keys already fetched keep it healthy when the pool goes away.
        pool.stop().await;
        assert_eq!(get_status(&app, "/healthz").await, StatusCode::OK);
        // An app that never got the keys is not.
        let app = app_for(&pool).await;
        assert_eq!(
            get_status(&app, "/healthz").await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn forged_session_cookies_render_the_signed_out_page() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let other_pool = Pool::serve().await;
        let app = app_for(&pool).await;
        let id_token = pool.sign(&pool.id_claims());
        let access_token = pool.sign(&pool.access_claims());

        // The harness can render a greeting: genuine tokens get one.
        let (status, html) = home_page(&app, &id_token, &access_token).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Hello ada@example.com"), "{html}");
        // Its navigation marks the page it is on.
        assert!(
            html.contains(r#"<a href="/" aria-current="page">Home"#)
                && html.contains(r#"<a href="/profile">Profile"#),
            "{html}"
        );

        let cases = pool.forgeries(&other_pool);
        for (name, forged) in &cases {
            for (id, access) in [
                (forged.as_str(), access_token.as_str()),
                (id_token.as_str(), forged.as_str()),
            ] {
                let (status, html) = home_page(&app, id, access).await;
                assert_eq!(status, StatusCode::OK, "{name}");
                assert!(!html.contains("Hello "), "signed in with: {name}");
                assert!(
                    html.contains("Sign in or create an account"),
                    "{name}: {html}"
                );
            }
        }
        // Each role swapped for the other is refused too.
        let (_, html) = home_page(&app, &access_token, &id_token).await;
        assert!(!html.contains("Hello "));
    }

    /// POSTs to the admin console's `list_users` server function with session cookies.
    async fn list_users_as(
        app: &Router,
        id_token: &str,
        access_token: &str,
    ) -> (StatusCode, String) {
        post_list_users(app, id_token, access_token, Body::from("search=")).await
    }

    /// POSTs `body` to the `list_users` server function with session cookies.
    async fn post_list_users(
        app: &Router,
        id_token: &str,
        access_token: &str,
        body: Body,
    ) -> (StatusCode, String) {
        let request = Request::post("/api/list_users")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header(
                header::COOKIE,
                format!("id_token={id_token}; access_token={access_token}"),
            )
            .body(body)
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn forged_tokens_open_no_protected_server_function_and_no_bearer_endpoint() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let other_pool = Pool::serve().await;
        let app = app_for(&pool).await;
        let id_token = pool.sign(&pool.id_claims());
        let access_token = pool.sign(&pool.access_claims());

        // Genuine Admin tokens get past authorization (this harness has no admin API behind it).
        let (status, body) = list_users_as(&app, &id_token, &access_token).await;
        assert!(body.contains("NoDirectory"), "{status} {body}");
        let bearer = |token: &str| {
            Request::get("/api/me")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request")
        };
        let genuine = app
            .clone()
            .oneshot(bearer(&access_token))
            .await
            .expect("response");
        assert_eq!(genuine.status(), StatusCode::OK);

        let cases = pool.forgeries(&other_pool);
        for (name, forged) in &cases {
            for (id, access) in [
                (forged.as_str(), access_token.as_str()),
                (id_token.as_str(), forged.as_str()),
            ] {
                let (status, body) = list_users_as(&app, id, access).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
                assert!(body.contains("SignedOut"), "{name}: {body}");
            }
            let response = app.clone().oneshot(bearer(forged)).await.expect("response");
            assert!(
                matches!(
                    response.status(),
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ),
                "{name}: {}",
                response.status()
            );
        }
    }

    /// The `nonce` of each `<script` in `html`.
    fn script_nonces(html: &str) -> Vec<Option<String>> {
        html.split("<script")
            .skip(1)
            .map(|tag| {
                let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
                let start = tag.find("nonce=\"")? + "nonce=\"".len();
                let end = start + tag[start..].find('"')?;
                Some(tag[start..end].to_owned())
            })
            .collect()
    }

    #[tokio::test]
    async fn pages_carry_a_fresh_csp_nonce_on_every_script_and_the_security_headers() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let app = app_for(&pool).await;
        let mut nonces = Vec::new();
        for uri in ["/", "/", "/callback?code=c0de&state=st4te"] {
            let request = Request::get(uri).body(Body::empty()).expect("request");
            let response = app.clone().oneshot(request).await.expect("response");
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            let headers = response.headers().clone();
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
            let policy = headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .expect("ascii")
                .to_owned();
            for directive in [
                "frame-ancestors 'none'",
                "object-src 'none'",
                "base-uri 'none'",
                // The test harness's pool (`auth_for`).
                "connect-src 'self' http://127.0.0.1:9;",
                "form-action 'self' http://127.0.0.1:9;",
            ] {
                assert!(policy.contains(directive), "{uri}: {directive} in {policy}");
            }
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .expect("a nonce in the policy")
                .to_owned();
            assert!(nonce.len() >= 22, "{nonce}");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            let html = String::from_utf8_lossy(&body);
            let scripts = script_nonces(&html);
            // The islands' loader, at least.
            assert!(!scripts.is_empty(), "{uri}: no script in {html}");
            for found in scripts {
                assert_eq!(found.as_deref(), Some(nonce.as_str()), "{uri}: {html}");
            }
            nonces.push(nonce);
        }
        nonces.sort();
        nonces.dedup();
        assert_eq!(nonces.len(), 3, "a nonce per response");

        // Responses that are no page carry the headers too.
        let response = app
            .clone()
            .oneshot(
                Request::get("/no-such-page")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert!(
            response
                .headers()
                .contains_key(header::CONTENT_SECURITY_POLICY)
        );
    }

    /// A page without the markers and comments Leptos leaves for hydration and its meta tags.
    fn unmarked(html: &str) -> String {
        let mut text = html.replace("<!>", "");
        while let Some(start) = text.find("<!--") {
            let end = text[start..]
                .find("-->")
                .map_or(text.len(), |end| start + end + 3);
            text.replace_range(start..end, "");
        }
        text
    }

    #[tokio::test]
    async fn a_settled_sessions_home_page_is_rendered_without_the_router_as_the_router_renders_it()
    {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let app = app_for(&pool).await;
        // An administrator (the Admin link) and a member of no group.
        let mut member = pool.access_claims();
        member["cognito:groups"] = serde_json::json!([]);
        for access_token in [pool.sign(&pool.access_claims()), pool.sign(&member)] {
            let id_token = pool.sign(&pool.id_claims());
            let (status, plain) = home_page(&app, &id_token, &access_token).await;
            assert_eq!(status, StatusCode::OK);
            // A query sends the same request through the router.
            let (_, routed) = page(&app, "/?routed", &id_token, &access_token).await;
            assert!(routed.contains("__RESOLVED_RESOURCES"), "{routed}");
            assert!(!plain.contains("<script"), "{plain}");
            // The router's page ends with its resources' scripts, which a page without
            // islands never runs; otherwise the two are the same document.
            let routed = routed
                .split_once("</html>")
                .map_or(&*routed, |(page, _)| page);
            assert_eq!(unmarked(&plain), format!("{}</html>", unmarked(routed)));
            assert!(plain.contains("Hello ada@example.com"), "{plain}");
        }
    }

    #[tokio::test]
    async fn the_page_after_logout_says_so_once() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let app = app_for(&pool).await;
        let request = Request::get("/")
            .header(header::COOKIE, "signed_out=1")
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        let removal = response.headers()[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            removal.starts_with("signed_out=;") && removal.contains("Max-Age=0"),
            "{removal}"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        assert!(String::from_utf8_lossy(&body).contains("You have been signed out."));
        let (_, page) = home_page(&app, "", "").await;
        assert!(!page.contains("signed out"), "{page}");
    }

    #[tokio::test]
    async fn each_page_names_itself_in_its_title() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let app = app_for(&pool).await;
        for (uri, title) in [
            ("/", "leptos-cognito"),
            ("/profile", "Profile · leptos-cognito"),
            ("/admin", "Admin console · leptos-cognito"),
            (
                "/callback?code=c0de&state=st4te",
                "Signing in · leptos-cognito",
            ),
        ] {
            let request = Request::get(uri).body(Body::empty()).expect("request");
            let response = app.clone().oneshot(request).await.expect("response");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            let html = String::from_utf8_lossy(&body);
            assert!(
                html.contains(&format!("<title>{title}</title>")),
                "{uri}: {html}"
            );
        }
    }

    /// A server-function call whose body comes in `chunks` chunks of 1 KiB, with
    /// no declared length (`Transfer-Encoding: chunked`).
    async fn chunked_list_users(
        app: &Router,
        id_token: &str,
        access_token: &str,
        chunks: usize,
    ) -> (StatusCode, String) {
        let mut parts = vec![Ok::<_, std::io::Error>("search=".to_owned())];
        parts.extend((0..chunks).map(|_| Ok("x".repeat(1024))));
        let body = Body::from_stream(futures::stream::iter(parts));
        post_list_users(app, id_token, access_token, body).await
    }

    #[tokio::test]
    async fn a_chunked_server_function_body_over_the_limit_gets_413() {
        let _leptos = one_leptos_test_at_a_time().await;
        let pool = Pool::serve().await;
        let app = app_for(&pool).await;
        let id_token = pool.sign(&pool.id_claims());
        let access_token = pool.sign(&pool.access_claims());

        let (status, body) = chunked_list_users(&app, &id_token, &access_token, 200).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        // Under the limit, a chunked call gets past authorization as the others do.
        let (status, body) = chunked_list_users(&app, &id_token, &access_token, 4).await;
        assert!(body.contains("NoDirectory"), "{status} {body}");
    }
}
