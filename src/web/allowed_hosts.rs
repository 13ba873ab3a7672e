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

/// The `host[:port]`s a server answers to, lowercase, and with
/// [`AllowedHosts::with_subdomains`] one label below each of them that is a name.
#[derive(Clone, Debug)]
pub struct AllowedHosts {
    hosts: Arc<[String]>,
    subdomains: bool,
}

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
        AllowedHosts {
            hosts: hosts.into(),
            subdomains: false,
        }
    }

    /// Also one label below each allowed name (not below an address): the
    /// user pool's hosted-UI domains, `<prefix>.localhost:9229` and the like.
    /// A rebinding page cannot be served from such a name, which always names
    /// this server.
    pub fn with_subdomains(self) -> AllowedHosts {
        AllowedHosts {
            subdomains: true,
            ..self
        }
    }

    /// Whether `authority` (a `Host` value) is one of the names themselves, ignoring case.
    pub fn is_own(&self, authority: &str) -> bool {
        self.hosts
            .iter()
            .any(|host| host.eq_ignore_ascii_case(authority))
    }

    /// The label `authority` has below one of the names, if it has one and subdomains are allowed.
    pub fn subdomain<'a>(&self, authority: &'a str) -> Option<&'a str> {
        let (label, rest) = authority.split_once('.')?;
        let named = rest
            .rsplit_once(':')
            .map_or(rest, |(host, _)| host)
            .parse::<std::net::IpAddr>()
            .is_err()
            && !rest.starts_with('[');
        let label_ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        (self.subdomains && named && label_ok && self.is_own(rest)).then_some(label)
    }

    /// Whether `authority` (a `Host` value) is allowed.
    pub fn allows(&self, authority: &str) -> bool {
        self.is_own(authority) || self.subdomain(authority).is_some()
    }
}

/// Wraps `router` so that only requests for `hosts` reach it (see the module notes).
pub fn allow_hosts(router: Router, hosts: AllowedHosts) -> Router {
    super::layers::around(
        router,
        axum::middleware::from_fn_with_state(hosts, refuse_other_hosts),
    )
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

    #[test]
    fn with_subdomains_one_label_below_a_name_is_allowed_too() {
        let hosts = AllowedHosts::new("http://127.0.0.1:9229", 9229);
        assert!(!hosts.allows("shop.localhost:9229"));
        let hosts = hosts.with_subdomains();
        for (good, label) in [
            ("shop.localhost:9229", "shop"),
            ("my-app.LOCALHOST:9229", "my-app"),
        ] {
            assert!(hosts.allows(good), "{good}");
            assert_eq!(hosts.subdomain(good), Some(label));
        }
        for bad in [
            "a.b.localhost:9229",
            "shop.localhost:3000",
            "shop.127.0.0.1:9229",
            "shop.[::1]:9229",
            ".localhost:9229",
            "sh_op.localhost:9229",
            "shop.evil.example",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        assert_eq!(hosts.subdomain("localhost:9229"), None);
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
