//! Rights requests from the requester's side: intake, the e-mail code, the status page.

use privacy_shared::problem::ProblemKind;
use privacy_shared::rights::{
    self, CreateRightsRequest, RequestCreated, RequestStatus, RightsRequestKind, VerifyRequest,
};
use privacy_shared::validate::VerificationCode;
use privacy_shared::{EmailAddress, Language};

use crate::helpers::{TestApp, expect_problem, spawn_app};

fn visitor_request(kind: RightsRequestKind) -> CreateRightsRequest {
    CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind,
        language: Language::Nl,
        email: Some(EmailAddress::parse("bezoeker@example.nl").unwrap()),
        name: None,
        details: None,
        subject: None,
    }
}

/// The code in the newest e-mail of the outbox, read from the database.
async fn mailed_code(app: &TestApp) -> (String, String) {
    let (to, body) = app.mails().await.pop().unwrap();
    let code: String = body
        .split_once("Je verificatiecode is: ")
        .map(|(_, rest)| rest.chars().take(6).collect())
        .expect("the e-mail carries the code");
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{body}"
    );
    (to, code)
}

async fn verify(app: &TestApp, created: &RequestCreated, code: &str) -> reqwest::Response {
    app.http
        .post(format!(
            "{}/api/v1/requests/{}/verify",
            app.address, created.id
        ))
        .bearer_auth(&created.status_token)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_visitor_files_a_request_and_verifies_it_with_the_mailed_code() {
    let app = spawn_app().await;
    let created = app
        .api
        .create_request(&visitor_request(RightsRequestKind::Access), None)
        .await
        .unwrap();
    assert_eq!(created.status, RequestStatus::AwaitingVerification);
    assert_eq!(
        created.due_date,
        rights::due_date(created.received_at.date())
    );

    let (to, code) = mailed_code(&app).await;
    assert_eq!(to, "bezoeker@example.nl");
    let stored_hash = app.value("SELECT code_hash FROM rights_requests").await;
    assert!(
        !stored_hash.unwrap().contains(&code),
        "the code is hashed at rest"
    );

    let before = app
        .api
        .request_status(created.id, &created.status_token)
        .await
        .unwrap();
    assert_eq!(before.status, RequestStatus::AwaitingVerification);

    let body = VerifyRequest {
        code: VerificationCode::parse(&code).unwrap(),
    };
    let view = app
        .api
        .verify_request(created.id, &created.status_token, &body)
        .await
        .unwrap();
    assert_eq!(view.status, RequestStatus::Open);
    let statuses: Vec<_> = view.history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        [RequestStatus::AwaitingVerification, RequestStatus::Open]
    );

    let again = verify(&app, &created, &code).await;
    assert_eq!(
        expect_problem(again, 409).await.kind(),
        Some(ProblemKind::Conflict)
    );
}

#[tokio::test]
async fn five_wrong_codes_lock_the_request_and_a_sixth_attempt_is_refused() {
    let app = spawn_app().await;
    let created = app
        .api
        .create_request(&visitor_request(RightsRequestKind::Erasure), None)
        .await
        .unwrap();
    let (_, code) = mailed_code(&app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let problem = expect_problem(verify(&app, &created, wrong).await, 422).await;
        assert_eq!(problem.errors[0].code, "wrong_code");
        assert!(
            problem.errors[0]
                .message
                .contains(&format!("{left} attempts left")),
            "{problem:?}"
        );
    }
    let sixth = verify(&app, &created, &code).await;
    assert_eq!(
        expect_problem(sixth, 403).await.kind(),
        Some(ProblemKind::VerificationLocked)
    );
    let view = app
        .api
        .request_status(created.id, &created.status_token)
        .await
        .unwrap();
    assert_eq!(view.status, RequestStatus::AwaitingVerification);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    let created = app
        .api
        .create_request(&visitor_request(RightsRequestKind::Objection), None)
        .await
        .unwrap();
    let (_, code) = mailed_code(&app).await;
    app.execute("UPDATE rights_requests SET code_expires_at = '2000-01-01T00:00:00Z'")
        .await
        .unwrap();
    let problem = expect_problem(verify(&app, &created, &code).await, 422).await;
    assert_eq!(problem.errors[0].code, "code_expired");
}

#[tokio::test]
async fn a_customer_with_an_identity_token_is_verified_at_once_and_gets_no_code() {
    let app = spawn_app().await;
    let token = crate::helpers::token_for("C-1001", 600);
    let mut body = visitor_request(RightsRequestKind::Portability);
    body.email = None;
    let created = app.api.create_request(&body, Some(&token)).await.unwrap();
    assert_eq!(created.status, RequestStatus::Open);
    // One e-mail, to the account's address: the notice with the status link, and no code.
    let mails = app.mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (to, body) = &mails[0];
    assert_eq!(to, "klant@example.nl");
    assert!(!body.contains("verificatiecode"), "{body}");
    assert!(body.contains("Heb je dit verzoek niet gedaan?"), "{body}");
    let link = status_link(body);
    assert_eq!(link.id, created.id);
    assert_eq!(link.token, created.status_token);
}

/// The status page's address in an e-mail's body.
fn status_url(body: &str) -> &str {
    body.split_whitespace()
        .find(|w| w.contains("/requests/?"))
        .unwrap_or_else(|| panic!("no status link in {body}"))
}

/// The status link in an e-mail's body, read the way the rights center reads it.
fn status_link(body: &str) -> rights::StatusLink {
    let url = status_url(body);
    let (_, fragment) = url.split_once('#').expect("the token is in the fragment");
    rights::StatusLink::parse(fragment).unwrap_or_else(|| panic!("{url}"))
}

#[tokio::test]
async fn the_mailed_status_link_opens_the_status_page_with_the_request() {
    let app = spawn_app().await;
    let mut body = visitor_request(RightsRequestKind::Access);
    body.language = Language::En;
    let created = app.api.create_request(&body, None).await.unwrap();
    let (_, mail) = app.mails().await.pop().unwrap();
    assert!(mail.contains("Your verification code is"), "{mail}");
    let url = status_url(&mail);
    // The link points at this server, the request's site and language; the token never
    // appears before the fragment, so no server or Referer sees it.
    let (page, fragment) = url.split_once('#').unwrap();
    assert_eq!(
        page,
        format!("{}/requests/?site=virtio-nl&lang=en", app.address)
    );
    assert!(!page.contains(&created.status_token));
    let link = rights::StatusLink::parse(fragment).unwrap();
    let view = app.api.request_status(link.id, &link.token).await.unwrap();
    assert_eq!(view.id, created.id);

    let response = app.http.get(page).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    for needle in [
        "<html lang=\"en\">",
        "src=\"/widget/v1/loader.js\" data-site=\"virtio-nl\" data-lang=\"en\"",
        "data-virtio-privacy=\"rights\"",
        "Your privacy request",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let unknown = app
        .http
        .get(format!("{}/requests/?site=elsewhere", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_problem(unknown, 400).await.kind(),
        Some(ProblemKind::InvalidQuery)
    );
}

#[tokio::test]
async fn bad_requests_are_problems_and_store_nothing() {
    let app = spawn_app().await;
    let post = |body: serde_json::Value| {
        app.post_raw("/api/v1/requests", "application/json", body.to_string())
    };
    let valid = serde_json::to_value(visitor_request(RightsRequestKind::Access)).unwrap();

    let mut no_email = valid.clone();
    no_email["email"] = serde_json::Value::Null;
    assert_eq!(
        expect_problem(post(no_email).await, 422).await.errors[0].field,
        "email"
    );
    let mut bad_email = valid.clone();
    bad_email["email"] = "not-an-address".into();
    assert_eq!(
        expect_problem(post(bad_email).await, 422).await.errors[0].field,
        "email"
    );
    let mut bad_kind = valid.clone();
    bad_kind["kind"] = "everything".into();
    assert_eq!(
        expect_problem(post(bad_kind).await, 422).await.errors[0].field,
        "kind"
    );
    let mut long = valid.clone();
    long["details"] = "x".repeat(5001).into();
    assert_eq!(
        expect_problem(post(long).await, 422).await.errors[0].field,
        "details"
    );
    let mut control = valid;
    control["name"] = "Jan\u{0}".into();
    assert_eq!(
        expect_problem(post(control).await, 422).await.errors[0].field,
        "name"
    );

    assert_eq!(app.count("SELECT count(*) FROM rights_requests").await, 0);
}

#[tokio::test]
async fn the_status_page_needs_the_requests_own_token() {
    let app = spawn_app().await;
    let created = app
        .api
        .create_request(&visitor_request(RightsRequestKind::Access), None)
        .await
        .unwrap();
    let other = app
        .api
        .create_request(&visitor_request(RightsRequestKind::Access), None)
        .await
        .unwrap();
    let wrong = app
        .api
        .request_status(created.id, &other.status_token)
        .await
        .unwrap_err();
    assert!(matches!(wrong, privacy_shared::api::ApiError::Problem(p) if p.status == 404));
    let anonymous = reqwest::get(format!("{}/api/v1/requests/{}", app.address, created.id))
        .await
        .unwrap();
    expect_problem(anonymous, 401).await;
}
