//! The security headers of every response of the app: a Content-Security-Policy
//! whose scripts must carry this response's nonce, `X-Frame-Options`,
//! `X-Content-Type-Options` and `Referrer-Policy`.
//!
//! The middleware makes the nonce and hands it to Leptos through the request
//! (`provide_request_nonce`), so the scripts Leptos writes (the islands' loader,
//! its streamed resources, the development reload script) carry the nonce that
//! the header names. Scripts they load (the WASM's JavaScript, the lazy islands'
//! code) are trusted through `'strict-dynamic'`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::config::{LeptosOptions, ReloadWSProtocol};
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// The policy of the app's pages: what follows each response's nonce.
#[derive(Clone)]
pub struct SecurityHeaders {
    after_nonce: Arc<str>,
}

const BEFORE_NONCE: &str = "default-src 'self'; script-src 'nonce-";

const STATIC_HEADERS: [(HeaderName, HeaderValue); 3] = [
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    // The callback's URL holds the code. With `no-referrer` browsers send `Origin: null`
    // on the app's own POSTs (Fetch, "append a request Origin header"): `origin_check`
    // then reads `Sec-Fetch-Site`.
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
];

impl SecurityHeaders {
    /// The policy for an app whose user pool is at `pool_origin`: the callback
    /// page's WASM calls the pool's token endpoint, and Sign In, Register and
    /// Logout leave for its hosted UI. `live_reload` is the websocket of
    /// `cargo leptos watch`, when it runs.
    pub fn new(pool_origin: &str, live_reload: Option<&str>) -> Self {
        let reload = live_reload.map(|url| format!(" {url}")).unwrap_or_default();
        SecurityHeaders {
            after_nonce: format!(
                "' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self' {pool_origin}{reload}; form-action 'self' {pool_origin}; \
                 base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
            )
            .into(),
        }
    }

    /// The websocket that `cargo leptos watch` serves its reload messages on, as
    /// the reload script reaches it (Leptos's `AutoReload`, on when `LEPTOS_WATCH` is set).
    pub fn live_reload(leptos: &LeptosOptions, app_origin: &str) -> Option<String> {
        if !app::watched() {
            return None;
        }
        reload_socket(leptos, app_origin)
    }

    fn policy(&self, nonce: &Nonce) -> Option<HeaderValue> {
        let policy = format!("{BEFORE_NONCE}{nonce}{}", self.after_nonce);
        HeaderValue::from_str(&policy).ok()
    }
}

/// Where the reload script (leptos's `reload_script.js`) opens its websocket: the
/// page's host, the reload port, `wss` under https.
fn reload_socket(leptos: &LeptosOptions, app_origin: &str) -> Option<String> {
    let uri = app_origin.parse::<Uri>().ok()?;
    let ws = match (uri.scheme_str(), &leptos.reload_ws_protocol) {
        (Some("https"), _) | (_, ReloadWSProtocol::WSS) => "wss",
        _ => "ws",
    };
    let port = leptos.reload_external_port.unwrap_or(leptos.reload_port);
    Some(format!("{ws}://{}:{port}", uri.host()?))
}

/// Gives the request a nonce and the response the headers.
pub async fn add_security_headers(
    State(headers): State<SecurityHeaders>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let response_headers = response.headers_mut();
    if let Some(policy) = headers.policy(&nonce) {
        response_headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    for (name, value) in STATIC_HEADERS {
        response_headers.insert(name, value);
    }
    response
}

/// Leptos context: the nonce `add_security_headers` gave this request, in place of
/// the one leptos_axum makes, so the page's scripts carry the header's.
pub fn provide_request_nonce() {
    let nonce = use_context::<Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_nonce_and_the_pool() {
        let headers = SecurityHeaders::new("http://127.0.0.1:9229", None);
        let policy = headers
            .policy(&Nonce::from_value("n0nce"))
            .expect("a header value");
        assert_eq!(
            policy,
            "default-src 'self'; script-src 'nonce-n0nce' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self' http://127.0.0.1:9229; \
             form-action 'self' http://127.0.0.1:9229; base-uri 'none'; object-src 'none'; \
             frame-ancestors 'none'"
        );
        let watched = SecurityHeaders::new("https://pool.example", Some("ws://127.0.0.1:3001"));
        let policy = watched
            .policy(&Nonce::from_value("n"))
            .expect("a header value");
        assert!(
            policy
                .to_str()
                .expect("ascii")
                .contains("connect-src 'self' https://pool.example ws://127.0.0.1:3001;"),
            "{policy:?}"
        );
    }

    #[test]
    fn the_reload_socket_is_on_the_apps_host_at_the_reload_port() {
        let leptos = LeptosOptions::builder().output_name("app").build();
        assert_eq!(
            reload_socket(&leptos, "http://127.0.0.1:3000").as_deref(),
            Some("ws://127.0.0.1:3001")
        );
        assert_eq!(
            reload_socket(&leptos, "https://app.example").as_deref(),
            Some("wss://app.example:3001")
        );
    }
}
