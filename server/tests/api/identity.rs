//! Customers' identity tokens: a valid one links consent to the customer and drives cross-device
//! sync through `/api/v1/me/consent`; a forged or expired one is refused.

use privacy_shared::PurposeId;
use privacy_shared::identity::{self, IdentityClaims};
use privacy_shared::problem::ProblemKind;
use privacy_shared::wire::PutMeConsent;
use privacy_shared::{ConsentKind, ConsentSource, CustomerNumber, EmailAddress, Language};
use uuid::Uuid;

use crate::helpers::{IDENTITY_SECRET, consent_body, expect_problem, spawn_app};

fn token_for(customer: &str, lifetime: i64, secret: &str) -> String {
    let claims = IdentityClaims {
        customer: CustomerNumber::parse(customer).unwrap(),
        email: EmailAddress::parse("klant@example.nl").unwrap(),
        exp: time::OffsetDateTime::now_utc().unix_timestamp() + lifetime,
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
async fn forged_expired_and_missing_tokens_are_refused() {
    let app = spawn_app().await;
    let site = "virtio-nl".parse().unwrap();
    for token in [
        token_for("C-1001", 600, "not the secret"),
        token_for("C-1001", -1, IDENTITY_SECRET),
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
    assert_eq!(app.count_events(), 0, "a refused token records nothing");
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
