//! A visitor's choices over time, from click to ledger: every kind of event the engine makes
//! reaches the real server and stands in the ledger, a partial withdrawal included; a stale
//! choice counts as none; a refused event is kept and reported, never dropped.

use crate::helpers::{Browser, TestServer, first_visit, visit};

/// Moves the stored choice `days` into the past, as if the visitor came back that much later.
const AGE_COOKIE: &str = "
    const value = document.cookie.split('; ').find(c => c.startsWith('vp_consent=')).slice(11);
    const parts = value.split('.'); parts[3] = String(Number(parts[3]) - arguments[0] * 86400);
    document.cookie = 'vp_consent=' + parts.join('.') + '; Path=/; Max-Age=31536000';";

/// The kind, withdrawn purposes and choices of every ledger event, oldest first.
fn ledger(server: &TestServer) -> Vec<(String, String, serde_json::Value)> {
    let column = |name: &str| -> Vec<String> {
        server.column(&format!("SELECT {name} FROM consent_events ORDER BY seq"))
    };
    let choices = column("choices")
        .into_iter()
        .map(|c| serde_json::from_str(&c).unwrap());
    column("kind")
        .into_iter()
        .zip(column("withdrawn"))
        .zip(choices)
        .map(|((kind, withdrawn), choices)| (kind, withdrawn, choices))
        .collect()
}

/// Opens the preferences with the button of `hook`: the settings button, or the first layer's.
async fn open_preferences(browser: &Browser, hook: &str) {
    browser.click(&format!("[data-vp={hook}]")).await;
    browser.widget_element("[data-vp=preferences]").await;
}

#[tokio::test]
async fn every_kind_of_event_reaches_the_ledger_and_a_stale_choice_counts_as_none() {
    // GPC: the optional purposes start off, recorded as `gpc`.
    let (server, browser) = visit("/test/gpc.html").await;
    browser.widget_element("[data-vp=gpc-honoured]").await;
    server.wait_for_events(1).await;

    // On the demo page, the choice holds; switching analytics on is a custom choice.
    browser.client.goto(&server.page("/")).await.unwrap();
    open_preferences(&browser, "settings").await;
    browser.click("[data-vp-toggle=analytics]").await;
    browser.click("[data-vp=save]").await;
    server.wait_for_events(2).await;

    // Everything on, then analytics withdrawn while the rest stays on.
    open_preferences(&browser, "settings").await;
    browser.click("[data-vp=preferences-accept-all]").await;
    server.wait_for_events(3).await;
    open_preferences(&browser, "settings").await;
    browser.click("[data-vp-toggle=analytics]").await;
    browser.click("[data-vp=save]").await;
    server.wait_for_events(4).await;

    // After a reload the one stays off and the others on.
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    let consent = browser
        .wait_for_script(
            "return VirtioPrivacy.ready.then(api => api.consent());",
            |v| v.is_object(),
        )
        .await;
    assert_eq!(consent["analytics"], false, "{consent}");
    assert_eq!(consent["advertising"], true, "{consent}");

    // 400 days later the choice is none: the banner asks, the API says so, nothing held back
    // runs, and the expiry is recorded once.
    open_preferences(&browser, "settings").await;
    browser.click("[data-vp=preferences-accept-all]").await;
    server.wait_for_events(5).await;
    browser
        .run(&AGE_COOKIE.replace("arguments[0]", "400"))
        .await;
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=banner]").await;
    let api = browser
        .run(
            "return VirtioPrivacy.ready.then(api => [api.consent(), api.has('analytics'), \
             api.has('advertising'), window.vpDemoAnalyticsRuns ?? 0]);",
        )
        .await;
    assert_eq!(api, serde_json::json!([null, false, false, 0]));
    server.wait_for_events(6).await;
    open_preferences(&browser, "open-preferences").await;
    let checked = browser.checked_toggles().await;
    assert_eq!(checked, serde_json::json!(["necessary"]));
    browser.click("[data-vp=preferences-reject-all]").await;
    server.wait_for_events(7).await;

    let events = ledger(&server);
    let kinds: Vec<&str> = events.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "gpc",
            "custom",
            "accept_all",
            "withdraw",
            "accept_all",
            "expired",
            "reject_all"
        ]
    );
    let (_, withdrawn, choices) = &events[3];
    assert_eq!(withdrawn, r#"["analytics"]"#);
    assert_eq!(choices["analytics"], false);
    assert_eq!(choices["advertising"], true);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, (_, w, _))| i == 3 || w == "[]"),
        "only the withdrawal names withdrawn purposes: {events:?}"
    );
    // The subject id carried over the expiry: one browser, one subject.
    let subjects: Vec<i64> = server.column("SELECT count(DISTINCT subject_id) FROM consent_events");
    assert_eq!(subjects, [1]);
    browser.close().await;
}

#[tokio::test]
async fn an_event_the_server_refuses_is_kept_reported_and_counted() {
    let (server, browser) = visit("/").await;
    browser.click("[data-vp=reject-all]").await;
    server.wait_for_events(1).await;
    let receipt = browser
        .wait_for_script(
            "return JSON.parse(localStorage.getItem('vp_receipt'));",
            |v| v.is_object(),
        )
        .await;
    assert_eq!(
        receipt["kind"], "reject_all",
        "the receipt is kept: {receipt}"
    );
    // An event no engine builds (a withdrawal that names nothing) waits in the outbox, as one
    // written by an older widget might; the next choice sends it first.
    let bad = serde_json::json!({
        "event": {
            "idempotency_key": "4f0c7d2e-8a4b-4c1d-9e2f-3a5b6c7d8e9f", "site": "virtio-nl",
            "subject": receipt["subject"], "kind": "withdraw", "source": "preferences",
            "choices": { "necessary": true, "analytics": false, "advertising": false,
                         "recaptcha": false, "feedback": false },
            "policy_version": receipt["policy_version"], "language": "nl",
            "notice_hash": receipt["notice_hash"], "gpc": false
        }
    });
    browser
        .client
        .execute(
            "window.vpErrors = [];
             window.addEventListener('virtio-privacy:error', (e) => window.vpErrors.push(e.detail));
             localStorage.setItem('vp_outbox', JSON.stringify([arguments[0]]));",
            vec![bad],
        )
        .await
        .unwrap();
    browser.click("[data-vp=settings]").await;
    browser.click("[data-vp=preferences-accept-all]").await;
    server.wait_for_events(2).await;
    let errors = browser
        .wait_for_script("return window.vpErrors;", |v| {
            v.as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    assert_eq!(errors[0]["event"]["kind"], "withdraw");
    assert_eq!(errors[0]["problem"]["status"], 422);
    let refused = browser
        .run("return JSON.parse(localStorage.getItem('vp_outbox_refused') || '[]');")
        .await;
    assert_eq!(refused, errors, "the refused event is kept aside");
    assert_eq!(
        browser
            .run("return localStorage.getItem('vp_outbox');")
            .await,
        serde_json::Value::Null,
        "the refused event no longer blocks the outbox"
    );
    let metrics = reqwest::get(format!("{}/metrics", server.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == "privacy_consent_refused_total 1"),
        "{metrics}"
    );
    assert_eq!(server.event_kinds(), ["reject_all", "accept_all"]);
    browser.close().await;
}

/// A page left open past the moment its choice turns twelve months old asks again by itself:
/// the banner comes back and nothing counts as consent any more.
#[tokio::test]
async fn a_choice_that_expires_while_the_page_is_open_asks_again() {
    let (server, browser) = first_visit(1280, 900).await;
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(1).await;
    // The same choice, made twelve months ago less six seconds.
    browser
        .run(
            "const v = document.cookie.split('; ').find(c => c.startsWith('vp_consent=')).slice(11).split('.');
             v[3] = String(Math.floor(Date.now() / 1000) - 365 * 86400 + 6);
             document.cookie = 'vp_consent=' + v.join('.') + '; Path=/; Max-Age=31536000';",
        )
        .await;
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    browser.widget_element("[data-vp=banner]").await;
    assert_eq!(
        browser
            .run("return [VirtioPrivacy.consent(), VirtioPrivacy.has('analytics')];")
            .await,
        serde_json::json!([null, false])
    );
    server.wait_for_events(2).await;
    assert_eq!(server.event_kinds(), ["accept_all", "expired"]);
    browser.close().await;
}
