//! `GET /logout`, in both of Cognito's forms: `client_id` + `logout_uri` (sign out
//! and return to a registered logout URL), or `client_id` + `redirect_uri` +
//! `response_type` (sign out and show the sign-in page again); and as OpenID
//! Connect RP-Initiated Logout's `end_session_endpoint`: `post_logout_redirect_uri`
//! (a registered logout URL, given back `state`), with `client_id` or an
//! `id_token_hint` the pool signed (expired or not) naming the client.

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
    post_logout_redirect_uri: Option<String>,
    id_token_hint: Option<String>,
}

/// What an `id_token_hint` must be: one of the pool's ID tokens.
#[derive(Deserialize)]
struct Hint {
    aud: String,
    token_use: String,
}

pub(super) async fn logout(
    pool: UserPool,
    jar: CookieJar,
    Query(params): Query<OAuthParams>,
    Query(logout): Query<LogoutUri>,
) -> Result<Response, PageError> {
    let hinted = match &logout.id_token_hint {
        Some(hint) => Some(
            pool.key()
                .verify_hint::<Hint>(hint, pool.pool().issuer())
                .filter(|hint| hint.token_use == "id")
                .ok_or_else(|| {
                    PageError::BadRequest(
                        "The id_token_hint is not an ID token of this pool.".into(),
                    )
                })?
                .aud,
        ),
        None => None,
    };
    let client_id = match (params.client_id.as_deref(), hinted.as_deref()) {
        (Some(given), Some(hinted)) if given != hinted => {
            return Err(PageError::BadRequest(
                "The id_token_hint was issued to another client than client_id.".into(),
            ));
        }
        (given, hinted) => given.or(hinted),
    };
    let client = client_id
        .and_then(|id| pool.pool().client(id))
        .ok_or_else(|| PageError::BadRequest("The client_id is missing or unknown.".into()))?;
    // OpenID Connect's name for Cognito's logout_uri; its `state` goes back with it.
    let (logout_uri, state) = match logout.post_logout_redirect_uri {
        Some(uri) => (Some(uri), params.state.as_deref()),
        None => (logout.logout_uri, None),
    };
    let location = match logout_uri {
        // Only registered URLs: anything else would be an open redirect.
        Some(uri) if client.logout_urls.contains(&uri) => match state {
            Some(state) => with_state(&uri, state),
            None => uri,
        },
        Some(_) => {
            return Err(PageError::BadRequest(
                "The logout_uri (post_logout_redirect_uri) is not a sign-out URL registered for this client.".into(),
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

/// `uri` with `state` added to its query.
fn with_state(uri: &str, state: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().append_pair("state", state);
            url.into()
        }
        Err(_) => uri.to_owned(),
    }
}
