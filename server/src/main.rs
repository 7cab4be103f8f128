//! The `privacy-server` command: `serve` runs the server; `migrate` prepares the database.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use privacy_server::storage::DatabaseUrl;
use privacy_server::{Application, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "privacy-server", about = "The Virtio Privacy server", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DatabaseArgs {
    /// The database: sqlite://PATH (created and migrated on start).
    #[arg(
        long,
        env = "PRIVACY_DATABASE_URL",
        default_value = "sqlite://data/privacy.db"
    )]
    database: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the widget and admin bundles and the demo pages.
    Serve {
        #[arg(long, env = "PRIVACY_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[command(flatten)]
        database: DatabaseArgs,
        /// The demo pages.
        #[arg(long, env = "PRIVACY_WWW_DIR", default_value = "www")]
        www: PathBuf,
        /// The built bundles (`cargo xtask build` writes them).
        #[arg(long, env = "PRIVACY_DIST_DIR", default_value = "dist")]
        dist: PathBuf,
    },
    /// Create the database if needed and apply pending migrations, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// The consent ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute the hash chain; exits with 1 and names the first broken event if it is broken.
    Verify {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn database_url(args: &DatabaseArgs) -> anyhow::Result<DatabaseUrl> {
    args.database
        .parse()
        .context("reading --database / PRIVACY_DATABASE_URL")
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PRIVACY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve {
            bind,
            database,
            www,
            dist,
        } => {
            let settings = Settings {
                bind,
                database: database_url(&database)?,
                www_dir: www,
                dist_dir: dist,
                workers: None,
            };
            let app = Application::build(settings).context("starting the server")?;
            tracing::info!(
                "serving on http://{bind}",
                bind = SocketAddr::new(bind.ip(), app.port())
            );
            app.run_until_stopped().await?;
        }
        Command::Migrate { database } => {
            privacy_server::storage::open(&database_url(&database)?)?;
            println!("the database is migrated");
        }
        Command::Ledger {
            command: LedgerCommand::Verify { database },
        } => {
            let storage = privacy_server::storage::open(&database_url(&database)?)?;
            let verification = storage
                .verify_ledger()
                .await
                .context("reading the ledger")?;
            match verification.first_broken {
                None => println!("ledger intact: {} events verified", verification.events),
                Some(link) => {
                    println!(
                        "ledger broken at event #{} ({}): {}",
                        link.seq, link.event_id, link.reason
                    );
                    std::process::exit(1);
                }
            }
        }
    }
    Ok(())
}
