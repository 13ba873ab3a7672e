//! Token validation on the server: the pool's JWKS, cached by `kid`, the claim
//! checks that decide whether an id or access token is trusted, and a bounded
//! cache of tokens already verified, so a session's repeat requests cost a map
//! lookup rather than an RSA verification.
//!
//! Nothing in a token is believed before its RS256 signature verifies against a
//! key the pool publishes and its `iss`, `exp`/`nbf`, `token_use` and audience
//! (`aud` for id tokens, `client_id` for access tokens) match this app.
//!
//! Other OpenID providers (`TokenShape::OpenId`) sign id tokens the same way but
//! without Cognito's `token_use`, and their access tokens are theirs to read:
//! the app verifies the id token (`aud`, and `azp` when present) and leaves
//! the access token to the provider's userInfo endpoint (`standing`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;
/// An unknown `kid` makes us refetch the JWKS at most this often, so forged
/// tokens cannot turn the server into a JWKS-fetching amplifier.
const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
const JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// Cognito's tokens are a few KB; anything far larger is refused before parsing.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Verified tokens remembered at most (per kind); a full cache drops expired
/// entries, then everything.
const VERIFIED_CAPACITY: usize = 10_000;

/// Why a token was not trusted. The messages never contain the token.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is not signed with RS256")]
    Algorithm,
    #[error("the token names no signing key")]
    MissingKeyId,
    #[error("the token's signing key is not published by the user pool")]
    UnknownKey,
    #[error("the token's signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by another issuer")]
    Issuer,
    #[error("the token was issued to another client")]
    Audience,
    #[error("the token is not an {0} token")]
    TokenUse(&'static str),
    #[error("the id token's nonce does not match the sign-in attempt")]
    Nonce,
    #[error("the token lacks required claims")]
    Claims,
    #[error("the session was ended at the user pool")]
    Ended,
    #[error("the provider gave no email address (the app asks for the `email` scope)")]
    NoEmail,
}

/// What kind of provider issues the tokens, which decides the claims read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenShape {
    /// Amazon Cognito and the local pool: `token_use` in both tokens, a JWT
    /// access token with `client_id` and `cognito:groups`.
    Cognito,
    /// Any other OpenID provider: a standard id token (groups, if any, in
    /// `groups`), and an access token the app does not read.
    OpenId { groups: GroupsClaim },
}

/// Where a provider puts a user's groups or roles: a claim name, or a dotted
/// path into nested claims (Keycloak's `realm_access.roles`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupsClaim(Vec<String>);

impl GroupsClaim {
    pub fn new(path: &str) -> Option<GroupsClaim> {
        let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
        parts
            .iter()
            .all(|part| !part.trim().is_empty())
            .then_some(GroupsClaim(parts))
    }

    /// The groups in `claims`: an array of strings, or a single string; none
    /// when the claim is absent.
    pub fn read(&self, claims: &serde_json::Value) -> Option<Vec<String>> {
        let value = self
            .0
            .iter()
            .try_fold(claims, |value, part| value.get(part))?;
        match value {
            serde_json::Value::String(group) => Some(vec![group.clone()]),
            serde_json::Value::Array(groups) => Some(
                groups
                    .iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// The id token's claims this app relies on.
#[derive(Clone, Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    /// Always in a Cognito id token; other providers may keep it for userInfo.
    pub email: Option<String>,
    /// Cognito's; other providers have none.
    pub token_use: Option<String>,
    pub nonce: Option<String>,
    /// OpenID Connect's authorized party: when present, this app's client.
    pub azp: Option<String>,
    pub exp: u64,
    /// Required: every provider sets it, so a token without one is not the provider's.
    pub iat: u64,
    /// The groups of an OpenId-shaped token (`TokenShape::OpenId`); Cognito's are
    /// read from the access token.
    #[serde(skip)]
    pub groups: Vec<String>,
}

/// The access token's claims this app relies on.
#[derive(Clone, Debug, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub client_id: String,
    pub token_use: String,
    /// Cognito's username (for pools that sign in by email, the `sub`).
    #[serde(default)]
    pub username: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    pub groups: Vec<String>,
    /// Space-separated.
    #[serde(default)]
    pub scope: String,
    pub exp: u64,
    /// Required, as in the id token.
    pub iat: u64,
}

impl AccessClaims {
    /// What the app knows of an access token it does not read (`TokenShape::OpenId`):
    /// its id token's user and groups. The provider's userInfo binds the two: it
    /// must answer the access token with the id token's `sub` (`standing`).
    pub fn vouched_by(id: &IdClaims, client_id: &str) -> AccessClaims {
        AccessClaims {
            sub: id.sub.clone(),
            client_id: client_id.to_owned(),
            token_use: "access".to_owned(),
            username: None,
            groups: id.groups.clone(),
            scope: "openid".to_owned(),
            exp: id.exp,
            iat: id.iat,
        }
    }
}

/// Validates tokens of one app client of one user pool.
pub struct Verifier {
    client_id: String,
    shape: TokenShape,
    jwks_url: String,
    http: reqwest::Client,
    id_rules: Validation,
    access_rules: Validation,
    keys: RwLock<HashMap<String, Arc<DecodingKey>>>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    verified_ids: Verified<IdClaims>,
    verified_access: Verified<AccessClaims>,
    /// `MIN_REFETCH_INTERVAL`; tests shorten it rather than wait.
    refetch_interval: Duration,
}

impl Verifier {
    /// A verifier for tokens issued by `issuer` to `client_id`. Keys come from
    /// the issuer's JWKS, where Cognito publishes them: `{issuer}/.well-known/jwks.json`.
    pub fn new(issuer: &str, client_id: &str) -> Result<Self, reqwest::Error> {
        Self::with_jwks_url(
            issuer,
            client_id,
            &format!("{issuer}/.well-known/jwks.json"),
        )
    }

    /// The same, with keys from `jwks_url`: for a local pool that issues
    /// tokens under an AWS-shaped issuer but publishes its keys itself.
    pub fn with_jwks_url(
        issuer: &str,
        client_id: &str,
        jwks_url: &str,
    ) -> Result<Self, reqwest::Error> {
        Self::for_provider(issuer, client_id, jwks_url, TokenShape::Cognito)
    }

    /// A verifier for tokens of `shape` issued by `issuer` to `client_id`, with
    /// keys from `jwks_url` (another OpenID provider's discovered `jwks_uri`).
    pub fn for_provider(
        issuer: &str,
        client_id: &str,
        jwks_url: &str,
        shape: TokenShape,
    ) -> Result<Self, reqwest::Error> {
        let mut id_rules = rules(issuer);
        id_rules.set_audience(&[client_id]);
        id_rules.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        // Access tokens carry no `aud`; `client_id` is checked instead.
        let mut access_rules = rules(issuer);
        access_rules.validate_aud = false;
        access_rules.set_required_spec_claims(&["exp", "iss", "sub"]);
        Ok(Self {
            client_id: client_id.to_owned(),
            shape,
            jwks_url: jwks_url.to_owned(),
            http: reqwest::Client::builder().timeout(JWKS_TIMEOUT).build()?,
            id_rules,
            access_rules,
            keys: RwLock::default(),
            last_fetch: tokio::sync::Mutex::default(),
            verified_ids: Verified::new(VERIFIED_CAPACITY),
            verified_access: Verified::new(VERIFIED_CAPACITY),
            refetch_interval: MIN_REFETCH_INTERVAL,
        })
    }

    pub fn shape(&self) -> &TokenShape {
        &self.shape
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Loads the JWKS now (at start-up). Failure is logged, not fatal: the next
    /// token with an unknown `kid` tries again.
    pub async fn prefetch(&self) {
        self.refetch().await;
    }

    /// Whether any of the pool's signing keys are at hand; with none, the JWKS
    /// is fetched again (within the refetch rate limit).
    pub async fn ready(&self) -> bool {
        if self.has_keys() {
            return true;
        }
        self.refetch().await;
        self.has_keys()
    }

    fn has_keys(&self) -> bool {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        !keys.is_empty()
    }

    /// Validates an id token; `expected_nonce` is the one the browser generated
    /// for this sign-in (None once the session exists: the nonce was checked then).
    pub async fn verify_id(
        &self,
        token: &str,
        expected_nonce: Option<&str>,
    ) -> Result<IdClaims, VerifyError> {
        let claims = match self.verified_ids.get(token) {
            Some(claims) => claims,
            None => {
                let claims = self.decode_id(token).await?;
                self.verified_ids.put(token, &claims, claims.exp);
                claims
            }
        };
        if let Some(expected) = expected_nonce
            && claims.nonce.as_deref() != Some(expected)
        {
            return Err(VerifyError::Nonce);
        }
        Ok(claims)
    }

    /// An id token's claims, checked as its provider's shape wants.
    async fn decode_id(&self, token: &str) -> Result<IdClaims, VerifyError> {
        let groups = match &self.shape {
            TokenShape::Cognito => {
                let claims: IdClaims = self.decode(token, &self.id_rules).await?;
                if claims.token_use.as_deref() != Some("id") {
                    return Err(VerifyError::TokenUse("id"));
                }
                if claims.email.is_none() {
                    return Err(VerifyError::Claims);
                }
                return Ok(claims);
            }
            TokenShape::OpenId { groups } => groups,
        };
        let raw: serde_json::Value = self.decode(token, &self.id_rules).await?;
        let mut claims = IdClaims::deserialize(&raw).map_err(|_| VerifyError::Claims)?;
        // OpenID Connect Core §3.1.3.7: an `azp` names the party the token is for.
        if claims
            .azp
            .as_deref()
            .is_some_and(|azp| azp != self.client_id)
        {
            return Err(VerifyError::Audience);
        }
        claims.groups = groups.read(&raw).unwrap_or_default();
        Ok(claims)
    }

    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        if let Some(claims) = self.verified_access.get(token) {
            return Ok(claims);
        }
        let claims: AccessClaims = self.decode(token, &self.access_rules).await?;
        if claims.token_use != "access" {
            return Err(VerifyError::TokenUse("access"));
        }
        if claims.client_id != self.client_id {
            return Err(VerifyError::Audience);
        }
        self.verified_access.put(token, &claims, claims.exp);
        Ok(claims)
    }

    /// Forgets a session's tokens (at logout): they are fully verified again if they come back.
    pub fn forget(&self, id_token: &str, access_token: &str) {
        self.verified_ids.forget(id_token);
        self.verified_access.forget(access_token);
    }

    /// No verified-token cache: every call verifies in full (benchmarks).
    pub fn without_cache(mut self) -> Self {
        self.verified_ids = Verified::new(0);
        self.verified_access = Verified::new(0);
        self
    }

    async fn decode<T: DeserializeOwned>(
        &self,
        token: &str,
        rules: &Validation,
    ) -> Result<T, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::Malformed);
        }
        let header = KeyHint::of(token).ok_or(VerifyError::Malformed)?;
        // Checked before any key lookup: `none`, HS256 and friends never reach a key.
        if header.alg != "RS256" {
            return Err(VerifyError::Algorithm);
        }
        let kid = header.kid.ok_or(VerifyError::MissingKeyId)?;
        let key = self.key(&kid).await?;
        jsonwebtoken::decode::<T>(token, &key, rules)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => VerifyError::Signature,
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
                ErrorKind::InvalidIssuer => VerifyError::Issuer,
                ErrorKind::InvalidAudience => VerifyError::Audience,
                ErrorKind::InvalidAlgorithm => VerifyError::Algorithm,
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => VerifyError::Claims,
                _ => VerifyError::Malformed,
            })
    }

    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, VerifyError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        self.refetch().await;
        self.cached(kid).ok_or(VerifyError::UnknownKey)
    }

    fn cached(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.get(kid).cloned()
    }

    /// Replaces the cached keys with the pool's current ones, unless a fetch
    /// happened within `MIN_REFETCH_INTERVAL`. A failed fetch keeps the old keys.
    async fn refetch(&self) {
        let mut last_fetch = self.last_fetch.lock().await;
        if last_fetch.is_some_and(|at| at.elapsed() < self.refetch_interval) {
            return;
        }
        *last_fetch = Some(Instant::now());
        match self.fetch_jwks().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), url = %self.jwks_url, "loaded the user pool's signing keys");
                *self
                    .keys
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = keys;
            }
            Err(error) => {
                tracing::warn!(%error, url = %self.jwks_url, "could not load the user pool's signing keys")
            }
        }
    }

    async fn fetch_jwks(&self) -> Result<HashMap<String, Arc<DecodingKey>>, reqwest::Error> {
        let set: JwkSet = self
            .http
            .get(&self.jwks_url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(signing_keys(&set))
    }
}

/// The two header fields read before any key is chosen. Only these: the
/// signature check (jsonwebtoken) reads the full header again, and nothing
/// else in it (`jku`, `x5u`, `jwk`, ...) is ever followed.
#[derive(Deserialize)]
struct KeyHint {
    alg: String,
    kid: Option<String>,
}

impl KeyHint {
    fn of(token: &str) -> Option<KeyHint> {
        let (header, _) = token.split_once('.')?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()
    }
}

/// The key a token is remembered by: its signature. An entry keeps the whole
/// token, which a hit must match exactly (here and in `standing`).
pub(crate) fn signature(token: &str) -> &str {
    token.rsplit('.').next().unwrap_or(token)
}

/// Tokens that passed verification, by their signature (the entry keeps the
/// whole token, which a hit must match exactly). An entry ends at the token's
/// `exp`, when forgotten, or when the full cache is emptied.
struct Verified<T> {
    entries: Mutex<HashMap<String, (String, T, u64)>>,
    capacity: usize,
}

impl<T: Clone> Verified<T> {
    fn new(capacity: usize) -> Self {
        Verified {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn get(&self, token: &str) -> Option<T> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let key = signature(token);
        let (stored, claims, exp) = entries.get(key)?;
        if stored != token {
            return None;
        }
        if exp + LEEWAY_SECONDS < jsonwebtoken::get_current_timestamp() {
            entries.remove(key);
            return None;
        }
        Some(claims.clone())
    }

    fn put(&self, token: &str, claims: &T, exp: u64) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            let now = jsonwebtoken::get_current_timestamp();
            entries.retain(|_, (_, _, exp)| *exp + LEEWAY_SECONDS >= now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            signature(token).to_owned(),
            (token.to_owned(), claims.clone(), exp),
        );
    }

    fn forget(&self, token: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries
            .get(signature(token))
            .is_some_and(|(stored, _, _)| stored == token)
        {
            entries.remove(signature(token));
        }
    }
}

fn rules(issuer: &str) -> Validation {
    let mut rules = Validation::new(Algorithm::RS256);
    rules.set_issuer(&[issuer]);
    rules.leeway = LEEWAY_SECONDS;
    rules.validate_nbf = true;
    rules
}

/// The RSA keys of a JWKS meant for RS256 signatures, by `kid`. Keys published
/// for encryption or another algorithm are left out.
fn signing_keys(set: &JwkSet) -> HashMap<String, Arc<DecodingKey>> {
    set.keys
        .iter()
        .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)))
        .filter(|jwk| {
            matches!(
                jwk.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            )
        })
        .filter(|jwk| matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256)))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(jwk).ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_tokens::{CLIENT, Pool, now};
    use serde_json::json;

    #[test]
    fn verified_tokens_are_remembered_until_expiry_or_forgetting() {
        let cache = Verified::<u32>::new(2);
        let later = now() + 3600;
        cache.put("h.p.sig1", &1, later);
        assert_eq!(cache.get("h.p.sig1"), Some(1));
        // The same signature under another header or payload is not a hit.
        assert_eq!(cache.get("h.forged.sig1"), None);
        cache.forget("h.forged.sig1");
        assert_eq!(cache.get("h.p.sig1"), Some(1));
        cache.forget("h.p.sig1");
        assert_eq!(cache.get("h.p.sig1"), None);
        // Expired entries are gone; a full cache makes room.
        cache.put("h.p.old", &2, now() - LEEWAY_SECONDS - 1);
        assert_eq!(cache.get("h.p.old"), None);
        cache.put("h.p.a", &3, later);
        cache.put("h.p.b", &4, later);
        cache.put("h.p.c", &5, later);
        assert_eq!(cache.get("h.p.c"), Some(5));
        assert!(cache.entries.lock().unwrap().len() <= 2);
        // Capacity zero remembers nothing.
        let none = Verified::<u32>::new(0);
        none.put("h.p.s", &1, later);
        assert_eq!(none.get("h.p.s"), None);
    }

    async fn verifier(pool: &Pool) -> Verifier {
        Verifier::new(&pool.issuer, CLIENT).expect("http client")
    }

    #[tokio::test]
    async fn accepts_the_pools_tokens() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        let id = verifier
            .verify_id(&pool.sign(&pool.id_claims()), Some("n-1"))
            .await;
        assert_eq!(
            id.expect("valid id token").email.as_deref(),
            Some("ada@example.com")
        );
        let access = verifier
            .verify_access(&pool.sign(&pool.access_claims()))
            .await;
        assert_eq!(access.expect("valid access token").groups, ["Admin"]);
    }

    #[tokio::test]
    async fn rejects_a_bad_signature() {
        let pool = Pool::serve().await;
        let token = pool.sign(&pool.id_claims());
        let (signed, signature) = token.rsplit_once('.').expect("three parts");
        let mut bytes = signature.as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{signed}.{}", String::from_utf8(bytes).expect("ascii"));
        assert_eq!(
            verifier(&pool).await.verify_id(&tampered, None).await.err(),
            Some(VerifyError::Signature)
        );
    }

    #[tokio::test]
    async fn rejects_alg_none_and_hs256_signed_with_the_public_key() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        let claims = pool.id_claims();
        let none = pool.unsigned_with_header(&json!({"alg": "none", "kid": pool.kid}), &claims);
        assert_eq!(
            verifier.verify_id(&none, None).await.err(),
            Some(VerifyError::Algorithm)
        );
        let hs256 = pool.hs256_with_public_key(&claims);
        assert_eq!(
            verifier.verify_id(&hs256, None).await.err(),
            Some(VerifyError::Algorithm)
        );
    }

    #[tokio::test]
    async fn rejects_another_issuer_and_another_client() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;

        let mut claims = pool.id_claims();
        claims["iss"] = json!(format!("{}/", pool.issuer));
        let err = verifier.verify_id(&pool.sign(&claims), None).await.err();
        assert_eq!(err, Some(VerifyError::Issuer));

        let mut claims = pool.id_claims();
        claims["aud"] = json!("client-2");
        let err = verifier.verify_id(&pool.sign(&claims), None).await.err();
        assert_eq!(err, Some(VerifyError::Audience));

        let mut claims = pool.access_claims();
        claims["client_id"] = json!("client-2");
        let err = verifier.verify_access(&pool.sign(&claims)).await.err();
        assert_eq!(err, Some(VerifyError::Audience));
    }

    #[tokio::test]
    async fn rejects_an_id_token_offered_as_access_token_and_back() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        let mut id_as_access = pool.id_claims();
        id_as_access["client_id"] = json!(CLIENT);
        let err = verifier
            .verify_access(&pool.sign(&id_as_access))
            .await
            .err();
        assert_eq!(err, Some(VerifyError::TokenUse("access")));
        let mut access_as_id = pool.access_claims();
        access_as_id["aud"] = json!(CLIENT);
        access_as_id["email"] = json!("ada@example.com");
        let err = verifier
            .verify_id(&pool.sign(&access_as_id), None)
            .await
            .err();
        assert_eq!(err, Some(VerifyError::TokenUse("id")));
    }

    #[tokio::test]
    async fn rejects_expired_and_not_yet_valid_tokens() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        let mut claims = pool.id_claims();
        claims["exp"] = json!(now() - LEEWAY_SECONDS - 5);
        let err = verifier.verify_id(&pool.sign(&claims), None).await.err();
        assert_eq!(err, Some(VerifyError::Expired));
        let mut claims = pool.id_claims();
        claims["nbf"] = json!(now() + 600);
        let err = verifier.verify_id(&pool.sign(&claims), None).await.err();
        assert_eq!(err, Some(VerifyError::NotYetValid));
        let mut claims = pool.id_claims();
        claims["exp"] = json!((now() + 3600).to_string());
        let err = verifier.verify_id(&pool.sign(&claims), None).await.err();
        assert!(err.is_some(), "a string `exp` must not be accepted");
    }

    #[tokio::test]
    async fn rejects_an_unknown_or_missing_kid() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        verifier.prefetch().await;
        let claims = pool.id_claims();
        let unknown = pool.sign_with_header(&json!({"alg": "RS256", "kid": "not-a-key"}), &claims);
        for _ in 0..3 {
            assert_eq!(
                verifier.verify_id(&unknown, None).await.err(),
                Some(VerifyError::UnknownKey)
            );
        }
        let missing = pool.sign_with_header(&json!({"alg": "RS256"}), &claims);
        assert_eq!(
            verifier.verify_id(&missing, None).await.err(),
            Some(VerifyError::MissingKeyId)
        );
        assert_eq!(
            pool.jwks_requests(),
            1,
            "unknown kids refetch at most once per interval"
        );
        assert!(
            verifier.verify_id(&pool.sign(&claims), None).await.is_ok(),
            "cached keys still work"
        );
    }

    #[tokio::test]
    async fn rejects_a_wrong_or_missing_nonce() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        let token = pool.sign(&pool.id_claims());
        assert_eq!(
            verifier.verify_id(&token, Some("n-2")).await.err(),
            Some(VerifyError::Nonce)
        );
        let mut claims = pool.id_claims();
        claims.as_object_mut().expect("object").remove("nonce");
        let err = verifier
            .verify_id(&pool.sign(&claims), Some("n-1"))
            .await
            .err();
        assert_eq!(err, Some(VerifyError::Nonce));
    }

    #[tokio::test]
    async fn rejects_garbage() {
        let pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        for garbage in ["", "a.b", "a.b.c", "!!!.???.***", &"x".repeat(100_000)] {
            assert!(
                verifier.verify_id(garbage, None).await.is_err(),
                "{garbage:.20}"
            );
        }
    }

    #[tokio::test]
    async fn a_corpus_of_forged_tokens_is_refused_whatever_role_it_is_offered_in() {
        let pool = Pool::serve().await;
        let other_pool = Pool::serve().await;
        let verifier = verifier(&pool).await;
        let cases = pool.forgeries(&other_pool);
        assert!(cases.len() >= 40, "{} cases", cases.len());
        for (name, token) in &cases {
            assert!(
                verifier.verify_id(token, None).await.is_err(),
                "accepted as id token: {name}"
            );
            assert!(
                verifier.verify_access(token).await.is_err(),
                "accepted as access token: {name}"
            );
        }
        // The corpus is built from tokens that do verify: the checks, not the fixture, refuse them.
        assert!(
            verifier
                .verify_id(&pool.sign(&pool.id_claims()), Some("n-1"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn rotated_keys_are_picked_up_and_cached_keys_outlive_the_pool() {
        let mut pool = Pool::serve().await;
        let mut verifier = verifier(&pool).await;
        verifier.prefetch().await;
        let claims = pool.id_claims();
        let old = pool.sign(&claims);
        let rotated = pool.rotate();
        let new = rotated.sign(&claims);

        // Within the refetch interval an unknown kid costs the pool nothing.
        let err = verifier.verify_id(&new, None).await.err();
        assert_eq!(err, Some(VerifyError::UnknownKey));
        assert_eq!(pool.jwks_requests(), 1);
        // As if the interval had passed.
        verifier.refetch_interval = Duration::ZERO;
        assert!(
            verifier.verify_id(&new, None).await.is_ok(),
            "the rotated key is fetched"
        );
        assert!(
            verifier.verify_id(&old, None).await.is_ok(),
            "the old key is still published"
        );
        assert_eq!(pool.jwks_requests(), 2);

        // With the pool gone, the cached keys keep working, and a failed refetch
        // for an unknown kid does not drop them.
        pool.stop().await;
        let unknown = pool.sign_with_header(&json!({"alg": "RS256", "kid": "k3"}), &claims);
        let err = verifier.verify_id(&unknown, None).await.err();
        assert_eq!(err, Some(VerifyError::UnknownKey));
        assert!(verifier.verify_id(&new, None).await.is_ok());
        assert!(verifier.verify_id(&old, None).await.is_ok());
    }

    #[test]
    fn groups_are_read_by_name_or_by_a_path_into_nested_claims() {
        let claims = json!({
            "groups": ["Admin", 7, "Staff"],
            "role": "Admin",
            "realm_access": { "roles": ["Admin"] },
        });
        let read = |path: &str| GroupsClaim::new(path).and_then(|claim| claim.read(&claims));
        assert_eq!(read("groups"), Some(vec!["Admin".into(), "Staff".into()]));
        assert_eq!(read("role"), Some(vec!["Admin".into()]));
        assert_eq!(read("realm_access.roles"), Some(vec!["Admin".into()]));
        assert_eq!(read("realm_access"), None);
        assert_eq!(read("missing.path"), None);
        assert_eq!(GroupsClaim::new("realm_access..roles"), None);
        assert_eq!(GroupsClaim::new(""), None);
    }

    /// A verifier of `pool`'s tokens as another OpenID provider's, groups in `roles`.
    fn open_id_verifier(pool: &Pool) -> Verifier {
        let groups = GroupsClaim::new("roles").expect("claim");
        let jwks = format!("{}/.well-known/jwks.json", pool.issuer);
        Verifier::for_provider(&pool.issuer, CLIENT, &jwks, TokenShape::OpenId { groups })
            .expect("http client")
    }

    #[tokio::test]
    async fn another_providers_id_token_needs_no_token_use_and_brings_its_groups() {
        let pool = Pool::serve().await;
        let verifier = open_id_verifier(&pool);
        let mut claims = pool.id_claims();
        let object = claims.as_object_mut().expect("object");
        object.remove("token_use");
        object.remove("email");
        object.insert("roles".into(), json!(["Admin"]));
        let id = verifier
            .verify_id(&pool.sign(&claims), Some("n-1"))
            .await
            .expect("a standard id token");
        assert_eq!(id.groups, ["Admin"]);
        assert_eq!(id.email, None);
        // Cognito's shape wants both.
        assert_eq!(
            verifier_of_cognito(&pool)
                .verify_id(&pool.sign(&claims), None)
                .await
                .err(),
            Some(VerifyError::TokenUse("id"))
        );

        claims["azp"] = json!(CLIENT);
        assert!(verifier.verify_id(&pool.sign(&claims), None).await.is_ok());
        claims["azp"] = json!("another-client");
        assert_eq!(
            verifier.verify_id(&pool.sign(&claims), None).await.err(),
            Some(VerifyError::Audience)
        );
    }

    fn verifier_of_cognito(pool: &Pool) -> Verifier {
        Verifier::new(&pool.issuer, CLIENT).expect("http client")
    }

    #[tokio::test]
    async fn another_providers_verifier_refuses_the_forgeries_too() {
        let pool = Pool::serve().await;
        let other_pool = Pool::serve().await;
        let verifier = open_id_verifier(&pool);
        // What only Cognito's shape wants is no forgery of a standard id token.
        let cognito_only = ["token_use missing", "token_use refresh", "email missing"];
        let cases = pool.forgeries(&other_pool);
        let cases = cases
            .iter()
            .filter(|(name, _)| !cognito_only.contains(name));
        for (name, token) in cases {
            assert!(
                verifier.verify_id(token, None).await.is_err(),
                "accepted as id token: {name}"
            );
        }
    }
}
