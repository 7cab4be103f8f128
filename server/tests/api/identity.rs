//! Customers' identity tokens: a valid one links consent to the customer and drives cross-device
//! sync through `/api/v1/me/consent`; a forged or expired one is refused.

use privacy_shared::PurposeId;
use privacy_shared::problem::ProblemKind;
use privacy_shared::wire::PutMeConsent;
use privacy_shared::{ConsentKind, ConsentSource, Language};
use uuid::Uuid;

use crate::helpers::{consent_body, expect_problem, spawn_app, spawn_app_with, token_for};

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
    let token = token_for("C-1001", 600);
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

    let other_customer = token_for("C-2002", 600);
    assert_eq!(
        app.api
            .me_consent(&other_customer, site)
            .await
            .unwrap()
            .latest,
        None
    );
}

/// The token with its signature replaced by one over other bytes.
fn forged(token: &str) -> String {
    let other = token_for("C-9999", 600);
    let (signed, _) = token.rsplit_once('.').unwrap();
    format!("{signed}.{}", other.rsplit_once('.').unwrap().1)
}

#[tokio::test]
async fn forged_expired_long_lived_and_missing_tokens_are_refused() {
    let app = spawn_app().await;
    let site = "virtio-nl".parse().unwrap();
    for token in [
        // Signed with another key than the configured one.
        forged(&token_for("C-1001", 600)),
        // Expired beyond the 30 seconds clocks may differ by.
        token_for("C-1001", -120),
        // A token is for minutes: one claiming a day is refused.
        token_for("C-1001", 24 * 3600),
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
    let token = token_for("C-1001", 600);
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
    let token = token_for("C-1001", 600);
    for kind in [ConsentKind::AcceptAll, ConsentKind::RejectAll] {
        assert_eq!(post_with_token(&app, &token, kind).await.status(), 201);
    }
    // Another customer's choice is not in it.
    let other = token_for("C-2002", 600);
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
    let token = token_for("C-1001", 600);
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
        .create_request(&body, Some(&token_for("C-2002", 600)))
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

    let dev = spawn_app_with(|s| {
        s.dev_token_key = Some(privacy_server::identity::development::private_key())
    })
    .await;
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
    let app = spawn_app_with(|s| {
        s.dev_token_key = Some(privacy_server::identity::development::private_key())
    })
    .await;
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
    let token = token_for("C-4242", 600);
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

/// The `jose` module the Node.js interface app of this test signs with: npm's `jose`, which
/// `cargo xtask test` installs into `.tools/npm` at the version it pins.
fn jose_module() -> std::path::PathBuf {
    let module = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/npm/node_modules/jose/dist/webapi/index.js");
    assert!(
        module.exists(),
        "npm's jose is missing: run `cargo xtask test` once (it installs it into .tools/npm)"
    );
    module
}

/// Tokens signed by Node.js `jose`, as an interface app not written in Rust signs them: the server
/// verifies each algorithm's, and refuses (401 problem+json) the wrong audience, an expired or
/// too long-lived token, another issuer, `alg: none`, HS256 keyed with the public key and another
/// key's signature, recording nothing for them.
#[tokio::test]
async fn tokens_signed_by_node_jose_verify_and_every_tampered_one_is_refused() {
    use privacy_server::identity::{Algorithm, IdentityConfig};
    use privacy_server::settings::Secret;
    let issuer = "https://mijn.virtio.nl";
    let output = std::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/api/jose_sign.mjs"
        ))
        .arg(jose_module())
        .arg(issuer)
        .output()
        .expect("node runs (apt-get install nodejs)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tokens: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    for (algorithm, case, key) in [
        (Algorithm::EdDsa, "eddsa", "public_key"),
        (Algorithm::Es256, "es256", "public_key"),
        (Algorithm::Hs256, "hs256", "secret"),
    ] {
        let config = IdentityConfig {
            algorithm,
            key: Secret::new(text(&tokens[case][key])),
            issuer: issuer.into(),
        };
        let app = spawn_app_with(|s| s.identity = Some(config)).await;
        let mut good = vec![text(&tokens[case]["valid"])];
        if case == "eddsa" {
            good.push(text(&tokens[case]["valid_for_two_sites"]));
        }
        for token in good {
            let response = post_with_token(&app, &token, ConsentKind::AcceptAll).await;
            assert_eq!(
                response.status(),
                201,
                "{case}: {}",
                response.text().await.unwrap()
            );
            let receipt: privacy_shared::ConsentReceipt = response.json().await.unwrap();
            assert_eq!(receipt.event.customer.unwrap().as_ref(), "C-1001", "{case}");
        }
        if case != "eddsa" {
            continue;
        }
        let refused = tokens[case]["refused"].as_object().unwrap();
        assert_eq!(refused.len(), 7);
        for (name, token) in refused {
            let response = post_with_token(&app, &text(token), ConsentKind::AcceptAll).await;
            let problem = expect_problem(response, 401).await;
            assert_eq!(
                problem.kind(),
                Some(ProblemKind::InvalidCredentials),
                "{name}"
            );
            let detail = problem.detail.unwrap_or_default();
            let expected = match name.as_str() {
                "wrong_aud" => "not for this site",
                "expired" => "expired",
                "wrong_iss" => "issuer",
                "too_long_lived" => "lifetime",
                "alg_none" | "swapped_alg" => "configured algorithm",
                "other_key" => "signature",
                other => panic!("a case without an expectation: {other}"),
            };
            assert!(detail.contains(expected), "{name}: {detail}");
        }
        assert_eq!(app.count_events().await, 2, "only the good tokens recorded");
    }
}
