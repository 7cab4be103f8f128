use privacy_shared::problem::ProblemKind;
use privacy_shared::{ConsentKind, PurposeId};

use crate::helpers::{consent_body, expect_problem, spawn_app};

#[tokio::test]
async fn a_consent_is_recorded_once_and_read_back_with_its_receipt() {
    let app = spawn_app().await;
    let body = consent_body(ConsentKind::AcceptAll);
    let recorded = app.api.record_consent(&body).await.expect("recorded");
    assert!(recorded.created);
    let receipt = recorded.receipt;
    assert_eq!(
        (
            receipt.event.subject,
            receipt.event.decision.kind,
            &receipt.event.decision.choices
        ),
        (body.subject, body.decision.kind, &body.decision.choices)
    );
    assert_eq!(
        app.api
            .consent_receipt(receipt.event.event_id)
            .await
            .unwrap(),
        receipt
    );
    let subject = app.api.subject_consent(body.subject).await.unwrap();
    assert_eq!(subject.history, vec![receipt.clone()]);
    assert_eq!(subject.latest, Some(receipt));
    assert_eq!(app.count_events().await, 1);
}

#[tokio::test]
async fn withdrawing_one_purpose_while_others_stay_granted_is_recorded_and_named_in_the_receipt() {
    let app = spawn_app().await;
    let mut body = consent_body(ConsentKind::Withdraw);
    body.decision.choices = consent_body(ConsentKind::AcceptAll).decision.choices;
    body.decision.choices.insert(PurposeId::Analytics, false);
    body.decision.withdrawn = [PurposeId::Analytics].into();
    let receipt = app
        .api
        .record_consent(&body)
        .await
        .expect("recorded")
        .receipt;
    assert_eq!(receipt.event.decision.withdrawn, body.decision.withdrawn);
    assert_eq!(
        receipt.event.decision.choices.get(&PurposeId::Advertising),
        Some(&true)
    );
    let stored = app
        .api
        .consent_receipt(receipt.event.event_id)
        .await
        .unwrap();
    assert_eq!(stored, receipt);
    let (verified, output) = crate::ledger::verify(&app.url);
    assert!(
        verified,
        "the withdrawn purposes are part of the chain: {output}"
    );
}

#[tokio::test]
async fn a_withdrawal_that_names_nothing_or_a_purpose_still_granted_is_refused() {
    let app = spawn_app().await;
    let nothing = consent_body(ConsentKind::Withdraw);
    let mut still_granted = consent_body(ConsentKind::Withdraw);
    still_granted.decision.choices = consent_body(ConsentKind::AcceptAll).decision.choices;
    still_granted.decision.withdrawn = [PurposeId::Analytics].into();
    for (body, code) in [
        (nothing, "kind_contradicts_choices"),
        (still_granted, "withdrawn_still_granted"),
    ] {
        let response = app
            .post_consent_json(&serde_json::to_value(&body).unwrap())
            .await;
        let problem = expect_problem(response, 422).await;
        assert_eq!(problem.errors[0].code, code);
    }
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_first_receipt_and_writes_nothing() {
    let app = spawn_app().await;
    let body = consent_body(ConsentKind::RejectAll);
    let first = app.api.record_consent(&body).await.unwrap();
    let retry = app.api.record_consent(&body).await.unwrap();
    assert!(first.created && !retry.created);
    assert_eq!(first.receipt, retry.receipt);
    assert_eq!(app.count_events().await, 1);
}

#[tokio::test]
async fn a_reused_idempotency_key_with_other_choices_is_refused() {
    let app = spawn_app().await;
    let body = consent_body(ConsentKind::RejectAll);
    app.api.record_consent(&body).await.unwrap();
    let mut other = consent_body(ConsentKind::AcceptAll);
    other.idempotency_key = body.idempotency_key;
    let response = app
        .post_consent_json(&serde_json::to_value(&other).unwrap())
        .await;
    let problem = expect_problem(response, 422).await;
    assert_eq!(problem.errors[0].code, "idempotency_key_reused");
    assert_eq!(app.count_events().await, 1);
}

#[tokio::test]
async fn events_are_chained_each_to_the_hash_of_the_one_before() {
    let app = spawn_app().await;
    let first = app
        .api
        .record_consent(&consent_body(ConsentKind::AcceptAll))
        .await
        .unwrap()
        .receipt;
    let second = app
        .api
        .record_consent(&consent_body(ConsentKind::RejectAll))
        .await
        .unwrap()
        .receipt;
    assert_eq!(first.prev_hash, "0".repeat(64));
    assert_eq!(second.prev_hash, first.hash);
    assert_ne!(second.hash, first.hash);
}

/// Event ids are time-ordered (UUID version 7), so the ledger's event-id index grows at its end
/// and a commit of many events writes few of its pages (BENCHMARKS.md): ids in recording order
/// sort as text in that order.
#[tokio::test]
async fn event_ids_sort_in_the_order_events_were_recorded() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        let receipt = app
            .api
            .record_consent(&consent_body(ConsentKind::AcceptAll))
            .await
            .unwrap()
            .receipt;
        assert_eq!(receipt.event.event_id.get_version_num(), 7);
        ids.push(receipt.event.event_id.to_string());
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
}

#[tokio::test]
async fn concurrent_writes_are_all_durable_and_form_one_chain() {
    let app = spawn_app().await;
    let writes = (0..40).map(|_| {
        let api = app.api.clone();
        async move {
            api.record_consent(&consent_body(ConsentKind::AcceptAll))
                .await
        }
    });
    let results = spawn_all(writes).await;
    let mut receipts: Vec<_> = results.into_iter().map(|r| r.unwrap().receipt).collect();
    assert_eq!(app.count_events().await, 40);
    // Sorted along the chain, each event names its predecessor.
    let mut expected_prev = "0".repeat(64);
    while !receipts.is_empty() {
        let index = receipts
            .iter()
            .position(|r| r.prev_hash == expected_prev)
            .expect("an unbroken chain");
        expected_prev = receipts.swap_remove(index).hash;
    }
}

/// Retries arriving together, as a widget on a flaky network sends them, land in one batch with
/// their first copies: each key is recorded once, every copy gets the first receipt, and the
/// chain holds.
#[tokio::test]
async fn retries_sent_together_are_recorded_once_each() {
    let app = spawn_app().await;
    let bodies: Vec<_> = (0..10)
        .map(|_| consent_body(ConsentKind::AcceptAll))
        .collect();
    let writes = bodies.iter().flat_map(|body| {
        (0..4).map(|_| {
            let (api, body) = (app.api.clone(), body.clone());
            async move { (body.idempotency_key, api.record_consent(&body).await) }
        })
    });
    let results = spawn_all(writes.collect::<Vec<_>>().into_iter()).await;
    assert_eq!(app.count_events().await, 10);
    for body in &bodies {
        let copies: Vec<_> = results
            .iter()
            .filter(|(key, _)| *key == body.idempotency_key)
            .map(|(_, result)| result.as_ref().unwrap())
            .collect();
        assert_eq!(copies.len(), 4);
        assert_eq!(
            copies.iter().filter(|r| r.created).count(),
            1,
            "one new event"
        );
        assert!(copies.iter().all(|r| r.receipt == copies[0].receipt));
    }
    let url = app.url.clone();
    let (ok, output) = tokio::task::spawn_blocking(move || crate::ledger::verify(&url))
        .await
        .unwrap();
    assert!(ok && output.contains("10 events verified"), "{output}");
}

/// Runs every future on its own task at once and collects the outputs in order.
async fn spawn_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn receipts_of_unknown_or_malformed_event_ids_are_problems() {
    let app = spawn_app().await;
    let unknown = reqwest::get(format!(
        "{}/api/v1/consents/{}/receipt",
        app.address,
        uuid::Uuid::new_v4()
    ))
    .await
    .unwrap();
    assert_eq!(
        expect_problem(unknown, 404).await.kind(),
        Some(ProblemKind::NotFound)
    );
    let malformed = reqwest::get(format!(
        "{}/api/v1/consents/not-a-uuid/receipt",
        app.address
    ))
    .await
    .unwrap();
    assert_eq!(
        expect_problem(malformed, 400).await.kind(),
        Some(ProblemKind::InvalidPath)
    );
    let subject = reqwest::get(format!("{}/api/v1/subjects/123/consent", app.address))
        .await
        .unwrap();
    assert_eq!(
        expect_problem(subject, 400).await.kind(),
        Some(ProblemKind::InvalidPath)
    );
}

#[tokio::test]
async fn the_sec_gpc_header_is_recorded_with_the_event() {
    let app = spawn_app().await;
    let body = consent_body(ConsentKind::RejectAll);
    let response = app
        .http
        .post(format!("{}/api/v1/consents", app.address))
        .header("sec-gpc", "1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let receipt: privacy_shared::ConsentReceipt = response.json().await.unwrap();
    assert!(receipt.event.decision.gpc);
}
