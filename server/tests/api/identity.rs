//! Customers' identity tokens: a valid one links consent to the customer and drives cross-device
//! sync through `/api/v1/me/consent`; a forged or expired one is refused.

use privacy_shared::PurposeId;
use privacy_shared::identity::{self, IdentityClaims};
use privacy_shared::problem::ProblemKind;
use privacy_shared::wire::PutMeConsent;
use privacy_shared::{ConsentKind, ConsentSource, CustomerNumber, EmailAddress, Language};
use uuid::Uuid;

use crate::helpers::{IDENTITY_SECRET, consent_body, expect_problem, spawn_app, spawn_app_with};

fn token_for(customer: &str, lifetime: i64, secret: &str) -> String {
    let claims = IdentityClaims {
        customer: CustomerNumber::parse(customer).unwrap(),
        email: EmailAddress::parse("klant@example.nl").unwrap(),
        exp: time::OffsetDateTime::now_utc().unix_timestamp() + lifetime,
        aud: None,
    };
    identity::sign(&claims, secret.as_bytes())
}

async fn post_with_token(
    app: &crate::helpers::TestApp,
    token: &str,
    kind: ConsentKind,
) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/consents", app.address))
        .bearer_auth(token)
        .json(&consent_body(kind))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_valid_token_links_consent_to_the_customer_across_devices() {
    let app = spawn_app().await;
    let token = token_for("C-1001", 600, IDENTITY_SECRET);
    let site = "virtio-nl".parse().unwrap();

    let nothing_yet = app.api.me_consent(&token, site).await.unwrap();
    assert_eq!(nothing_yet.latest, None);

    // Two devices: each posts with its own subject id and the same customer's token.
    let laptop = post_with_token(&app, &token, ConsentKind::AcceptAll).await;
    assert_eq!(laptop.status(), 201);
    let laptop: privacy_shared::ConsentReceipt = laptop.json().await.unwrap();
    assert_eq!(
        laptop.event.customer.as_ref().map(|c| c.as_ref()),
        Some("C-1001")
    );
    let phone: privacy_shared::ConsentReceipt =
        post_with_token(&app, &token, ConsentKind::RejectAll)
            .await
            .json()
            .await
            .unwrap();
    assert_ne!(laptop.event.subject, phone.event.subject);

    let latest = app
        .api
        .me_consent(&token, site)
        .await
        .unwrap()
        .latest
        .unwrap();
    assert_eq!(latest, phone, "the newest choice from any device wins");

    let other_customer = token_for("C-2002", 600, IDENTITY_SECRET);
    assert_eq!(
        app.api
            .me_consent(&other_customer, site)
            .await
            .unwrap()
            .latest,
        None
    );
}

#[tokio::test]
async fn forged_expired_long_lived_and_missing_tokens_are_refused() {
    let app = spawn_app().await;
    let site = "virtio-nl".parse().unwrap();
    for token in [
        token_for("C-1001", 600, "not the secret"),
        token_for("C-1001", -1, IDENTITY_SECRET),
        // A token is for minutes: one claiming a day is refused.
        token_for("C-1001", 24 * 3600, IDENTITY_SECRET),
        "junk".into(),
    ] {
        let response = post_with_token(&app, &token, ConsentKind::AcceptAll).await;
        assert_eq!(
            expect_problem(response, 401).await.kind(),
            Some(ProblemKind::InvalidCredentials)
        );
        let error = app.api.me_consent(&token, site).await.unwrap_err();
        assert!(matches!(error, privacy_shared::api::ApiError::Problem(p) if p.status == 401));
    }
    let anonymous = reqwest::get(format!("{}/api/v1/me/consent?site=virtio-nl", app.address))
        .await
        .unwrap();
    expect_problem(anonymous, 401).await;
    assert_eq!(
        app.count_events().await,
        0,
        "a refused token records nothing"
    );
}

#[tokio::test]
async fn the_interface_settings_record_a_customers_choice_under_a_stable_subject() {
    let app = spawn_app().await;
    let token = token_for("C-1001", 600, IDENTITY_SECRET);
    let site: privacy_shared::SiteId = "interface".parse().unwrap();
    let put = |kind: ConsentKind| PutMeConsent {
        idempotency_key: Uuid::new_v4(),
        decision: privacy_shared::ConsentDecision::uniform(
            site,
            kind,
            ConsentSource::InterfaceSettings,
            Language::Nl,
        ),
    };
    let first = app
        .api
        .put_me_consent(&token, &put(ConsentKind::AcceptAll))
        .await
        .unwrap();
    let second = app
        .api
        .put_me_consent(&token, &{
            let mut withdraw = put(ConsentKind::Withdraw);
            withdraw.decision.withdrawn = [PurposeId::Newsletter].into();
            withdraw
        })
        .await
        .unwrap();
    assert!(first.created && second.created);
    assert_eq!(
        first.receipt.event.subject, second.receipt.event.subject,
        "one subject per customer"
    );
    assert_eq!(
        second.receipt.event.decision.source,
        ConsentSource::InterfaceSettings
    );
    let latest = app
        .api
        .me_consent(&token, site)
        .await
        .unwrap()
        .latest
        .unwrap();
    assert_eq!(latest, second.receipt);
}

#[tokio::test]
async fn the_customers_history_lists_every_choice_newest_first_with_its_receipt() {
    let app = spawn_app().await;
    let token = token_for("C-1001", 600, IDENTITY_SECRET);
    for kind in [ConsentKind::AcceptAll, ConsentKind::RejectAll] {
        assert_eq!(post_with_token(&app, &token, kind).await.status(), 201);
    }
    // Another customer's choice is not in it.
    let other = token_for("C-2002", 600, IDENTITY_SECRET);
    post_with_token(&app, &other, ConsentKind::AcceptAll).await;
    let mine = app
        .api
        .me_consent(&token, "virtio-nl".parse().unwrap())
        .await
        .unwrap();
    let kinds: Vec<ConsentKind> = mine.history.iter().map(|r| r.event.decision.kind).collect();
    assert_eq!(kinds, [ConsentKind::RejectAll, ConsentKind::AcceptAll]);
    assert_eq!(mine.latest.as_ref(), mine.history.first());
}

#[tokio::test]
async fn a_customer_sees_the_requests_filed_with_their_identity() {
    let app = spawn_app().await;
    let token = token_for("C-1001", 600, IDENTITY_SECRET);
    let body = privacy_shared::rights::CreateRightsRequest {
        site: "interface".parse().unwrap(),
        kind: privacy_shared::rights::RightsRequestKind::Access,
        language: Language::Nl,
        email: None,
        name: None,
        details: None,
        subject: None,
    };
    let created = app.api.create_request(&body, Some(&token)).await.unwrap();
    app.api
        .create_request(&body, Some(&token_for("C-2002", 600, IDENTITY_SECRET)))
        .await
        .unwrap();
    let response = app
        .http
        .get(format!("{}/api/v1/me/requests", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mine: Vec<privacy_shared::rights::RequestView> = response.json().await.unwrap();
    let ids: Vec<Uuid> = mine.iter().map(|r| r.id).collect();
    assert_eq!(ids, [created.id]);
    let anonymous = reqwest::get(format!("{}/api/v1/me/requests", app.address))
        .await
        .unwrap();
    expect_problem(anonymous, 401).await;
}

#[tokio::test]
async fn development_identity_tokens_exist_only_where_configured() {
    let body = serde_json::json!({ "customer": "C-1001", "email": "klant@example.nl" });
    let production = spawn_app().await;
    let refused = production
        .http
        .post(format!("{}/api/v1/dev/identity-token", production.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_problem(refused, 404).await;

    let dev = spawn_app_with(|s| s.dev_identity_tokens = true).await;
    let issued: privacy_shared::wire::DevToken = dev
        .http
        .post(format!("{}/api/v1/dev/identity-token", dev.address))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let minutes = (issued.expires_at - time::OffsetDateTime::now_utc()).whole_minutes();
    assert!((14..=15).contains(&minutes), "{minutes}");
    let mine = dev
        .api
        .me_consent(&issued.token, "interface".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(mine.customer.as_ref(), "C-1001");
}

/// A token issued for one site opens nothing on another: consent, the customer's state and
/// rights requests are refused there with 401, and nothing is recorded.
#[tokio::test]
async fn a_token_for_one_site_is_refused_on_another() {
    let app = spawn_app_with(|s| s.dev_identity_tokens = true).await;
    let issued: privacy_shared::wire::DevToken = app
        .http
        .post(format!("{}/api/v1/dev/identity-token", app.address))
        .json(&serde_json::json!({
            "customer": "C-1001", "email": "klant@example.nl", "site": "interface"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let minutes = (issued.expires_at - time::OffsetDateTime::now_utc()).whole_minutes();
    assert!((14..=15).contains(&minutes), "{minutes}");
    // On virtio-nl (what `consent_body` records) the interface app's token is refused.
    let elsewhere = post_with_token(&app, &issued.token, ConsentKind::AcceptAll).await;
    assert_eq!(
        expect_problem(elsewhere, 401).await.kind(),
        Some(ProblemKind::InvalidCredentials)
    );
    let error = app
        .api
        .me_consent(&issued.token, "virtio-nl".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, privacy_shared::api::ApiError::Problem(p) if p.status == 401));
    let request = privacy_shared::rights::CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind: privacy_shared::rights::RightsRequestKind::Access,
        language: Language::Nl,
        email: None,
        name: None,
        details: None,
        subject: None,
    };
    assert!(
        app.api
            .create_request(&request, Some(&issued.token))
            .await
            .is_err()
    );
    assert_eq!(app.count_events().await, 0);
    // On its own site it works.
    let interface = privacy_shared::rights::CreateRightsRequest {
        site: "interface".parse().unwrap(),
        ..request
    };
    app.api
        .create_request(&interface, Some(&issued.token))
        .await
        .unwrap();
    app.api
        .me_consent(&issued.token, "interface".parse().unwrap())
        .await
        .unwrap();
}

/// Whoever knows a subject id may read its state, so that answer never names a customer and
/// stays bounded: a customer's events are read with their token, at `/me/consent`.
#[tokio::test]
async fn a_subjects_history_names_no_customer_and_is_bounded() {
    let app = spawn_app_with(|s| {
        s.rate_limits.consent_writes_per_subject_per_minute = 1_000;
    })
    .await;
    let anonymous = consent_body(ConsentKind::RejectAll);
    let subject = anonymous.subject;
    app.api.record_consent(&anonymous).await.unwrap();
    let token = token_for("C-4242", 600, IDENTITY_SECRET);
    let linked = privacy_shared::RecordConsent {
        idempotency_key: Uuid::new_v4(),
        ..consent_body(ConsentKind::AcceptAll)
    };
    let linked = privacy_shared::RecordConsent { subject, ..linked };
    let response = app
        .http
        .post(format!("{}/api/v1/consents", app.address))
        .bearer_auth(&token)
        .json(&linked)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body = reqwest::get(format!("{}/api/v1/subjects/{subject}/consent", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("C-4242"), "{body}");
    let state: privacy_shared::consent::SubjectConsent = serde_json::from_str(&body).unwrap();
    assert_eq!(state.history.len(), 1);
    assert_eq!(
        state.latest.unwrap().event.decision.kind,
        ConsentKind::RejectAll
    );

    for _ in 0..60 {
        let more = privacy_shared::RecordConsent {
            idempotency_key: Uuid::new_v4(),
            ..anonymous.clone()
        };
        app.api.record_consent(&more).await.unwrap();
    }
    let state = app.api.subject_consent(subject).await.unwrap();
    assert_eq!(state.history.len(), 50, "the newest fifty");
    assert!(
        state
            .history
            .windows(2)
            .all(|w| w[0].event.recorded_at <= w[1].event.recorded_at)
    );
    assert_eq!(state.latest.as_ref(), state.history.last());
}
