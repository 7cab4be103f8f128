//! Builds the application: opens storage, binds the listener (port 0 picks a free port, as the
//! tests do) and assembles the actix-web app around [`crate::routes::configure`].

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;

use crate::routes::{self, IdentityKey, PolicyCatalog, StaticRoots};
use crate::settings::Settings;
use crate::storage::{self, Storage};

/// The Content-Security-Policy of every response: the widget itself runs under it, with only
/// `'wasm-unsafe-eval'` added for WebAssembly.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; \
     base-uri 'none'; form-action 'self'; object-src 'none'";

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let storage = storage::open(&settings.database)?;
        spawn_daily_retention(Arc::clone(&storage), settings.retention);
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let roots = StaticRoots {
            www: settings.www_dir.clone(),
            dist: settings.dist_dir.clone(),
        };
        let catalog = PolicyCatalog::load()?;
        let identity = IdentityKey(settings.identity_secret.clone());
        let server = run(
            listener,
            storage,
            catalog,
            identity,
            roots,
            settings.workers,
        )?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Runs retention once a day for as long as the server runs, logging what it deleted by count.
fn spawn_daily_retention(storage: Arc<dyn Storage>, periods: crate::storage::RetentionPeriods) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
        loop {
            interval.tick().await;
            match storage
                .run_retention(time::OffsetDateTime::now_utc(), periods)
                .await
            {
                Ok(report) => tracing::info!(
                    unverified_requests = report.unverified_requests,
                    closed_requests = report.closed_requests,
                    consent_events = report.consent_events,
                    "retention ran"
                ),
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
        }
    });
}

fn run(
    listener: TcpListener,
    storage: Arc<dyn Storage>,
    catalog: PolicyCatalog,
    identity: IdentityKey,
    roots: StaticRoots,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let storage = web::Data::new(storage);
    let catalog = web::Data::new(catalog);
    let identity = web::Data::new(identity);
    let roots = web::Data::new(roots);
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(
                DefaultHeaders::new()
                    .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                    .add(("Cross-Origin-Opener-Policy", "same-origin")),
            )
            .app_data(storage.clone())
            .app_data(catalog.clone())
            .app_data(identity.clone())
            .app_data(roots.clone())
            .configure(routes::configure)
    })
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
