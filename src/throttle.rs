//! Failed password and code attempts per client address. The per-account
//! lockout (`accounts`) stops guessing one account's password; this stops one
//! address from guessing across many accounts: after `MAX_FAILURES` failures
//! within `WINDOW_SECONDS`, that address's credential requests are refused
//! (429 with `Retry-After`) until the window has passed. Nobody else is
//! affected, so an attacker cannot lock a user out this way.
//!
//! Handlers mark a refused credential with the [`FailedAttempt`] response
//! extension; the middleware counts the marks and refuses early. Loopback
//! addresses are not throttled: behind a reverse proxy on the same host every
//! client would share one, and one attacker could then turn everybody away
//! (the per-account lockout still applies).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::UserPool;

const MAX_FAILURES: u32 = 50;
const WINDOW_SECONDS: i64 = 900;
/// Addresses tracked at most; beyond, the oldest windows are forgotten first.
const MAX_ADDRESSES: usize = 100_000;

/// Set on a response whose request presented a wrong password or code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FailedAttempt;

#[derive(Default)]
pub(crate) struct Throttle {
    windows: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Clone, Copy)]
struct Window {
    start: i64,
    failures: u32,
}

impl Throttle {
    /// Seconds until `address` may try again, if it is over the limit.
    fn refused_for(&self, address: IpAddr, now: i64) -> Option<i64> {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.get(&address)?;
        let ends = window.start + WINDOW_SECONDS;
        (window.failures >= MAX_FAILURES && ends > now).then_some(ends - now)
    }

    fn count_failure(&self, address: IpAddr, now: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= MAX_ADDRESSES && !windows.contains_key(&address) {
            windows.retain(|_, w| w.start + WINDOW_SECONDS > now);
            if windows.len() >= MAX_ADDRESSES {
                return;
            }
        }
        let window = windows.entry(address).or_insert(Window {
            start: now,
            failures: 0,
        });
        if window.start + WINDOW_SECONDS <= now {
            *window = Window {
                start: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
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
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(socket)| socket.ip());
    let address = address.filter(|ip| !ip.is_loopback());
    let (Some(address), true) = (address, checks_credentials(&request)) else {
        return next.run(request).await;
    };
    let throttle = pool.throttle();
    if let Some(seconds) = throttle.refused_for(address, crate::now()) {
        tracing::warn!(%address, "too many failed attempts from this address");
        return too_many(seconds, request.uri().path() == "/");
    }
    let response = next.run(request).await;
    if response.extensions().get::<FailedAttempt>().is_some() {
        throttle.count_failure(address, crate::now());
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
        crate::hosted_ui::pages::error_page(StatusCode::TOO_MANY_REQUESTS, message, None)
    };
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_its_failures_until_the_window_passes() {
        let throttle = Throttle::default();
        let attacker: IpAddr = "192.0.2.7".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.8".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            throttle.count_failure(attacker, 1000);
        }
        assert_eq!(throttle.refused_for(attacker, 1000), None);
        throttle.count_failure(attacker, 1000);
        assert_eq!(
            throttle.refused_for(attacker, 1100),
            Some(WINDOW_SECONDS - 100)
        );
        assert_eq!(throttle.refused_for(neighbour, 1100), None);
        assert_eq!(throttle.refused_for(attacker, 1000 + WINDOW_SECONDS), None);
        // A new window starts from nothing.
        throttle.count_failure(attacker, 1000 + WINDOW_SECONDS);
        assert_eq!(throttle.refused_for(attacker, 1000 + WINDOW_SECONDS), None);
    }
}
