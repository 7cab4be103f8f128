//! Cross-device sync: two fresh browser profiles of one customer (the same identity token from
//! the interface app) share a choice.

use crate::helpers::{Browser, TestServer, customer_token, first_visit};

#[tokio::test]
async fn two_profiles_with_the_same_identity_token_share_a_choice() {
    let server = TestServer::start().await;
    let token = customer_token("C-2024");

    let laptop = Browser::start(1280, 900).await;
    laptop.client.goto(&server.page("/")).await.unwrap();
    laptop.widget_element("[data-vp=banner]").await;
    laptop.identify(&token).await;
    laptop.click("[data-vp=open-preferences]").await;
    laptop.click("[data-vp-toggle=analytics]").await;
    laptop.click("[data-vp=save]").await;
    server.wait_for_events(1).await;
    let customer: Vec<Option<String>> = server.column("SELECT customer FROM consent_events");
    assert_eq!(
        customer,
        [Some("C-2024".to_owned())],
        "the event is linked to the customer"
    );
    laptop.close().await;

    let phone = Browser::start(1280, 900).await;
    phone.client.goto(&server.page("/")).await.unwrap();
    phone.widget_element("[data-vp=banner]").await;
    phone.identify(&token).await;
    phone.widget_element("[data-vp=settings]").await;
    assert!(phone.try_widget_element("[data-vp=banner]").await.is_none());
    assert_eq!(
        phone.run("return VirtioPrivacy.has('analytics');").await,
        true
    );
    assert_eq!(
        phone.run("return VirtioPrivacy.has('advertising');").await,
        false
    );
    phone
        .wait_for_script("return window.vpDemoAnalyticsRuns ?? 0;", |v| v == 1)
        .await;
    assert!(
        phone
            .cookie_names()
            .await
            .contains(&"vp_consent".to_owned())
    );
    assert_eq!(server.count_events(), 1, "adopting records nothing new");
    phone.close().await;
}

/// A token the server no longer accepts (here: signed under another secret, as after a rotation
/// or an expiry) does not lose the event or its customer: the widget asks the host page for a
/// fresh token and sends the waiting event with it.
#[tokio::test]
async fn an_event_whose_token_is_refused_waits_for_a_fresh_one_and_keeps_its_customer() {
    let (server, browser) = first_visit(1280, 900).await;
    browser
        .run(
            "window.vpExpired = 0;
             window.addEventListener('virtio-privacy:identity-expired', () => window.vpExpired++);",
        )
        .await;
    // Signed with a key the server does not know.
    let refused = privacy_server::identity::Signer::new(
        privacy_server::identity::Algorithm::Hs256,
        b"a secret the server does not know, 32+ bytes",
        privacy_server::identity::development::ISSUER,
    )
    .unwrap()
    .sign(
        privacy_shared::CustomerNumber::parse("C-3003").unwrap(),
        privacy_shared::EmailAddress::parse("klant@example.nl").unwrap(),
        &["virtio-nl", "interface", "virtio-status"],
        time::OffsetDateTime::now_utc().unix_timestamp(),
        600,
    )
    .unwrap();
    browser.identify(&refused).await;
    browser.click("[data-vp=accept-all]").await;
    browser
        .wait_for_script("return window.vpExpired;", |v| v.as_u64() >= Some(1))
        .await;
    assert_eq!(server.count_events(), 0, "the attempt was refused");
    let waiting = browser
        .run("return JSON.parse(localStorage.getItem('vp_outbox'))[0].identity;")
        .await;
    assert_eq!(
        waiting,
        refused.as_str(),
        "the event keeps its customer link"
    );

    browser.identify(&customer_token("C-3003")).await;
    server.wait_for_events(1).await;
    let customer: Vec<Option<String>> = server.column("SELECT customer FROM consent_events");
    assert_eq!(customer, [Some("C-3003".to_owned())]);
    browser.close().await;
}
