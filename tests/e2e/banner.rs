//! The first layer on the demo virtio.nl page: shown on a first visit, equal buttons, one recorded
//! event per click, gone after a reload.

use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{ConsentKind, PurposeId};

use crate::helpers::{Browser, TestServer, first_visit};

/// The consent cookie as the page sees it.
const COOKIE_SCRIPT: &str =
    "return document.cookie.split('; ').find(c => c.startsWith('vp_consent=')) || null;";

/// Computed size, font and colours of the two first-layer buttons.
const BUTTON_STYLES: &str = "
    const root = document.querySelector('#virtio-privacy').shadowRoot;
    return ['accept-all', 'reject-all'].map(hook => {
        const button = root.querySelector(`[data-vp=${hook}]`);
        const style = getComputedStyle(button);
        const rect = button.getBoundingClientRect();
        return { width: Math.round(rect.width), height: Math.round(rect.height), fontSize: style.fontSize,
                 fontWeight: style.fontWeight, fontFamily: style.fontFamily, color: style.color,
                 background: style.backgroundColor, border: style.borderTopColor, text: button.textContent.trim() };
    });";

async fn stored_cookie(browser: &Browser) -> ConsentCookie {
    let value = browser
        .wait_for_script(COOKIE_SCRIPT, |v| v.is_string())
        .await;
    let pair = value.as_str().unwrap().to_owned();
    ConsentCookie::from_cookie_header(&pair)
        .unwrap()
        .expect("a readable consent cookie")
}

#[tokio::test]
async fn a_first_visit_shows_the_banner_and_accepting_records_exactly_one_event() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();

    assert!(
        browser
            .widget_text("[data-vp=banner]")
            .await
            .contains("Virtio ICT B.V."),
        "the banner names the controller"
    );
    let shot = browser.screenshot("banner-first-visit").await;
    assert!(std::fs::metadata(shot).unwrap().len() > 0);

    let styles = browser.client.execute(BUTTON_STYLES, vec![]).await.unwrap();
    let (accept, reject) = (&styles[0], &styles[1]);
    assert_eq!(
        (accept["text"].as_str(), reject["text"].as_str()),
        (Some("Alles accepteren"), Some("Alles weigeren"))
    );
    for property in [
        "width",
        "height",
        "fontSize",
        "fontWeight",
        "fontFamily",
        "color",
        "background",
        "border",
    ] {
        assert_eq!(
            accept[property], reject[property],
            "accept and reject differ in {property}: {styles}"
        );
    }
    assert_ne!(
        accept["fontSize"], "30px",
        "the host page's button styles reached into the widget"
    );
    assert_eq!(
        server.count_events(),
        0,
        "showing the banner records nothing"
    );

    browser
        .widget_element("[data-vp=accept-all]")
        .await
        .click()
        .await
        .unwrap();
    let cookie = stored_cookie(&browser).await;
    assert!(cookie.allows(PurposeId::Analytics) && cookie.allows(PurposeId::Advertising));
    let status = browser.widget_element("[data-vp=status]").await;
    browser
        .wait_for_script(
            "return document.querySelector('#virtio-privacy').shadowRoot.querySelector('[data-vp=status]').textContent;",
            |v| v == "Je keuze is opgeslagen.",
        )
        .await;
    assert_eq!(
        status.attr("role").await.unwrap().as_deref(),
        Some("status")
    );

    let recorded = server.api.subject_consent(cookie.subject).await.unwrap();
    assert_eq!(recorded.history.len(), 1);
    let event = &recorded.history[0];
    assert_eq!(
        (
            event.event.decision.kind,
            event.event.decision.site.as_str()
        ),
        (ConsentKind::AcceptAll, "virtio-nl")
    );
    assert_eq!(event.event.decision.choices, cookie.choices);
    assert_eq!(
        Some(event.event.decision.notice_hash.as_str()),
        privacy_shared::policy::notice_hash(
            privacy_shared::policy::CURRENT_VERSION,
            privacy_shared::Language::Nl
        ),
        "the event names the Dutch notice the banner showed"
    );
    assert_eq!(
        server
            .api
            .consent_receipt(event.event.event_id)
            .await
            .unwrap(),
        *event
    );
    assert_eq!(
        server.count_events(),
        1,
        "exactly one row in the SQLite file"
    );

    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    assert!(
        browser
            .try_widget_element("[data-vp=banner]")
            .await
            .is_none(),
        "the banner came back after a reload"
    );
    assert_eq!(server.count_events(), 1, "a reload records nothing");
    browser.close().await;
}

#[tokio::test]
async fn rejecting_all_records_a_reject_event_with_every_optional_purpose_off() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=reject-all]").await;
    let cookie = stored_cookie(&browser).await;
    assert!(cookie.allows(PurposeId::Necessary));
    assert!(
        cookie.choices.iter().all(|(p, &on)| on == p.is_locked()),
        "{:?}",
        cookie.choices
    );

    let started = std::time::Instant::now();
    let history = loop {
        let history = server
            .api
            .subject_consent(cookie.subject)
            .await
            .unwrap()
            .history;
        if !history.is_empty() || started.elapsed().as_secs() > 15 {
            break history;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].event.decision.kind, ConsentKind::RejectAll);
    browser.close().await;
}

#[tokio::test]
async fn the_banner_is_readable_at_320_pixels_wide() {
    let (_server, browser) = first_visit(320, 640).await;
    browser.screenshot("banner-320px").await;
    let fits = browser
        .client
        .execute(
            "const root = document.querySelector('#virtio-privacy').shadowRoot;
             const banner = root.querySelector('[data-vp=banner]').getBoundingClientRect();
             const buttons = [...root.querySelectorAll('[data-vp=banner] button')].map(b => b.getBoundingClientRect());
             return window.innerWidth === 320 && banner.left >= 0 && banner.right <= window.innerWidth
                 && buttons.length === 4 && buttons.every(b => b.left >= banner.left && b.right <= banner.right
                     && b.top >= 0 && b.bottom <= window.innerHeight && b.height >= 24 && b.width >= 24);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        fits,
        serde_json::Value::Bool(true),
        "the banner overflows or a button is out of view at 320 px"
    );
    browser.close().await;
}

/// On a slow connection the first layer (rendered at build time from the banner component) is
/// there long before the bundle; a click on it is kept and applied once the bundle runs.
#[tokio::test]
async fn the_first_layer_shows_before_the_bundle_and_a_click_on_it_is_not_lost() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.slow_network().await;
    browser.client.goto(&server.page("/")).await.unwrap();
    assert!(
        browser
            .widget_text("[data-vp=banner]")
            .await
            .contains("Alles weigeren")
    );
    let started = browser
        .run("return performance.getEntriesByName('vp-banner').length;")
        .await;
    assert_eq!(started, 1, "one banner so far: the loader's");
    let bundle_loaded = browser
        .run("return performance.getEntriesByType('resource').some(e => e.name.endsWith('.wasm') && e.responseEnd > 0);")
        .await;
    assert_eq!(
        bundle_loaded, false,
        "the bundle arrived before the first layer was tested"
    );

    browser.click("[data-vp=reject-all]").await;
    assert_eq!(
        server.count_events(),
        0,
        "nothing can be recorded before the bundle runs"
    );
    let cookie = browser
        .wait_for_script(COOKIE_SCRIPT, serde_json::Value::is_string)
        .await;
    assert!(cookie.as_str().unwrap().starts_with("vp_consent="));
    server.wait_for_events(1).await;
    browser
        .devtools(
            "Network.emulateNetworkConditions",
            serde_json::json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
        )
        .await;
    browser.widget_element("[data-vp=settings]").await;
    assert!(
        browser
            .try_widget_element("[data-vp=banner]")
            .await
            .is_none()
    );
    let kind: String = rusqlite::Connection::open(&server.database)
        .unwrap()
        .query_row("SELECT kind FROM consent_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kind, "reject_all");
    browser.close().await;
}

/// WCAG 1.4.4: at 200% text the first layer and the dialog still fit the width, and every button
/// can be reached.
#[tokio::test]
async fn at_200_percent_text_the_banner_and_the_dialog_reflow_without_losing_a_button() {
    let (_server, browser) = first_visit(1280, 900).await;
    browser
        .run("document.documentElement.style.fontSize = '200%';")
        .await;
    let banner = browser
        .run(
            "const root = document.querySelector('#virtio-privacy').shadowRoot;
             const banner = root.querySelector('[data-vp=banner]');
             const size = parseFloat(getComputedStyle(root.querySelector('.vp-button')).fontSize);
             const buttons = [...banner.querySelectorAll('button')].map(b => b.getBoundingClientRect());
             return { size, fits: banner.scrollWidth <= banner.clientWidth,
                      visible: buttons.every(b => b.top >= 0 && b.bottom <= innerHeight && b.right <= innerWidth
                                                  && b.width >= 24 && b.height >= 24) };",
        )
        .await;
    assert!(
        banner["size"].as_f64().unwrap() >= 32.0,
        "the text did not grow: {banner}"
    );
    assert_eq!(banner["fits"], true, "{banner}");
    assert_eq!(
        banner["visible"], true,
        "a first-layer button is out of view: {banner}"
    );
    browser.screenshot("banner-200-percent-text").await;

    browser.click("[data-vp=open-preferences]").await;
    browser.widget_element("[data-vp=preferences]").await;
    let dialog = browser
        .run(
            "const dialog = document.querySelector('#virtio-privacy').shadowRoot.querySelector('[data-vp=preferences]');
             const save = dialog.querySelector('[data-vp=save]');
             save.scrollIntoView();
             const box = save.getBoundingClientRect();
             return { fits: dialog.scrollWidth <= dialog.clientWidth,
                      reachable: box.top >= 0 && box.bottom <= innerHeight };",
        )
        .await;
    assert_eq!(dialog["fits"], true, "{dialog}");
    assert_eq!(dialog["reachable"], true, "{dialog}");
    browser.close().await;
}

/// A stored choice of an older policy version is stale: the loader shows the first layer again
/// (before the bundle, which then asks too); a current one shows none.
#[tokio::test]
async fn a_stale_stored_choice_brings_the_first_layer_back_before_the_bundle() {
    const MARKS: &str = "return performance.getEntriesByName('vp-banner').length;";
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=reject-all]").await;
    browser.widget_element("[data-vp=settings]").await;
    // The same choice, recorded under a policy version that is no longer current.
    browser
        .run(
            "const value = document.cookie.split('; ').find(c => c.startsWith('vp_consent=')).slice(11);
             const parts = value.split('.'); parts[2] = '2019-01-01';
             document.cookie = 'vp_consent=' + parts.join('.') + '; Path=/; Max-Age=3600';",
        )
        .await;
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=banner]").await;
    // The loader showed the first layer (its mark), and the bundle that started kept it.
    browser.wait_for_bundle().await;
    assert_eq!(browser.run(MARKS).await, 1);
    browser.widget_element("[data-vp=banner]").await;

    // A current choice keeps it away.
    browser.click("[data-vp=accept-all]").await;
    browser.widget_element("[data-vp=settings]").await;
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    assert!(
        browser
            .try_widget_element("[data-vp=banner]")
            .await
            .is_none()
    );
    assert_eq!(
        browser.run(MARKS).await,
        0,
        "a current choice showed a first layer"
    );
    browser.close().await;
}

/// Another site of the group (status.virtio.nl) with its own purposes: its banner names only
/// statistics, and its choice is recorded for that site. In the second-origin run the page comes
/// from the demo group site on another origin, with the one tag.
#[tokio::test]
async fn the_status_site_asks_for_its_own_purposes_and_records_its_own_choice() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser
        .client
        .goto(&server.page("/status.html"))
        .await
        .unwrap();
    let text = browser.widget_text("[data-vp=banner]").await;
    assert!(text.contains("Statistieken"), "{text}");
    assert!(!text.contains("Gepersonaliseerde advertenties"), "{text}");
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(1).await;
    let sites: Vec<String> = server.column("SELECT site FROM consent_events");
    assert_eq!(sites, ["virtio-status"]);
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    browser.screenshot("second-site-1280").await;
    browser.close().await;

    // At 320 px the status site's banner reads and passes axe too.
    let phone = Browser::start(320, 640).await;
    phone
        .client
        .goto(&server.page("/status.html"))
        .await
        .unwrap();
    phone.widget_text("[data-vp=banner]").await;
    let found = crate::accessibility::violations(&phone, &crate::accessibility::axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    phone.screenshot("second-site-320").await;
    phone.close().await;
}

/// A tag manager injects the loader as a script element without attributes: the site and the
/// language come from its URL (`loader.js?site=virtio-nl&lang=en`), and it works as the one tag.
#[tokio::test]
async fn a_loader_injected_without_attributes_takes_site_and_language_from_its_url() {
    let (server, browser) = crate::helpers::visit("/test/injected.html").await;
    assert_eq!(
        browser.widget_text("[data-vp=accept-all]").await.trim(),
        "Accept all"
    );
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(1).await;
    assert_eq!(
        server.column::<String>("SELECT site || ' ' || language FROM consent_events"),
        ["virtio-nl en"]
    );
    browser
        .wait_for_script("return window.vpDemoAnalyticsRuns || 0;", |runs| runs == 1)
        .await;
    browser.close().await;
}

/// A click on the first layer made before the bundle runs is carried out as it starts, and the
/// status line says so in the visitor's language from its first word ("saving") to its last.
#[tokio::test]
async fn a_click_before_the_bundle_is_reported_in_the_visitors_language() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.slow_network().await;
    browser
        .client
        .goto(&server.page("/test/injected.html"))
        .await
        .unwrap();
    browser.widget_element("[data-vp=accept-all]").await;
    let said = "return document.querySelector('#virtio-privacy').shadowRoot
                    .querySelector('[data-vp=status]').vpSaid;";
    browser
        .run(
            "const status = document.querySelector('#virtio-privacy').shadowRoot
                 .querySelector('[data-vp=status]');
             status.vpSaid = [];
             new MutationObserver(() => status.textContent && status.vpSaid.push(status.textContent))
                 .observe(status, { childList: true, characterData: true, subtree: true });",
        )
        .await;
    browser.click("[data-vp=accept-all]").await;
    assert_eq!(
        browser.run("return VirtioPrivacy.consent();").await,
        serde_json::Value::Null,
        "the bundle ran before the click"
    );
    server.wait_for_events(1).await;
    let said = browser
        .wait_for_script(said, |said| {
            said.as_array()
                .and_then(|s| s.last())
                .is_some_and(|last| last == "Your choice has been saved.")
        })
        .await;
    assert_eq!(
        said,
        serde_json::json!(["Saving your choice…", "Your choice has been saved."])
    );
    browser.close().await;
}

/// A part of the widget that cannot be loaded (the network dropped) is said so in the visitor's
/// language, and tried again on the next use: a click on the first layer is not lost without a
/// word (the first layer comes back, the focus on the clicked button), and once the network is
/// back the same click records the choice and the policy opens.
#[tokio::test]
async fn a_bundle_that_cannot_be_loaded_is_reported_and_tried_again_on_the_next_use() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.block_requests(&["*.wasm"]).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=accept-all]").await;
    let toast = browser.widget_element("[data-vp=load-error]").await;
    assert_eq!(toast.attr("role").await.unwrap().as_deref(), Some("alert"));
    assert!(
        toast
            .text()
            .await
            .unwrap()
            .contains("kon niet worden geladen"),
        "the notice speaks Dutch on a Dutch page"
    );
    browser.widget_element("[data-vp=banner]").await;
    assert_eq!(browser.focused().await.0, "accept-all");
    assert_eq!(
        browser.run(COOKIE_SCRIPT).await,
        serde_json::Value::Null,
        "no choice was applied that could not be recorded"
    );
    assert_eq!(
        browser
            .run("return VirtioPrivacy.ready.then(() => 'started', () => 'failed');")
            .await,
        "failed",
        "`ready` tells the page that the widget could not start"
    );
    let found =
        crate::accessibility::violations(&browser, &crate::accessibility::axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    // At 320 px the notice fits the screen and leaves the first layer's buttons clear.
    browser.client.set_window_size(320, 700).await.unwrap();
    let layout = browser
        .run(
            "const root = document.querySelector('#virtio-privacy').shadowRoot;
             const toast = root.querySelector('[data-vp=load-error]').getBoundingClientRect();
             const buttons = [...root.querySelectorAll('[data-vp=banner] button')]
                 .map(b => b.getBoundingClientRect());
             return [toast.left >= 0 && toast.right <= document.documentElement.clientWidth,
                     buttons.every(b => b.top >= toast.bottom || b.bottom <= toast.top)];",
        )
        .await;
    assert_eq!(layout, serde_json::json!([true, true]));
    browser.client.set_window_size(1280, 900).await.unwrap();
    // The rights center cannot be loaded either: still one notice.
    browser.run("VirtioPrivacy.open('rights');").await;
    browser
        .wait_for_script(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('/views-')).length;",
            |v| v.as_u64() >= Some(1),
        )
        .await;
    assert_eq!(
        browser
            .run("return document.querySelector('#virtio-privacy').shadowRoot.querySelectorAll('[data-vp=load-error]').length;")
            .await,
        1
    );

    // The network is back: the same click records the choice, and the notice goes.
    browser.block_requests(&[]).await;
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(1).await;
    assert_eq!(server.event_kinds(), ["accept_all"]);
    browser
        .wait_for_script(
            "return !document.querySelector('#virtio-privacy').shadowRoot.querySelector('[data-vp=load-error]');",
            |v| v == true,
        )
        .await;
    browser.run("VirtioPrivacy.open('policy');").await;
    browser
        .widget_element("[data-vp=policy-dialog] [data-vp=policy-toc]")
        .await;
    browser.close().await;
}

/// A tag naming a site the privacy server does not know starts nothing: no banner, no bundle
/// fetched, no held-back script released, no event; `ready` rejects saying what to configure,
/// and opening a view fetches and shows nothing (the mistake is the page's, said in the console,
/// not to the visitor).
#[tokio::test]
async fn a_site_the_server_does_not_know_starts_nothing_and_ready_says_why() {
    let (server, browser) = crate::helpers::visit("/test/unknown-site.html").await;
    let why = browser
        .run("return VirtioPrivacy.ready.then(() => 'started', (e) => String(e.message));")
        .await;
    assert!(
        why.as_str()
            .unwrap_or_default()
            .contains("site `elders-nl` is not configured on the privacy server"),
        "{why}"
    );
    // Each open() settles with whether its view opened: none did, and nothing was fetched.
    let after = browser
        .run(
            "return Promise.all([VirtioPrivacy.open('policy'), VirtioPrivacy.open('rights'),
                                 VirtioPrivacy.open()]).then((opened) => [opened,
                 !!document.getElementById('virtio-privacy'),
                 performance.getEntriesByType('resource')
                     .filter((e) => e.name.includes('/widget/v1/assets/')).length,
                 document.querySelectorAll('script[src=\"/demo/analytics.js\"]:not([type])').length,
             ]);",
        )
        .await;
    assert_eq!(
        after,
        serde_json::json!([[false, false, false], false, 0, 0])
    );
    assert_eq!(server.count_events(), 0);
    browser.close().await;
}

/// On a slow network, "settings" on the first layer fetches the preferences' bundles for
/// seconds: a notice says, in the visitor's language, that they are coming, and goes once the
/// dialog opens. It is a status that was there, empty, before its words (so that screen readers
/// announce them), and passes axe.
#[tokio::test]
async fn a_view_still_loading_says_so_until_it_opens() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.slow_network().await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.widget_element("[data-vp=open-preferences]").await;
    // Every text the notice had, from the moment it is in the page.
    browser
        .run(
            "const root = document.querySelector('#virtio-privacy').shadowRoot;
             window.vpNoticeSaid = [];
             new MutationObserver(() => {
               const notice = root.querySelector('[data-vp=loading]');
               const said = notice ? notice.textContent : null;
               if (said !== window.vpNoticeSaid.at(-1)) window.vpNoticeSaid.push(said);
             }).observe(root, { childList: true, characterData: true, subtree: true });",
        )
        .await;
    browser.click("[data-vp=open-preferences]").await;
    let notice = browser.widget_element("[data-vp=loading]").await;
    assert_eq!(
        notice.attr("role").await.unwrap().as_deref(),
        Some("status")
    );
    let said = browser
        .wait_for_script("return window.vpNoticeSaid;", |said| {
            said.as_array().is_some_and(|s| s.len() >= 2)
        })
        .await;
    assert_eq!(
        said.as_array().unwrap()[..2],
        ["", "De privacy-instellingen worden geladen…"],
        "the notice is there, empty, before its Dutch words"
    );
    const SHOWN: &str = "const root = document.querySelector('#virtio-privacy').shadowRoot;
         return [!!root.querySelector('[data-vp=loading]'), !!root.querySelector('[data-vp=preferences]')];";
    assert_eq!(
        browser.run(SHOWN).await,
        serde_json::json!([true, false]),
        "the notice shows while the dialog is not there yet"
    );
    let found =
        crate::accessibility::violations(&browser, &crate::accessibility::axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    browser.widget_element("[data-vp=preferences]").await;
    assert_eq!(
        browser.run(SHOWN).await,
        serde_json::json!([false, true]),
        "the notice went when the dialog opened"
    );
    browser.close().await;
}
