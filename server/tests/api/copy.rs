//! `privacy-server copy`: an installation moves to another backend whole, and both chains verify
//! on the other side. On the PostgreSQL pass it moves 100,000 events from SQLite to PostgreSQL and
//! back; on the SQLite pass 5,000 into another SQLite file.

use futures_util::StreamExt as _;
use privacy_server::storage::{DatabaseUrl, NewConsentEvent};
use privacy_shared::{ConsentEvent, ConsentKind};
use std::process::Command;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::{consent_body, fresh_postgres_database, postgres_server, spawn_app_with};

const KEY: &str = "dGhlIHRlc3RzJyBhdHRhY2htZW50IGtleSwgMzIgYnk=";

/// Runs `privacy-server copy` and returns what it printed; it must succeed.
fn copy(from: &str, to: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .args(["copy", "--from", from, "--to", to])
        .env("PRIVACY_LOG", "warn")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

#[tokio::test]
async fn a_copy_moves_every_table_and_both_chains_verify_on_the_other_side() {
    let postgres = postgres_server();
    let events: usize = if postgres.is_some() { 100_000 } else { 5_000 };
    let dir = tempfile::tempdir().unwrap();
    let source_path = dir.path().join("source.db");
    let source = format!("sqlite://{}", source_path.display());

    // An installation in use: an officer (staff, a session, the audit log), a verified request
    // (history, outbox), and many consent events.
    let app = spawn_app_with(|s| {
        s.database = DatabaseUrl::Sqlite(source_path.clone());
        s.attachment_key = Some(privacy_server::settings::Secret::new(KEY));
    })
    .await;
    let (_, request) = crate::admin::officer_and_request(&app).await;
    let storage = privacy_server::storage::open(&source.parse().unwrap()).unwrap();
    futures_util::stream::iter(0..events)
        .map(|_| {
            let body = consent_body(ConsentKind::AcceptAll);
            let now = OffsetDateTime::now_utc();
            storage.record_consent(NewConsentEvent {
                event: ConsentEvent {
                    event_id: Uuid::now_v7(),
                    recorded_at: now,
                    subject: body.subject,
                    customer: None,
                    decision: body.decision,
                    expires_at: now + time::Duration::days(365),
                },
                idempotency_key: body.idempotency_key,
                user_agent_family: "Chrome".into(),
            })
        })
        .buffer_unordered(2_000)
        .for_each(|recorded| async move {
            recorded.unwrap();
        })
        .await;
    drop(storage);

    let target = match &postgres {
        Some(server) => fresh_postgres_database(server).await,
        None => format!("sqlite://{}", dir.path().join("target.db").display()),
    };
    let printed = copy(&source, &target);
    for line in [
        format!("consent_events: {events} rows"),
        "rights_requests: 1 rows".to_owned(),
        "staff: 1 rows".to_owned(),
        format!("ledger intact: {events} events verified"),
        "audit log intact".to_owned(),
    ] {
        assert!(printed.contains(&line), "{line} in {printed}");
    }
    // Copying into a database that holds something is refused.
    let again = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .args(["copy", "--from", &source, "--to", &target])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // A server on the copy answers the requester and appends to the chain where it left off.
    let moved = spawn_app_with(|s| {
        s.database = target.parse().unwrap();
        s.attachment_key = Some(privacy_server::settings::Secret::new(KEY));
    })
    .await;
    let view = moved
        .api
        .request_status(request.id, &request.status_token)
        .await
        .unwrap();
    assert_eq!(view.id, request.id);
    moved
        .api
        .record_consent(&consent_body(ConsentKind::RejectAll))
        .await
        .unwrap();
    let (intact, report) = crate::ledger::verify(&target);
    assert!(intact, "{report}");
    assert!(
        report.contains(&format!("{} events verified", events + 1)),
        "{report}"
    );

    // And back again, from PostgreSQL into a new SQLite file.
    if postgres.is_some() {
        let back = format!("sqlite://{}", dir.path().join("back.db").display());
        let printed = copy(&target, &back);
        assert!(
            printed.contains(&format!("ledger intact: {} events verified", events + 1)),
            "{printed}"
        );
    }
}
