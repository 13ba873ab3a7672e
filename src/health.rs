//! `GET /healthz`: whether the pool can serve sign-ins, for load balancers and
//! orchestrators. It can when its database takes writes (a sign-in writes a
//! refresh token), so the check is a committed write, not a read, and, for
//! SQLite, room on the disk: SQLite can go on rewriting space its write-ahead
//! log already holds, so a one-row probe can succeed on a full disk where a
//! sign-up, which grows the file, fails. The signing key is loaded at start-up,
//! so a running pool always has one.
//!
//! The endpoint is public, so probes are shared: one at most per
//! [`PROBE_INTERVAL`], and callers in the meantime get its answer.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Database, UserPool};

/// How long one probe's answer stands.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// Less free space than this under a SQLite database counts as a full disk.
const MIN_FREE_BYTES: u64 = 1 << 20;

/// Why the pool cannot serve sign-ins.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Unhealthy {
    DiskFull,
    NotWritable,
}

/// The last probe: when it ran and what it found.
#[derive(Default)]
pub(crate) struct Probe {
    last: tokio::sync::Mutex<Option<(Instant, Result<(), Unhealthy>)>>,
}

pub(crate) async fn health(State(pool): State<UserPool>) -> (StatusCode, Json<Value>) {
    match probe(&pool).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(why) => {
            let database = match why {
                Unhealthy::DiskFull => "disk full",
                Unhealthy::NotWritable => "not writable",
            };
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": database })),
            )
        }
    }
}

async fn probe(pool: &UserPool) -> Result<(), Unhealthy> {
    // Held across the probe: concurrent callers wait for it and share its answer.
    let mut last = pool.health_probe().last.lock().await;
    if let Some((at, found)) = *last
        && at.elapsed() < PROBE_INTERVAL
    {
        return found;
    }
    let found = check(pool).await;
    *last = Some((Instant::now(), found));
    found
}

async fn check(pool: &UserPool) -> Result<(), Unhealthy> {
    if let Database::Sqlite(file) = pool.config().database()
        && let Some(free) = free_bytes(&file)
        && free < MIN_FREE_BYTES
    {
        tracing::error!(
            file = %file.display(),
            free_bytes = free,
            "health check: the disk holding the database is full; writes resume once space is freed"
        );
        return Err(Unhealthy::DiskFull);
    }
    pool.store()
        .probe_write(crate::now())
        .await
        .map_err(|error| {
            tracing::error!(%error, "health check: the database does not take writes");
            Unhealthy::NotWritable
        })
}

/// The space unprivileged writers have left on `file`'s filesystem; `None` when
/// the system does not say (the write probe still runs).
fn free_bytes(file: &Path) -> Option<u64> {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let stats = rustix::fs::statvfs(dir).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}
