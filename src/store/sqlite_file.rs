//! The start-up check of a SQLite database file: that it is one, and that
//! SQLite's `quick_check` finds it sound, so that a damaged file stops the pool
//! at once with the cause rather than as a connection timeout or as 500s later.
//! The check runs for at most [`QUICK_CHECK_BUDGET`]; a file too large to finish
//! in that time is let through ([`Checked::Unfinished`]).

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::error::{Error, sqlite_code};

/// How long start-up spends on `quick_check` at most.
pub(crate) const QUICK_CHECK_BUDGET: Duration = Duration::from_secs(5);

/// The SQLite primary result codes the check tells apart.
const SQLITE_INTERRUPT: i32 = 9;
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_NOTADB: i32 = 26;

/// How far the check got on a file it let through.
#[derive(Debug, PartialEq)]
pub(crate) enum Checked {
    Sound,
    /// `quick_check` ran out of time before it found anything.
    Unfinished,
}

/// Opens `file` on one connection of its own (a pool would retry a hopeless file
/// until its timeout) and runs `quick_check` on it, within `budget`.
pub(crate) async fn check(
    file: &Path,
    options: &SqliteConnectOptions,
    budget: Duration,
) -> Result<Checked, Error> {
    let problem = |error: sqlx::Error| match sqlite_code(&error) {
        Some(SQLITE_NOTADB) => Error::NotSqlite(file.to_owned()),
        Some(SQLITE_CORRUPT) => Error::DamagedDatabase {
            file: file.to_owned(),
            findings: error.to_string(),
        },
        _ => Error::Database(error),
    };
    let mut connection: SqliteConnection = options.connect().await.map_err(problem)?;
    let deadline = Instant::now() + budget;
    // SQLite calls this every 10,000 virtual machine steps; false interrupts the check.
    connection
        .lock_handle()
        .await?
        .set_progress_handler(10_000, move || Instant::now() < deadline);
    // At most five findings, for the error message.
    let findings = sqlx::query_scalar::<_, String>("PRAGMA quick_check(5)")
        .fetch_all(&mut connection)
        .await;
    connection.lock_handle().await?.remove_progress_handler();
    connection.close().await?;
    match findings {
        Ok(findings) if findings == ["ok"] => Ok(Checked::Sound),
        Ok(findings) => Err(Error::DamagedDatabase {
            file: file.to_owned(),
            findings: findings.join("; "),
        }),
        Err(error) if sqlite_code(&error) == Some(SQLITE_INTERRUPT) => Ok(Checked::Unfinished),
        Err(error) => Err(problem(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Database;
    use crate::store::Store;

    fn options(file: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(file)
            .create_if_missing(true)
    }

    /// A database of the pool's schema with `users` rows, checkpointed into its file and closed.
    async fn database_with_users(file: &Path, users: usize) {
        let store = Store::open(&Database::Sqlite(file.to_owned()))
            .await
            .unwrap();
        for n in 0..users {
            sqlx::query(
                "INSERT INTO users (pool_id, sub, username, email, password_hash, created_at, updated_at)
                 VALUES ('', $1, $1, $2, $3, 0, 0)",
            )
            .bind(format!("sub-{n}"))
            .bind(format!("user{n}@example.com"))
            .bind("x".repeat(100))
            .execute(&store.db)
            .await
            .unwrap();
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&store.db)
            .await
            .unwrap();
        store.db.close().await;
    }

    #[tokio::test]
    async fn a_file_that_is_not_sqlite_stops_the_pool_with_that_cause() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("userpool.sqlite3");
        std::fs::write(&file, [0x5a; 8192]).unwrap();
        let error = Store::open(&Database::Sqlite(file.clone()))
            .await
            .err()
            .unwrap();
        assert!(
            matches!(&error, Error::NotSqlite(named) if *named == file),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .ends_with("userpool.sqlite3 is not a SQLite database"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn damaged_pages_stop_the_pool_with_the_integrity_check_s_findings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("userpool.sqlite3");
        database_with_users(&file, 3000).await;
        // Pages 21 to 30, within the users table, overwritten.
        let mut bytes = std::fs::read(&file).unwrap();
        assert!(bytes.len() > 30 * 4096);
        bytes[20 * 4096..30 * 4096].fill(0xab);
        std::fs::write(&file, bytes).unwrap();

        let error = Store::open(&Database::Sqlite(file)).await.err().unwrap();
        assert!(matches!(error, Error::DamagedDatabase { .. }), "{error}");
        assert!(
            error
                .to_string()
                .contains("is damaged: integrity check failed: "),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_check_out_of_time_lets_the_file_through_unfinished() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("userpool.sqlite3");
        database_with_users(&file, 3000).await;
        assert_eq!(
            check(&file, &options(&file), QUICK_CHECK_BUDGET)
                .await
                .unwrap(),
            Checked::Sound
        );
        assert_eq!(
            check(&file, &options(&file), Duration::ZERO).await.unwrap(),
            Checked::Unfinished
        );
    }
}
