//! The JSON API for scripts and other services: `GET /api/me`, and
//! `GET /api/admin/users` for members of `Admin`. Callers send
//! `Authorization: Bearer <access token>`, validated as the cookie session is
//! (the pool's signature, issuer, expiry, `token_use` access, this app's
//! `client_id`) and carrying a user scope; refusals carry RFC 6750 challenges.

use app::directory::{ADMIN_GROUP, UsersPage};
use app::session::Auth;
use app::verify::AccessClaims;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Access tokens for a user carry one of these: `openid` from the hosted UI,
/// `aws.cognito.signin.user.admin` from Cognito's password flows. Machine
/// tokens (client credentials) carry only custom scopes and are refused.
const USER_SCOPES: [&str; 2] = ["openid", "aws.cognito.signin.user.admin"];

pub fn routes<S: Clone + Send + Sync + 'static>(auth: Auth) -> Router<S> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/admin/users", get(admin_users))
        .with_state(auth)
}

#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    #[error("no bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("the token has no user scope")]
    InsufficientScope,
    #[error("the user is not a member of {ADMIN_GROUP}")]
    NotInGroup,
    #[error("the user pool's admin API: {0}")]
    Directory(String),
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge, code) = match &self {
            BearerError::Missing => (StatusCode::UNAUTHORIZED, "Bearer", "invalid_request"),
            BearerError::Invalid(_) => (
                StatusCode::UNAUTHORIZED,
                r#"Bearer error="invalid_token""#,
                "invalid_token",
            ),
            BearerError::InsufficientScope | BearerError::NotInGroup => (
                StatusCode::FORBIDDEN,
                r#"Bearer error="insufficient_scope""#,
                "insufficient_scope",
            ),
            BearerError::Directory(_) => {
                tracing::warn!(error = %self, "bearer API");
                return (
                    StatusCode::BAD_GATEWAY,
                    Json(serde_json::json!({ "error": "user_pool_unavailable" })),
                )
                    .into_response();
            }
        };
        (
            status,
            [(header::WWW_AUTHENTICATE, challenge)],
            Json(serde_json::json!({ "error": code, "error_description": self.to_string() })),
        )
            .into_response()
    }
}

/// The claims of the request's valid user access token.
pub struct Caller(AccessClaims);

impl FromRequestParts<Auth> for Caller {
    type Rejection = BearerError;

    async fn from_request_parts(parts: &mut Parts, auth: &Auth) -> Result<Self, Self::Rejection> {
        let token = userpool::bearer_token(&parts.headers).ok_or(BearerError::Missing)?;
        let claims = auth
            .verifier
            .verify_access(token)
            .await
            .map_err(|reason| BearerError::Invalid(reason.to_string()))?;
        let claims = auth
            .standing(token, claims)
            .await
            .map_err(|reason| BearerError::Invalid(reason.to_string()))?;
        if !claims.scope.split(' ').any(|s| USER_SCOPES.contains(&s)) {
            return Err(BearerError::InsufficientScope);
        }
        Ok(Caller(claims))
    }
}

#[derive(Serialize)]
struct Me {
    sub: String,
    groups: Vec<String>,
    scope: String,
    expires_at: u64,
}

async fn me(Caller(claims): Caller) -> Json<Me> {
    Json(Me {
        sub: claims.sub,
        groups: claims.groups,
        scope: claims.scope,
        expires_at: claims.exp,
    })
}

#[derive(Deserialize)]
struct UsersQuery {
    #[serde(default)]
    search: String,
    page: Option<String>,
}

/// The admin console's user list, for scripts.
async fn admin_users(
    State(auth): State<Auth>,
    Caller(claims): Caller,
    Query(query): Query<UsersQuery>,
) -> Result<Json<UsersPage>, BearerError> {
    if !claims.groups.iter().any(|g| g == ADMIN_GROUP) {
        return Err(BearerError::NotInGroup);
    }
    let directory = auth
        .directory
        .as_ref()
        .ok_or_else(|| BearerError::Directory("no AWS credentials configured".into()))?;
    directory
        .list_users(query.search.trim(), query.page.as_deref())
        .await
        .map(Json)
        .map_err(|e| BearerError::Directory(e.to_string()))
}

#[cfg(test)]
mod tests {
    use app::test_tokens::{Pool, now};
    use axum::body::Body;
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::*;

    async fn api_for(pool: &Pool) -> Router {
        routes(crate::tests::auth_for(pool).await)
    }

    async fn call(
        api: &Router,
        uri: &str,
        authorization: Option<&str>,
    ) -> (StatusCode, String, Value) {
        let mut request = Request::get(uri);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        let response = api
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            challenge,
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn bearer_tokens_are_checked_like_the_session() {
        let pool = Pool::serve().await;
        let api = api_for(&pool).await;
        let bearer = |claims: &Value| format!("Bearer {}", pool.sign(claims));

        let (status, _, me) = call(&api, "/api/me", Some(&bearer(&pool.access_claims()))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["groups"], json!(["Admin"]));
        assert_eq!(me["sub"], pool.access_claims()["sub"]);

        // Tokens from Cognito's password flows carry the admin scope instead of openid.
        let mut api_flow = pool.access_claims();
        api_flow["scope"] = json!("aws.cognito.signin.user.admin");
        assert_eq!(
            call(&api, "/api/me", Some(&bearer(&api_flow))).await.0,
            StatusCode::OK
        );

        let (status, challenge, _) = call(&api, "/api/me", None).await;
        assert_eq!(
            (status, challenge.as_str()),
            (StatusCode::UNAUTHORIZED, "Bearer")
        );

        let mut expired = pool.access_claims();
        expired["exp"] = json!(now() - 3600);
        expired["iat"] = json!(now() - 7200);
        let refused = [
            ("an id token", bearer(&pool.id_claims())),
            ("an expired token", bearer(&expired)),
            (
                "another scheme",
                format!("Basic {}", pool.sign(&pool.access_claims())),
            ),
            ("garbage", "Bearer not.a.token".to_owned()),
        ];
        for (name, authorization) in refused {
            let (status, challenge, body) = call(&api, "/api/me", Some(&authorization)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
            assert!(challenge.starts_with("Bearer"), "{name}: {challenge}");
            assert!(body["error"].is_string(), "{name}");
        }

        // A machine token (custom scopes only) is not a user's.
        let mut machine = pool.access_claims();
        machine["scope"] = json!("https://api.example.com/read");
        let (status, challenge, _) = call(&api, "/api/me", Some(&bearer(&machine))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(challenge, r#"Bearer error="insufficient_scope""#);

        // The admin endpoint wants the group; without it, 403 before any pool call.
        let mut member_of_nothing = pool.access_claims();
        member_of_nothing
            .as_object_mut()
            .expect("claims")
            .remove("cognito:groups");
        let (status, _, body) =
            call(&api, "/api/admin/users", Some(&bearer(&member_of_nothing))).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("insufficient_scope"))
        );
    }
}
