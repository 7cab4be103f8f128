//! Builds the application: opens storage, binds the listener (port 0 picks a free port, as the
//! tests do) and assembles the actix-web app around [`crate::routes::configure`].

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use std::net::TcpListener;
use std::sync::Arc;

use crate::client::TrustedProxies;
use crate::identity::{Signer, Verifier};
use crate::limits::RateLimiter;
use crate::loader::{Loader, RenderedViews};
use crate::metrics::{Metrics, MetricsAccess};
use crate::routes::{self, AllowedOrigins, IdentityKey, PolicyCatalog, StaticRoots};
use crate::settings::Settings;
use crate::storage::{self, DatabaseUrl, Storage};
use crate::vault::Vault;

/// The Content-Security-Policy of every response: the widget itself runs under it, with only
/// `'wasm-unsafe-eval'` added for WebAssembly.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; \
     base-uri 'none'; form-action 'self'; object-src 'none'";

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    /// The demo group site's listener, started with the server (development only).
    group_site: Option<(TcpListener, std::path::PathBuf)>,
}

impl Application {
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let storage = storage::open(&settings.database)?;
        let vault = match (&settings.attachment_key, &settings.database) {
            (Some(key), _) => Vault::from_base64(key.expose())?,
            (None, DatabaseUrl::Sqlite(path)) => Vault::from_key_file(&path.with_extension("key"))?,
            // Every instance must open what any of them sealed: the key comes from the settings.
            (None, DatabaseUrl::Postgres(_)) => anyhow::bail!(
                "with PostgreSQL, set PRIVACY_ATTACHMENT_KEY (the same 32-byte base64 key on every instance)"
            ),
        };
        spawn_daily_retention(Arc::clone(&storage), settings.retention);
        match settings.smtp.clone() {
            Some(smtp) => crate::mail::spawn_sender(Arc::clone(&storage), smtp),
            None => tracing::info!("no SMTP relay configured: e-mail stays in the outbox"),
        }
        let sites = privacy_shared::site::all();
        if sites.is_empty() {
            tracing::warn!("no site is configured: the widget starts on no page (see `catalogue`)");
        }
        let loader = Loader::load(&settings.dist_dir, &sites)?;
        if loader.is_none() {
            tracing::warn!("the widget is not built: run `cargo xtask build`");
        }
        let catalog = PolicyCatalog::load()?;
        let views = RenderedViews::render(&settings.dist_dir, &sites, &catalog)?;
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let links = crate::requests::Links::new(settings.public_origin(port)?);
        let shared = Shared {
            storage: web::Data::new(storage),
            catalog: web::Data::new(catalog),
            views: web::Data::new(views),
            identity: web::Data::new(identity_key(&settings)?),
            limiter: web::Data::new(RateLimiter::new(settings.rate_limits)),
            proxies: web::Data::new(settings.proxies.clone()),
            vault: web::Data::new(vault),
            metrics: web::Data::new(Metrics::default()),
            metrics_access: web::Data::new(MetricsAccess(settings.metrics_token.clone())),
            origins: web::Data::new(AllowedOrigins(settings.allowed_origins.clone())),
            roots: web::Data::new(StaticRoots {
                www: settings.www_dir.clone(),
                dist: settings.dist_dir.clone(),
                loader: loader.map(Arc::new),
            }),
            links: web::Data::new(links),
        };
        let server = run(listener, shared, settings.workers)?;
        let group_site = settings
            .demo_group_site
            .map(|bind| TcpListener::bind(bind).map(|l| (l, settings.www_dir.clone())))
            .transpose()
            .context("binding the demo group site")?;
        Ok(Self {
            port,
            server,
            group_site,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some((listener, www)) = self.group_site {
            let address = listener.local_addr()?;
            let privacy = format!("http://127.0.0.1:{}", self.port);
            crate::group_site::start(listener, www, privacy)?;
            tracing::info!("demo group site on another origin: http://{address}");
        }
        self.server.await
    }
}

/// The verifier of customers' tokens and, in development, the signer of demo tokens.
fn identity_key(settings: &Settings) -> anyhow::Result<IdentityKey> {
    let Some(config) = &settings.identity else {
        return Ok(IdentityKey::new(None, None));
    };
    let verifier = Verifier::new(config)?;
    let dev_signer = settings
        .dev_token_key
        .as_ref()
        .map(|key| Signer::new(config.algorithm, key.expose(), &config.issuer))
        .transpose()?;
    Ok(IdentityKey::new(Some(verifier), dev_signer))
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
                    answer_files = report.answer_files,
                    consent_events = report.consent_events,
                    audit_entries = report.audit_entries,
                    "retention ran"
                ),
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
        }
    });
}

/// What every worker shares.
#[derive(Clone)]
struct Shared {
    storage: web::Data<Arc<dyn Storage>>,
    catalog: web::Data<PolicyCatalog>,
    views: web::Data<RenderedViews>,
    identity: web::Data<IdentityKey>,
    limiter: web::Data<RateLimiter>,
    proxies: web::Data<TrustedProxies>,
    vault: web::Data<Vault>,
    metrics: web::Data<Metrics>,
    metrics_access: web::Data<MetricsAccess>,
    origins: web::Data<AllowedOrigins>,
    roots: web::Data<StaticRoots>,
    links: web::Data<crate::requests::Links>,
}

fn run(listener: TcpListener, shared: Shared, workers: Option<usize>) -> std::io::Result<Server> {
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(routes::cors))
            .wrap(actix_web::middleware::from_fn(routes::hsts))
            .wrap(
                DefaultHeaders::new()
                    .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                    .add(("Cross-Origin-Opener-Policy", "same-origin")),
            )
            .app_data(shared.storage.clone())
            .app_data(shared.catalog.clone())
            .app_data(shared.views.clone())
            .app_data(shared.identity.clone())
            .app_data(shared.limiter.clone())
            .app_data(shared.proxies.clone())
            .app_data(shared.vault.clone())
            .app_data(shared.metrics.clone())
            .app_data(shared.metrics_access.clone())
            .app_data(shared.origins.clone())
            .app_data(shared.roots.clone())
            .app_data(shared.links.clone())
            .wrap(actix_web::middleware::from_fn(crate::metrics::middleware))
            // Outermost: every log line and problem of the request names its id.
            .wrap(actix_web::middleware::from_fn(
                crate::request_id::middleware,
            ))
            .configure(routes::configure)
    })
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
