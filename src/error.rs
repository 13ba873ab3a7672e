//! The pool's internal failures: what went wrong inside (the database, a key,
//! the random number generator), never what a client did. A leaf: no HTTP, no
//! templates. Each surface maps these to its own wire shape beside its handlers
//! (`web::PageError`, `oauth2`'s `TokenError` and `BearerError`, `json_api`'s
//! `ApiError`).

/// What `Retry-After` says when password hashing is saturated ([`Error::Busy`]).
pub(crate) const RETRY_AFTER_SECONDS: &str = "1";

/// What a person is told when mail cannot be sent ([`Error::MailQueueFull`]).
pub(crate) const MAIL_UNAVAILABLE: &str =
    "The code could not be sent: mail cannot be delivered right now. Please try again later.";

/// Internal failures: nothing a client did wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create the data directory: {0}")]
    DataDir(#[source] std::io::Error),
    #[error("database: {0}{hint}", hint = storage_hint(.0))]
    Database(#[from] sqlx::Error),
    #[error("the database file {} is not a SQLite database", .0.display())]
    NotSqlite(std::path::PathBuf),
    #[error("the database file {} is damaged: integrity check failed: {findings}", file.display())]
    DamagedDatabase {
        file: std::path::PathBuf,
        findings: String,
    },
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("signing key: {0}")]
    Key(String),
    #[error("the system random number generator failed")]
    Random,
    #[error("password hashing: {0}")]
    PasswordHash(String),
    #[error("rendering a page: {0}")]
    Template(#[from] askama::Error),
    #[error("the signed-in user no longer exists")]
    UserGone,
    /// Deleted (by another request or replica) while it was being read or changed.
    #[error("the user pool {0} was deleted meanwhile")]
    PoolGone(String),
    /// Too many password hashes running and waiting: try again shortly.
    #[error("too many sign-ins at once")]
    Busy,
    #[error("encoding a token: {0}")]
    Json(#[from] serde_json::Error),
    /// The SMTP server of `[smtp]` cannot be set up (an address, a certificate).
    #[error("mail: {0}")]
    Mail(String),
    /// Mail to the SMTP server is piling up: it has been unreachable for a while.
    #[error("the mail queue is full")]
    MailQueueFull,
    /// The HTTP client of triggers' webhooks and upstream identity providers cannot be set up (its TLS roots).
    #[error("outbound HTTP client: {0}")]
    HttpClient(String),
    /// A trigger's function refused the operation, failed, or answered
    /// nonsense (see `triggers`): Cognito's message, shown as it is.
    #[error("{message}")]
    Trigger {
        failure: TriggerFailure,
        message: String,
    },
    /// A pool or client of `userpool.toml`'s `[[user_pools]]` that the API would refuse.
    #[error("userpool.toml: {0}")]
    Declaration(String),
}

/// How a trigger failed, by Cognito's exception for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerFailure {
    /// The function's own error, or its time ran out: `UserLambdaValidationException`.
    Validation,
    /// The function cannot be called: `UnexpectedLambdaException`.
    Unexpected,
    /// Its answer does not read: `InvalidLambdaResponseException`.
    InvalidResponse,
}

impl TriggerFailure {
    pub(crate) fn exception(self) -> &'static str {
        match self {
            TriggerFailure::Validation => "UserLambdaValidationException",
            TriggerFailure::Unexpected => "UnexpectedLambdaException",
            TriggerFailure::InvalidResponse => "InvalidLambdaResponseException",
        }
    }
}

/// What an operator should do about a storage failure, where the database's code says.
fn storage_hint(error: &sqlx::Error) -> &'static str {
    if let Some(code) = sqlite_code(error) {
        return match code {
            13 => " (the disk holding the database is full; writes resume once space is freed)",
            8 => " (the database file or its directory is read-only)",
            10 => " (an I/O error on the disk holding the database)",
            11 => " (the database file is damaged)",
            _ => "",
        };
    }
    match error
        .as_database_error()
        .and_then(|error| error.code())
        .as_deref()
    {
        Some("53100") => " (the disk holding PostgreSQL's data is full)",
        Some("25006") => " (PostgreSQL is read-only: a standby, or default_transaction_read_only)",
        _ => "",
    }
}

/// SQLite's primary result code (the extended code's low byte) of a database
/// error; `None` for other errors and other databases.
pub(crate) fn sqlite_code(error: &sqlx::Error) -> Option<i32> {
    let error = error.as_database_error()?;
    error.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    Some(error.code()?.parse::<i32>().ok()? & 0xff)
}
