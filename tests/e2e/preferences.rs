//! The preferences dialog in real Chromium: no toggle starts on, closing and Escape record
//! nothing, focus moves in, stays in and returns to the opener, and a saved choice is recorded
//! once with exactly the purposes switched on.

use crate::helpers::{Browser, TestServer, downloaded, first_visit, keys};

const TOGGLES: &str = "
    const root = document.querySelector('#virtio-privacy').shadowRoot;
    return [...root.querySelectorAll('[data-vp-toggle]')].map(t =>
        [t.dataset.vpToggle, t.checked, t.disabled, t.getAttribute('role'),
         root.querySelector(`label[for=${t.id}]`)?.textContent || '']);";

#[tokio::test]
async fn the_dialog_starts_off_traps_focus_and_escape_or_close_record_nothing() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=open-preferences]").await;
    let dialog = browser.widget_element("[data-vp=preferences]").await;
    assert_eq!(
        dialog.attr("role").await.unwrap().as_deref(),
        Some("dialog")
    );
    assert_eq!(
        dialog.attr("aria-modal").await.unwrap().as_deref(),
        Some("true")
    );
    let labelled_by = dialog.attr("aria-labelledby").await.unwrap().unwrap();
    let title = browser.widget_element(&format!("#{labelled_by}")).await;
    assert_eq!(title.text().await.unwrap(), "Privacyvoorkeuren");

    let toggles = browser.run(TOGGLES).await;
    let toggles = toggles.as_array().unwrap();
    assert!(toggles.len() >= 4, "{toggles:?}");
    for toggle in toggles {
        let (purpose, on, locked) = (&toggle[0], &toggle[1], &toggle[2]);
        assert_eq!(toggle[3], "switch");
        assert!(
            !toggle[4].as_str().unwrap().is_empty(),
            "{purpose} has a label"
        );
        if purpose == "necessary" {
            assert_eq!(
                (on, locked),
                (&true.into(), &true.into()),
                "necessary is locked on"
            );
        } else {
            assert_eq!(on, &serde_json::Value::Bool(false), "{purpose} starts off");
        }
    }
    browser.screenshot("preferences-dialog").await;

    // Focus is inside and stays inside, forwards and backwards.
    let (first, inside) = browser.focused().await;
    assert!(inside, "focus moved into the dialog (it is on {first})");
    for _ in 0..toggles.len() + 6 {
        browser.press(keys::TAB).await;
        let (hook, inside) = browser.focused().await;
        assert!(inside, "Tab left the dialog for {hook}");
    }
    browser.press(keys::SHIFT_TAB).await;
    assert!(browser.focused().await.1, "Shift+Tab left the dialog");

    // Escape closes without a choice; focus returns to the opener.
    browser.press(keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    assert_eq!(browser.focused().await.0, "open-preferences");
    browser.widget_element("[data-vp=banner]").await;

    // The close button does the same.
    browser.click("[data-vp=open-preferences]").await;
    browser.click("[data-vp=close]").await;
    assert!(
        browser
            .try_widget_element("[data-vp=preferences]")
            .await
            .is_none()
    );
    assert_eq!(browser.focused().await.0, "open-preferences");

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.count_events(), 0, "closing recorded a choice");
    assert!(
        !browser
            .cookie_names()
            .await
            .contains(&"vp_consent".to_owned()),
        "closing stored a choice"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_saved_choice_records_the_switched_on_purposes_once_and_reopens_as_it_was() {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.click("[data-vp=open-preferences]").await;
    browser.click("[data-vp-toggle=advertising]").await;
    browser.click("[data-vp=save]").await;
    server.wait_for_events(1).await;
    assert_eq!(server.event_kinds(), ["custom"]);
    assert!(
        browser
            .try_widget_element("[data-vp=banner]")
            .await
            .is_none()
    );
    let choices = browser.run("return VirtioPrivacy.consent();").await;
    assert_eq!(choices["advertising"], true);
    assert_eq!(choices["analytics"], false);
    assert_eq!(
        browser
            .run("return VirtioPrivacy.has('advertising');")
            .await,
        true
    );

    // The persistent button reopens the dialog with the toggles as they were; focus returns to it.
    browser.click("[data-vp=settings]").await;
    browser.widget_element("[data-vp=preferences]").await;
    let toggles = browser.run(TOGGLES).await;
    let on: Vec<&str> = toggles
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t[1] == true)
        .map(|t| t[0].as_str().unwrap())
        .collect();
    assert_eq!(on, ["necessary", "advertising"]);
    browser.press(keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    assert_eq!(browser.focused().await.0, "settings");

    // Withdrawing takes no more clicks than consenting: open, reject all.
    browser.click("[data-vp=settings]").await;
    browser.click("[data-vp=preferences-reject-all]").await;
    server.wait_for_events(2).await;
    assert_eq!(server.event_kinds(), ["custom", "withdraw"]);
    assert_eq!(
        browser
            .run("return VirtioPrivacy.has('advertising');")
            .await,
        false
    );
    browser.close().await;
}

/// Before consenting (PRODUCT.md §5.1): the first layer links to the policy, and the preferences
/// name each purpose's processors with their country and, outside the EEA, the transfer
/// safeguard, and its cookie names, `necessary` included.
#[tokio::test]
async fn the_first_layer_links_to_the_policy_and_every_purpose_names_its_processors_and_cookies() {
    let (server, browser) = first_visit(1280, 900).await;
    browser.click("[data-vp=open-policy]").await;
    browser.widget_element("[data-vp=policy-dialog]").await;
    browser.press(keys::ESCAPE).await;
    browser.wait_for_dialog_closed().await;
    // The link that opened the policy has the focus again, though the bundle may have rendered
    // the first layer anew while the policy was open.
    assert_eq!(browser.focused().await.0, "open-policy");
    browser.click("[data-vp=open-preferences]").await;
    let page = &browser;
    let text = move |hook: &'static str| async move {
        page.widget_element(hook).await.text().await.unwrap()
    };
    let analytics = text("[data-vp-processors=analytics]").await;
    assert!(
        analytics.contains("Google Analytics (Verenigde Staten; doorgifte op basis van het EU-VS Data Privacy Framework"),
        "{analytics}"
    );
    let advertising = text("[data-vp-processors=advertising]").await;
    assert!(
        advertising.contains("Meta (Facebook) (Verenigde Staten"),
        "{advertising}"
    );
    assert!(
        text("[data-vp-cookies=necessary]")
            .await
            .contains("vp_consent")
    );
    assert!(text("[data-vp-cookies=analytics]").await.contains("_ga"));
    assert_eq!(server.count_events(), 0, "reading records nothing");
    browser.close().await;
}

/// Proof for the visitor: the preferences show when the current choice was made and, once the
/// server recorded it, its event id and notice hash, with the receipt to download as JSON.
#[tokio::test]
async fn the_preferences_show_the_current_choice_with_its_receipt_to_download() {
    let (server, browser) = first_visit(1280, 900).await;
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(1).await;
    let event_id: Vec<String> = server.column("SELECT event_id FROM consent_events");
    let hash: Vec<String> = server.column("SELECT hash FROM consent_events");
    browser.click("[data-vp=settings]").await;
    let proof = browser.widget_element("[data-vp=receipt]").await;
    let text = proof.text().await.unwrap();
    assert!(text.contains(&event_id[0]), "{text}");
    assert!(
        browser
            .widget_element("[data-vp=proof]")
            .await
            .text()
            .await
            .unwrap()
            .contains("Je huidige keuze is van")
    );
    let downloads = browser.allow_downloads().await;
    browser.click("[data-vp=receipt-download]").await;
    let name = format!("virtio-privacy-receipt-{}.json", event_id[0]);
    let receipt: serde_json::Value =
        serde_json::from_str(&downloaded(&downloads.path().join(&name)).await).unwrap();
    assert_eq!(receipt["event_id"], event_id[0].as_str());
    assert_eq!(receipt["hash"], hash[0].as_str());
    assert_eq!(receipt["kind"], "accept_all");
    browser.close().await;
}

/// The proof's event id and notice hash are long unbroken words: at 320 px they wrap, and the
/// dialog does not scroll sideways.
#[tokio::test]
async fn the_proof_of_a_choice_reflows_at_320_pixels_wide() {
    let (server, browser) = first_visit(320, 640).await;
    browser.click("[data-vp=accept-all]").await;
    server.wait_for_events(1).await;
    browser.click("[data-vp=settings]").await;
    browser.widget_element("[data-vp=receipt]").await;
    let widths = browser
        .run(
            "const dialog = document.querySelector('#virtio-privacy').shadowRoot
                 .querySelector('[data-vp=preferences]');
             return [dialog.scrollWidth, dialog.clientWidth];",
        )
        .await;
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "the dialog overflows sideways: {widths}"
    );
    browser.close().await;
}
