//! The `userpool` command: `serve` runs the user pool on its own; `users
//! export` and `users import` move users (with their password hashes) between
//! pools; `keys rotate` adds a signing key. Those three work on the declared
//! pool, or on another of the store's with `--pool <id>`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use userpool::{Config, UserPool};

// mimalloc: a page render is hundreds of small allocations, and glibc's arenas kept
// Argon2's 19 MiB buffers resident after sign-ins (`make bench` measures both).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "A local, Amazon-Cognito-compatible user pool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the hosted UI, the OAuth 2.0 / OIDC endpoints and the Cognito JSON API.
    #[command(after_help = serve_help())]
    Serve {
        /// The pool's configuration file.
        #[arg(long, default_value = "userpool.toml")]
        config: PathBuf,
    },
    /// Export or import users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage the token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// What `serve --help` adds after the options.
fn serve_help() -> String {
    format!(
        "The configuration file (--config), overridden by the environment:\n{}\n\n\
         RUST_LOG filters the log (tracing's EnvFilter syntax; default: info).",
        userpool::environment_help()
    )
}

/// Which pool a command works on.
#[derive(clap::Args)]
struct PoolArg {
    /// The pool's id: one created through the API, or the declared one (the default).
    #[arg(long = "pool")]
    id: Option<String>,
}

impl PoolArg {
    /// The server of `config_path`, acting in this pool.
    async fn open(
        &self,
        config_path: &std::path::Path,
    ) -> Result<UserPool, Box<dyn std::error::Error>> {
        let declared = UserPool::open(Config::load(config_path)?).await?;
        match &self.id {
            None => Ok(declared),
            Some(id) => Ok(declared
                .with_pool(id)
                .await?
                .ok_or_else(|| format!("there is no pool {id} in this store"))?),
        }
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a signing key: published in the JWKS at once, signing after
    /// `--publish-ahead` seconds; the old key stays published until its tokens
    /// have expired. Running pools pick it up within half a minute.
    Rotate {
        #[arg(long, default_value = "userpool.toml")]
        config: PathBuf,
        #[command(flatten)]
        pool: PoolArg,
        /// Seconds between publishing the new key and signing with it (default 120).
        #[arg(long)]
        publish_ahead: Option<i64>,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Write groups and users (attributes, groups, password hashes) as JSON Lines.
    Export {
        #[arg(long, default_value = "userpool.toml")]
        config: PathBuf,
        #[command(flatten)]
        pool: PoolArg,
        /// The file to write; standard output when absent.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Load an export; users the pool already has (same sub or email) are skipped.
    Import {
        #[arg(long, default_value = "userpool.toml")]
        config: PathBuf,
        #[command(flatten)]
        pool: PoolArg,
        /// The file to read; standard input when absent.
        #[arg(long)]
        input: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match userpool::runtime() {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    tracing_subscriber::fmt()
        // Standard output may carry an export.
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let outcome = match Cli::parse().command {
        Command::Serve { config } => serve(&config).await,
        Command::Users {
            command:
                UsersCommand::Export {
                    config,
                    pool,
                    output,
                },
        } => export(&config, &pool, output.as_deref()).await,
        Command::Users {
            command:
                UsersCommand::Import {
                    config,
                    pool,
                    input,
                },
        } => import(&config, &pool, input.as_deref()).await,
        Command::Keys {
            command:
                KeysCommand::Rotate {
                    config,
                    pool,
                    publish_ahead,
                },
        } => rotate(&config, &pool, publish_ahead).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config_path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(config_path)?;
    let pool = UserPool::open(config).await?;
    let listener = tokio::net::TcpListener::bind(pool.config().listen()).await?;
    tracing::info!(
        address = %listener.local_addr()?,
        issuer = %pool.config().issuer(),
        "user pool listening"
    );
    userpool::serve(
        listener,
        pool.router(),
        pool.config().limits(),
        userpool::shutdown_signal(),
    )
    .await;
    tracing::info!("stopped");
    Ok(())
}

async fn export(
    config_path: &std::path::Path,
    pool: &PoolArg,
    output: Option<&std::path::Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let pool = pool.open(config_path).await?;
    let mut out: Box<dyn std::io::Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let users = pool.export_users(&mut out).await?;
    out.flush()?;
    tracing::info!(users, "exported");
    Ok(())
}

async fn import(
    config_path: &std::path::Path,
    pool: &PoolArg,
    input: Option<&std::path::Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let pool = pool.open(config_path).await?;
    let summary = match input {
        Some(path) => {
            pool.import_users(std::io::BufReader::new(std::fs::File::open(path)?))
                .await?
        }
        None => pool.import_users(std::io::stdin().lock()).await?,
    };
    tracing::info!(
        users = summary.users,
        groups = summary.groups,
        skipped = summary.skipped,
        "imported"
    );
    Ok(())
}

async fn rotate(
    config_path: &std::path::Path,
    pool: &PoolArg,
    publish_ahead: Option<i64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let pool = pool.open(config_path).await?;
    let kid = pool.rotate_key(publish_ahead).await?;
    println!("{kid}");
    Ok(())
}
