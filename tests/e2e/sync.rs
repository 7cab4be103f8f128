//! Cross-device sync: two fresh browser profiles of one customer (the same identity token from
//! the interface app) share a choice.

use crate::helpers::{Browser, TestServer, customer_token};

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
    let customer: Option<String> = rusqlite::Connection::open(&server.database)
        .unwrap()
        .query_row("SELECT customer FROM consent_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        customer.as_deref(),
        Some("C-2024"),
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
