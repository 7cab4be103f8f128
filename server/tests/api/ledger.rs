//! The ledger proves itself: `privacy-server ledger verify` recomputes the chain and names the
//! first row that was edited behind the server's back.

use privacy_shared::ConsentKind;
use std::process::Command;

use crate::helpers::{consent_body, spawn_app};

/// Runs `privacy-server ledger verify` on the database at `url`.
pub fn verify(url: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .args(["ledger", "verify", "--database", url])
        .env("PRIVACY_LOG", "warn")
        .output()
        .expect("the server binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn an_untouched_ledger_verifies() {
    let app = spawn_app().await;
    for kind in [
        ConsentKind::AcceptAll,
        ConsentKind::RejectAll,
        ConsentKind::AcceptAll,
    ] {
        app.api.record_consent(&consent_body(kind)).await.unwrap();
    }
    let (ok, output) = verify(&app.url);
    assert!(ok, "{output}");
    assert!(output.contains("3 events verified"), "{output}");
}

#[tokio::test]
async fn editing_one_row_makes_verify_fail_at_that_row() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for kind in [
        ConsentKind::RejectAll,
        ConsentKind::RejectAll,
        ConsentKind::RejectAll,
    ] {
        ids.push(
            app.api
                .record_consent(&consent_body(kind))
                .await
                .unwrap()
                .receipt
                .event
                .event_id,
        );
    }
    let refused = app
        .execute("UPDATE consent_events SET choices = '{}' WHERE seq = 2")
        .await;
    assert!(refused.is_err(), "the ledger refuses updates");
    // Someone with the database in hand drops the guard and turns a refusal into consent.
    app.execute(&format!(
        "{} UPDATE consent_events SET choices = replace(choices, 'false', 'true') WHERE seq = 2;",
        app.pick(
            "DROP TRIGGER consent_events_no_update;",
            "ALTER TABLE consent_events DISABLE TRIGGER consent_events_append_only;"
        )
    ))
    .await
    .unwrap();
    let (ok, output) = verify(&app.url);
    assert!(!ok, "{output}");
    assert!(
        output.contains(&format!("event #2 ({})", ids[1])),
        "{output}"
    );
    assert!(output.contains("does not match its hash"), "{output}");
}

#[tokio::test]
async fn a_deleted_row_breaks_the_chain_at_the_next_one() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.api
            .record_consent(&consent_body(ConsentKind::AcceptAll))
            .await
            .unwrap();
    }
    app.execute("DELETE FROM consent_events WHERE seq = 2")
        .await
        .unwrap();
    let (ok, output) = verify(&app.url);
    assert!(
        !ok && output.contains("event #3") && output.contains("prev_hash"),
        "{output}"
    );
}

/// A backup taken while the server serves and writes is a whole, verifiable database: a server
/// started on it finds every event answered before the backup began, and its ledger verifies.
#[tokio::test]
async fn a_backup_taken_while_serving_restores_and_verifies() {
    let app = spawn_app().await;
    if app.backend == crate::helpers::Backend::Postgres {
        // PostgreSQL is backed up with pg_dump; the command says so (tested in startup).
        return;
    }
    let mut receipts = Vec::new();
    for _ in 0..5 {
        let recorded = app
            .api
            .record_consent(&consent_body(ConsentKind::AcceptAll))
            .await
            .unwrap();
        receipts.push(recorded.receipt.event.event_id);
    }
    // Writes go on during the backup.
    let writer = {
        let api = app.api.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                api.record_consent(&consent_body(ConsentKind::RejectAll))
                    .await
                    .unwrap();
            }
        })
    };
    let folder = tempfile::tempdir().unwrap();
    let copy = folder.path().join("backup.db");
    let backup = |to: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_privacy-server"))
            .args(["backup", "--database"])
            .arg(format!("sqlite://{}", app.database.display()))
            .arg("--to")
            .arg(to)
            .env("PRIVACY_LOG", "warn")
            .output()
            .unwrap()
    };
    let output = backup(&copy);
    assert!(output.status.success(), "{output:?}");
    writer.await.unwrap();
    // A second backup never overwrites the first.
    let again = backup(&copy);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    let (intact, report) = verify(&format!("sqlite://{}", copy.display()));
    assert!(intact, "{report}");
    // The drill: a server on the copy answers for every event recorded before the backup.
    let restored = crate::helpers::spawn_app_with(|s| {
        s.database = privacy_server::storage::DatabaseUrl::Sqlite(copy.clone());
    })
    .await;
    for id in receipts {
        restored.api.consent_receipt(id).await.unwrap();
    }
}
