//! The `privacy-server` command: `serve` runs the server; `migrate` prepares the database.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use privacy_server::identity::Algorithm;
use privacy_server::settings::{FileSettings, IdentityOverrides, Secret};
use privacy_server::staff;
use privacy_server::storage::DatabaseUrl;
use privacy_server::{Application, Settings};
use privacy_shared::wire::StaffRole;
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
    /// The database: sqlite://PATH or postgres://USER@HOST/NAME, created (SQLite) and migrated on
    /// start [default: sqlite://data/privacy.db]
    #[arg(long, env = "PRIVACY_DATABASE_URL")]
    database: Option<String>,
    /// A TOML settings file; flags and environment variables override it.
    #[arg(long, env = "PRIVACY_CONFIG")]
    config: Option<PathBuf>,
}

/// How the interface app's identity tokens (JWT) are verified; each overrides `[identity]`.
#[derive(clap::Args)]
struct IdentityArgs {
    /// The algorithm the interface app signs with [default: EdDSA]
    #[arg(long = "identity-algorithm", env = "PRIVACY_IDENTITY_ALGORITHM")]
    algorithm: Option<Algorithm>,
    /// EdDSA and ES256: a PEM file with the interface app's public key.
    #[arg(long = "identity-public-key", env = "PRIVACY_IDENTITY_PUBLIC_KEY")]
    public_key: Option<PathBuf>,
    /// HS256: the secret both sides hold (32 bytes or more).
    #[arg(
        long = "identity-secret",
        env = "PRIVACY_IDENTITY_SECRET",
        hide_env_values = true
    )]
    secret: Option<String>,
    /// The `iss` claim every token must carry, such as https://mijn.virtio.nl
    #[arg(long = "identity-issuer", env = "PRIVACY_IDENTITY_ISSUER")]
    issuer: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the widget and admin bundles and the demo pages.
    Serve {
        /// The address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "PRIVACY_BIND")]
        bind: Option<SocketAddr>,
        #[command(flatten)]
        database: DatabaseArgs,
        /// The demo pages [default: www]
        #[arg(long, env = "PRIVACY_WWW_DIR")]
        www: Option<PathBuf>,
        /// The built bundles, written by `cargo xtask build` [default: dist]
        #[arg(long, env = "PRIVACY_DIST_DIR")]
        dist: Option<PathBuf>,
        /// The origin browsers reach this server at, which e-mailed status links point to
        /// [default: http:// and the bound address]
        #[arg(long, env = "PRIVACY_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        identity: IdentityArgs,
        /// The base64 key (32 bytes) answer attachments are encrypted with [default: a key file
        /// beside the database, created on first start]
        #[arg(long, env = "PRIVACY_ATTACHMENT_KEY", hide_env_values = true)]
        attachment_key: Option<String>,
        /// The bearer token `/metrics` requires [default: none, `/metrics` is open]
        #[arg(long, env = "PRIVACY_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Development: accept the published development identity key, development tokens
        /// and the demo group site, which a production start refuses (`cargo xtask serve`).
        #[arg(long)]
        dev: bool,
    },
    /// Write a consistent copy of the database to a new file, safe while the server runs.
    /// Restore by stopping the server and serving the copy (`--database sqlite://FILE`).
    Backup {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The new file to write.
        #[arg(long)]
        to: PathBuf,
    },
    /// Copy a whole installation into a new, empty database (such as SQLite to PostgreSQL), then
    /// verify the copy's ledger and audit log. Stop writes to the source first: what it takes
    /// after the copy's snapshot is not copied.
    Copy {
        /// The installation to copy: sqlite://PATH or postgres://…
        #[arg(long)]
        from: String,
        /// The new database: sqlite://PATH or postgres://…
        #[arg(long)]
        to: String,
    },
    /// Create the database if needed and apply pending migrations, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Staff accounts of the admin console.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Retention of requests and ledger events.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// The consent ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Customers' identity tokens (JWT), for development and for checking an interface app.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Sign a customer's identity token as the interface app does and print it.
    Sign {
        /// The private key, PKCS#8 PEM (EdDSA, ES256), or a file holding the HS256 secret.
        #[arg(long)]
        key: PathBuf,
        /// The algorithm the server is configured for.
        #[arg(long, value_enum, default_value = "EdDSA")]
        algorithm: Algorithm,
        /// The `iss` the server is configured for.
        #[arg(long)]
        issuer: String,
        /// The customer number (`sub`).
        #[arg(long)]
        customer: String,
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
        /// The site id the token is for (`aud`); repeat for several.
        #[arg(long = "site", required = true)]
        sites: Vec<String>,
        /// How long the token lives.
        #[arg(long, default_value_t = 10)]
        minutes: i64,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account. The password comes from PRIVACY_ADMIN_PASSWORD or the first line
    /// of standard input; the TOTP secret is printed once, for the person's authenticator app.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: Role,
    },
    #[command(flatten)]
    Totp(TotpCommand),
}

#[derive(Subcommand)]
enum TotpCommand {
    /// Give an account a new TOTP secret (a lost or replaced phone): its sessions end, the old
    /// codes stop working, and the new secret is printed once, with its QR code; the console
    /// shows it again at the next sign-in until a code of it is accepted.
    ResetTotp {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Role {
    Officer,
    Viewer,
}

/// The shortest staff password accepted.
const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Subcommand)]
enum RetentionCommand {
    /// Delete what its retention period has passed, once, and print how much was deleted.
    Run {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Act as if it were this moment (RFC 3339), to preview or test a run.
        #[arg(long)]
        now: Option<String>,
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

/// The settings file named by `--config`, and the database URL from the flag, else the file,
/// else the default.
fn database_url(args: &DatabaseArgs) -> anyhow::Result<(FileSettings, DatabaseUrl)> {
    let file = FileSettings::load(args.config.as_deref())?;
    let url = args.database.clone().or_else(|| file.database.clone());
    let url = url.as_deref().unwrap_or("sqlite://data/privacy.db");
    Ok((file, url.parse().context("reading the database URL")?))
}

/// Prints what the account's authenticator app needs: the secret, the `otpauth://` URI and its QR
/// code for the terminal.
fn print_enrollment(email: &privacy_shared::EmailAddress, secret: &str) -> anyhow::Result<()> {
    println!("add this TOTP secret to an authenticator app now, it is not shown here again:");
    println!("totp secret: {secret}");
    let uri = staff::otpauth_uri(email.as_ref(), secret)?;
    println!("{uri}");
    println!("or scan this code with the authenticator app:");
    println!("{}", staff::terminal_qr(&uri)?);
    println!(
        "(until its first code is accepted, signing in to the console with the password and no \
         code shows this QR code again)"
    );
    Ok(())
}

/// Runs the command; a failure is printed as one line (its causes joined by `: `), exit code 1.
#[actix_web::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// Logs to standard output, filtered by `PRIVACY_LOG`: lines for people, or with
/// `PRIVACY_LOG_FORMAT=json` one JSON object a line for a log pipeline, each with the fields of
/// its request's span (`request_id`, method, path).
fn init_logs() -> anyhow::Result<()> {
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("PRIVACY_LOG").unwrap_or_else(|_| "info".into())
    };
    match std::env::var("PRIVACY_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter())
            .init(),
        Ok("text") | Err(_) => tracing_subscriber::fmt().with_env_filter(filter()).init(),
        Ok(other) => anyhow::bail!("PRIVACY_LOG_FORMAT is `{other}`: use `json` or `text`"),
    }
    Ok(())
}

async fn run() -> anyhow::Result<()> {
    init_logs()?;
    match Cli::parse().command {
        Command::Serve {
            bind,
            database,
            www,
            dist,
            identity,
            attachment_key,
            metrics_token,
            public_url,
            dev,
        } => {
            let config_path = database.config.clone();
            let (file, database) = database_url(&database)?;
            let allowed_origins = file.allowed_origins()?;
            let (identity, dev_token_key) = file.identity.resolve(
                IdentityOverrides {
                    algorithm: identity.algorithm,
                    public_key: identity.public_key,
                    secret: identity.secret,
                    issuer: identity.issuer,
                },
                config_path.as_deref(),
            )?;
            let defaults = Settings::new(SocketAddr::from(([127, 0, 0, 1], 8080)), database);
            let settings = Settings {
                bind: bind.or(file.bind).unwrap_or(defaults.bind),
                www_dir: www
                    .or(file.www_dir)
                    .unwrap_or_else(|| defaults.www_dir.clone()),
                dist_dir: dist
                    .or(file.dist_dir)
                    .unwrap_or_else(|| defaults.dist_dir.clone()),
                workers: file.workers,
                identity,
                retention: file.retention,
                rate_limits: file.rate_limits,
                proxies: file.proxy,
                smtp: file.smtp,
                allowed_origins,
                attachment_key: attachment_key.map(Secret::new).or(file.attachments.key),
                metrics_token: metrics_token.map(Secret::new).or(file.metrics.token),
                dev_token_key,
                demo_group_site: file.demo.group_site,
                public_url: public_url.or(file.public_url),
                ..defaults
            };
            if settings.dev_token_key.is_some() {
                tracing::warn!(
                    "development identity tokens are on: anyone can sign in as any customer; \
                     never use this configuration in production"
                );
            }
            if settings.identity.is_none() {
                tracing::warn!(
                    "no identity key configured: customers' identity tokens will be refused"
                );
            }
            if settings.public_url.is_none() && !dev {
                tracing::warn!(
                    "public_url is not set: e-mailed status links point to this server's bound \
                     address; set it to the address browsers reach this server at"
                );
            }
            let ip = settings.bind.ip();
            if !dev {
                settings.refuse_development_settings()?;
            }
            let app = Application::build(settings).context("starting the server")?;
            tracing::info!("serving on http://{}", SocketAddr::new(ip, app.port()));
            app.run_until_stopped().await?;
        }
        Command::Retention {
            command: RetentionCommand::Run { database, now },
        } => {
            let (file, url) = database_url(&database)?;
            let now = match now {
                Some(now) => time::OffsetDateTime::parse(
                    &now,
                    &time::format_description::well_known::Rfc3339,
                )
                .context("--now must be an RFC 3339 time such as 2026-12-01T00:00:00Z")?,
                None => time::OffsetDateTime::now_utc(),
            };
            let storage = privacy_server::storage::open(&url)?;
            let report = storage
                .run_retention(now, file.retention)
                .await
                .context("running retention")?;
            println!(
                "retention deleted {} unverified requests, {} closed requests with {} answer files, {} ledger events, {} audit entries",
                report.unverified_requests,
                report.closed_requests,
                report.answer_files,
                report.consent_events,
                report.audit_entries
            );
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    database,
                    email,
                    role,
                },
        } => {
            let email = privacy_shared::EmailAddress::parse(&email).context("--email")?;
            let password = match std::env::var("PRIVACY_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    eprintln!("password for {email}:");
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("reading the password")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            if password.chars().count() < MIN_PASSWORD_CHARS {
                anyhow::bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
            }
            let storage = privacy_server::storage::open(&database_url(&database)?.1)?;
            let secret = staff::new_totp_secret()?;
            let role = match role {
                Role::Officer => StaffRole::Officer,
                Role::Viewer => StaffRole::Viewer,
            };
            storage
                .create_staff(
                    email.clone(),
                    staff::hash_password(&password)?,
                    secret.clone(),
                    role,
                )
                .await?;
            println!("created {email}");
            print_enrollment(&email, &secret)?;
        }
        Command::Token {
            command:
                TokenCommand::Sign {
                    key,
                    algorithm,
                    issuer,
                    customer,
                    email,
                    sites,
                    minutes,
                },
        } => {
            let max = privacy_shared::identity::MAX_LIFETIME_SECONDS / 60;
            anyhow::ensure!(
                (1..=max).contains(&minutes),
                "--minutes must be 1 to {max}: the server refuses longer-lived tokens"
            );
            let key = std::fs::read(&key).with_context(|| format!("reading {}", key.display()))?;
            let key = match algorithm {
                // A secret file's final newline is not part of the secret.
                Algorithm::Hs256 => key.trim_ascii_end().to_vec(),
                _ => key,
            };
            let signer = privacy_server::identity::Signer::new(algorithm, &key, &issuer)?;
            let token = signer.sign(
                privacy_shared::CustomerNumber::parse(&customer).context("--customer")?,
                privacy_shared::EmailAddress::parse(&email).context("--email")?,
                &sites,
                time::OffsetDateTime::now_utc().unix_timestamp(),
                minutes * 60,
            )?;
            println!("{token}");
        }
        Command::Admin {
            command: AdminCommand::Totp(TotpCommand::ResetTotp { database, email }),
        } => {
            let email = privacy_shared::EmailAddress::parse(&email).context("--email")?;
            let storage = privacy_server::storage::open(&database_url(&database)?.1)?;
            let secret = staff::new_totp_secret()?;
            if !storage.reset_totp(email.clone(), secret.clone()).await? {
                anyhow::bail!("there is no staff account for {email}");
            }
            println!(
                "{email} has a new TOTP secret; its sessions ended and its old codes no longer work"
            );
            print_enrollment(&email, &secret)?;
        }
        Command::Backup { database, to } => {
            let storage = privacy_server::storage::open(&database_url(&database)?.1)?;
            storage
                .backup(to.clone())
                .await
                .with_context(|| format!("backing up to {}", to.display()))?;
            println!("backup written to {}", to.display());
        }
        Command::Copy { from, to } => {
            let from: DatabaseUrl = from.parse().context("reading --from")?;
            let to: DatabaseUrl = to.parse().context("reading --to")?;
            let report = privacy_server::storage::copy::copy(&from, &to).await?;
            for (table, rows) in &report.rows {
                println!("{table}: {rows} rows");
            }
            println!("{}", report.ledger);
            match report.audit_first_broken {
                None => println!("audit log intact"),
                Some(seq) => {
                    println!("audit log broken at entry #{seq}");
                    std::process::exit(1);
                }
            }
        }
        Command::Migrate { database } => {
            privacy_server::storage::open(&database_url(&database)?.1)?;
            println!("the database is migrated");
        }
        Command::Ledger {
            command: LedgerCommand::Verify { database },
        } => {
            let storage = privacy_server::storage::open(&database_url(&database)?.1)?;
            let verification = storage
                .verify_ledger()
                .await
                .context("reading the ledger")?;
            println!(
                "{}",
                privacy_server::storage::describe_verification(&verification)
            );
            if verification.first_broken.is_some() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
