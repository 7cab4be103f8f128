//! A group site declared only in the privacy server's configuration file: no code change, no
//! widget rebuild. Its page on another origin, with the one tag, shows its first layer from the
//! loader and its banner with its own purposes and theme, records its choice, and clears its own
//! cookies on withdrawal.

use privacy_server::settings::FileSettings;

use crate::helpers::{Browser, TestServer, workspace_root};

#[tokio::test]
async fn a_site_added_only_in_the_configuration_shows_its_banner_on_another_origin() {
    FileSettings::from_toml(
        "[sites.test-shop]\nname = \"shop.virtio.nl\"\npurposes = [\"necessary\", \"analytics\"]\n\
         cookies = { analytics = [\"shop_stats\"] }\nstorage = { analytics = [\"shopStats\"] }\n\
         theme = { \"--vp-button-background\" = \"#123456\" }\n",
        "test.toml",
    )
    .expect("the test's configuration is valid");
    let www = tempfile::tempdir().unwrap();
    std::fs::write(
        www.path().join("index.html"),
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Shop</title>\
         <script src=\"/widget/v1/loader.js\" data-site=\"test-shop\" defer></script>\
         <script type=\"text/plain\" data-vp-purpose=\"analytics\" src=\"/analytics.js\"></script>\
         </head><body><main><h1>Shop</h1></main></body></html>",
    )
    .unwrap();
    std::fs::copy(
        workspace_root().join("www/demo/analytics.js"),
        www.path().join("analytics.js"),
    )
    .unwrap();
    let server = TestServer::start_serving_from_another_origin(www.path()).await;
    assert_ne!(
        server.pages, server.address,
        "the page comes from another origin"
    );

    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    let banner = browser.widget_text("[data-vp=banner]").await;
    assert!(banner.contains("Statistieken"), "{banner}");
    assert!(!banner.contains("Nieuwsbrief"), "{banner}");
    // The server rendered the site's first layer into the loader at start: it shows before the
    // bundle, which keeps it.
    browser.wait_for_bundle().await;
    browser.widget_element("[data-vp=banner]").await;
    // The site's theme from the configuration reaches the widget's buttons.
    let background = browser
        .run(
            "const b = document.querySelector('#virtio-privacy').shadowRoot.querySelector('[data-vp=accept-all]');
             return getComputedStyle(b).backgroundColor;",
        )
        .await;
    assert_eq!(background, "rgb(18, 52, 86)");
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(1).await;
    let sites: Vec<String> = server.column("SELECT site FROM consent_events");
    assert_eq!(sites, ["test-shop"]);
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    browser.screenshot("configured-site-1280").await;

    // The site's own cookie and storage key, declared only in the configuration, are listed in
    // the preferences and go when the visitor withdraws.
    browser
        .run("document.cookie = 'shop_stats=1; path=/'; localStorage.setItem('shopStats', '1');")
        .await;
    browser.click("[data-vp=settings]").await;
    let listed = browser.widget_text("[data-vp-cookies=analytics]").await;
    assert!(
        listed.contains("shop_stats") && listed.contains("shopStats"),
        "{listed}"
    );
    browser.click("[data-vp=preferences-reject-all]").await;
    server.wait_for_events(2).await;
    browser
        .wait_for_script(
            "return document.cookie.includes('shop_stats') || localStorage.getItem('shopStats') !== null;",
            |v| v == false,
        )
        .await;
    browser.close().await;
}
