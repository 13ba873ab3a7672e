//! `GET`/`POST /oauth2/userInfo` (OpenID Connect Core §5.3): the attributes of
//! the user an access token with the `openid` scope was issued to. The token
//! must be one this pool signed, unexpired, and from a sign-in that was not
//! revoked since.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};

use crate::UserPool;
use crate::error::BearerError;

#[derive(Deserialize)]
struct AccessToken {
    sub: String,
    token_use: String,
    scope: String,
    origin_jti: String,
}

/// Cognito's answer: `email_verified` is a string here, unlike in the id token.
#[derive(Debug, Serialize)]
pub(super) struct UserInfo {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    username: String,
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub(super) async fn user_info(
    State(pool): State<UserPool>,
    headers: HeaderMap,
) -> Result<Json<UserInfo>, BearerError> {
    let token = bearer(&headers).ok_or(BearerError::Missing)?;
    let claims: AccessToken = pool
        .key()
        .verify(token, &pool.config().issuer())
        .filter(|claims: &AccessToken| claims.token_use == "access")
        .ok_or(BearerError::InvalidToken)?;
    let scopes: Vec<&str> = claims.scope.split(' ').collect();
    if !scopes.contains(&"openid") {
        return Err(BearerError::InsufficientScope);
    }
    if pool.store().origin_revoked(&claims.origin_jti).await? {
        return Err(BearerError::InvalidToken);
    }
    let user = match pool.store().user(&claims.sub).await? {
        Some(user) if user.confirmed => user,
        _ => return Err(BearerError::InvalidToken),
    };
    let email = scopes.contains(&"email");
    Ok(Json(UserInfo {
        email_verified: email.then_some("true"),
        email: email.then_some(user.email),
        username: user.sub.clone(),
        sub: user.sub,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        assert_eq!(bearer(&headers("Bearer abc.def")), Some("abc.def"));
        assert_eq!(bearer(&headers("bearer abc")), Some("abc"));
        assert_eq!(bearer(&headers("Basic abc")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
