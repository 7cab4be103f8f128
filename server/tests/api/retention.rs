//! Retention under a simulated clock: `privacy-server retention run --now` deletes exactly what is
//! due, and the ledger still verifies afterwards.

use privacy_shared::rights::{CreateRightsRequest, RightsRequestKind, VerifyRequest};
use privacy_shared::validate::VerificationCode;
use privacy_shared::{ConsentKind, EmailAddress, Language};
use std::process::Command;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::helpers::{TestApp, consent_body, spawn_app};

/// Runs a `privacy-server` command on the app's database with `config`, and returns what it
/// printed. It runs on a blocking thread: the test's runtime keeps driving the server's own tasks
/// (such as the retention it runs at start, which may hold the lock the command waits for).
pub async fn run(app: &TestApp, args: &[&str], config: &str) -> String {
    let config_path = app.database.with_file_name("retention.toml");
    std::fs::write(&config_path, config).unwrap();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let url = app.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_privacy-server"))
            .args(&args)
            .arg("--database")
            .arg(&url)
            .arg("--config")
            .arg(&config_path)
            .env("PRIVACY_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn in_days(days: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::days(days))
        .format(&Rfc3339)
        .unwrap()
}

pub async fn count(app: &TestApp, table: &str) -> i64 {
    app.count(&format!("SELECT count(*) FROM {table}")).await
}

#[tokio::test]
async fn unverified_requests_go_after_fourteen_days_and_verified_ones_stay() {
    let app = spawn_app().await;
    let request = |email: &str| CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind: RightsRequestKind::Access,
        language: Language::En,
        email: Some(EmailAddress::parse(email).unwrap()),
        name: None,
        details: None,
        subject: None,
    };
    app.api
        .create_request(&request("a@example.nl"), None)
        .await
        .unwrap();
    let verified = app
        .api
        .create_request(&request("b@example.nl"), None)
        .await
        .unwrap();
    let body = app
        .value("SELECT body FROM outbox WHERE to_address = 'b@example.nl'")
        .await
        .unwrap();
    let code = body.split_once("code is: ").unwrap().1[..6].to_owned();
    let code = VerifyRequest {
        code: VerificationCode::parse(&code).unwrap(),
    };
    app.api
        .verify_request(verified.id, &verified.status_token, &code)
        .await
        .unwrap();

    let thirteen = run(&app, &["retention", "run", "--now", &in_days(13)], "").await;
    assert!(
        thirteen.contains("deleted 0 unverified requests"),
        "{thirteen}"
    );
    let fifteen = run(&app, &["retention", "run", "--now", &in_days(15)], "").await;
    assert!(
        fifteen.contains(
            "deleted 1 unverified requests, 0 closed requests with 0 answer files, 0 ledger events"
        ),
        "{fifteen}"
    );
    assert_eq!(count(&app, "rights_requests").await, 1);
    assert_eq!(
        count(&app, "outbox").await,
        1,
        "the unverified request's e-mail went with it"
    );
    assert!(
        app.api
            .request_status(verified.id, &verified.status_token)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn ledger_events_go_after_their_period_and_the_rest_still_verifies() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.api
            .record_consent(&consent_body(ConsentKind::AcceptAll))
            .await
            .unwrap();
    }
    let config = "[retention]\nconsent_event_days = 30\n";
    let early = run(&app, &["retention", "run", "--now", &in_days(29)], config).await;
    assert!(early.contains("0 ledger events"), "{early}");
    assert_eq!(count(&app, "consent_events").await, 3);

    let later = run(&app, &["retention", "run", "--now", &in_days(31)], config).await;
    assert!(later.contains("3 ledger events"), "{later}");
    assert_eq!(count(&app, "consent_events").await, 0);
    // The chain goes on from the last deleted event.
    app.api
        .record_consent(&consent_body(ConsentKind::RejectAll))
        .await
        .unwrap();
    let verify = run(&app, &["ledger", "verify"], config).await;
    assert!(
        verify.contains("ledger intact: 1 events verified"),
        "{verify}"
    );
    // The anchor only moves forward: moved back or removed, deleted events would vanish unseen.
    for tamper in [
        "UPDATE ledger_anchor SET seq = seq - 1, deleted = deleted - 1",
        "DELETE FROM ledger_anchor",
    ] {
        assert!(app.execute(tamper).await.is_err(), "{tamper}");
    }
}

/// What retention deletes leaves the disk: overwritten in the database file (`secure_delete`)
/// and gone from the write-ahead log (checkpointed and truncated).
#[tokio::test]
async fn what_retention_deletes_is_gone_from_the_files_on_disk() {
    let app = spawn_app().await;
    if app.backend == crate::helpers::Backend::Postgres {
        // SQLite's files; PostgreSQL's are the server's, reclaimed by its VACUUM.
        return;
    }
    let marker = "Geheime-notitie-8a7c";
    app.api
        .create_request(
            &CreateRightsRequest {
                site: "virtio-nl".parse().unwrap(),
                kind: RightsRequestKind::Erasure,
                language: Language::Nl,
                email: Some(EmailAddress::parse("c@example.nl").unwrap()),
                name: None,
                details: Some(privacy_shared::validate::BoundedText::parse(marker).unwrap()),
                subject: None,
            },
            None,
        )
        .await
        .unwrap();
    let on_disk = || {
        let mut wal = app.database.clone().into_os_string();
        wal.push("-wal");
        [app.database.clone(), wal.into()]
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .any(|bytes| bytes.windows(marker.len()).any(|w| w == marker.as_bytes()))
    };
    assert!(on_disk(), "the request is written to disk first");
    let report = run(&app, &["retention", "run", "--now", &in_days(15)], "").await;
    assert!(report.contains("deleted 1 unverified requests"), "{report}");
    assert!(!on_disk(), "the deleted request is still readable on disk");
}
