//! Enforcement in the page: the held-back analytics script of the demo runs only after consent,
//! Consent Mode gets `default` before any tag and `update` after each choice, withdrawal deletes
//! the analytics cookies, and GPC switches the optional purposes off.

use crate::helpers::{Browser, TestServer, first_visit};

/// The Consent Mode commands and tag events on `dataLayer`, in order.
const DATA_LAYER: &str = "
    return (window.dataLayer || []).map(entry => {
        if (Object.prototype.toString.call(entry) === '[object Arguments]') {
            return { command: entry[0] + ' ' + entry[1], state: entry[2] };
        }
        return { event: entry.event };
    });";

fn position(
    layer: &serde_json::Value,
    matches: impl Fn(&serde_json::Value) -> bool,
) -> Option<usize> {
    layer.as_array().unwrap().iter().position(matches)
}

#[tokio::test]
async fn a_held_back_script_runs_only_after_consent_with_consent_mode_set_first() {
    let (_server, browser) = first_visit(1280, 900).await;

    let layer = browser.run(DATA_LAYER).await;
    let default = position(&layer, |e| e["command"] == "consent default").expect("a default");
    assert_eq!(default, 0, "the default comes first: {layer}");
    let state = &layer[default]["state"];
    assert_eq!(
        (
            &state["analytics_storage"],
            &state["ad_storage"],
            &state["ad_user_data"]
        ),
        (&"denied".into(), &"denied".into(), &"denied".into()),
        "{layer}"
    );
    assert!(state["wait_for_update"].is_number(), "{layer}");
    assert!(position(&layer, |e| e["command"] == "consent update").is_none());
    assert_eq!(
        browser.run("return window.vpDemoAnalyticsRuns ?? 0;").await,
        0,
        "the tag ran before consent"
    );

    browser
        .run("window.vpEvents = []; VirtioPrivacy.on('change', d => window.vpEvents.push(d));")
        .await;
    browser.click("[data-vp=accept-all]").await;
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    let layer = browser.run(DATA_LAYER).await;
    let update = position(&layer, |e| e["command"] == "consent update").expect("an update");
    let tag = position(&layer, |e| e["event"] == "demo_analytics_loaded").expect("the tag ran");
    assert!(default < update && update < tag, "{layer}");
    assert_eq!(layer[update]["state"]["analytics_storage"], "granted");
    let events = browser.run("return window.vpEvents;").await;
    assert_eq!(
        events[0]["analytics"], true,
        "the change event carries the choices: {events}"
    );
    let activated = browser
        .run("return document.querySelectorAll('script[src=\"/demo/analytics.js\"]:not([type])').length;")
        .await;
    assert_eq!(
        activated, 1,
        "the script was re-created once as a real script"
    );

    // After a reload the stored choice is the default and the tag runs at once.
    browser.client.refresh().await.unwrap();
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    let layer = browser.run(DATA_LAYER).await;
    assert_eq!(layer[0]["command"], "consent default");
    assert_eq!(layer[0]["state"]["analytics_storage"], "granted");
    assert!(layer[0]["state"]["wait_for_update"].is_null());
    browser.close().await;
}

#[tokio::test]
async fn reject_all_leaves_no_analytics_cookie_and_withdrawal_deletes_them() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=reject-all]").await;
    server.wait_for_events(1).await;
    let ga = |names: Vec<String>| -> Vec<String> {
        names
            .into_iter()
            .filter(|n| n.starts_with("_ga") || n == "_gid")
            .collect()
    };
    assert!(ga(browser.cookie_names().await).is_empty());
    assert_eq!(
        browser.run("return window.vpDemoAnalyticsRuns ?? 0;").await,
        0
    );

    // The page's own "Cookie-instellingen" link opens the dialog; accepting sets the cookies.
    browser
        .client
        .find(fantoccini::Locator::Css("[data-virtio-privacy=open]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.click("[data-vp=preferences-accept-all]").await;
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    assert_eq!(
        ga(browser.cookie_names().await),
        ["_ga", "_ga_DEMO123", "_gid"]
    );

    // Withdrawing deletes them at once.
    browser.click("[data-vp=settings]").await;
    browser.click("[data-vp=preferences-reject-all]").await;
    server.wait_for_events(3).await;
    assert!(
        ga(browser.cookie_names().await).is_empty(),
        "{:?}",
        browser.cookie_names().await
    );
    assert_eq!(
        server.event_kinds(),
        ["reject_all", "accept_all", "withdraw"]
    );
    browser.close().await;
}

/// The banner that says the signal was honoured is the loader's, shown at once: before the bundle
/// runs, and even when the bundle cannot be loaded (which records nothing, and says so).
#[tokio::test]
async fn the_global_privacy_control_banner_shows_before_the_bundle() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.block_requests(&["*.wasm"]).await;
    browser
        .client
        .goto(&server.page("/test/gpc.html"))
        .await
        .unwrap();
    browser.widget_element("[data-vp=gpc-honoured]").await;
    browser.widget_element("[data-vp=load-error]").await;
    assert!(
        browser
            .try_widget_element("[data-vp=accept-all]")
            .await
            .is_some(),
        "the banner keeps its buttons"
    );
    assert_eq!(server.count_events(), 0);
    browser.close().await;
}

#[tokio::test]
async fn global_privacy_control_switches_optional_purposes_off_and_records_a_gpc_event() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    // The fixture page sets navigator.globalPrivacyControl before the loader runs.
    browser
        .client
        .goto(&server.page("/test/gpc.html"))
        .await
        .unwrap();
    let note = browser.widget_element("[data-vp=gpc-honoured]").await;
    assert!(
        note.text()
            .await
            .unwrap()
            .contains("Global Privacy Control")
    );
    server.wait_for_events(1).await;
    assert_eq!(server.event_kinds(), ["gpc"]);
    let (gpc, choices): (bool, String) = rusqlite::Connection::open(&server.database)
        .unwrap()
        .query_row("SELECT gpc, choices FROM consent_events", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let choices: serde_json::Value = serde_json::from_str(&choices).unwrap();
    assert!(gpc);
    assert!(
        choices
            .as_object()
            .unwrap()
            .iter()
            .all(|(p, on)| on == &serde_json::Value::Bool(p == "necessary")),
        "{choices}"
    );
    assert_eq!(
        browser.run("return VirtioPrivacy.has('analytics');").await,
        false
    );
    assert_eq!(
        browser.run("return window.vpDemoAnalyticsRuns ?? 0;").await,
        0
    );

    // An explicit opt-in afterwards is its own event.
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(2).await;
    assert_eq!(server.event_kinds(), ["gpc", "accept_all"]);
    browser.close().await;
}

#[tokio::test]
async fn with_the_server_down_a_choice_applies_at_once_and_arrives_exactly_once_after_restart() {
    let (mut server, browser) = first_visit(1280, 900).await;
    // Once the bundle runs, the server goes away: the choice needs nothing more from it, not even
    // the notice hash, which came with the loader.
    browser.wait_for_bundle().await;
    server.stop().await;

    browser.click("[data-vp=accept-all]").await;
    // The tag is released at once (it cannot load: this server also serves it, and is down).
    browser
        .wait_for_script(
            "return document.querySelectorAll('script[src=\"/demo/analytics.js\"]:not([type])').length;",
            |v| v == 1,
        )
        .await;
    assert_eq!(
        browser.run("return VirtioPrivacy.has('analytics');").await,
        true
    );
    assert!(
        browser
            .cookie_names()
            .await
            .contains(&"vp_consent".to_owned())
    );
    browser
        .wait_for_script(
            "return document.querySelector('#virtio-privacy').shadowRoot.querySelector('[data-vp=status]').textContent;",
            |v| v.as_str().is_some_and(|s| s.contains("niet bereikbaar")),
        )
        .await;
    let waiting = browser
        .run("return JSON.parse(localStorage.getItem('vp_outbox') || '[]').length;")
        .await;
    assert_eq!(waiting, 1, "the choice waits in the outbox");
    assert_eq!(server.count_events(), 0);

    server.restart().await;
    server.wait_for_events(1).await;
    browser
        .wait_for_script("return localStorage.getItem('vp_outbox');", |v| v.is_null())
        .await;
    assert_eq!(server.count_events(), 1, "the retry made a second event");
    let recorded: Vec<String> = server.column("SELECT notice_hash FROM consent_events");
    assert_eq!(
        recorded,
        [privacy_shared::policy::notice_hash(
            privacy_shared::policy::CURRENT_VERSION,
            privacy_shared::Language::Nl
        )
        .unwrap()],
        "recorded against the Dutch notice the visitor saw"
    );
    assert_eq!(
        browser
            .run("return performance.getEntriesByType('resource').some((e) => e.name.includes('/api/v1/sites/'));")
            .await,
        false,
        "the widget asked the server for no site configuration"
    );
    // A later choice is the next event in the ledger: no second copy of the first came between
    // (or with it), whatever the widget still had in flight.
    browser.click("[data-vp=settings]").await;
    browser.click("[data-vp=preferences-reject-all]").await;
    server.wait_for_events(2).await;
    let kinds = server.event_kinds();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(kinds[0], "accept_all");
    assert_ne!(kinds[1], "accept_all", "the first choice arrived twice");
    browser.close().await;
}

#[tokio::test]
async fn a_held_back_iframe_shows_a_placeholder_whose_button_consents_and_loads_it() {
    let (server, browser) = first_visit(1280, 1600).await;
    let frame = "return (() => { const f = document.querySelector('iframe[data-vp-purpose]');
                 return [f.getAttribute('src'), f.hidden]; })();";
    assert_eq!(browser.run(frame).await, serde_json::json!([null, true]));
    let placeholder = browser
        .client
        .find(fantoccini::Locator::Css(
            "[data-vp-placeholder=advertising]",
        ))
        .await
        .unwrap();
    let text = placeholder.text().await.unwrap();
    assert!(
        text.contains("toestemming") && text.contains("Gepersonaliseerde advertenties"),
        "{text}"
    );
    // The placeholder takes the frame's box: the first layer and the placeholder move nothing
    // in the page (no layout shift, CLS 0).
    let size = browser
        .run(
            "const box = document.querySelector('[data-vp-placeholder=advertising]')
                 .getBoundingClientRect();
             return [box.width, box.height];",
        )
        .await;
    assert!(
        size[0].as_f64() >= Some(560.0) && size[1].as_f64() >= Some(315.0),
        "the frame is 560×315 and its border: {size}"
    );
    let shifts = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             new PerformanceObserver((list) => done(list.getEntries().map((e) => e.value)))
                 .observe({ type: 'layout-shift', buffered: true });
             setTimeout(() => done([]), 500);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shifts, serde_json::json!([]), "layout shifts: {shifts}");
    placeholder
        .find(fantoccini::Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for_script(frame, |v| {
            v == &serde_json::json!(["/demo/video.html", false])
        })
        .await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("[data-vp-placeholder]"))
            .await
            .is_err(),
        "the placeholder went away"
    );
    server.wait_for_events(1).await;
    assert_eq!(server.event_kinds(), ["custom"]);
    assert_eq!(
        browser
            .run("return VirtioPrivacy.has('advertising');")
            .await,
        true
    );
    assert_eq!(
        browser.run("return VirtioPrivacy.has('analytics');").await,
        false
    );
    browser.close().await;
}

#[tokio::test]
async fn a_released_script_keeps_its_nonce() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser
        .client
        .goto(&server.page("/test/nonce.html"))
        .await
        .unwrap();
    browser.click("[data-vp=accept-all]").await;
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    let nonce = browser
        .run("return document.querySelector('script[src=\"/demo/analytics.js\"]:not([type])').nonce;")
        .await;
    assert_eq!(nonce, "test-nonce-7f3a");
    browser.close().await;
}

/// The widget's files this page load fetched (the loader, the bundle's module and WebAssembly), by
/// name.
const WIDGET_FILES: &str = "return performance.getEntriesByType('resource')
    .map(e => e.name).filter(n => n.includes('/widget/')).map(n => n.split('/').pop());";

#[tokio::test]
async fn a_returning_visit_with_a_current_choice_fetches_no_webassembly_and_releases_what_it_allows()
 {
    let axe = crate::accessibility::axe_source();
    let (server, browser) = first_visit(1280, 900).await;
    // The choice: statistics on, advertising off.
    browser.click("[data-vp=open-preferences]").await;
    browser.widget_element("[data-vp=preferences]").await;
    browser.click("[data-vp-toggle=analytics]").await;
    browser.click("[data-vp=save]").await;
    server.wait_for_events(1).await;
    browser
        .wait_for_script("return localStorage.getItem('vp_outbox');", |v| v.is_null())
        .await;

    // The next page of the visit.
    browser.client.goto(&server.page("/")).await.unwrap();
    let api = browser
        .run(
            "return VirtioPrivacy.ready.then(api => [api.consent(), api.has('necessary'), \
             api.has('analytics'), api.has('advertising')]);",
        )
        .await;
    assert_eq!(api[0]["analytics"], true, "{api}");
    assert_eq!(api[0]["advertising"], false, "{api}");
    assert_eq!(api.as_array().unwrap()[1..], [true, true, false], "{api}");
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    let frame = browser
        .run(
            "const frame = document.querySelector('iframe[data-vp-purpose=advertising]');
             return [frame.getAttribute('src'), frame.hidden,
                     !!document.querySelector('[data-vp-placeholder=advertising] button')];",
        )
        .await;
    assert_eq!(
        frame,
        serde_json::json!([null, true, true]),
        "advertising stays held back"
    );
    let layer = browser.run(DATA_LAYER).await;
    let commands: Vec<&serde_json::Value> = layer
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["command"].is_string())
        .collect();
    assert_eq!(commands.len(), 1, "one Consent Mode call: {layer}");
    assert_eq!(commands[0]["command"], "consent default");
    assert_eq!(commands[0]["state"]["analytics_storage"], "granted");
    assert_eq!(commands[0]["state"]["ad_storage"], "denied");
    assert!(commands[0]["state"]["wait_for_update"].is_null());
    let settings = browser.widget_text("[data-vp=settings]").await;
    assert_eq!(settings, "Cookie-instellingen");
    let files = browser.run(WIDGET_FILES).await;
    let names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert_eq!(
        names,
        ["loader.js"],
        "the loader alone: no WebAssembly, no module, no stylesheet"
    );
    let found = crate::accessibility::violations(&browser, &axe).await;
    assert_eq!(
        found,
        serde_json::json!([]),
        "with the settings button: {found:#}"
    );

    // The settings button loads the bundle and opens the choice as stored; closing gives the
    // focus back to the button.
    browser.click("[data-vp=settings]").await;
    browser.widget_element("[data-vp=preferences]").await;
    let checked = browser.checked_toggles().await;
    assert_eq!(checked, serde_json::json!(["necessary", "analytics"]));
    assert!(
        browser
            .run(WIDGET_FILES)
            .await
            .to_string()
            .contains(".wasm")
    );
    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    assert_eq!(browser.focused().await.0, "settings");
    assert_eq!(
        server.count_events(),
        1,
        "opening and closing records nothing"
    );
    browser.close().await;
}
