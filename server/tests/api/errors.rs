//! Bad input to the API gets a 4xx problem+json answer and changes nothing.

use privacy_shared::ConsentKind;
use privacy_shared::problem::ProblemKind;

use crate::helpers::{consent_body, expect_problem, spawn_app};

#[tokio::test]
async fn invalid_json_is_a_400_problem() {
    let app = spawn_app().await;
    let response = app
        .post_raw("/api/v1/consents", "application/json", "{\"site\": ")
        .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem.kind(), Some(ProblemKind::InvalidJson));
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test]
async fn invalid_utf8_is_a_400_problem() {
    let app = spawn_app().await;
    let response = app
        .post_raw(
            "/api/v1/consents",
            "application/json",
            vec![b'{', 0xff, 0xfe, b'}'],
        )
        .await;
    assert_eq!(
        expect_problem(response, 400).await.kind(),
        Some(ProblemKind::InvalidJson)
    );
}

#[tokio::test]
async fn an_unknown_purpose_is_a_422_problem_naming_the_field() {
    let app = spawn_app().await;
    let mut body = serde_json::to_value(consent_body(ConsentKind::RejectAll)).unwrap();
    body["choices"]["marketing"] = serde_json::Value::Bool(false);
    let problem = expect_problem(app.post_consent_json(&body).await, 422).await;
    assert_eq!(problem.kind(), Some(ProblemKind::ValidationFailed));
    assert_eq!(problem.errors[0].field, "choices.marketing");
    assert!(
        problem.errors[0].message.contains("marketing"),
        "{problem:?}"
    );
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test]
async fn a_purpose_the_site_does_not_show_is_a_422_problem() {
    let app = spawn_app().await;
    let mut body = serde_json::to_value(consent_body(ConsentKind::RejectAll)).unwrap();
    body["choices"]["newsletter"] = serde_json::Value::Bool(false);
    let problem = expect_problem(app.post_consent_json(&body).await, 422).await;
    assert_eq!(problem.errors[0].field, "choices.newsletter");
    assert_eq!(problem.errors[0].code, "purpose_not_on_site");
}

#[tokio::test]
async fn unknown_sites_missing_fields_and_unknown_fields_are_422_problems() {
    let app = spawn_app().await;
    let valid = serde_json::to_value(consent_body(ConsentKind::RejectAll)).unwrap();

    let mut unknown_site = valid.clone();
    unknown_site["site"] = "evil-corp".into();
    let problem = expect_problem(app.post_consent_json(&unknown_site).await, 422).await;
    assert_eq!(problem.errors[0].field, "site");

    let mut missing = valid.clone();
    missing.as_object_mut().unwrap().remove("subject");
    let problem = expect_problem(app.post_consent_json(&missing).await, 422).await;
    assert_eq!(
        (
            problem.errors[0].field.as_str(),
            problem.errors[0].code.as_str()
        ),
        ("subject", "missing_field")
    );

    let mut extra = valid;
    extra["ip"] = "203.0.113.9".into();
    expect_problem(app.post_consent_json(&extra).await, 422).await;
    assert_eq!(app.count_events().await, 0);
}

/// Regression: the decision's fields are flattened into the body, and serde reports an error inside
/// a flattened part at the root; every field is still named.
#[tokio::test]
async fn an_invalid_value_in_any_field_of_the_body_names_that_field() {
    use serde_json::json;
    let app = spawn_app().await;
    let valid = serde_json::to_value(consent_body(ConsentKind::RejectAll)).unwrap();
    for (field, bad, named) in [
        ("idempotency_key", json!("nope"), "idempotency_key"),
        ("subject", json!("nope"), "subject"),
        ("site", json!("evil-corp"), "site"),
        ("kind", json!("maybe"), "kind"),
        ("source", json!("telepathy"), "source"),
        ("language", json!("fr"), "language"),
        ("gpc", json!("yes"), "gpc"),
        ("policy_version", json!(7), "policy_version"),
        ("notice_hash", json!(false), "notice_hash"),
        ("choices", json!({"necessary": "yes"}), "choices"),
        ("withdrawn", json!(["marketing"]), "withdrawn"),
    ] {
        let mut body = valid.clone();
        body[field] = bad;
        let problem = expect_problem(app.post_consent_json(&body).await, 422).await;
        let reported = &problem.errors[0].field;
        assert!(
            reported.starts_with(named) && !reported.contains('?'),
            "{field}: {problem:?}"
        );
        assert_eq!(problem.errors[0].code, "invalid_value", "{field}");
    }
    assert_eq!(app.count_events().await, 0);
}

#[tokio::test]
async fn an_oversize_body_is_a_413_problem() {
    let app = spawn_app().await;
    let mut body = serde_json::to_value(consent_body(ConsentKind::RejectAll)).unwrap();
    body["policy_version"] = "x".repeat(64 * 1024).into();
    let problem = expect_problem(app.post_consent_json(&body).await, 413).await;
    assert_eq!(problem.kind(), Some(ProblemKind::PayloadTooLarge));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = spawn_app().await;
    let response = app
        .post_raw("/api/v1/consents", "text/plain", "site=virtio-nl")
        .await;
    assert_eq!(
        expect_problem(response, 415).await.kind(),
        Some(ProblemKind::UnsupportedMediaType)
    );
}

#[tokio::test]
async fn unknown_api_paths_and_wrong_methods_are_problems() {
    let app = spawn_app().await;
    let missing = reqwest::get(format!("{}/api/v1/nothing-here", app.address))
        .await
        .unwrap();
    assert_eq!(
        expect_problem(missing, 404).await.kind(),
        Some(ProblemKind::NotFound)
    );
    let wrong_method = reqwest::get(format!("{}/api/v1/consents", app.address))
        .await
        .unwrap();
    assert_eq!(
        expect_problem(wrong_method, 405).await.kind(),
        Some(ProblemKind::MethodNotAllowed)
    );
}
