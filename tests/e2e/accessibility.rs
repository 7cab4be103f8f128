//! Accessibility and the strict Content Security Policy, checked in the page: axe-core (from npm,
//! injected into the page) finds no violations with the banner and with the preferences dialog
//! open, and the widget works under a policy without `unsafe-inline` or `unsafe-eval`.

use crate::helpers::{Browser, TestServer, first_visit, workspace_root};

/// The axe-core script `cargo xtask test` installs.
pub fn axe_source() -> String {
    let path = std::env::var("AXE_CORE").map_or_else(
        |_| workspace_root().join(".tools/npm/node_modules/axe-core/axe.min.js"),
        std::path::PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): `cargo xtask test` installs axe-core",
            path.display()
        )
    })
}

/// Runs axe-core on the whole page, the widget's shadow root included.
pub async fn violations(browser: &Browser, axe: &str) -> serde_json::Value {
    browser
        .client
        .execute(&format!("{axe}\nreturn typeof axe;"), vec![])
        .await
        .unwrap();
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target) }))))
                .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
            vec![],
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn axe_finds_no_violations_in_the_banner_or_the_preferences_dialog() {
    let axe = axe_source();
    let (_server, browser) = first_visit(1280, 900).await;
    let found = violations(&browser, &axe).await;
    assert_eq!(found, serde_json::json!([]), "with the banner: {found:#}");

    browser.click("[data-vp=open-preferences]").await;
    browser.widget_element("[data-vp=preferences]").await;
    let found = violations(&browser, &axe).await;
    assert_eq!(found, serde_json::json!([]), "with the dialog: {found:#}");

    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.click("[data-vp=reject-all]").await;
    browser.widget_element("[data-vp=settings]").await;
    let found = violations(&browser, &axe).await;
    assert_eq!(
        found,
        serde_json::json!([]),
        "with the settings button: {found:#}"
    );

    // The dialog again, now with the proof of the choice and its receipt.
    browser.click("[data-vp=settings]").await;
    browser.widget_element("[data-vp=receipt-download]").await;
    let found = violations(&browser, &axe).await;
    assert_eq!(
        found,
        serde_json::json!([]),
        "with the proof of a choice: {found:#}"
    );
    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;

    // The check sees into the widget's shadow root: a nameless button there is found.
    browser
        .run(
            "const b = document.createElement('button');
             document.querySelector('#virtio-privacy').shadowRoot.append(b);",
        )
        .await;
    let found = violations(&browser, &axe).await;
    assert_eq!(found[0]["id"], "button-name", "{found:#}");
    browser.close().await;
}

#[tokio::test]
async fn the_widget_works_under_a_strict_policy_without_violating_it() {
    let server = TestServer::start().await;
    let page = page_policy(&server.pages).await;
    assert!(
        page.contains("script-src 'self' ") && page.contains("'wasm-unsafe-eval'"),
        "{page}"
    );
    assert!(
        !page.contains("unsafe-inline") && !page.contains("'unsafe-eval'"),
        "{page}"
    );

    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=open-preferences]").await;
    browser.click("[data-vp-toggle=analytics]").await;
    browser.click("[data-vp=save]").await;
    server.wait_for_events(1).await;
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    let violations = browser.run("return window.vpCspViolations;").await;
    assert_eq!(violations, serde_json::json!([]));
    browser.close().await;
}

/// The `Content-Security-Policy` header of the demo page.
async fn page_policy(address: &str) -> String {
    let response = reqwest::get(address).await.unwrap();
    response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}
