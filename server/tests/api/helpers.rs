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

/// The identity secret the test servers share with the "interface app" of the tests.
pub const IDENTITY_SECRET: &str = "test-identity-secret";

pub struct TestApp {
    pub address: String,
    pub api: ApiClient,
    pub http: reqwest::Client,
    pub database: PathBuf,
    _dir: tempfile::TempDir,
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
    let mut settings = Settings {
        www_dir: root.join("www"),
        dist_dir: root.join("dist"),
        identity_secret: Some(privacy_server::settings::Secret::new(IDENTITY_SECRET)),
        allowed_origins: ["https://www.virtio.nl".to_owned()].into(),
        workers: Some(1),
        ..Settings::new(
            "127.0.0.1:0".parse().unwrap(),
            DatabaseUrl::Sqlite(database.clone()),
        )
    };
    adjust(&mut settings);
    let app = Application::build(settings).expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        api: ApiClient::new(address.clone()),
        address,
        http: reqwest::Client::new(),
        database,
        _dir: dir,
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

    pub fn count_events(&self) -> i64 {
        let conn = rusqlite::Connection::open(&self.database).unwrap();
        conn.query_row("SELECT count(*) FROM consent_events", [], |r| r.get(0))
            .unwrap()
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
