//! `userpool serve`: runs the user pool on its own.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use userpool::{Config, UserPool};

#[derive(Parser)]
#[command(version, about = "A local, Amazon-Cognito-compatible user pool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the hosted UI and the OAuth 2.0 / OIDC endpoints.
    Serve {
        /// The pool's configuration file.
        #[arg(long, default_value = "userpool.toml")]
        config: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let Command::Serve { config } = Cli::parse().command;
    match serve(&config).await {
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
    axum::serve(listener, pool.router())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
