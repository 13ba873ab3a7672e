//! Signing people in through an upstream OpenID provider, as Cognito's hosted UI
//! does: the pool is the upstream's relying party (the code flow with PKCE,
//! `state` and `nonce`, through `openidconnect`), checks its id token (issuer,
//! audience, signature from its JWKS, nonce, expiry), reads its userinfo, and
//! signs the person in as the pool user that upstream identity is, created at
//! the first sign-in as `<ProviderName>_<sub>` (EXTERNAL_PROVIDER) with the
//! mapped attributes, in the `<poolId>_<ProviderName>` group.
//!
//! The HTTP ends (`/oauth2/authorize?identity_provider=`, `/oauth2/idpresponse`)
//! are `oauth2`'s; this module knows nothing of the browser.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet, JsonWebKeySetUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse, TokenUrl, UserInfoClaims, UserInfoUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::directory;
use crate::error::Error;
use crate::identity_providers::IdentityProvider;
use crate::pools::SignInKeys;
use crate::store::{FederatedIdentity, FederationRequest, User};
use crate::triggers::event::{Caller, NO_METADATA};
use crate::triggers::sign_up::{Applicant, SignUpSource, pre_sign_up, told_attributes};
use crate::{UserPool, accounts, secrets};

/// Where upstream providers send people back: Cognito's path, on the pool's domain.
pub(crate) const CALLBACK_PATH: &str = "/oauth2/idpresponse";
/// How long a person may take at the upstream's pages.
const REQUEST_LIFETIME_SECONDS: i64 = 600;

/// Why a sign-in through an upstream provider did not happen: each goes back to
/// the app client as an OAuth error (`error`, `error_description`), never a 500.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Upstream {
    /// The upstream answered the sign-in with an OAuth error (the person declined, say).
    #[error("{description}")]
    Refused { error: String, description: String },
    /// The upstream cannot be reached, or answers what is not OpenID Connect.
    #[error("The identity provider could not be reached: {0}")]
    Unreachable(String),
    /// Its tokens did not pass the checks.
    #[error("The identity provider's id token is not valid: {0}")]
    InvalidToken(String),
    /// The pool cannot take the upstream identity (no usable subject, say).
    #[error("{0}")]
    Unusable(String),
    #[error(transparent)]
    Internal(#[from] Error),
}

impl Upstream {
    /// The OAuth `error` code the app client gets (RFC 6749 §4.1.2.1).
    pub(crate) fn oauth_error(&self) -> &str {
        match self {
            Upstream::Refused { error, .. } => error,
            Upstream::Unreachable(_) => "temporarily_unavailable",
            Upstream::InvalidToken(_) | Upstream::Unusable(_) => "invalid_request",
            Upstream::Internal(_) => "server_error",
        }
    }
}

/// Every claim of the upstream's userinfo, standard or not, for the attribute mapping.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

/// The pool's HTTP client, asking with POST what openidconnect asks with GET.
struct Posting<'a>(&'a reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for Posting<'_> {
    type Error = openidconnect::HttpClientError<reqwest::Error>;
    type Future = <reqwest::Client as openidconnect::AsyncHttpClient<'c>>::Future;

    fn call(&'c self, mut request: openidconnect::HttpRequest) -> Self::Future {
        *request.method_mut() = openidconnect::http::Method::POST;
        self.0.call(request)
    }
}

/// The client the pool is at the upstream, once its metadata is discovered.
type Relying = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn unreachable(error: impl std::fmt::Display) -> Upstream {
    Upstream::Unreachable(error.to_string())
}

/// The upstream as a relying party sees it: its discovered metadata, with the
/// endpoints `ProviderDetails` gives instead, and the pool's callback.
async fn relying_party(
    provider: &IdentityProvider,
    callback: &str,
    http: &reqwest::Client,
) -> Result<Relying, Upstream> {
    let issuer = IssuerUrl::new(
        provider
            .detail("oidc_issuer")
            .unwrap_or_default()
            .to_owned(),
    )
    .map_err(unreachable)?;
    let mut metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(unreachable)?;
    if let Some(url) = provider.detail("authorize_url") {
        metadata =
            metadata.set_authorization_endpoint(AuthUrl::new(url.to_owned()).map_err(unreachable)?);
    }
    if let Some(url) = provider.detail("token_url") {
        metadata =
            metadata.set_token_endpoint(Some(TokenUrl::new(url.to_owned()).map_err(unreachable)?));
    }
    if let Some(url) = provider.detail("attributes_url") {
        metadata = metadata
            .set_userinfo_endpoint(Some(UserInfoUrl::new(url.to_owned()).map_err(unreachable)?));
    }
    if let Some(url) = provider.detail("jwks_uri") {
        let url = JsonWebKeySetUrl::new(url.to_owned()).map_err(unreachable)?;
        metadata = metadata.set_jwks(
            JsonWebKeySet::fetch_async(&url, http)
                .await
                .map_err(unreachable)?,
        );
    }
    let secret = provider
        .detail("client_secret")
        .map(|s| ClientSecret::new(s.to_owned()));
    let client_id = ClientId::new(provider.detail("client_id").unwrap_or_default().to_owned());
    Ok(
        CoreClient::from_provider_metadata(metadata, client_id, secret)
            .set_redirect_uri(RedirectUrl::new(callback.to_owned()).map_err(unreachable)?),
    )
}

/// Where to send the person to sign in at `provider`, and the `state` the
/// upstream will answer with (kept, as a digest, with the request until then).
/// `params` is the authorization request to answer afterwards; `callback` the
/// pool's [`CALLBACK_PATH`] on its hosted UI's URL.
pub(crate) async fn begin(
    pool: &UserPool,
    provider: &IdentityProvider,
    params: String,
    callback: &str,
    now: i64,
) -> Result<(String, String), Upstream> {
    let http = pool.http();
    let client = relying_party(provider, callback, http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in provider.scopes().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    let (url, state, nonce) = request.url();
    let waiting = FederationRequest {
        provider: provider.name.clone(),
        params,
        pkce_verifier: verifier.into_secret(),
        nonce: nonce.secret().clone(),
        expires_at: now + REQUEST_LIFETIME_SECONDS,
    };
    pool.store()
        .insert_federation_request(&secrets::digest(state.secret()), &waiting, now)
        .await?;
    Ok((url.into(), state.into_secret()))
}

/// The sign-in the upstream's answer with this `state` is for, once; None if
/// there is none (never sent, answered already, or expired).
pub(crate) async fn waiting(
    pool: &UserPool,
    state: &str,
    now: i64,
) -> Result<Option<FederationRequest>, Error> {
    pool.store()
        .take_federation_request(&secrets::digest(state), now)
        .await
}

/// Redeems the upstream's `code` for `waiting`, checks its id token, reads its
/// userinfo, and returns the sub of the pool user that identity is (created now
/// at its first sign-in, if PreSignUp lets it). `client_id` is the app client
/// the sign-in is for.
pub(crate) async fn finish(
    pool: &UserPool,
    waiting: &FederationRequest,
    client_id: &str,
    code: &str,
    callback: &str,
    now: i64,
) -> Result<String, Upstream> {
    let provider = pool
        .identity_provider(&waiting.provider)
        .ok_or_else(|| Upstream::Unusable("The identity provider no longer exists.".to_owned()))?
        .clone();
    let http = pool.http();
    let client = relying_party(&provider, callback, http).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(unreachable)?
        .set_pkce_verifier(PkceCodeVerifier::new(waiting.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| match e {
            openidconnect::RequestTokenError::ServerResponse(answer) => Upstream::Refused {
                error: "invalid_request".to_owned(),
                description: format!("The identity provider refused the code: {}", answer.error()),
            },
            other => unreachable(other),
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| Upstream::InvalidToken("the token response has no id_token".to_owned()))?;
    let nonce = Nonce::new(waiting.nonce.clone());
    let verified = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .map_err(|e| Upstream::InvalidToken(e.to_string()))?;
    let subject = verified.subject().clone();
    let mut claims = match serde_json::to_value(verified).map_err(Error::from)? {
        Value::Object(claims) => claims,
        _ => Map::new(),
    };
    if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(subject.clone())) {
        // openidconnect asks userinfo with GET; `attributes_request_method` POST asks
        // with the same request as a POST (OpenID Connect Core §5.3.1 allows both).
        let info: Result<UserInfoClaims<OtherClaims, CoreGenderClaim>, _> =
            if provider.detail("attributes_request_method") == Some("POST") {
                request.request_async(&Posting(http)).await
            } else {
                request.request_async(http).await
            };
        let info = info.map_err(|e| Upstream::InvalidToken(format!("userinfo: {e}")))?;
        if let Value::Object(more) = serde_json::to_value(&info).map_err(Error::from)? {
            claims.extend(more);
        }
    }
    user_for(pool, client_id, &provider, subject.as_str(), &claims, now).await
}

/// A claim as the text of an attribute: strings as they are, other values as JSON.
fn claim_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// The attributes `provider`'s mapping makes of the upstream's `claims`; the
/// username claim and the email are given apart.
fn mapped(
    provider: &IdentityProvider,
    claims: &Map<String, Value>,
) -> (Option<String>, Option<String>, Vec<(String, String)>) {
    let mut username = None;
    let mut email = None;
    let mut attributes = Vec::new();
    for (attribute, claim) in &provider.attribute_mapping {
        let Some(value) = claims.get(claim).and_then(claim_text) else {
            continue;
        };
        match attribute.as_str() {
            "username" => username = Some(value),
            "email" => email = accounts::valid_email(&value).ok(),
            "sub" | "identities" => {}
            _ => attributes.push((attribute.clone(), value)),
        }
    }
    // Unmapped, an upstream's address counts as unverified, as in Cognito.
    if email.is_some() && !attributes.iter().any(|(name, _)| name == "email_verified") {
        attributes.push(("email_verified".to_owned(), "false".to_owned()));
    }
    (username, email, attributes)
}

/// The pool user the upstream identity `upstream_sub` of `provider` is: the one
/// it signed in as or was linked to before, or a new EXTERNAL_PROVIDER user.
async fn user_for(
    pool: &UserPool,
    client_id: &str,
    provider: &IdentityProvider,
    upstream_sub: &str,
    claims: &Map<String, Value>,
    now: i64,
) -> Result<String, Upstream> {
    let store = pool.store();
    let (username_claim, email, attributes) = mapped(provider, claims);
    if let Some(sub) = store.federated_user(&provider.name, upstream_sub).await? {
        // Cognito writes the mapped attributes again at every sign-in.
        let user = store.user(&sub).await?.ok_or(Error::UserGone)?;
        if user.external_provider {
            let keys = pool.pool().naming().keys(None, &attributes);
            store.set_attributes(&sub, &attributes, &keys, now).await?;
        }
        return Ok(sub);
    }
    let name = username_claim.unwrap_or_else(|| upstream_sub.to_owned());
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Upstream::Unusable(
            "The identity provider's user has no usable identifier.".to_owned(),
        ));
    }
    let username = pool
        .pool()
        .naming()
        .lookup(&provider.username_for(&name))
        .username;
    // PreSignUp may refuse the new user, or mark their address verified.
    let mut attributes = attributes;
    let told = told_attributes(&attributes, email.as_deref());
    let applicant = Applicant {
        username: &username,
        attributes: &told,
        validation_data: &NO_METADATA,
    };
    let caller = Caller::of(client_id);
    let admitted = match pre_sign_up(pool, caller, SignUpSource::ExternalProvider, &applicant).await
    {
        Ok(admitted) => admitted,
        Err(Error::Trigger { message, .. }) => {
            return Err(Upstream::Refused {
                error: "invalid_request".to_owned(),
                description: message,
            });
        }
        Err(other) => return Err(other.into()),
    };
    admitted.mark_verified(&mut attributes);
    let group = provider.group(&pool.pool().id);
    directory::create_group(pool, &directory::new_group(group.clone(), now)).await?;
    let credential = accounts::no_password(pool, &username).await?;
    let user = User {
        sub: secrets::uuid()?,
        username,
        email,
        password_hash: credential.password_hash,
        srp_verifier: Some(credential.srp_verifier),
        confirmed: true,
        enabled: true,
        force_password_change: false,
        password_reset_required: false,
        passwordless: false,
        external_provider: true,
        created_at: now,
        updated_at: now,
    };
    // An upstream's users sign in through it only: they take no sign-in names of the pool.
    let keys = SignInKeys::default();
    if !store
        .insert_user(&user, &keys, &attributes, &[group], None)
        .await?
    {
        return Err(Upstream::Unusable(format!(
            "A user named {} exists in the pool already.",
            user.username
        )));
    }
    let identity = FederatedIdentity {
        provider: provider.name.clone(),
        provider_type: provider.provider_type,
        provider_sub: upstream_sub.to_owned(),
        created_at: now,
    };
    if !store.link_identity(&user.sub, &identity).await? {
        // A sign-in of the same person an instant earlier made the link: theirs stands.
        store.delete_user(&user.sub).await?;
        return store
            .federated_user(&provider.name, upstream_sub)
            .await?
            .ok_or_else(|| Upstream::Unusable("Please sign in again.".to_owned()));
    }
    Ok(user.sub)
}
