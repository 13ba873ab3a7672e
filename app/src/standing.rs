//! Sessions that end when the pool ends them, not only when their tokens
//! expire. A signature proves who a token was issued to, not that its sign-in
//! is still wanted: after a logout (elsewhere), a global sign-out, or once the
//! user is disabled, deleted or removed from a group, the tokens still verify
//! for up to their hour. So each access token's standing is asked of the pool
//! when first seen and again once its last answer is older than the check
//! interval, and the answer is remembered meanwhile. The app keeps no session
//! state of its own: what ends a session is recorded at the pool, which every
//! app instance asks.
//!
//! The question is OpenID Connect's userInfo endpoint for tokens with the
//! `openid` scope (the hosted UI's), and Cognito's `GetUser` for the others
//! (the JSON API's password flows, scope `aws.cognito.signin.user.admin`):
//! Amazon Cognito and the local pool refuse both for a revoked token or an
//! account that can no longer sign in.
//! The groups of a token that claims the Admin group are read again from the
//! pool's admin API when the app has one, so a demoted administrator loses the
//! console within the interval too.
//!
//! userInfo must answer with the token's own `sub` (OpenID Connect Core
//! §5.3.2). For another OpenID provider, whose access tokens the app does not
//! read, that is what binds the access token to the session's id token; its
//! answer also brings the email and groups that providers keep out of id tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cognito_admin::CognitoAdmin;
use crate::directory::ADMIN_GROUP;
use crate::pool::PoolEndpoints;
use crate::verify::{AccessClaims, GroupsClaim, signature};

/// How often a session is asked about by default: the longest a session ended
/// elsewhere stays usable here.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// After the pool could not be reached, it is asked again this soon.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Access tokens remembered at most; a full map forgets stale answers, then all.
const CAPACITY: usize = 10_000;

/// What the pool last said about an access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Still good; `groups` when they were read again (else the token's are
    /// current), and the email userInfo gave.
    Live {
        groups: Option<Vec<String>>,
        email: Option<String>,
    },
    /// Revoked, or its user can no longer hold tokens.
    Ended,
}

impl Standing {
    /// Live, with nothing read again.
    pub const LIVE: Standing = Standing::Live {
        groups: None,
        email: None,
    };
}

struct Answer {
    token: String,
    /// The user the answer was for: the same token beside another id token's
    /// user is asked about afresh (and refused).
    sub: String,
    /// When to ask again.
    due: Instant,
    standing: Standing,
}

/// Asks the pool about access tokens, at most once per interval each.
pub struct Standings {
    http: reqwest::Client,
    userinfo_url: String,
    api_endpoint: Option<String>,
    /// Another OpenID provider's groups claim, read from its userInfo answers.
    userinfo_groups: Option<GroupsClaim>,
    interval: Duration,
    directory: Option<Arc<CognitoAdmin>>,
    answers: Mutex<HashMap<String, Answer>>,
}

impl Standings {
    pub fn new(
        http: reqwest::Client,
        pool: &PoolEndpoints,
        userinfo_groups: Option<GroupsClaim>,
        interval: Duration,
        directory: Option<Arc<CognitoAdmin>>,
    ) -> Standings {
        Standings {
            http,
            userinfo_url: pool.userinfo_url.clone(),
            api_endpoint: pool.api_endpoint.clone(),
            userinfo_groups,
            interval,
            directory,
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// The standing of `token` (verified, with `claims`), asked of the pool if
    /// its last answer is due. A pool that cannot be reached ends no session:
    /// the last answer (or the token itself) stands until it can be asked.
    pub async fn of(&self, token: &str, claims: &AccessClaims) -> Standing {
        let key = signature(token);
        let last = {
            let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            let same = |answer: &&Answer| answer.token == token && answer.sub == claims.sub;
            match answers.get(key).filter(same) {
                Some(answer) if answer.due > Instant::now() => return answer.standing.clone(),
                Some(answer) => Some(answer.standing.clone()),
                None => None,
            }
        };
        let (standing, next) = match self.ask(token, claims).await {
            Ok(standing) => (standing, self.interval),
            Err(error) => {
                tracing::warn!(%error, "could not check a session with the user pool");
                (last.unwrap_or(Standing::LIVE), RETRY_AFTER)
            }
        };
        self.remember(token, &claims.sub, standing.clone(), next);
        standing
    }

    /// Forgets what the pool said about `token` (at logout).
    pub fn forget(&self, token: &str) {
        let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        if answers
            .get(signature(token))
            .is_some_and(|answer| answer.token == token)
        {
            answers.remove(signature(token));
        }
    }

    fn remember(&self, token: &str, sub: &str, standing: Standing, next: Duration) {
        let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        if answers.len() >= CAPACITY {
            let now = Instant::now();
            answers.retain(|_, answer| answer.due > now);
            if answers.len() >= CAPACITY {
                answers.clear();
            }
        }
        answers.insert(
            signature(token).to_owned(),
            Answer {
                token: token.to_owned(),
                sub: sub.to_owned(),
                due: Instant::now() + next,
                standing,
            },
        );
    }

    async fn ask(&self, token: &str, claims: &AccessClaims) -> Result<Standing, String> {
        let get_user_endpoint = self
            .api_endpoint
            .as_ref()
            .filter(|_| !claims.scope.split(' ').any(|s| s == "openid"));
        let request = match get_user_endpoint {
            None => self.http.get(&self.userinfo_url).bearer_auth(token),
            Some(endpoint) => self
                .http
                .post(endpoint)
                .header("content-type", "application/x-amz-json-1.1")
                .header("x-amz-target", "AWSCognitoIdentityProviderService.GetUser")
                .body(serde_json::json!({ "AccessToken": token }).to_string()),
        };
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        if status.is_success() {
            if get_user_endpoint.is_some() {
                return self.live(claims, None).await;
            }
            let answer: serde_json::Value = response
                .json()
                .await
                .map_err(|_| "userInfo answered no JSON".to_owned())?;
            if answer.get("sub").and_then(|sub| sub.as_str()) != Some(claims.sub.as_str()) {
                tracing::warn!("userInfo answered for another user than the session's id token");
                return Ok(Standing::Ended);
            }
            return self.live(claims, Some(&answer)).await;
        }
        // Refusals of the token (RFC 6750's 401, Cognito's NotAuthorizedException and
        // the like with 400) end the session; throttling and outages end nothing.
        let throttled = status.as_u16() == 429
            || response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|kind| {
                    kind.starts_with("TooManyRequests") || kind.starts_with("LimitExceeded")
                });
        if status.is_client_error() && !throttled {
            Ok(Standing::Ended)
        } else {
            Err(format!("the user pool answered {status}"))
        }
    }

    /// A live token's standing: the groups and email of its userInfo `answer`,
    /// and the groups of a token that claims Admin read again when the app can.
    async fn live(
        &self,
        claims: &AccessClaims,
        answer: Option<&serde_json::Value>,
    ) -> Result<Standing, String> {
        let email = answer
            .and_then(|answer| answer.get("email"))
            .and_then(|email| email.as_str())
            .map(str::to_owned);
        let from_userinfo = self
            .userinfo_groups
            .as_ref()
            .zip(answer)
            .and_then(|(claim, answer)| claim.read(answer));
        let claims_admin = claims.groups.iter().any(|g| g == ADMIN_GROUP);
        let Some(directory) = self.directory.as_ref().filter(|_| claims_admin) else {
            return Ok(Standing::Live {
                groups: from_userinfo,
                email,
            });
        };
        let username = claims.username.as_deref().unwrap_or(&claims.sub);
        let groups = directory
            .groups_of(username)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Standing::Live {
            groups: Some(groups),
            email,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};

    use axum::routing::get;

    use super::*;

    /// A pool whose userInfo endpoint and JSON API answer `status` (changeable), counting calls.
    async fn userinfo(status: u16) -> (PoolEndpoints, Arc<AtomicU16>, Arc<AtomicUsize>) {
        let answer = Arc::new(AtomicU16::new(status));
        let calls = Arc::new(AtomicUsize::new(0));
        let (a, c) = (answer.clone(), calls.clone());
        let (a2, c2) = (answer.clone(), calls.clone());
        let app = axum::Router::new()
            .route(
                "/oauth2/userInfo",
                get(move |headers: axum::http::HeaderMap| {
                    let (a, c) = (a.clone(), c.clone());
                    async move {
                        c.fetch_add(1, Ordering::SeqCst);
                        // The token goes as a bearer token, or the pool refuses it.
                        let status = match headers.get("authorization") {
                            Some(value) if value == "Bearer h.p.sig" => a.load(Ordering::SeqCst),
                            _ => 401,
                        };
                        let user = serde_json::json!({
                            "sub": "s", "email": "ada@example.com", "roles": ["Admin"]
                        });
                        (
                            axum::http::StatusCode::from_u16(status).expect("status"),
                            axum::Json(user),
                        )
                    }
                }),
            )
            .route(
                "/",
                axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                    let (a, c) = (a2.clone(), c2.clone());
                    async move {
                        c.fetch_add(1, Ordering::SeqCst);
                        let asks = headers["x-amz-target"]
                            == "AWSCognitoIdentityProviderService.GetUser"
                            && body == r#"{"AccessToken":"h.p.sig"}"#;
                        let status = if asks { a.load(Ordering::SeqCst) } else { 400 };
                        axum::http::StatusCode::from_u16(status).expect("status")
                    }
                }),
            );
        (crate::test_tokens::pool_serving(app).await, answer, calls)
    }

    /// A hosted-UI token's claims (scope `openid`), or with `scope`.
    fn claims_with(scope: &str) -> AccessClaims {
        serde_json::from_value(serde_json::json!({
            "sub": "s", "client_id": "c", "token_use": "access", "exp": 0, "iat": 0,
            "cognito:groups": ["Admin"], "scope": scope,
        }))
        .expect("claims")
    }

    fn claims() -> AccessClaims {
        claims_with("openid email")
    }

    #[tokio::test]
    async fn tokens_of_the_api_flows_are_asked_about_with_get_user() {
        let (pool, answer, calls) = userinfo(200).await;
        let standings = Standings::new(reqwest::Client::new(), &pool, None, Duration::ZERO, None);
        let api_token = claims_with("aws.cognito.signin.user.admin");
        assert_eq!(standings.of("h.p.sig", &api_token).await, Standing::LIVE);
        answer.store(400, Ordering::SeqCst);
        assert_eq!(standings.of("h.p.sig", &api_token).await, Standing::Ended);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_session_ended_at_the_pool_ends_here_at_the_next_check() {
        let (pool, answer, calls) = userinfo(200).await;
        // An interval of zero asks at every request: the end shows at once.
        let standings = Standings::new(reqwest::Client::new(), &pool, None, Duration::ZERO, None);
        let live = Standing::Live {
            groups: None,
            email: Some("ada@example.com".into()),
        };
        assert_eq!(standings.of("h.p.sig", &claims()).await, live);
        answer.store(401, Ordering::SeqCst);
        assert_eq!(standings.of("h.p.sig", &claims()).await, Standing::Ended);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_pool_is_asked_once_per_interval_and_again_after_forgetting() {
        let (pool, answer, calls) = userinfo(200).await;
        let standings = Standings::new(reqwest::Client::new(), &pool, None, DEFAULT_INTERVAL, None);
        let live = Standing::Live {
            groups: None,
            email: Some("ada@example.com".into()),
        };
        assert_eq!(standings.of("h.p.sig", &claims()).await, live);
        answer.store(401, Ordering::SeqCst);
        // Within the interval the answer stands (the price of one call per interval).
        assert_eq!(standings.of("h.p.sig", &claims()).await, live);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another token with the same signature is not this one.
        standings.forget("h.forged.sig");
        assert_eq!(standings.of("h.p.sig", &claims()).await, live);
        standings.forget("h.p.sig");
        assert_eq!(standings.of("h.p.sig", &claims()).await, Standing::Ended);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_unreachable_pool_ends_no_session() {
        let (pool, answer, _) = userinfo(200).await;
        let standings = Standings::new(reqwest::Client::new(), &pool, None, Duration::ZERO, None);
        answer.store(503, Ordering::SeqCst);
        assert_eq!(standings.of("h.p.sig", &claims()).await, Standing::LIVE);
    }

    #[tokio::test]
    async fn another_providers_userinfo_brings_groups_and_must_name_the_sessions_user() {
        let (pool, _, _) = userinfo(200).await;
        let roles = GroupsClaim::new("roles");
        let standings = Standings::new(reqwest::Client::new(), &pool, roles, Duration::ZERO, None);
        assert_eq!(
            standings.of("h.p.sig", &claims()).await,
            Standing::Live {
                groups: Some(vec!["Admin".into()]),
                email: Some("ada@example.com".into()),
            }
        );
        // Someone else's access token beside this id token's user, even one
        // whose standing was just asked about for its own user.
        let standings = Standings::new(reqwest::Client::new(), &pool, None, DEFAULT_INTERVAL, None);
        assert!(matches!(
            standings.of("h.p.sig", &claims()).await,
            Standing::Live { .. }
        ));
        let mut mallory = claims();
        mallory.sub = "mallory".into();
        assert_eq!(standings.of("h.p.sig", &mallory).await, Standing::Ended);
    }
}
