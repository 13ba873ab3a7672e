//! Password hashing (Argon2id with OWASP's parameters: m=19456 KiB, t=2, p=1) and
//! the password policy. Hashing is CPU- and memory-heavy, so it runs on the
//! blocking pool behind a semaphore that bounds how many run at once, and the
//! queue in front of it is bounded too: in a login storm the excess is refused
//! at once (`Error::Busy`, answered 503/429 with `Retry-After`) rather than piling up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{Error as HashError, PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::Error;

/// Cognito's upper bound; also keeps hashing cost independent of request size.
const MAXIMUM_LENGTH: usize = 256;

/// Why a password does not meet the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PolicyError {
    #[error(
        "Password does not conform to policy: Password not long enough (minimum {0} characters)."
    )]
    TooShort(usize),
    #[error("Password does not conform to policy: Password is too long (maximum 256 characters).")]
    TooLong,
}

pub(crate) fn check_policy(password: &str, minimum_length: usize) -> Result<(), PolicyError> {
    let length = password.chars().count();
    if length < minimum_length {
        Err(PolicyError::TooShort(minimum_length))
    } else if length > MAXIMUM_LENGTH {
        Err(PolicyError::TooLong)
    } else {
        Ok(())
    }
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

pub(crate) fn verify_blocking(password: &str, hash: &str) -> Result<bool, Error> {
    match argon2()?.verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(HashError::PasswordInvalid) => Ok(false),
        Err(e) => Err(Error::PasswordHash(e.to_string())),
    }
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
        Ok(Hasher {
            permits: Arc::new(Semaphore::new(workers)),
            in_flight: AtomicUsize::new(0),
            max_in_flight: workers + queued,
            decoy_hash,
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
        let matches = self.run(move || verify_blocking(&password, &hash)).await?;
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

    #[test]
    fn policy() {
        assert_eq!(check_policy("1234567", 8), Err(PolicyError::TooShort(8)));
        assert_eq!(check_policy("12345678", 8), Ok(()));
        assert_eq!(check_policy(&"x".repeat(257), 8), Err(PolicyError::TooLong));
    }
}
