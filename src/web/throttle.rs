//! Failed password and code attempts per client address. The per-account
//! lockout (`accounts`) stops guessing one account's password; this stops one
//! address from guessing across many accounts: after `MAX_FAILURES` failures
//! within `WINDOW_SECONDS`, that address's credential requests are refused
//! (429 with `Retry-After`) until the window has passed. Nobody else is
//! affected, so an attacker cannot lock a user out this way. The counts live in
//! the store, so every pool process on one database enforces the same limit.
//!
//! Handlers mark a refused credential with the [`FailedAttempt`] response
//! extension; the middleware counts the marks and refuses early. The address
//! is the TCP peer's or, when the peer is one of `pool.trusted_proxies`, the
//! client's it forwarded; anyone else's forwarding headers are ignored. IPv6
//! addresses count by their /64, what one subscriber usually holds. Without
//! trusted proxies, loopback peers are not throttled: behind a reverse proxy on
//! the same host every client would share one, and one attacker could then
//! turn everybody away (the per-account lockout still applies).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::UserPool;
use crate::config::{Config, ProxyRange};
use crate::store::AddressWindow;

const MAX_FAILURES: i64 = 50;
pub(crate) const WINDOW_SECONDS: i64 = 900;

/// Set on a response whose request presented a wrong password or code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FailedAttempt;

/// Seconds until an address with this window may try again, if it is over the limit.
fn refused_for(window: AddressWindow, now: i64) -> Option<i64> {
    let ends = window.window_start + WINDOW_SECONDS;
    (window.failures >= MAX_FAILURES && ends > now).then_some(ends - now)
}

/// The address a request counts against, or None when it is not throttled.
fn client_address(config: &Config, request: &Request) -> Option<IpAddr> {
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    let peer = peer.ip().to_canonical();
    let proxies = config.trusted_proxies();
    if proxies.is_empty() {
        return (!peer.is_loopback()).then_some(peer);
    }
    Some(forwarded_client(peer, request.headers(), proxies))
}

/// The client behind a chain of trusted proxies. Each proxy appends the
/// address it saw, so from the right the hops are the proxies' word, until the
/// first one that is not a trusted proxy: that is the client, and whatever is
/// left of it, the client's claim.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, proxies: &[ProxyRange]) -> IpAddr {
    let trusted = |address: IpAddr| proxies.iter().any(|range| range.contains(address));
    let mut hops = forwarded_hops(headers).into_iter().rev();
    let mut client = peer;
    // A hop that is not an address ends the chain at the proxy that sent it.
    while trusted(client) {
        match hops.next().flatten() {
            Some(hop) => client = hop,
            None => break,
        }
    }
    client
}

/// The forwarded hops, farthest first: `X-Forwarded-For` if the request has
/// one, else the `for=` of `Forwarded` (RFC 7239). None stands for a hop that
/// is not an address (`unknown`, an obfuscated name, garbage).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded_for = list_items(headers, "x-forwarded-for");
    if !forwarded_for.is_empty() {
        return forwarded_for
            .into_iter()
            .map(|hop| hop.and_then(parse_hop))
            .collect();
    }
    list_items(headers, "forwarded")
        .into_iter()
        .map(|element| {
            element?
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| parse_hop(value))
        })
        .collect()
}

/// The comma-separated items of every `name` header, in order; None for a
/// header that is not text.
fn list_items<'h>(headers: &'h HeaderMap, name: &str) -> Vec<Option<&'h str>> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| match value.to_str() {
            Ok(list) => list.split(',').map(Some).collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// One hop's address: `192.0.2.1`, `2001:db8::1`, with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`) or in brackets, quoted or not.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
        .map(|address| address.to_canonical())
}

/// What an address counts as: an IPv4 address itself, an IPv6 one its /64.
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
    }
}

/// Requests that check a password or a code.
fn checks_credentials(request: &Request) -> bool {
    if request.method() != Method::POST {
        return false;
    }
    match request.uri().path() {
        "/login" | "/confirm" | "/confirmForgotPassword" | "/newPassword" => true,
        "/" => request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit('.').next())
            .is_some_and(|operation| {
                matches!(
                    operation,
                    "InitiateAuth"
                        | "AdminInitiateAuth"
                        | "RespondToAuthChallenge"
                        | "AdminRespondToAuthChallenge"
                        | "ConfirmSignUp"
                        | "ConfirmForgotPassword"
                        | "ChangePassword"
                )
            }),
        _ => false,
    }
}

pub(crate) async fn throttle(
    State(pool): State<UserPool>,
    request: Request,
    next: Next,
) -> Response {
    let address = client_address(pool.config(), &request).filter(|_| checks_credentials(&request));
    let Some(address) = address.map(address_key) else {
        return next.run(request).await;
    };
    let store = pool.store();
    // Without the database the request fails anyway; it is not refused here for that.
    match store.address_window(&address).await {
        Ok(window) => {
            if let Some(seconds) = window.and_then(|w| refused_for(w, crate::now())) {
                tracing::warn!(%address, "too many failed attempts from this address");
                return too_many(seconds, request.uri().path() == "/");
            }
        }
        Err(error) => tracing::warn!(%error, "could not read the failed attempts of an address"),
    }
    let response = next.run(request).await;
    if response.extensions().get::<FailedAttempt>().is_some() {
        let now = crate::now();
        if let Err(error) = store
            .count_address_failure(&address, now, now - WINDOW_SECONDS)
            .await
        {
            tracing::warn!(%error, "could not count a failed attempt");
        }
    }
    response
}

fn too_many(retry_after: i64, json_api: bool) -> Response {
    let message = "Too many failed attempts from your network. Please try again later.";
    let mut response = if json_api {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::CONTENT_TYPE, "application/x-amz-json-1.1"),
                (
                    header::HeaderName::from_static("x-amzn-errortype"),
                    "TooManyRequestsException",
                ),
            ],
            serde_json::json!({ "__type": "TooManyRequestsException", "message": message })
                .to_string(),
        )
            .into_response()
    } else {
        super::error_page(StatusCode::TOO_MANY_REQUESTS, message, None)
    };
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn an_address_is_refused_after_its_failures_until_the_window_passes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_database(dir.path()).await)
            .await
            .unwrap();
        let refused = async |address: &str, now: i64| {
            let window = store.address_window(address).await.unwrap();
            window.and_then(|w| refused_for(w, now))
        };
        let count = async |address: &str, now: i64| {
            store
                .count_address_failure(address, now, now - WINDOW_SECONDS)
                .await
                .unwrap();
        };
        let (attacker, neighbour) = ("192.0.2.7", "192.0.2.8");
        for _ in 0..MAX_FAILURES - 1 {
            count(attacker, 1000).await;
        }
        assert_eq!(refused(attacker, 1000).await, None);
        count(attacker, 1000).await;
        assert_eq!(refused(attacker, 1100).await, Some(WINDOW_SECONDS - 100));
        assert_eq!(refused(neighbour, 1100).await, None);
        assert_eq!(refused(attacker, 1000 + WINDOW_SECONDS).await, None);
        // A new window starts from nothing.
        count(attacker, 1000 + WINDOW_SECONDS).await;
        assert_eq!(refused(attacker, 1000 + WINDOW_SECONDS).await, None);
    }

    fn proxies(ranges: &[&str]) -> Vec<ProxyRange> {
        ranges
            .iter()
            .map(|range| ProxyRange::try_from(range.to_string()).unwrap())
            .collect()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_first_hop_from_the_right_that_is_not_a_trusted_proxy() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        let client = |pairs: &[(&'static str, &str)]| {
            forwarded_client(ip("127.0.0.1"), &headers(pairs), &trusted)
        };
        // What the client wrote itself (left of its own address) is ignored.
        let spoofed = [("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.1.2.3")];
        assert_eq!(client(&spoofed), ip("198.51.100.7"));
        // Several header lines are one list; ports and brackets are allowed.
        let split = [
            ("x-forwarded-for", "[2001:db8::1]:4711"),
            ("x-forwarded-for", "10.0.0.2:80"),
        ];
        assert_eq!(client(&split), ip("2001:db8::1"));
        // Forwarded, when there is no X-Forwarded-For.
        let forwarded = [(
            "forwarded",
            r#"for=198.51.100.9;proto=https, For="[2001:db8::7]";by=10.0.0.1"#,
        )];
        assert_eq!(client(&forwarded), ip("2001:db8::7"));
        // A hop that is no address ends the chain at the proxy that sent it.
        assert_eq!(
            client(&[("x-forwarded-for", "198.51.100.7, unknown, 10.0.0.5")]),
            ip("10.0.0.5")
        );
        assert_eq!(client(&[("forwarded", "for=_hidden")]), ip("127.0.0.1"));
        // Only proxies in the chain: the farthest is the client.
        assert_eq!(client(&[("x-forwarded-for", "10.9.9.9")]), ip("10.9.9.9"));
        assert_eq!(client(&[]), ip("127.0.0.1"));
        // A peer that is no trusted proxy is the client, whatever it forwards.
        assert_eq!(
            forwarded_client(ip("192.0.2.1"), &headers(&spoofed), &trusted),
            ip("192.0.2.1")
        );
        // IPv4-mapped IPv6 peers are their IPv4 address.
        assert_eq!(
            forwarded_client(ip("::ffff:10.0.0.1"), &headers(&spoofed), &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }
}
