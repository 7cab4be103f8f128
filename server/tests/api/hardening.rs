//! CORS only for the configured sites' origins, and rate limits per client.

use privacy_shared::problem::ProblemKind;
use privacy_shared::rights::{CreateRightsRequest, RightsRequestKind};
use privacy_shared::{EmailAddress, Language};

use crate::helpers::{expect_problem, spawn_app};

#[tokio::test]
async fn a_configured_origin_gets_a_cors_grant_and_another_gets_none() {
    let app = spawn_app().await;
    let health = |origin: &'static str| {
        app.http
            .get(format!("{}/api/v1/health", app.address))
            .header("origin", origin)
            .send()
    };
    let allowed = health("https://www.virtio.nl").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.virtio.nl"
    );
    let other = health("https://evil.example").await.unwrap();
    assert_eq!(other.status(), 200);
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let preflight = |origin: &'static str, path: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let granted = preflight("https://www.virtio.nl", "/api/v1/consents")
        .await
        .unwrap();
    assert_eq!(granted.status(), 204);
    assert_eq!(
        granted.headers()["access-control-allow-origin"],
        "https://www.virtio.nl"
    );
    assert!(
        granted.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let refused = preflight("https://evil.example", "/api/v1/consents")
        .await
        .unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let admin = preflight("https://www.virtio.nl", "/api/v1/admin/login")
        .await
        .unwrap();
    assert!(
        admin.headers().get("access-control-allow-origin").is_none(),
        "the admin API is same-origin only"
    );
}

#[tokio::test]
async fn request_intake_is_rate_limited_per_client_with_retry_after() {
    let app = spawn_app().await;
    let body = CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind: RightsRequestKind::Access,
        language: Language::Nl,
        email: Some(EmailAddress::parse("flood@example.nl").unwrap()),
        name: None,
        details: None,
        subject: None,
    };
    for _ in 0..10 {
        app.api.create_request(&body, None).await.unwrap();
    }
    let response = app
        .http
        .post(format!("{}/api/v1/requests", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&retry_after), "{retry_after}");
    assert_eq!(
        expect_problem(response, 429).await.kind(),
        Some(ProblemKind::RateLimited)
    );
    let stored: i64 = rusqlite::Connection::open(&app.database)
        .unwrap()
        .query_row("SELECT count(*) FROM rights_requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 10);
}
