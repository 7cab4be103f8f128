//! `spawn_app()` starts the real server on port 0 with a fresh database; `TestApp` has one helper
//! per endpoint.

use privacy_server::storage::DatabaseUrl;
use privacy_server::{Application, Settings};
use privacy_shared::api::ApiClient;
use privacy_shared::{
    ConsentDecision, ConsentKind, ConsentSource, Language, Problem, RecordConsent, SubjectId,
};
use std::path::PathBuf;
use uuid::Uuid;

/// A customer's identity token for every site of the group, signed with the development key the
/// test servers verify with, valid for `lifetime` seconds (negative: expired that long ago).
pub fn token_for(customer: &str, lifetime: i64) -> String {
    privacy_shared::site::install_repo_catalogue_for_tests();
    privacy_server::identity::development::token(customer, lifetime).unwrap()
}

pub struct TestApp {
    pub address: String,
    pub api: ApiClient,
    pub http: reqwest::Client,
    /// The SQLite file (on PostgreSQL, a path that does not exist).
    pub database: PathBuf,
    /// The database URL, as the server's commands take it.
    pub url: String,
    pub backend: Backend,
    _dir: tempfile::TempDir,
}

/// Which database the suite runs on: SQLite, or the PostgreSQL server `cargo xtask test` started
/// and named in `PRIVACY_TEST_POSTGRES` (each test gets a database of its own there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server of this run, if any: a URL of its maintenance database.
pub fn postgres_server() -> Option<String> {
    std::env::var("PRIVACY_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A new, empty database on the PostgreSQL server at `server`; its URL.
pub async fn fresh_postgres_database(server: &str) -> String {
    let name = format!("t_{}", Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL server answers");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').expect("a URL ending in /database");
    // With the CA of the run's server (`cargo xtask test` starts it with TLS), every connection
    // of the suite is TLS with the certificate verified.
    match std::env::var("PRIVACY_TEST_POSTGRES_CA") {
        Ok(ca) if !ca.is_empty() => format!("{base}/{name}?sslmode=require&sslrootcert={ca}"),
        _ => format!("{base}/{name}"),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The app with `adjust` applied to the test settings first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    privacy_shared::site::install_repo_catalogue_for_tests();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = dir.path().join("privacy.db");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let (url, attachment_key) = match postgres_server() {
        Some(server) => (
            fresh_postgres_database(&server).await,
            // Instances share the key that seals answer files; there is no file beside the data.
            Some(privacy_server::settings::Secret::new(
                "dGhlIHRlc3RzJyBhdHRhY2htZW50IGtleSwgMzIgYnk=",
            )),
        ),
        None => (format!("sqlite://{}", database.display()), None),
    };
    let mut settings = Settings {
        www_dir: root.join("www"),
        dist_dir: root.join("dist"),
        identity: Some(privacy_server::identity::development::config()),
        allowed_origins: ["https://www.virtio.nl".to_owned()].into(),
        workers: Some(1),
        attachment_key,
        ..Settings::new(
            "127.0.0.1:0".parse().unwrap(),
            url.parse::<DatabaseUrl>().unwrap(),
        )
    };
    adjust(&mut settings);
    // What the test chose last: the database it adjusted to, if it did.
    let (database, url, backend) = match &settings.database {
        DatabaseUrl::Sqlite(path) => (
            path.clone(),
            format!("sqlite://{}", path.display()),
            Backend::Sqlite,
        ),
        DatabaseUrl::Postgres(url) => (database, url.expose().to_owned(), Backend::Postgres),
    };
    let app = Application::build(settings).expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        api: ApiClient::new(address.clone()),
        address,
        http: reqwest::Client::new(),
        database,
        url,
        backend,
        _dir: dir,
    };
    // Asked for TLS, the connections get it: the server's (its migrations ran through the same
    // URL) and this one.
    if app.url.contains("sslmode=require") {
        let ssl = app
            .value("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .await;
        assert_eq!(
            ssl.as_deref(),
            Some("true"),
            "a TLS connection to PostgreSQL"
        );
    }
    app
}

impl TestApp {
    /// Runs `sql` on the app's database and returns every row, each value as text (`None` for
    /// NULL), whichever backend it is.
    pub async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self.backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open(&self.database).unwrap();
                let mut statement = conn.prepare(sql).unwrap();
                let columns = statement.column_count();
                statement
                    .query_map([], |row| {
                        (0..columns)
                            .map(|i| {
                                Ok(match row.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => None,
                                    rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
                                    rusqlite::types::ValueRef::Real(x) => Some(x.to_string()),
                                    rusqlite::types::ValueRef::Text(t) => {
                                        Some(String::from_utf8_lossy(t).into_owned())
                                    }
                                    rusqlite::types::ValueRef::Blob(b) => Some(hex::encode(b)),
                                })
                            })
                            .collect()
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
            Backend::Postgres => self
                .postgres()
                .await
                .simple_query(sql)
                .await
                .unwrap()
                .into_iter()
                .filter_map(|message| match message {
                    tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_owned))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The first column of the first row of `sql`.
    pub async fn value(&self, sql: &str) -> Option<String> {
        self.rows(sql)
            .await
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten())
    }

    /// A count (`SELECT count(*) …`).
    pub async fn count(&self, sql: &str) -> i64 {
        self.value(sql).await.unwrap().parse().unwrap()
    }

    /// Runs statements on the app's database, as someone with the database in hand would:
    /// `Err` with the database's message when it refuses.
    pub async fn execute(&self, sql: &str) -> Result<(), String> {
        match self.backend {
            Backend::Sqlite => rusqlite::Connection::open(&self.database)
                .unwrap()
                .execute_batch(sql)
                .map_err(|e| e.to_string()),
            Backend::Postgres => self
                .postgres()
                .await
                .batch_execute(sql)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// The e-mails of the outbox in the order they were queued: address and body.
    pub async fn mails(&self) -> Vec<(String, String)> {
        let sql = self.pick(
            "SELECT to_address, body FROM outbox ORDER BY rowid",
            "SELECT to_address, body FROM outbox ORDER BY seq",
        );
        self.rows(sql)
            .await
            .into_iter()
            .map(|row| (row[0].clone().unwrap(), row[1].clone().unwrap_or_default()))
            .collect()
    }

    /// `sqlite` or `postgres`, whichever this app runs on: for what the two say differently.
    pub fn pick<'a>(&self, sqlite: &'a str, postgres: &'a str) -> &'a str {
        match self.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }

    async fn postgres(&self) -> tokio_postgres::Client {
        privacy_server::storage::postgres_client(&self.url)
            .await
            .expect("the test database answers")
    }
}

/// A valid consent body for virtio-nl with a fresh subject and idempotency key.
pub fn consent_body(kind: ConsentKind) -> RecordConsent {
    privacy_shared::site::install_repo_catalogue_for_tests();
    let site = "virtio-nl".parse().unwrap();
    RecordConsent {
        idempotency_key: Uuid::new_v4(),
        subject: SubjectId::from_random_bytes(*Uuid::new_v4().as_bytes()),
        decision: ConsentDecision::uniform(site, kind, ConsentSource::Banner, Language::Nl),
    }
}

impl TestApp {
    /// Posts raw bytes to `path` with the given content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.address))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn post_consent_json(&self, body: &serde_json::Value) -> reqwest::Response {
        self.post_raw("/api/v1/consents", "application/json", body.to_string())
            .await
    }

    pub async fn count_events(&self) -> i64 {
        self.count("SELECT count(*) FROM consent_events").await
    }
}

/// Asserts that a response is a problem+json body with `status` and returns it.
pub async fn expect_problem(response: reqwest::Response, status: u16) -> Problem {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let problem: Problem = response.json().await.expect("a problem body");
    assert_eq!(problem.status, status);
    problem
}
