//! The demo interface app's settings page (`www/interface/`): a customer signs in, switches what
//! they consent to, sees the history with receipts and their requests, and finds the same choice
//! in another browser profile.

use fantoccini::Locator;

use crate::accessibility::{axe_source, violations};
use crate::helpers::{Browser, RIGHTS, TestServer};

const INLINE: &str = "[data-virtio-privacy=preferences]";

/// Signs in on the interface page as `customer` with the demo login.
async fn sign_in(browser: &Browser, server: &TestServer, customer: &str) {
    browser
        .client
        .goto(&server.page("/interface/"))
        .await
        .unwrap();
    let field = browser
        .client
        .wait()
        .for_element(Locator::Css("#customer"))
        .await
        .unwrap();
    field.clear().await.unwrap();
    // Enter submits the form, as a keyboard user does; the first-visit banner may cover the button.
    field
        .send_keys(&format!("{customer}{}", crate::helpers::keys::ENTER))
        .await
        .unwrap();
    browser
        .wait_for_script(
            "return !document.getElementById('account').hidden && document.getElementById('signed-in-as').textContent;",
            |v| v == customer,
        )
        .await;
}

/// Clicks the element `css` of the widget view `host` after scrolling it to the middle of the
/// screen, as a visitor scrolls it above what is fixed at the bottom (the settings button).
async fn click_in(browser: &Browser, host: &str, css: &str) {
    let element = browser.element_in(host, css).await;
    browser
        .client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&element).unwrap()],
        )
        .await
        .unwrap();
    element.click().await.unwrap();
}

#[tokio::test]
async fn a_customer_switches_a_toggle_on_the_interface_page_and_finds_it_in_another_profile() {
    let server = TestServer::start().await;

    let laptop = Browser::start(1280, 900).await;
    sign_in(&laptop, &server, "C-1001").await;
    // First the banner, as every first visit; then the newsletter switched on in the settings.
    laptop.click("[data-vp=reject-all]").await;
    server.wait_for_events(1).await;
    click_in(&laptop, INLINE, "[data-vp-toggle=newsletter]").await;
    click_in(&laptop, INLINE, "[data-vp=save]").await;
    server.wait_for_events(2).await;
    let customers: Vec<Option<String>> = server.column("SELECT customer FROM consent_events");
    assert_eq!(
        customers,
        [Some("C-1001".to_owned()), Some("C-1001".to_owned())]
    );
    // The history shows the choices, newest first, with their receipts once delivered.
    let rows = laptop
        .wait_for_script(
            "return [...document.querySelectorAll('[data-demo=history-row]')].map(r => r.textContent);",
            |v| v.as_array().is_some_and(|rows| rows.len() == 2),
        )
        .await;
    let event_ids: Vec<String> =
        server.column("SELECT event_id FROM consent_events ORDER BY seq DESC");
    let newest = rows[0].as_str().unwrap();
    assert!(newest.contains(&event_ids[0][..8]), "{rows}");
    assert!(newest.contains("ieuwsbrie"), "{rows}");
    assert!(
        rows[1].as_str().unwrap().contains("alles geweigerd"),
        "{rows}"
    );
    // A purpose that stores nothing in the browser says so instead of an empty list.
    let newsletter_cookies = laptop
        .element_in(INLINE, "[data-vp-cookies=newsletter]")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        newsletter_cookies,
        "Cookies en opslag: geen: niets in je browser"
    );
    let found = violations(&laptop, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    laptop.screenshot("interface-1280").await;
    laptop.close().await;

    // Another profile (the phone) at 320 px, signed in as the same customer: the choice is there,
    // and the banner does not ask again.
    let phone = Browser::start(320, 640).await;
    sign_in(&phone, &server, "C-1001").await;
    let newsletter_on = "return document.querySelector('[data-virtio-privacy=preferences]')?.shadowRoot?.querySelector('[data-vp-toggle=newsletter]')?.checked ?? null;";
    phone.wait_for_script(newsletter_on, |v| v == true).await;
    phone.widget_element("[data-vp=settings]").await;
    // In English: the page reloads in English and stays signed in.
    phone
        .client
        .find(Locator::Css("[data-demo=language]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    phone
        .wait_for_script(
            "return document.documentElement.lang + ' ' + document.querySelector('h1').textContent;",
            |v| v == "en My privacy settings",
        )
        .await;
    phone.wait_for_script(newsletter_on, |v| v == true).await;
    phone
        .wait_for_script(
            "return document.querySelectorAll('[data-demo=history-row]').length;",
            |v| v == 2,
        )
        .await;
    assert_eq!(
        server.count_events(),
        2,
        "adopting the choice records nothing new"
    );

    // A request filed here joins the list of the customer's requests.
    click_in(&phone, RIGHTS, "[data-vp=rights-submit]").await;
    phone.element_in(RIGHTS, "[data-vp=rights-number]").await;
    let listed = phone
        .wait_for_script(
            "return [...document.querySelectorAll('[data-demo-request]')].map(r => r.textContent);",
            |v| v.as_array().is_some_and(|rows| rows.len() == 1),
        )
        .await;
    assert!(listed[0].as_str().unwrap().contains("received"), "{listed}");
    assert_eq!(
        phone
            .run("return document.documentElement.scrollWidth <= document.documentElement.clientWidth;")
            .await,
        true,
        "the page fits 320 px"
    );
    let found = violations(&phone, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{found:#}");
    phone.screenshot("interface-320").await;
    phone.close().await;
}
