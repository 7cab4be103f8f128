use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn health_reports_the_database_reachable() {
    let app = spawn_app().await;
    let health = app.api.health().await.expect("healthy");
    assert_eq!(
        (health.status.as_str(), health.database.as_str()),
        ("ok", "ok")
    );
}

#[tokio::test]
async fn gpc_well_known_file_says_the_signal_is_honoured() {
    let app = spawn_app().await;
    let body: serde_json::Value = reqwest::get(format!("{}/.well-known/gpc.json", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["gpc"], true);
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/", app.address)).await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

/// HSTS goes out only over TLS, and only a trusted proxy can say a request came over TLS.
#[tokio::test]
async fn hsts_is_sent_only_over_tls_as_a_trusted_proxy_says() {
    let claims_tls = |address: String| async move {
        reqwest::Client::new()
            .get(format!("{address}/"))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap()
    };
    let direct = spawn_app().await;
    let plain = reqwest::get(format!("{}/", direct.address)).await.unwrap();
    assert!(plain.headers().get("strict-transport-security").is_none());
    let forged = claims_tls(direct.address.clone()).await;
    assert!(forged.headers().get("strict-transport-security").is_none());

    let behind = spawn_app_with(|s| s.proxies.trusted = vec!["127.0.0.1".parse().unwrap()]).await;
    let behind_tls = claims_tls(behind.address.clone()).await;
    assert!(
        behind_tls.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn metrics_count_routes_by_pattern_and_consent_writes_and_retries() {
    let app = spawn_app().await;
    let body = crate::helpers::consent_body(privacy_shared::ConsentKind::RejectAll);
    app.api.record_consent(&body).await.unwrap();
    app.api.record_consent(&body).await.unwrap();
    // A refused event (a withdrawal that names nothing) is counted as refused.
    let refused = crate::helpers::consent_body(privacy_shared::ConsentKind::Withdraw);
    let response = app
        .post_consent_json(&serde_json::to_value(&refused).unwrap())
        .await;
    assert_eq!(response.status(), 422);
    let receipt_path = format!(
        "{}/api/v1/consents/{}/receipt",
        app.address,
        uuid::Uuid::new_v4()
    );
    assert_eq!(reqwest::get(&receipt_path).await.unwrap().status(), 404);

    let response = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    for line in [
        "privacy_http_requests_total{route=\"/api/v1/consents\",method=\"POST\",status=\"201\"} 1",
        "privacy_http_requests_total{route=\"/api/v1/consents\",method=\"POST\",status=\"200\"} 1",
        "privacy_http_requests_total{route=\"/api/v1/consents/{event_id}/receipt\",method=\"GET\",status=\"404\"} 1",
        "privacy_http_request_duration_seconds_count{route=\"/api/v1/consents\"} 3",
        "privacy_consent_events_total 1",
        "privacy_consent_retries_total 1",
        "privacy_consent_refused_total 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    assert!(
        !text.contains(&body.subject.to_string()),
        "no ids in labels"
    );
}

/// `promtool`, which `cargo xtask test` unpacks from Debian's `prometheus` package.
fn promtool() -> std::path::PathBuf {
    let unpacked = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/prometheus/usr/bin/promtool");
    if unpacked.exists() {
        return unpacked;
    }
    "promtool".into()
}

/// Prometheus's own linter reads `/metrics` as a scraper does and finds nothing to report, after
/// traffic on several routes; a scraper that asks for OpenMetrics gets it.
#[tokio::test]
async fn metrics_pass_promtool_and_openmetrics_is_served_on_request() {
    use std::io::Write as _;
    let app = spawn_app().await;
    let body = crate::helpers::consent_body(privacy_shared::ConsentKind::AcceptAll);
    app.api.record_consent(&body).await.unwrap();
    app.api.record_consent(&body).await.unwrap();
    reqwest::get(format!("{}/api/v1/health", app.address))
        .await
        .unwrap();
    reqwest::get(format!("{}/no/such/page", app.address))
        .await
        .unwrap();
    let text = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut check = std::process::Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs: `cargo xtask test` unpacks it into .tools/prometheus");
    check
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = check.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let open = app
        .http
        .get(format!("{}/metrics", app.address))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        open.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let open = open.text().await.unwrap();
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert!(open.contains("# UNIT privacy_http_request_duration_seconds seconds"));
    assert!(open.contains("privacy_consent_events_total 1"));
}

#[tokio::test]
async fn with_a_metrics_token_only_its_bearer_reads_the_metrics() {
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.metrics_token = Some(privacy_server::settings::Secret::new("scrape-secret"));
    })
    .await;
    let url = format!("{}/metrics", app.address);
    let anonymous = app.http.get(&url).send().await.unwrap();
    crate::helpers::expect_problem(anonymous, 401).await;
    let wrong = app
        .http
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    crate::helpers::expect_problem(wrong, 401).await;
    let right = app
        .http
        .get(&url)
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("privacy_http_requests_total")
    );
}
