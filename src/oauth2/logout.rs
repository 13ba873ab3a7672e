//! `GET /logout`, in both of Cognito's forms: `client_id` + `logout_uri` (sign out
//! and return to a registered logout URL), or `client_id` + `redirect_uri` +
//! `response_type` (sign out and show the sign-in page again).

use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::UserPool;
use crate::signin::request::{OAuthParams, validate};
use crate::signin::session;
use crate::web::{PageError, found};

#[derive(Deserialize)]
pub(super) struct LogoutUri {
    logout_uri: Option<String>,
}

pub(super) async fn logout(
    pool: UserPool,
    jar: CookieJar,
    Query(params): Query<OAuthParams>,
    Query(LogoutUri { logout_uri }): Query<LogoutUri>,
) -> Result<Response, PageError> {
    let client = params
        .client_id
        .as_deref()
        .and_then(|id| pool.pool().client(id))
        .ok_or_else(|| PageError::BadRequest("The client_id is missing or unknown.".into()))?;
    let location = match logout_uri {
        // Only registered URLs: anything else would be an open redirect.
        Some(uri) if client.logout_urls.contains(&uri) => uri,
        Some(_) => {
            return Err(PageError::BadRequest(
                "The logout_uri is not a sign-out URL registered for this client.".into(),
            ));
        }
        None if params.redirect_uri.is_some() => {
            validate(pool.pool(), &params)?;
            format!("/login?{}", params.query(&[]))
        }
        None => {
            return Err(PageError::BadRequest(
                "Either logout_uri or redirect_uri is required.".into(),
            ));
        }
    };
    let jar = session::end(&pool, jar).await?;
    Ok((jar, found(&location)).into_response())
}
