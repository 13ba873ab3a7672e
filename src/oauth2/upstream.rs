//! The browser's two ends of a sign-in through an upstream identity provider:
//! `/oauth2/authorize` with `identity_provider=` (or `idp_identifier=`) sends
//! it to the upstream, and the upstream sends it back to `/oauth2/idpresponse`
//! (Cognito's path), which signs it in and answers the app client. The state is
//! kept in the database (single use) and in a cookie of this browser, so that
//! an answer started in another browser signs nobody in here (RFC 9700 §4.7).
//! The protocol itself is `federation`'s.

use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::SameSite;
use serde::Deserialize;

use crate::UserPool;
use crate::error::Error;
use crate::federation::{self, CALLBACK_PATH, Upstream};
use crate::identity_providers::IdentityProvider;
use crate::signin::answer::signed_in;
use crate::signin::request::{AuthRequest, OAuthParams, SignInAt, validate};
use crate::web::client_url::error_url;
use crate::web::{PageError, found};

const STATE_COOKIE: &str = "cognito-idp-state";
const STATE_COOKIE_SECONDS: i64 = 600;

/// The OAuth errors of an upstream's answer passed on to the app as they are; any other is `invalid_request`.
const PASSED_ON: &[&str] = &[
    "access_denied",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "login_required",
    "consent_required",
    "interaction_required",
];

/// The error the app client gets for a sign-in at the upstream that did not happen.
fn to_client(request: &AuthRequest, failure: Upstream) -> PageError {
    if let Upstream::Internal(error) = failure {
        return error.into();
    }
    tracing::info!(error = %failure, "sign-in through an identity provider failed");
    PageError::ToClient(error_url(
        &request.redirect_uri,
        failure.oauth_error(),
        Some(&failure.to_string()),
        request.state.as_deref(),
    ))
}

/// The upstream provider an authorization request signs in at, if it names one.
pub(super) fn provider_of(
    pool: &UserPool,
    request: &AuthRequest,
) -> Result<Option<IdentityProvider>, PageError> {
    let client_has = |p: &&IdentityProvider| {
        pool.pool()
            .client(&request.client_id)
            .is_some_and(|c| c.identity_providers.contains(&p.name))
    };
    let found = match &request.sign_in_at {
        SignInAt::HostedUi => return Ok(None),
        SignInAt::Provider(name) => pool.identity_provider(name).filter(client_has),
        SignInAt::Identifier(identifier) => pool
            .identity_providers()
            .iter()
            .filter(client_has)
            .find(|p| p.is_identified_by(identifier)),
    };
    found.cloned().map(Some).ok_or_else(|| {
        to_client(
            request,
            Upstream::Unusable(
                "No identity provider of this app client matches the request.".to_owned(),
            ),
        )
    })
}

/// Where the upstream sends the browser back: the callback on the pool's hosted UI.
fn callback(pool: &UserPool) -> Result<String, Upstream> {
    pool.hosted_ui_url()
        .map(|base| format!("{base}{CALLBACK_PATH}"))
        .ok_or_else(|| {
            Upstream::Unusable(
                "This user pool has no domain, which signing in through an identity provider needs."
                    .to_owned(),
            )
        })
}

/// Sends the browser to `provider` to sign in, remembering `request`.
pub(super) async fn send(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    provider: &IdentityProvider,
    now: i64,
) -> Result<Response, PageError> {
    let begun = async {
        let params = serde_json::to_string(&request.params).map_err(Error::from)?;
        federation::begin(pool, provider, params, &callback(pool)?, now).await
    };
    let (url, state) = begun.await.map_err(|failure| to_client(request, failure))?;
    let cookie = crate::web::cookie(
        STATE_COOKIE,
        state,
        pool.config(),
        Some(STATE_COOKIE_SECONDS),
        SameSite::Lax,
    );
    Ok((jar.add(cookie), found(&url)).into_response())
}

/// The upstream's answer (OpenID Connect Core §3.1.2.5 and §3.1.2.6).
#[derive(Debug, Deserialize)]
pub(super) struct Answer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /oauth2/idpresponse`.
pub(super) async fn idp_response(
    pool: UserPool,
    jar: CookieJar,
    Query(answer): Query<Answer>,
) -> Result<Response, PageError> {
    let now = crate::now();
    let unknown = || {
        PageError::BadRequest(
            "This sign-in is unknown or has expired. Please start again from the app.".into(),
        )
    };
    let state = answer.state.as_deref().ok_or_else(unknown)?;
    // Started in this browser: its cookie holds the same state.
    if jar
        .get(STATE_COOKIE)
        .is_none_or(|c| !crate::secrets::equal(c.value().as_bytes(), state.as_bytes()))
    {
        return Err(unknown());
    }
    let jar = jar.remove(crate::web::cookie(
        STATE_COOKIE,
        String::new(),
        pool.config(),
        None,
        SameSite::Lax,
    ));
    let waiting = federation::waiting(&pool, state, now)
        .await?
        .ok_or_else(unknown)?;
    let params: OAuthParams = serde_json::from_str(&waiting.params).map_err(Error::from)?;
    let request = validate(pool.pool(), &params)?;
    let outcome = match (answer.code, answer.error) {
        (_, Some(error)) => Err(Upstream::Refused {
            error: PASSED_ON
                .iter()
                .find(|known| **known == error)
                .map_or("invalid_request", |known| known)
                .to_owned(),
            description: answer
                .error_description
                .unwrap_or_else(|| "The identity provider did not sign you in.".to_owned()),
        }),
        (Some(code), None) => match callback(&pool) {
            Ok(callback) => {
                federation::finish(&pool, &waiting, &request.client_id, &code, &callback, now).await
            }
            Err(failure) => Err(failure),
        },
        (None, None) => Err(Upstream::Unusable(
            "The identity provider's answer has no code.".to_owned(),
        )),
    };
    let sub = outcome.map_err(|failure| to_client(&request, failure))?;
    let user = pool.store().user(&sub).await?.ok_or(Error::UserGone)?;
    if !user.enabled {
        return Err(to_client(
            &request,
            Upstream::Refused {
                error: "access_denied".to_owned(),
                description: "User is disabled.".to_owned(),
            },
        ));
    }
    let (jar, response) = signed_in(&pool, jar, &request, &sub, now).await?;
    Ok((jar, response).into_response())
}
