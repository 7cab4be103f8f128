//! The inline views: the policy viewer on the demo privacy page and the rights center on the demo
//! request page, in real Chromium against the real server.

use fantoccini::key::Key;
use privacy_shared::Language;
use privacy_shared::policy::{self, CURRENT_VERSION};

use crate::accessibility::{axe_source, violations};
use crate::helpers::{
    RIGHTS, TestServer, customer_token, downloaded, file_confirmed_request, outbox_code,
    rights_press, rights_type, visit_answered,
};

const POLICY: &str = "[data-virtio-privacy=policy]";

#[tokio::test]
async fn the_policy_viewer_shows_the_whole_policy_with_contents_versions_and_a_language_switch() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/privacy.html").await;
    let dutch = policy::document(CURRENT_VERSION, Language::Nl)
        .unwrap()
        .unwrap();
    let english = policy::document(CURRENT_VERSION, Language::En)
        .unwrap()
        .unwrap();

    let title = browser.element_in(POLICY, "#vp-policy-title").await;
    assert_eq!(title.text().await.unwrap(), dutch.title);
    let version = browser.element_in(POLICY, "[data-vp=policy-version]").await;
    assert!(version.text().await.unwrap().contains(CURRENT_VERSION));
    let sections = browser
        .run(
            "const root = document.querySelector('[data-virtio-privacy=policy]').shadowRoot;
             return [root.querySelectorAll('[data-vp=policy-toc] a').length,
                     root.querySelectorAll('section[data-anchor]').length];",
        )
        .await;
    let chapters = dutch.sections.iter().filter(|s| s.level == 2).count();
    assert_eq!(
        sections,
        serde_json::json!([chapters, dutch.sections.len()])
    );

    // A contents link moves to its section and focus follows.
    browser
        .element_in(POLICY, "[data-vp=policy-toc] a[href='#your-rights']")
        .await
        .click()
        .await
        .unwrap();
    let focused = browser
        .run("return document.querySelector('[data-virtio-privacy=policy]').shadowRoot.activeElement?.id;")
        .await;
    assert_eq!(focused, "vp-policy-your-rights");

    let authority = browser.element_in(POLICY, "[data-vp=authority]").await;
    assert_eq!(
        authority.attr("href").await.unwrap().as_deref(),
        Some("https://autoriteitpersoonsgegevens.nl")
    );
    let found = violations(&browser, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");

    browser
        .element_in(POLICY, "[data-vp=policy-en]")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_script(
            "return document.querySelector('[data-virtio-privacy=policy]').shadowRoot.querySelector('#vp-policy-title')?.textContent;",
            |v| v == english.title.as_str(),
        )
        .await;
    let note = browser.element_in(POLICY, "[data-vp=policy]").await;
    assert!(
        note.text()
            .await
            .unwrap()
            .contains("the Dutch text is binding")
    );
    browser.close().await;
}

/// The policy at 320 px, by keyboard, in both languages: in the dialog nothing scrolls sideways,
/// the focus starts on the language switch, Enter on "English" brings the English text with the
/// focus kept there, Enter on a contents link moves the focus to its section, axe finds nothing in
/// either language, and Escape gives the focus back; the privacy page's inline policy fits too.
#[tokio::test]
async fn the_policy_reads_at_320_pixels_by_keyboard_in_both_languages() {
    use crate::helpers::keys::{ENTER, ESCAPE, TAB};
    const FITS: &str = "const root = document.querySelector('#virtio-privacy').shadowRoot;
        const dialog = root.querySelector('[data-vp=policy-dialog]').getBoundingClientRect();
        return [document.documentElement.scrollWidth <= window.innerWidth,
                dialog.left >= 0 && dialog.right <= window.innerWidth,
                [...root.querySelectorAll('[data-vp=policy-dialog] button, [data-vp=policy-toc] a')]
                    .every(e => { const r = e.getBoundingClientRect();
                                  return r.left >= dialog.left && r.right <= dialog.right; })];";
    // The dialog within the window, with its buttons and links inside it, and axe's verdict.
    async fn fits_without_violations(browser: &crate::helpers::Browser) {
        assert_eq!(
            browser.run(FITS).await,
            serde_json::json!([true, true, true])
        );
        let found = violations(browser, &axe_source()).await;
        assert_eq!(found, serde_json::json!([]), "{found:#}");
    }
    let server = TestServer::start().await;
    let browser = crate::helpers::Browser::start(320, 640).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=reject-all]").await;
    browser.widget_element("[data-vp=settings]").await;
    browser.run("VirtioPrivacy.open('policy');").await;
    browser
        .widget_element("[data-vp=policy-dialog] [data-vp=policy-toc]")
        .await;
    assert_eq!(browser.focused().await.0, "policy-nl");
    fits_without_violations(&browser).await;

    browser.press(TAB).await;
    assert_eq!(browser.focused().await.0, "policy-en");
    browser.press(ENTER).await;
    browser
        .wait_for_script(
            "return document.querySelector('#virtio-privacy').shadowRoot
                 .querySelector('[data-vp=policy-dialog] [data-vp=policy]')?.lang;",
            |v| v == "en",
        )
        .await;
    assert_eq!(browser.focused().await.0, "policy-en");
    let pressed = browser
        .run(
            "return document.querySelector('#virtio-privacy').shadowRoot
                  .querySelector('[data-vp=policy-en]').getAttribute('aria-pressed');",
        )
        .await;
    assert_eq!(pressed, "true");
    fits_without_violations(&browser).await;

    // To the first contents link (after the title and the version there is nothing to focus).
    browser.press(TAB).await;
    let first = browser
        .run("const root = document.querySelector('#virtio-privacy').shadowRoot;
              const link = root.activeElement;
              return link && link.closest('[data-vp=policy-toc]') ? link.getAttribute('href') : null;")
        .await;
    let anchor = first
        .as_str()
        .expect("Tab reaches the contents")
        .trim_start_matches('#')
        .to_owned();
    browser.press(ENTER).await;
    let focused = browser
        .run("return document.querySelector('#virtio-privacy').shadowRoot.activeElement?.id;")
        .await;
    assert_eq!(focused, format!("vp-policy-{anchor}").as_str());
    browser.press(ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    assert_eq!(browser.focused().await.0, "settings");

    // The privacy page's policy, in the page, fits as well.
    browser
        .client
        .goto(&server.page("/privacy.html"))
        .await
        .unwrap();
    browser.element_in(POLICY, "[data-vp=policy-toc]").await;
    let fits = browser
        .run(
            "const root = document.querySelector('[data-virtio-privacy=policy]').shadowRoot;
              const article = root.querySelector('[data-vp=policy]').getBoundingClientRect();
              return document.documentElement.scrollWidth <= window.innerWidth
                  && article.right <= window.innerWidth;",
        )
        .await;
    assert_eq!(fits, true);
    let found = violations(&browser, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    browser.close().await;
}

#[tokio::test]
async fn a_visitor_files_a_request_confirms_it_with_the_code_and_sees_number_and_due_date() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/rechten.html").await;

    // A bad address is refused in the form, in Dutch, before anything is sent.
    rights_type(&browser, "[data-vp=rights-email]", "geen-adres").await;
    rights_press(&browser, "[data-vp=rights-submit]").await;
    let error = browser.element_in(RIGHTS, "[data-vp-error=email]").await;
    assert!(error.text().await.unwrap().contains("geldig e-mailadres"));
    let email = browser.element_in(RIGHTS, "[data-vp=rights-email]").await;
    assert_eq!(
        email.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let filed: i64 = rusqlite::Connection::open(&server.database)
        .unwrap()
        .query_row("SELECT count(*) FROM rights_requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(filed, 0);

    browser
        .element_in(RIGHTS, "[data-vp=rights-kind]")
        .await
        .select_by_value("erasure")
        .await
        .unwrap();
    rights_type(&browser, "[data-vp=rights-email]", "bezoeker@example.nl").await;
    rights_type(&browser, "[data-vp=rights-name]", "Bea Bezoeker").await;
    rights_press(&browser, "[data-vp=rights-submit]").await;
    browser.element_in(RIGHTS, "[data-vp=rights-verify]").await;
    let (id, kind, due): (String, String, String) = rusqlite::Connection::open(&server.database)
        .unwrap()
        .query_row("SELECT id, kind, due_date FROM rights_requests", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(kind, "erasure");
    let code = outbox_code(&server);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    rights_type(&browser, "[data-vp=rights-code]", wrong).await;
    rights_press(&browser, "[data-vp=rights-confirm]").await;
    let failure = browser.element_in(RIGHTS, "[data-vp=rights-failure]").await;
    assert_eq!(
        failure.text().await.unwrap(),
        "Deze code klopt niet. Je kunt het nog 4 keer proberen."
    );

    rights_type(&browser, "[data-vp=rights-code]", &code).await;
    browser
        .element_in(RIGHTS, "[data-vp=rights-code]")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    let number = browser.element_in(RIGHTS, "[data-vp=rights-number]").await;
    assert_eq!(number.text().await.unwrap(), id);
    let shown_due = browser.element_in(RIGHTS, "[data-vp=rights-due]").await;
    assert_eq!(shown_due.text().await.unwrap(), due);
    let status = browser.element_in(RIGHTS, "[data-vp=rights-status]").await;
    assert_eq!(status.text().await.unwrap(), "ontvangen");
    let found = violations(&browser, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");

    // Back later, the request's status page is there.
    browser.client.refresh().await.unwrap();
    let saved = browser
        .element_in(
            RIGHTS,
            &format!("[data-vp-request='{id}'] [data-vp=history-status]"),
        )
        .await;
    assert_eq!(saved.text().await.unwrap(), "ontvangen");
    browser.close().await;
}

/// A request deleted after its retention period is forgotten by the browser too: its status
/// token is not kept for ever, and the list shows only what the server still holds.
#[tokio::test]
async fn a_request_deleted_by_retention_is_forgotten_with_its_token() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/rechten.html").await;
    let kept = file_confirmed_request(&server, &browser, "blijft@example.nl").await;
    browser.client.refresh().await.unwrap();
    let gone = file_confirmed_request(&server, &browser, "weg@example.nl").await;
    const SAVED: &str =
        "return JSON.parse(sessionStorage.getItem('vp_requests') || '[]').map(r => r.id);";
    browser
        .wait_for_script(SAVED, |ids| ids.as_array().is_some_and(|a| a.len() == 2))
        .await;
    // Retention deletes one (as `retention run` does for a closed request past its period).
    rusqlite::Connection::open(&server.database)
        .unwrap()
        .execute("DELETE FROM rights_requests WHERE id = ?1", [&gone])
        .unwrap();
    browser.client.refresh().await.unwrap();
    browser
        .wait_for_script(SAVED, |ids| *ids == serde_json::json!([kept]))
        .await;
    browser
        .element_in(RIGHTS, &format!("[data-vp-request='{kept}']"))
        .await;
    // The list is rendered at once from every answer, so with the kept one shown it is whole.
    let listed = browser
        .run(&format!(
            "return !!document.querySelector('[data-virtio-privacy=rights]').shadowRoot\
             .querySelector(\"[data-vp-request='{gone}']\");"
        ))
        .await;
    assert_eq!(listed, false, "the deleted request is still listed");
    browser.close().await;
}

/// Status tokens unlock answers, so they stay with the tab (`sessionStorage`), and an older
/// browser's `localStorage` copy moves there once; the e-mailed status link opens the request in
/// any browser, shows it above the form, and takes the token out of the address bar.
#[tokio::test]
async fn the_mailed_status_link_opens_the_request_anywhere_and_no_token_stays_in_local_storage() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/rechten.html").await;
    let id = file_confirmed_request(&server, &browser, "bezoeker@example.nl").await;
    assert_eq!(
        browser
            .run("return localStorage.getItem('vp_requests');")
            .await,
        serde_json::Value::Null
    );
    // A browser that kept the token in localStorage before: it moves to the tab.
    browser
        .run(
            "localStorage.setItem('vp_requests', sessionStorage.getItem('vp_requests'));
             sessionStorage.removeItem('vp_requests');",
        )
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .element_in(RIGHTS, &format!("[data-vp-request='{id}']"))
        .await;
    assert_eq!(
        browser
            .run("return [localStorage.getItem('vp_requests'), JSON.parse(sessionStorage.getItem('vp_requests')).length];")
            .await,
        serde_json::json!([null, 1])
    );
    browser.close().await;

    // Another browser, at 320 px, opens the link of the e-mail with the code.
    let body: String = server
        .column("SELECT body FROM outbox ORDER BY rowid")
        .into_iter()
        .next()
        .expect("the code e-mail");
    let url = body
        .split_whitespace()
        .find(|w| w.contains("/requests/?"))
        .expect("a status link in the e-mail")
        .to_owned();
    let events = server.count_events();
    let fresh = crate::helpers::Browser::start(320, 700).await;
    fresh.client.goto(&url).await.unwrap();
    let status = fresh
        .element_in(
            RIGHTS,
            &format!("[data-vp-request='{id}'][data-vp-linked=true] [data-vp=history-status]"),
        )
        .await;
    assert_eq!(status.text().await.unwrap(), "ontvangen");
    let shown = fresh
        .run(
            "const root = document.querySelector('[data-virtio-privacy=rights]').shadowRoot;
             const history = root.querySelector('[data-vp=rights-history]');
             const form = root.querySelector('[data-vp=rights-form]');
             return [location.hash, location.search,
                     !!(history.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING),
                     document.documentElement.scrollWidth <= 320];",
        )
        .await;
    assert_eq!(
        shown,
        serde_json::json!(["", "?site=virtio-nl&lang=nl", true, true]),
        "the token left the address, the request shows above the form, the page fits 320 px"
    );
    // The status page asks no consent (`data-consent="off"`): by the time the bundle rendered the
    // request, it had rendered any banner too; there is none, no cookie and no event.
    assert_eq!(
        fresh
            .run("return [document.getElementById('virtio-privacy'), document.cookie];")
            .await,
        serde_json::json!([null, ""])
    );
    assert_eq!(
        server.count_events(),
        events,
        "nothing recorded on the status page"
    );
    let found = violations(&fresh, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    fresh.close().await;
}

#[tokio::test]
async fn a_signed_in_customer_files_a_request_without_a_code_step() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/rechten.html").await;
    browser.element_in(RIGHTS, "[data-vp=rights-form]").await;
    browser.identify(&customer_token("C-31")).await;
    // The form reads the identity when it is sent; the e-mail field may stay empty.
    rights_press(&browser, "[data-vp=rights-submit]").await;
    let status = browser.element_in(RIGHTS, "[data-vp=rights-status]").await;
    assert_eq!(status.text().await.unwrap(), "ontvangen");
    let customer: String = rusqlite::Connection::open(&server.database)
        .unwrap()
        .query_row("SELECT customer FROM rights_requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(customer, "C-31");
    browser.close().await;
}

#[tokio::test]
async fn the_inline_preferences_record_a_choice_and_follow_choices_made_elsewhere() {
    const INLINE: &str = "[data-virtio-privacy=preferences]";
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/privacy.html").await;
    server.wait_for_events(1).await;
    let analytics = browser
        .element_in(INLINE, "[data-vp-toggle=analytics]")
        .await;
    assert_eq!(
        analytics.prop("checked").await.unwrap().as_deref(),
        Some("false")
    );
    analytics.click().await.unwrap();
    browser
        .element_in(INLINE, "[data-vp=save]")
        .await
        .click()
        .await
        .unwrap();
    server.wait_for_events(2).await;
    assert_eq!(server.event_kinds(), ["reject_all", "custom"]);
    assert_eq!(
        browser.run("return VirtioPrivacy.has('analytics');").await,
        true
    );

    // A withdrawal in the dialog shows in the page's toggles.
    browser.click("[data-vp=settings]").await;
    browser.click("[data-vp=preferences-reject-all]").await;
    server.wait_for_events(3).await;
    browser
        .wait_for_script(
            "return document.querySelector('[data-virtio-privacy=preferences]').shadowRoot.querySelector('[data-vp-toggle=analytics]').checked;",
            |v| v == false,
        )
        .await;

    // Without the consent widget's bundle (the network drops it), the page still has the button
    // that reopens the choice, at once, and the inline preferences show nothing rather than a
    // choice that is not the engine's; the failure is said.
    browser
        .wait_for_script("return localStorage.getItem('vp_outbox');", |v| v.is_null())
        .await;
    browser.drop_main_bundle().await;
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    browser.widget_element("[data-vp=load-error]").await;
    assert_eq!(
        browser
            .run("return document.querySelector('[data-virtio-privacy=preferences]').shadowRoot?.querySelectorAll('[data-vp-toggle]').length ?? 0;")
            .await,
        0
    );
    browser.close().await;
}

#[tokio::test]
async fn the_policy_and_the_rights_center_open_in_dialogs_and_focus_returns_to_the_opener() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/").await;
    // From the preferences to the policy, and back to the settings button on Escape.
    browser.click("[data-vp=settings]").await;
    browser.click("[data-vp=open-policy]").await;
    let dialog = browser.widget_element("[data-vp=policy-dialog]").await;
    assert_eq!(
        dialog.attr("role").await.unwrap().as_deref(),
        Some("dialog")
    );
    browser
        .widget_element("[data-vp=policy-dialog] [data-vp=policy-toc]")
        .await;
    assert!(
        browser
            .try_widget_element("[data-vp=preferences]")
            .await
            .is_none()
    );
    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    assert_eq!(browser.focused().await.0, "settings");

    // The JavaScript API opens the rights center.
    browser.run("VirtioPrivacy.open('rights');").await;
    browser
        .widget_element("[data-vp=rights-dialog] [data-vp=rights-form]")
        .await;
    let (_, inside) = browser.focused().await;
    assert!(!inside, "the rights dialog is not the preferences");
    let in_dialog = browser
        .run("const root = document.querySelector('#virtio-privacy').shadowRoot;
              return !!root.activeElement && !!root.activeElement.closest('[data-vp=rights-dialog]');")
        .await;
    assert_eq!(in_dialog, true, "focus moved into the rights dialog");
    browser.close().await;
}

/// Whether the open dialog wears the site's theme as the settings button does: its background, and
/// the font (the widget's own, not the browser's default).
const THEMED: &str = "const root = document.querySelector('#virtio-privacy').shadowRoot;
    const dialog = getComputedStyle(root.querySelector('[role=dialog]'));
    const settings = getComputedStyle(root.querySelector('[data-vp=settings]'));
    return [dialog.backgroundColor === settings.backgroundColor,
            dialog.fontFamily === settings.fontFamily];";

/// The WebAssembly bundles the page fetched, by name (`widget`, the consent widget; `views`, the
/// rights center), in alphabetical order.
const WASM_BUNDLES: &str = "return performance.getEntriesByType('resource')
    .map(e => e.name.split('/').pop()).filter(n => n.endsWith('.wasm')).map(n => n.split('-')[0])
    .sort();";

/// The rights center is a bundle of its own, and the policy needs no bundle at all: a visitor who
/// answers the banner and reads the policy fetches only the consent widget's bundle; the
/// preferences need that bundle alone; a returning visitor with a current choice reads the policy
/// without any WebAssembly, and opens the rights center with its bundle alone; each dialog gives
/// the focus back when it closes.
#[tokio::test]
async fn the_views_are_a_bundle_of_their_own_fetched_only_when_one_opens() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/").await;
    server.wait_for_events(1).await;
    assert_eq!(
        browser.run(WASM_BUNDLES).await,
        serde_json::json!(["widget"]),
        "answering the banner needs the consent widget only"
    );
    browser.run("VirtioPrivacy.open('policy');").await;
    browser
        .widget_element("[data-vp=policy-dialog] [data-vp=policy-toc]")
        .await;
    assert_eq!(
        browser.run(WASM_BUNDLES).await,
        serde_json::json!(["widget"]),
        "the policy needs no bundle"
    );
    // The policy's dialog wears the site's theme as the settings button does: its background, and
    // the accent (the button's border) on the pressed language button.
    let colours = browser
        .run(
            "const root = document.querySelector('#virtio-privacy').shadowRoot;
             const style = (css) => getComputedStyle(root.querySelector(css));
             const settings = style('[data-vp=settings]');
             return [[style('[data-vp=policy-dialog]').backgroundColor, settings.backgroundColor],
                     [style('[data-vp=policy-dialog] [aria-pressed=true]').backgroundColor,
                      settings.borderTopColor]];",
        )
        .await;
    assert_eq!(colours[0][0], colours[0][1], "{colours}");
    assert_eq!(colours[1][0], colours[1][1], "{colours}");
    let found = violations(&browser, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");

    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;

    // A returning visit: the stored choice applies without WebAssembly; the settings button
    // is there; the policy opens from the JavaScript API, still without any.
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    browser.run("VirtioPrivacy.open('policy');").await;
    browser
        .widget_element("[data-vp=policy-dialog] [data-vp=policy-toc]")
        .await;
    assert_eq!(browser.run(WASM_BUNDLES).await, serde_json::json!([]));
    assert_eq!(browser.run(THEMED).await, serde_json::json!([true, true]));
    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    assert_eq!(browser.focused().await.0, "settings");
    // The preferences change the consent widget's choice: its bundle alone, not the views'.
    browser.click("[data-vp=settings]").await;
    browser.widget_element("[data-vp=preferences]").await;
    assert_eq!(
        browser.run(WASM_BUNDLES).await,
        serde_json::json!(["widget"])
    );
    assert_eq!(
        browser.run(THEMED).await,
        serde_json::json!([true, true]),
        "the preferences wear the site's theme and font"
    );
    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    browser.run("VirtioPrivacy.open('rights');").await;
    browser
        .widget_element("[data-vp=rights-dialog] [data-vp=rights-form]")
        .await;
    assert_eq!(
        browser.run(WASM_BUNDLES).await,
        serde_json::json!(["views"]),
        "the rights center came without the consent widget's bundle"
    );
    let found = violations(&browser, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    browser.press(crate::helpers::keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    assert_eq!(browser.focused().await.0, "settings");
    assert_eq!(
        server.count_events(),
        1,
        "reading the policy and the rights center records nothing"
    );
    browser.close().await;
}

/// The preferences need the consent widget's bundle and their own small module, never the views
/// bundle: the dialog opens only once the engine runs, so it never shows a choice that is not the
/// engine's. With that bundle blocked the failure is said and no dialog shows; the next click
/// opens the choice as stored, and a choice made in it is recorded, all without the views bundle.
#[tokio::test]
async fn the_preferences_open_with_the_engines_choice_and_never_fetch_the_views_bundle() {
    const FETCHED: &str = "return performance.getEntriesByType('resource')
        .filter(e => e.responseEnd > 0).map(e => new URL(e.name).pathname.split('/').pop())
        .map(name => name.replace(/-[0-9a-f]{16}\\./, '.')).sort();";
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/").await;
    // Once the outbox is empty, the next page needs no bundle until the preferences open.
    browser
        .wait_for_script("return localStorage.getItem('vp_outbox');", |v| v.is_null())
        .await;
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;

    browser.drop_main_bundle().await;
    fail_then_open_preferences(&browser, "the preferences opened without the engine").await;
    assert_eq!(
        browser.checked_toggles().await,
        serde_json::json!(["necessary"]),
        "rejected all, as stored"
    );
    browser.click("[data-vp-toggle=analytics]").await;
    browser.click("[data-vp=save]").await;
    server.wait_for_events(2).await;
    let fetched = browser.run(FETCHED).await;
    let names: Vec<&str> = fetched
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|name| name.as_str())
        .collect();
    for part in ["widget.wasm", "widget.js", "dialogs.js"] {
        assert!(names.contains(&part), "{part} was not fetched: {names:?}");
    }
    assert!(
        !names.iter().any(|name| name.starts_with("views.")),
        "the preferences fetched the views bundle: {names:?}"
    );

    // Their markup lost on the way (a dropped network): the failure is said, no dialog opens,
    // and the next click opens them and takes the notice away.
    browser.client.refresh().await.unwrap();
    browser.widget_element("[data-vp=settings]").await;
    browser.block_requests(&["*/preferences?*"]).await;
    fail_then_open_preferences(&browser, "the preferences opened without their markup").await;
    assert_eq!(
        browser.checked_toggles().await,
        serde_json::json!(["necessary", "analytics"])
    );
    browser
        .wait_for_script(
            "return !document.querySelector('#virtio-privacy').shadowRoot.querySelector('[data-vp=load-error]');",
            |v| v == true,
        )
        .await;
    browser.close().await;
}

/// With a part of the preferences blocked, a click on the settings button says the failure and
/// opens no dialog (else `opened`); with the network back, the next click opens them.
async fn fail_then_open_preferences(browser: &crate::helpers::Browser, opened: &str) {
    browser.click("[data-vp=settings]").await;
    browser.widget_element("[data-vp=load-error]").await;
    assert!(
        browser
            .try_widget_element("[data-vp=preferences]")
            .await
            .is_none(),
        "{opened}"
    );
    browser.block_requests(&[]).await;
    browser.click("[data-vp=settings]").await;
    browser.widget_element("[data-vp=preferences]").await;
}

#[tokio::test]
async fn a_completed_access_request_shows_its_answer_and_its_files_download() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/rechten.html").await;
    let id = file_confirmed_request(&server, &browser, "bezoeker@example.nl").await;

    // The officer answers through the admin API with a file; the export is added by the server.
    let cookie = server.officer_session().await;
    let answered = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/admin/requests/{id}/complete",
            server.address
        ))
        .header("cookie", cookie)
        .json(&serde_json::json!({
            "message": "Hierbij alle gegevens die we van je hebben.",
            "attachments": [{ "name": "facturen.txt", "content_type": "text/plain",
                              "content_base64": "ZmFjdHV1ciAyMDI0LTAwMQ==" },
                            // An HTML file, which must never render in the host page's origin.
                            { "name": "pagina.html", "content_type": "text/html",
                              "content_base64": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" }],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);

    browser.client.refresh().await.unwrap();
    let item = format!("[data-vp-request='{id}']");
    let status = browser
        .element_in(RIGHTS, &format!("{item} [data-vp=history-status]"))
        .await;
    assert_eq!(status.text().await.unwrap(), "afgehandeld");
    let answer = browser
        .element_in(RIGHTS, &format!("{item} [data-vp=history-answer]"))
        .await;
    assert_eq!(
        answer.text().await.unwrap(),
        "Hierbij alle gegevens die we van je hebben."
    );
    // Every blob the widget hands out for a download is recorded with its type.
    browser
        .run(
            "window.vpBlobTypes = []; const create = URL.createObjectURL;
             URL.createObjectURL = (blob) => { vpBlobTypes.push(blob.type); return create.call(URL, blob); };",
        )
        .await;
    rights_press(&browser, &format!("{item} [data-vp=history-files]")).await;
    browser
        .element_in(RIGHTS, &format!("{item} [data-vp=history-downloads]"))
        .await;
    let names = browser
        .run(
            "const root = document.querySelector('[data-virtio-privacy=rights]').shadowRoot;
             return [...root.querySelectorAll('[data-vp=history-downloads] a')].map(a => a.download);",
        )
        .await;
    assert_eq!(
        names,
        serde_json::json!([
            "facturen.txt",
            "pagina.html",
            "export.json",
            "consent-events.csv",
            "requests.csv",
            "field-descriptions.csv"
        ])
    );

    // Every file is handed over only to be saved, whatever type it claims.
    assert_eq!(
        browser.run("return window.vpBlobTypes;").await,
        serde_json::Value::from(vec!["application/octet-stream"; 6])
    );

    // A click downloads the file, with the officer's content.
    let downloads = browser.allow_downloads().await;
    rights_press(
        &browser,
        &format!("{item} [data-vp=history-downloads] a[download='facturen.txt']"),
    )
    .await;
    let file = downloads.path().join("facturen.txt");
    assert_eq!(downloaded(&file).await, "factuur 2024-001");
    browser.close().await;
}

/// Buttons of the host page open the policy and then the rights center: each dialog gives the
/// focus back to the button that opened it, the second as well as the first.
#[tokio::test]
async fn each_views_dialog_gives_the_focus_back_to_the_page_button_that_opened_it() {
    let server = TestServer::start().await;
    let browser = visit_answered(&server, "/").await;
    browser
        .run(
            "for (const view of ['rights', 'policy']) {
                 const button = document.createElement('button');
                 button.id = 'open-' + view;
                 button.textContent = view;
                 button.addEventListener('click', () => VirtioPrivacy.open(view));
                 document.body.prepend(button);
             }",
        )
        .await;
    for (view, inside) in [
        ("policy", "[data-vp=policy-dialog] [data-vp=policy-toc]"),
        ("rights", "[data-vp=rights-dialog] [data-vp=rights-form]"),
    ] {
        browser
            .client
            .find(fantoccini::Locator::Css(&format!("#open-{view}")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser.widget_element(inside).await;
        browser.press(crate::helpers::keys::ESCAPE).await;
        browser.wait_for_dialog_closed().await;
        assert_eq!(
            browser.run("return document.activeElement.id;").await,
            format!("open-{view}"),
            "the {view} dialog gave the focus back to its opener"
        );
    }
    browser.close().await;
}

/// A script of the page opens each view while nothing has the focus, on a first visit: closing it
/// puts the focus on the banner, where the visitor still has to answer, not on the page's body
/// (which would send a keyboard user back to the top of the page). A view's name the widget does
/// not know opens nothing and says so in the console, where the page's developer looks.
#[tokio::test]
async fn a_view_a_script_opened_gives_the_focus_to_the_banner_and_an_unknown_one_opens_nothing() {
    let (_server, browser) = crate::helpers::first_visit(1280, 900).await;
    for (view, inside) in [
        ("preferences", "[data-vp=preferences] [data-vp=save]"),
        ("policy", "[data-vp=policy-dialog] [data-vp=policy-toc]"),
        ("rights", "[data-vp=rights-dialog] [data-vp=rights-form]"),
    ] {
        let opened = browser
            .run(&format!(
                "document.activeElement?.blur(); return VirtioPrivacy.open('{view}');"
            ))
            .await;
        assert_eq!(opened, true, "open('{view}') settles with true");
        browser.widget_element(inside).await;
        browser.press(crate::helpers::keys::ESCAPE).await;
        browser.wait_for_dialog_closed().await;
        let on_banner = browser
            .run(
                "const active = document.querySelector('#virtio-privacy').shadowRoot.activeElement;
                 return active ? active.matches('[data-vp=banner] button') : false;",
            )
            .await;
        assert_eq!(
            on_banner, true,
            "closing the {view} dialog put the focus on the banner"
        );
    }
    let unknown = browser
        .run(
            "const said = [];
             const error = console.error;
             console.error = (...args) => { said.push(args.map(String).join(' ')); error(...args); };
             return VirtioPrivacy.open('cookies').then((opened) => {
               console.error = error;
               return [opened, said,
                       !!document.querySelector('#virtio-privacy').shadowRoot.querySelector('[role=dialog]')];
             });",
        )
        .await;
    assert_eq!(unknown[0], false, "open('cookies') settles with false");
    assert_eq!(unknown[2], false, "and opens no dialog");
    let said = unknown[1][0].as_str().unwrap_or_default();
    assert!(
        said.contains("\"preferences\", \"policy\" or \"rights\", not cookies"),
        "the console names the views: {said}"
    );
    browser.close().await;
}
