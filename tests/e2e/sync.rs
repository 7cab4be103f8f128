//! Cross-device sync: two fresh browser profiles of one customer (the same identity token from
//! the interface app) share a choice.

use privacy_shared::identity::{IdentityClaims, sign};
use privacy_shared::{CustomerNumber, EmailAddress};

use crate::helpers::{Browser, IDENTITY_SECRET, TestServer};

fn token() -> String {
    let claims = IdentityClaims {
        customer: CustomerNumber::parse("C-2024").unwrap(),
        email: EmailAddress::parse("klant@example.nl").unwrap(),
        exp: time_now() + 600,
    };
    sign(&claims, IDENTITY_SECRET.as_bytes())
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn identify(browser: &Browser, token: &str) {
    browser
        .client
        .execute(
            "return VirtioPrivacy.ready.then(api => api.setIdentity(arguments[0]));",
            vec![token.into()],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn two_profiles_with_the_same_identity_token_share_a_choice() {
    let server = TestServer::start().await;
    let token = token();

    let laptop = Browser::start(1280, 900).await;
    laptop.client.goto(&server.address).await.unwrap();
    laptop.widget_element("[data-vp=banner]").await;
    identify(&laptop, &token).await;
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
    phone.client.goto(&server.address).await.unwrap();
    phone.widget_element("[data-vp=banner]").await;
    identify(&phone, &token).await;
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
