//! Password hashing (Argon2id with OWASP's parameters: m=19456 KiB, t=2, p=1) and
//! the password policy, which also refuses the most common passwords. Hashing is CPU- and memory-heavy, so it runs on the
//! blocking pool behind a semaphore that bounds how many run at once, and the
//! queue in front of it is bounded too: in a login storm the excess is refused
//! at once (`Error::Busy`, answered 503/429 with `Retry-After`) rather than piling up.
//! Verification reuses Argon2's 19 MiB of working memory, one buffer per worker:
//! allocating it afresh on a blocking thread costs about 40% of a hash again. A
//! buffer unused for [`IDLE_MEMORY`] is dropped, so that once sign-ins stop their
//! memory goes back to the system.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use crate::error::Error;

/// Cognito's upper bound; also keeps hashing cost independent of request size.
const MAXIMUM_LENGTH: usize = 256;

/// Cognito's `PasswordPolicyType`, in its names in the JSON API and in
/// snake_case in `userpool.toml`'s `[password_policy]`. Rules a policy leaves
/// out are off, as in Cognito; a pool given no policy at all gets [`Default`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct PasswordPolicy {
    #[serde(default = "default_minimum_length", alias = "minimum_length")]
    pub(crate) minimum_length: usize,
    #[serde(default, alias = "require_uppercase")]
    pub(crate) require_uppercase: bool,
    #[serde(default, alias = "require_lowercase")]
    pub(crate) require_lowercase: bool,
    #[serde(default, alias = "require_numbers")]
    pub(crate) require_numbers: bool,
    #[serde(default, alias = "require_symbols")]
    pub(crate) require_symbols: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "password_history_size"
    )]
    pub(crate) password_history_size: Option<u32>,
    #[serde(
        default = "default_temporary_password_days",
        alias = "temporary_password_validity_days"
    )]
    pub(crate) temporary_password_validity_days: u32,
}

fn default_minimum_length() -> usize {
    8
}

fn default_temporary_password_days() -> u32 {
    7
}

impl Default for PasswordPolicy {
    /// What Cognito gives a pool created without a password policy.
    fn default() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            password_history_size: None,
            temporary_password_validity_days: 7,
        }
    }
}

/// Why a password does not meet the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[allow(
    clippy::enum_variant_names,
    reason = "too short, too long, too common: Cognito's words"
)]
pub(crate) enum PolicyError {
    #[error(
        "Password did not conform with policy: Password not long enough (minimum {0} characters)."
    )]
    TooShort(usize),
    #[error("Password did not conform with policy: Password is too long (maximum 256 characters).")]
    TooLong,
    #[error("Password did not conform with policy: Password must have uppercase characters")]
    NoUppercase,
    #[error("Password did not conform with policy: Password must have lowercase characters")]
    NoLowercase,
    #[error("Password did not conform with policy: Password must have numeric characters")]
    NoNumber,
    #[error("Password did not conform with policy: Password must have symbol characters")]
    NoSymbol,
    #[error(
        "Password did not conform with policy: Password is too common: choose one that is harder to guess."
    )]
    TooCommon,
}

/// The 20,000 most common passwords (lowercased, deduplicated: 19,640), as
/// Django ships them (`django/contrib/auth/common-passwords.txt.gz`, Django
/// 5.2; list by Royce Williams; BSD licence in `common-passwords.LICENSE`).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Whether `password` is on the list, compared as Django does: trimmed and lowercased.
fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.trim().to_lowercase().as_str())
}

/// The one check of every password set (sign-up, reset, change, admin-set,
/// temporary and new-password challenge).
pub(crate) fn check_policy(password: &str, policy: &PasswordPolicy) -> Result<(), PolicyError> {
    let length = password.chars().count();
    let has = |class: fn(char) -> bool| password.chars().any(class);
    if length < policy.minimum_length {
        Err(PolicyError::TooShort(policy.minimum_length))
    } else if length > MAXIMUM_LENGTH {
        Err(PolicyError::TooLong)
    } else if policy.require_uppercase && !has(char::is_uppercase) {
        Err(PolicyError::NoUppercase)
    } else if policy.require_lowercase && !has(char::is_lowercase) {
        Err(PolicyError::NoLowercase)
    } else if policy.require_numbers && !has(|c| c.is_ascii_digit()) {
        Err(PolicyError::NoNumber)
    } else if policy.require_symbols && !has(is_symbol) {
        Err(PolicyError::NoSymbol)
    } else if is_common(password) {
        Err(PolicyError::TooCommon)
    } else {
        Ok(())
    }
}

/// Cognito's special characters: ASCII punctuation, and a space inside the password.
fn is_symbol(c: char) -> bool {
    c.is_ascii_punctuation() || c == ' '
}

/// How many hashes may wait for each one running.
const QUEUE_PER_WORKER: usize = 16;

pub(crate) struct Hasher {
    permits: Arc<Semaphore>,
    /// Hashes running or waiting, and how many that may be.
    in_flight: AtomicUsize,
    max_in_flight: usize,
    /// Verified against when the user does not exist, so that an unknown
    /// username costs the same time as a wrong password.
    decoy_hash: String,
    memory: Arc<Mutex<KeptMemory>>,
}

/// How long Argon2 working memory is kept unused before it is dropped.
const IDLE_MEMORY: Duration = Duration::from_secs(10);

/// Argon2 working memory between verifications, each buffer with when it was last
/// put back; no more buffers than workers exist.
#[derive(Default)]
struct KeptMemory(Vec<(Vec<Block>, Instant)>);

impl KeptMemory {
    /// The buffer put back last (so that under a light load the others go idle), or a new one.
    fn take(&mut self) -> Vec<Block> {
        self.0.pop().map(|(buffer, _)| buffer).unwrap_or_default()
    }

    fn put(&mut self, buffer: Vec<Block>, now: Instant) {
        self.0.push((buffer, now));
    }

    fn release_idle(&mut self, now: Instant) {
        self.0
            .retain(|(_, used)| now.saturating_duration_since(*used) < IDLE_MEMORY);
    }

    fn lock(memory: &Mutex<KeptMemory>) -> std::sync::MutexGuard<'_, KeptMemory> {
        memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every [`IDLE_MEMORY`], drops what has been idle that long, until the hasher is gone.
    async fn release_idle_until_dropped(memory: Weak<Mutex<KeptMemory>>) {
        let mut ticks = tokio::time::interval(IDLE_MEMORY);
        loop {
            ticks.tick().await;
            let Some(memory) = memory.upgrade() else {
                return;
            };
            KeptMemory::lock(&memory).release_idle(Instant::now());
            return_freed_memory();
        }
    }
}

/// Hands the memory freed since the last tick back to the system. mimalloc (the
/// binaries' allocator) does so after a delay, on a later call of a thread that
/// allocates; under a steady load of small allocations none comes, and Argon2's
/// dropped buffers (and the start-up's decoy hash) stayed resident: 67–72 MB after
/// 200 sign-ins instead of 23 MB (`make bench`). Every [`IDLE_MEMORY`], so its cost
/// does not matter. Without mimalloc as the allocator it frees nothing.
fn return_freed_memory() {
    // SAFETY: mi_collect takes no pointers and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

fn argon2() -> Result<Argon2<'static>, Error> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| Error::PasswordHash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub(crate) fn hash_blocking(password: &str) -> Result<String, Error> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::PasswordHash(e.to_string()))
}

/// Verifies `password` against the PHC string `hash` (whatever Argon2 variant
/// and parameters it names), with `memory` as Argon2's working memory, grown to
/// the size the hash needs. The comparison is constant-time.
fn verify_with(memory: &mut Vec<Block>, password: &str, hash: &str) -> Result<bool, Error> {
    let unusable = |e: &dyn std::fmt::Display| Error::PasswordHash(e.to_string());
    let parsed = PasswordHash::new(hash).map_err(|e| unusable(&e))?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(Error::PasswordHash("no salt or no hash".to_owned()));
    };
    let params = Params::try_from(&parsed).map_err(|e| unusable(&e))?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| unusable(&e))?;
    let version = match parsed.version {
        Some(version) => Version::try_from(version).map_err(|e| unusable(&e))?,
        None => Version::default(),
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut computed = vec![0; expected.len()];
    // As long as `blocks`, just made so.
    let memory = memory
        .get_mut(..blocks)
        .ok_or_else(|| Error::PasswordHash("the Argon2 memory is too small".to_owned()))?;
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, memory)
        .map_err(|e| unusable(&e))?;
    Ok(crate::secrets::equal(&computed, expected.as_bytes()))
}

impl Hasher {
    pub(crate) async fn new() -> Result<Hasher, Error> {
        // Each hash holds 19 MiB; one per core keeps memory and latency bounded.
        let parallelism = std::thread::available_parallelism().map_or(2, |n| n.get());
        Hasher::with_limits(parallelism, parallelism * QUEUE_PER_WORKER).await
    }

    async fn with_limits(workers: usize, queued: usize) -> Result<Hasher, Error> {
        let decoy_hash = tokio::task::spawn_blocking(|| hash_blocking("decoy password"))
            .await
            .map_err(|e| Error::PasswordHash(e.to_string()))??;
        let memory = Arc::default();
        tokio::spawn(KeptMemory::release_idle_until_dropped(Arc::downgrade(
            &memory,
        )));
        Ok(Hasher {
            permits: Arc::new(Semaphore::new(workers)),
            in_flight: AtomicUsize::new(0),
            max_in_flight: workers + queued,
            decoy_hash,
            memory,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let _slot = InFlight::enter(&self.in_flight, self.max_in_flight).ok_or(Error::Busy)?;
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| Error::PasswordHash(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::PasswordHash(e.to_string()))?
    }

    pub(crate) async fn hash(&self, password: &str) -> Result<String, Error> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await
    }

    /// Verifies `password` against `hash`, or against a decoy when there is no
    /// user (always false, same cost).
    pub(crate) async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, Error> {
        let known = hash.is_some();
        let password = password.to_owned();
        let hash = hash.unwrap_or(&self.decoy_hash).to_owned();
        let memory = Arc::clone(&self.memory);
        let matches = self
            .run(move || {
                let mut buffer = KeptMemory::lock(&memory).take();
                let matches = verify_with(&mut buffer, &password, &hash);
                KeptMemory::lock(&memory).put(buffer, Instant::now());
                matches
            })
            .await?;
        Ok(known && matches)
    }
}

/// One hash counted as running or waiting, until dropped (also when its request is abandoned).
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize, max: usize) -> Option<InFlight<'a>> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(count))
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_memory_verifies_like_the_argon2_crate_whatever_the_parameters() {
        use argon2::password_hash::PasswordVerifier;
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        );
        let hashes = [
            hash_blocking("correct horse").unwrap(),
            small.hash_password(b"correct horse").unwrap().to_string(),
        ];
        // One buffer for all: grown for the big hash, reused (not cleared) for the small one.
        let mut memory = Vec::new();
        for hash in hashes.iter().chain(hashes.iter().rev()) {
            for password in ["correct horse", "correct horse!", ""] {
                let expected = Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok();
                assert_eq!(
                    verify_with(&mut memory, password, hash).unwrap(),
                    expected,
                    "{password:?} against {hash}"
                );
            }
        }
        assert_eq!(memory.len(), 19_456);
        for broken in [
            "",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
            "$bcrypt$x",
        ] {
            assert!(verify_with(&mut memory, "correct horse", broken).is_err());
        }
    }

    #[test]
    fn kept_memory_goes_once_idle_and_the_last_put_back_is_taken_first() {
        let start = Instant::now();
        let mut kept = KeptMemory::default();
        kept.put(vec![Block::default(); 1], start);
        kept.put(vec![Block::default(); 2], start + IDLE_MEMORY / 2);
        kept.release_idle(start + IDLE_MEMORY);
        assert_eq!(kept.0.len(), 1, "the first is idle long enough");
        assert_eq!(kept.take().len(), 2);
        assert!(kept.take().is_empty(), "nothing kept: a new buffer");
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let hasher = Hasher::new().await.unwrap();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("correct horsf", Some(&hash)).await.unwrap());
        // The decoy never matches, even with its own password.
        assert!(!hasher.verify("decoy password", None).await.unwrap());
        // Salted: the same password hashes differently.
        assert_ne!(hash, hasher.hash("correct horse").await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_storm_beyond_the_queue_is_refused_not_queued() {
        let hasher = Arc::new(Hasher::with_limits(1, 2).await.unwrap());
        let attempts: Vec<_> = (0..12)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.verify("guess", None).await })
            })
            .collect();
        let mut refused = 0;
        let mut done = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(false) => done += 1,
                Err(Error::Busy) => refused += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        // One runs and two wait at most; the rest are turned away at once.
        assert!((1..=3).contains(&done), "{done} done");
        assert_eq!(done + refused, 12);
        // Afterwards the queue is empty again.
        assert!(!hasher.verify("guess", None).await.unwrap());
    }

    /// Length only, as the shipped configuration has it.
    fn length(minimum_length: usize) -> PasswordPolicy {
        PasswordPolicy {
            minimum_length,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
            password_history_size: None,
            temporary_password_validity_days: 7,
        }
    }

    #[test]
    fn policy() {
        assert_eq!(
            check_policy("1234567", &length(8)),
            Err(PolicyError::TooShort(8))
        );
        assert_eq!(check_policy("1234567x", &length(8)), Ok(()));
        assert_eq!(
            check_policy(&"x".repeat(257), &length(8)),
            Err(PolicyError::TooLong)
        );
    }

    #[test]
    fn each_character_class_a_policy_requires_is_checked() {
        // Cognito's default policy: all four classes.
        let strict = PasswordPolicy::default();
        for (password, refusal) in [
            ("horse battery 9!", PolicyError::NoUppercase),
            ("HORSE BATTERY 9!", PolicyError::NoLowercase),
            ("Horse battery !", PolicyError::NoNumber),
            ("Horsebattery9", PolicyError::NoSymbol),
        ] {
            assert_eq!(check_policy(password, &strict), Err(refusal), "{password}");
        }
        assert_eq!(check_policy("Horse battery 9", &strict), Ok(()));
        assert_eq!(check_policy("Horse-battery9", &strict), Ok(()));
        assert!(
            PolicyError::NoSymbol
                .to_string()
                .starts_with("Password did not conform with policy")
        );
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert!(
            COMMON_PASSWORDS.len() >= 19_000,
            "{}",
            COMMON_PASSWORDS.len()
        );
        for common in [
            "password123",
            "qwertyuiop",
            "12345678",
            "PassWord1",
            " iloveyou ",
        ] {
            assert_eq!(
                check_policy(common, &length(8)),
                Err(PolicyError::TooCommon),
                "{common}"
            );
        }
        // Too short is said first; and what is merely like a common password passes.
        assert_eq!(
            check_policy("qwerty", &length(8)),
            Err(PolicyError::TooShort(8))
        );
        for fixture in [
            "admin password",
            "user password",
            "correct horse battery",
            "qwertyuiop!",
        ] {
            assert_eq!(check_policy(fixture, &length(8)), Ok(()), "{fixture}");
        }
    }
}
