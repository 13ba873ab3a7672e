//! The Host allow-list of the pool and of the app: a request whose `Host` (or,
//! in HTTP/2, `:authority`) is none of the server's own names is answered
//! 421 Misdirected Request before any handler runs. This is what stops DNS
//! rebinding: a page on `evil.example` can make that name resolve to
//! 127.0.0.1 and reach a server on loopback, but its requests still say
//! `Host: evil.example`. A server's names are the host\[:port\] of its public
//! URL, and `localhost`, `127.0.0.1` and `[::1]` at the port it listens on.
//!
//! `GET /healthz` answers whatever the Host: load balancers probe by address,
//! and it tells nothing and changes nothing. A request without any Host passes:
//! it comes from no browser (browsers always send one), so not from a page.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The `host[:port]`s a server answers to, lowercase.
#[derive(Clone, Debug)]
pub struct AllowedHosts(Arc<[String]>);

const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

impl AllowedHosts {
    /// The authority of `public_url` (with and without its scheme's default port,
    /// if it names none), and the loopback names at `listen_port`. A public URL
    /// that is not an absolute URL with a host adds nothing: only loopback passes.
    pub fn new(public_url: &str, listen_port: u16) -> AllowedHosts {
        let mut hosts = Vec::new();
        if let Ok(url) = url::Url::parse(public_url)
            && let Some(host) = url.host_str()
        {
            let host = host.to_ascii_lowercase();
            match (url.port(), url.port_or_known_default()) {
                (Some(port), _) => hosts.push(format!("{host}:{port}")),
                (None, Some(default)) => {
                    hosts.push(format!("{host}:{default}"));
                    hosts.push(host);
                }
                (None, None) => hosts.push(host),
            }
        }
        for name in LOOPBACK_NAMES {
            hosts.push(format!("{name}:{listen_port}"));
            // Browsers leave out the port when it is http's default.
            if listen_port == 80 {
                hosts.push(name.to_owned());
            }
        }
        AllowedHosts(hosts.into())
    }

    /// Whether `authority` (a `Host` value) is one of these, ignoring case.
    pub fn allows(&self, authority: &str) -> bool {
        self.0
            .iter()
            .any(|host| host.eq_ignore_ascii_case(authority))
    }
}

/// Wraps `router` so that only requests for `hosts` reach it (see the module notes).
pub fn allow_hosts(router: Router, hosts: AllowedHosts) -> Router {
    router.layer(axum::middleware::from_fn_with_state(
        hosts,
        refuse_other_hosts,
    ))
}

async fn refuse_other_hosts(
    State(hosts): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Response {
    let health_check = request.uri().path() == "/healthz"
        && matches!(*request.method(), Method::GET | Method::HEAD);
    // Every Host header and the request target's authority, if any, must be ours.
    let named = request
        .headers()
        .get_all(header::HOST)
        .iter()
        .map(|value| value.to_str().ok())
        .chain(request.uri().authority().map(|a| Some(a.as_str())));
    let mut ours = true;
    for name in named {
        if !name.is_some_and(|name| hosts.allows(name)) {
            tracing::info!(
                host = name.unwrap_or("(not text)"),
                "refused a request for another host"
            );
            ours = false;
        }
    }
    if ours || health_check {
        next.run(request).await
    } else {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "Misdirected request: this server does not answer for that host.\n",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    #[test]
    fn the_public_urls_authority_and_loopback_at_the_port_are_allowed() {
        let hosts = AllowedHosts::new("https://Auth.Example.com", 9229);
        for good in [
            "auth.example.com",
            "auth.example.com:443",
            "AUTH.example.com",
            "localhost:9229",
            "127.0.0.1:9229",
            "[::1]:9229",
        ] {
            assert!(hosts.allows(good), "{good}");
        }
        for bad in [
            "evil.example",
            "evil.example:9229",
            "auth.example.com:9229",
            "auth.example.com.evil.example",
            "localhost",
            "127.0.0.1:3000",
            "127.0.0.2:9229",
            "",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        let hosts = AllowedHosts::new("http://127.0.0.1:3000/base/", 3000);
        assert!(hosts.allows("127.0.0.1:3000"));
        assert!(!hosts.allows("127.0.0.1"));
        // Not a URL: loopback only.
        let hosts = AllowedHosts::new("not a url", 80);
        assert!(hosts.allows("localhost") && hosts.allows("127.0.0.1:80"));
        assert!(!hosts.allows("not a url"));
    }

    async fn status(router: &Router, uri: &str, host: Option<&str>) -> StatusCode {
        let mut request = axum::http::Request::get(uri);
        if let Some(host) = host {
            request = request.header(header::HOST, host);
        }
        let response = router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        response.status()
    }

    #[tokio::test]
    async fn other_hosts_get_421_except_on_healthz() {
        let router = allow_hosts(
            Router::new()
                .route("/", get(|| async { "ok" }))
                .route("/healthz", get(|| async { "ok" })),
            AllowedHosts::new("http://127.0.0.1:9229", 9229),
        );
        assert_eq!(
            status(&router, "/", Some("127.0.0.1:9229")).await,
            StatusCode::OK
        );
        assert_eq!(status(&router, "/", None).await, StatusCode::OK);
        assert_eq!(
            status(&router, "/", Some("evil.example:9229")).await,
            StatusCode::MISDIRECTED_REQUEST
        );
        // An absolute request target names the host too.
        assert_eq!(
            status(&router, "http://evil.example:9229/", Some("127.0.0.1:9229")).await,
            StatusCode::MISDIRECTED_REQUEST
        );
        assert_eq!(
            status(&router, "/healthz", Some("10.0.0.7:9229")).await,
            StatusCode::OK
        );
    }
}
