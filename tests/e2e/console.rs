//! The admin console, as the privacy officer and a viewer use it: signing in with password and a
//! TOTP code, the inbox, a request's detail and its answer with a file, statistics, proof; and
//! the visitor on the other side of the request. Screenshots go to `target/e2e/`.

use fantoccini::Locator;
use fantoccini::elements::Element;
use privacy_shared::wire::StaffRole;
use std::time::{Duration, Instant};

use crate::accessibility::{axe_source, violations};
use crate::helpers::{
    Browser, RIGHTS, STAFF_PASSWORD, TestServer, downloaded, file_confirmed_request, rights_press,
    totp_now, visit_answered,
};

const PATIENCE: Duration = Duration::from_secs(10);

/// The console's element matching `css`, waiting for it to appear.
async fn find(browser: &Browser, css: &str) -> Element {
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("the console never showed `{css}`: {e}"))
}

async fn fill(browser: &Browser, css: &str, text: &str) {
    let field = find(browser, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn text_of(browser: &Browser, css: &str) -> String {
    find(browser, css).await.text().await.unwrap()
}

/// Waits until the text of `css` satisfies `condition`, and returns it.
async fn wait_for_text(browser: &Browser, css: &str, condition: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        if let Ok(element) = browser.client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
            && condition(&text)
        {
            return text;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "`{css}` never showed the text looked for"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A fresh browser of `size` on the console's screen `route` (such as `#/stats`).
async fn open_console(server: &TestServer, size: (u32, u32), route: &str) -> Browser {
    let browser = Browser::start(size.0, size.1).await;
    browser
        .client
        .goto(&format!("{}/admin/{route}", server.address))
        .await
        .unwrap();
    browser
}

/// Signs in through the console's form with the code an authenticator app shows now.
async fn sign_in(browser: &Browser, email: &str, secret: &str) {
    fill(browser, "#admin-email", email).await;
    fill(browser, "#admin-password", STAFF_PASSWORD).await;
    fill(browser, "#admin-code", &totp_now(secret, 0)).await;
    find(browser, "[data-admin=login] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    find(browser, "[data-admin=who]").await;
}

async fn no_violations(browser: &Browser, screen: &str) {
    let found = violations(browser, &axe_source()).await;
    assert_eq!(found, serde_json::json!([]), "{screen}: {found:#}");
}

/// Whether the page scrolls sideways (content wider than the viewport).
async fn scrolls_sideways(browser: &Browser) -> bool {
    browser
        .run("return document.documentElement.scrollWidth > document.documentElement.clientWidth;")
        .await
        == true
}

#[tokio::test]
async fn an_officer_answers_an_access_request_from_the_console_and_the_visitor_downloads_it() {
    let server = TestServer::start().await;

    // A visitor files an access request on the privacy page and confirms it with the code.
    let visitor = visit_answered(&server, "/rechten.html").await;
    let id = file_confirmed_request(&server, &visitor, "vera@example.nl").await;
    let due = visitor
        .element_in(RIGHTS, "[data-vp=rights-due]")
        .await
        .text()
        .await
        .unwrap();

    // The officer signs in with password and TOTP code; the form is what password managers and
    // authenticator apps expect.
    let secret = server
        .create_staff("officer@virtio.nl", StaffRole::Officer)
        .await;
    let officer = open_console(&server, (1280, 900), "").await;
    for (css, kind, autocomplete) in [
        ("#admin-email", "email", "username"),
        ("#admin-password", "password", "current-password"),
        ("#admin-code", "text", "one-time-code"),
    ] {
        let field = find(&officer, css).await;
        assert_eq!(field.attr("type").await.unwrap().as_deref(), Some(kind));
        assert_eq!(
            field.attr("autocomplete").await.unwrap().as_deref(),
            Some(autocomplete)
        );
    }
    no_violations(&officer, "login").await;
    // A wrong code is refused in words.
    fill(&officer, "#admin-email", "officer@virtio.nl").await;
    fill(&officer, "#admin-password", STAFF_PASSWORD).await;
    fill(&officer, "#admin-code", &totp_now(&secret, 9)).await;
    find(&officer, "[data-admin=login] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let refused = text_of(&officer, "[data-admin=login-error]").await;
    assert!(refused.contains("klopt niet"), "{refused}");
    sign_in(&officer, "officer@virtio.nl", &secret).await;
    let who = text_of(&officer, "[data-admin=who]").await;
    assert!(
        who.contains("officer@virtio.nl") && who.contains("sessie tot"),
        "{who}"
    );

    // The request is at the top of the inbox, with its days left.
    let first = find(&officer, "[data-admin=inbox-row]").await;
    assert_eq!(
        first.attr("data-id").await.unwrap().as_deref(),
        Some(id.as_str())
    );
    let days = text_of(&officer, "[data-admin=inbox-row] [data-admin=days-left]").await;
    assert!(days.contains("dagen"), "{days}");
    no_violations(&officer, "inbox").await;
    officer.screenshot("console-inbox-1280").await;
    // Search by e-mail address finds it; a search for another address does not.
    fill(&officer, "[data-admin=search]", "nobody@example.nl").await;
    find(&officer, "[data-admin=inbox-empty]").await;
    fill(&officer, "[data-admin=search]", "VERA@example").await;
    find(&officer, "[data-admin=inbox-row]").await;

    // The detail, with the export previewed before the answer goes out.
    find(&officer, "[data-admin=inbox-row] a")
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(&officer, "[data-admin=number]").await, id);
    assert_eq!(text_of(&officer, "[data-admin=due]").await, due);
    let history = text_of(&officer, "[data-admin=history]").await;
    assert!(history.contains("ontvangen"), "{history}");
    find(&officer, "[data-admin=complete]")
        .await
        .click()
        .await
        .unwrap();
    let preview = text_of(&officer, "[data-admin=export-preview]").await;
    assert!(preview.contains("export.json"), "{preview}");
    no_violations(&officer, "request detail").await;
    officer.screenshot("console-request-1280").await;
    fill(
        &officer,
        "[data-admin=message]",
        "Hierbij alles wat we van je bewaren.",
    )
    .await;
    let folder = tempfile::tempdir().unwrap();
    let attachment = folder.path().join("facturen.txt");
    std::fs::write(&attachment, "factuur 2026-118").unwrap();
    find(&officer, "[data-admin=files-input]")
        .await
        .send_keys(attachment.to_str().unwrap())
        .await
        .unwrap();
    find(&officer, "[data-admin=action-form] [data-admin=submit]")
        .await
        .click()
        .await
        .unwrap();
    find(&officer, "[data-admin=saved]").await;
    wait_for_text(&officer, "[data-admin=status]", |s| s == "afgehandeld").await;
    let files = text_of(&officer, "[data-admin=files]").await;
    assert!(
        files.contains("facturen.txt") && files.contains("export.json"),
        "{files}"
    );
    // Signing out ends the session on the server too.
    find(&officer, "[data-admin=logout]")
        .await
        .click()
        .await
        .unwrap();
    find(&officer, "[data-admin=login]").await;
    let sessions: Vec<i64> = server.column("SELECT count(*) FROM staff_sessions");
    assert_eq!(sessions, [0]);

    // The visitor's status page shows the request completed; the download holds the file.
    visitor.client.refresh().await.unwrap();
    let item = format!("[data-vp-request='{id}']");
    let status = visitor
        .element_in(RIGHTS, &format!("{item} [data-vp=history-status]"))
        .await;
    assert_eq!(status.text().await.unwrap(), "afgehandeld");
    rights_press(&visitor, &format!("{item} [data-vp=history-files]")).await;
    let downloads = visitor.allow_downloads().await;
    rights_press(
        &visitor,
        &format!("{item} [data-vp=history-downloads] a[download='facturen.txt']"),
    )
    .await;
    assert_eq!(
        downloaded(&downloads.path().join("facturen.txt")).await,
        "factuur 2026-118"
    );
    rights_press(
        &visitor,
        &format!("{item} [data-vp=history-downloads] a[download='export.json']"),
    )
    .await;
    let export = downloaded(&downloads.path().join("export.json")).await;
    assert!(export.contains(&id), "the export names the request");

    // A viewer signs in in the same browser: everything is readable, nothing can be changed.
    let viewer_secret = server
        .create_staff("viewer@virtio.nl", StaffRole::Viewer)
        .await;
    sign_in(&officer, "viewer@virtio.nl", &viewer_secret).await;
    officer
        .client
        .goto(&format!("{}/admin/#/requests/{id}", server.address))
        .await
        .unwrap();
    assert_eq!(text_of(&officer, "[data-admin=number]").await, id);
    assert!(
        officer
            .client
            .find(Locator::Css("[data-admin=actions], [data-admin=complete]"))
            .await
            .is_err(),
        "a viewer sees no action"
    );
    visitor.close().await;
    officer.close().await;
}

#[tokio::test]
async fn statistics_are_drawn_as_charts_and_the_ledger_verifies_from_the_console() {
    let server = TestServer::start().await;
    for kind in [
        privacy_shared::ConsentKind::AcceptAll,
        privacy_shared::ConsentKind::RejectAll,
        privacy_shared::ConsentKind::RejectAll,
    ] {
        record(&server, kind).await;
    }
    let secret = server
        .create_staff("viewer@virtio.nl", StaffRole::Viewer)
        .await;
    let browser = open_console(&server, (1280, 900), "#/stats").await;
    sign_in(&browser, "viewer@virtio.nl", &secret).await;

    // One day, two kinds: two stacked bars; the numbers are in the table beside the chart.
    browser
        .wait_for_script(
            "return document.querySelectorAll('[data-admin=chart-kinds] rect').length;",
            |v| v == 2,
        )
        .await;
    let table = text_of(&browser, "main").await;
    assert!(
        table.contains("alles geaccepteerd") && table.contains("alles geweigerd"),
        "{table}"
    );
    let share = browser
        .run("return document.querySelectorAll('[data-admin=chart-share] polyline').length;")
        .await;
    assert!(
        share.as_u64().unwrap() >= 3,
        "a line per optional purpose: {share}"
    );
    assert!(
        table.contains("33%"),
        "one of three choices consents: {table}"
    );
    no_violations(&browser, "statistics").await;
    browser.screenshot("console-stats-1280").await;

    find(&browser, "nav a[href='#/proof']")
        .await
        .click()
        .await
        .unwrap();
    find(&browser, "[data-admin=verify-ledger]")
        .await
        .click()
        .await
        .unwrap();
    let result = text_of(&browser, "[data-admin=ledger-result]").await;
    assert!(result.ends_with(" 3"), "{result}");
    wait_for_text(&browser, "[data-admin=audit]", |s| {
        s.contains("verify ledger")
    })
    .await;
    fill(&browser, "[data-admin=audit-search]", "login").await;
    let audit = wait_for_text(&browser, "[data-admin=audit]", |s| {
        !s.contains("verify ledger")
    })
    .await;
    assert!(audit.contains("login"), "{audit}");
    no_violations(&browser, "proof").await;
    browser.close().await;
}

#[tokio::test]
async fn the_console_reads_at_320_px_in_english() {
    let server = TestServer::start().await;
    let secret = server
        .create_staff("officer@virtio.nl", StaffRole::Officer)
        .await;
    let browser = open_console(&server, (320, 640), "").await;
    find(&browser, "[data-admin=language]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "h1", |s| s == "Sign in").await;
    browser
        .wait_for_script("return document.documentElement.lang;", |v| v == "en")
        .await;
    assert!(
        !scrolls_sideways(&browser).await,
        "the login form fits 320 px"
    );
    no_violations(&browser, "login at 320 px").await;
    sign_in(&browser, "officer@virtio.nl", &secret).await;
    wait_for_text(&browser, "h1", |s| s == "Requests").await;
    assert!(!scrolls_sideways(&browser).await, "the inbox fits 320 px");
    no_violations(&browser, "inbox at 320 px").await;
    browser.screenshot("console-inbox-320").await;
    // The language stays chosen after a reload.
    browser.client.refresh().await.unwrap();
    wait_for_text(&browser, "h1", |s| s == "Requests").await;

    // A customer's request and a recorded choice, then the request and the charts at 320 px.
    let request = privacy_shared::rights::CreateRightsRequest {
        site: "interface".parse().unwrap(),
        kind: privacy_shared::rights::RightsRequestKind::Portability,
        language: privacy_shared::Language::En,
        email: None,
        name: None,
        details: Some(
            privacy_shared::validate::BoundedText::parse("All my invoices, please.").unwrap(),
        ),
        subject: None,
    };
    let created = server
        .api
        .create_request(&request, Some(&crate::helpers::customer_token("C-77")))
        .await
        .unwrap();
    record(&server, privacy_shared::ConsentKind::AcceptAll).await;
    browser
        .client
        .goto(&format!(
            "{}/admin/#/requests/{}",
            server.address, created.id
        ))
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, "[data-admin=number]").await,
        created.id.to_string()
    );
    assert!(!scrolls_sideways(&browser).await, "the request fits 320 px");
    no_violations(&browser, "request at 320 px").await;
    browser.screenshot("console-request-320").await;
    find(&browser, "nav a[href='#/stats']")
        .await
        .click()
        .await
        .unwrap();
    find(&browser, "[data-admin=chart-kinds]").await;
    assert!(!scrolls_sideways(&browser).await, "the charts fit 320 px");
    no_violations(&browser, "statistics at 320 px").await;
    browser.screenshot("console-stats-320").await;
    browser.close().await;
}

/// Records one consent event of `kind` for a fresh subject on virtio.nl, as a visitor's widget does.
async fn record(server: &TestServer, kind: privacy_shared::ConsentKind) {
    server
        .api
        .record_consent(&privacy_shared::RecordConsent {
            idempotency_key: uuid::Uuid::new_v4(),
            subject: privacy_shared::SubjectId::from_random_bytes(*uuid::Uuid::new_v4().as_bytes()),
            decision: privacy_shared::ConsentDecision::uniform(
                "virtio-nl".parse().unwrap(),
                kind,
                privacy_shared::ConsentSource::Banner,
                privacy_shared::Language::Nl,
            ),
        })
        .await
        .unwrap();
}

/// The id of the element that has the keyboard focus.
async fn focused_id(browser: &Browser) -> String {
    browser
        .run("return document.activeElement ? document.activeElement.id : '';")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_officer_signs_in_by_keyboard_and_an_ended_session_asks_to_sign_in_again() {
    use crate::helpers::keys::{ENTER, TAB};
    let server = TestServer::start().await;
    let secret = server
        .create_staff("officer@virtio.nl", StaffRole::Officer)
        .await;
    let browser = open_console(&server, (1280, 900), "").await;
    find(&browser, "[data-admin=login]").await;
    // From the top of the page, Tab reaches the e-mail field; the form is filled and sent by keys.
    let mut tabs = 0;
    while focused_id(&browser).await != "admin-email" {
        assert!(tabs < 5, "Tab never reached the e-mail field");
        browser.press(TAB).await;
        tabs += 1;
    }
    browser.press("officer@virtio.nl").await;
    browser.press(TAB).await;
    assert_eq!(focused_id(&browser).await, "admin-password");
    browser.press(STAFF_PASSWORD).await;
    browser.press(TAB).await;
    assert_eq!(focused_id(&browser).await, "admin-code");
    browser
        .press(&format!("{}{ENTER}", totp_now(&secret, 0)))
        .await;
    find(&browser, "[data-admin=who]").await;
    // The new screen's heading has the focus, so a screen reader announces it.
    browser
        .wait_for_script(
            "return document.activeElement && document.activeElement.tagName;",
            |v| v == "H1",
        )
        .await;

    // The session ends on the server (it expired, or was ended elsewhere): the next step asks to
    // sign in again, saying why, instead of failing silently.
    rusqlite::Connection::open(&server.database)
        .unwrap()
        .execute("DELETE FROM staff_sessions", [])
        .unwrap();
    find(&browser, "nav a[href='#/proof']")
        .await
        .click()
        .await
        .unwrap();
    let notice = text_of(&browser, "[data-admin=notice]").await;
    assert_eq!(notice, "Je sessie is verlopen. Log opnieuw in.");
    find(&browser, "[data-admin=login]").await;
    browser.close().await;
}

/// The modules of the console's QR code, read back from its SVG path (`M{x} {y}h1v1h-1z` per
/// dark module) and decoded as a phone's camera would.
async fn scanned_qr(browser: &Browser) -> String {
    let qr = find(browser, "[data-admin=enrollment-qr]").await;
    let path = qr
        .find(Locator::Css("path"))
        .await
        .unwrap()
        .attr("d")
        .await
        .unwrap()
        .unwrap();
    let view_box = qr.attr("viewBox").await.unwrap().unwrap();
    let side: usize = view_box.rsplit(' ').next().unwrap().parse().unwrap();
    let mut dark = vec![false; side * side];
    for module in path.split('M').filter(|m| !m.is_empty()) {
        let (x, rest) = module.split_once(' ').unwrap();
        let y = rest.split('h').next().unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        dark[y * side + x] = true;
    }
    let scale = 4;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(side * scale, side * scale, |x, y| {
            if dark[(y / scale) * side + x / scale] {
                0
            } else {
                255
            }
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the screen");
    grids[0].decode().unwrap().1
}

/// A new officer has only the password: signing in without a code shows the account's QR code
/// (readable by keyboard and screen reader, at 320 px, 0 axe violations), the phone scans it, and
/// its code signs in. After that the QR code is never shown again, in either language.
#[tokio::test]
async fn a_new_officer_scans_the_qr_code_at_the_first_sign_in() {
    use crate::helpers::keys::ENTER;
    let server = TestServer::start().await;
    let secret = server
        .create_staff("nieuw@virtio.nl", StaffRole::Officer)
        .await;
    let browser = open_console(&server, (320, 640), "").await;
    fill(&browser, "#admin-email", "nieuw@virtio.nl").await;
    fill(&browser, "#admin-password", STAFF_PASSWORD).await;
    find(&browser, "#admin-password")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    find(&browser, "[data-admin=enrollment]").await;
    browser
        .wait_for_script(
            "return document.activeElement && document.activeElement.id;",
            |v| v == "admin-enroll-heading",
        )
        .await;
    assert_eq!(
        text_of(&browser, "#admin-enroll-heading").await,
        "Stel je authenticator-app in"
    );
    assert_eq!(
        text_of(&browser, "[data-admin=enrollment-secret]").await,
        secret
    );
    let uri = scanned_qr(&browser).await;
    assert!(
        uri.starts_with("otpauth://totp/Virtio%20Privacy:nieuw%40virtio.nl?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(!scrolls_sideways(&browser).await, "the QR code fits 320 px");
    no_violations(&browser, "enrollment at 320 px").await;
    browser.screenshot("console-enrollment-320").await;

    // The code the phone now shows signs in.
    fill(&browser, "#admin-code", &totp_now(&secret, 0)).await;
    find(&browser, "[data-admin=login] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    find(&browser, "[data-admin=who]").await;
    browser.close().await;

    // Set up now: another browser, in English, gets no QR code, and is told to use the app.
    let again = open_console(&server, (320, 640), "").await;
    find(&again, "[data-admin=language]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&again, "h1", |s| s == "Sign in").await;
    fill(&again, "#admin-email", "nieuw@virtio.nl").await;
    fill(&again, "#admin-password", STAFF_PASSWORD).await;
    find(&again, "[data-admin=login] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let said = text_of(&again, "[data-admin=login-error]").await;
    assert_eq!(
        said,
        "Your authenticator app is set up already: enter the code it shows. \
         Lost your phone? Ask an administrator for a new QR code."
    );
    assert!(
        again
            .client
            .find(Locator::Css("[data-admin=enrollment]"))
            .await
            .is_err(),
        "no QR code once a code was accepted"
    );
    no_violations(&again, "login after enrollment, English").await;
    again.close().await;
}

#[tokio::test]
async fn an_officer_extends_with_the_new_due_date_shown_first_and_refuses_with_reasons() {
    let server = TestServer::start().await;
    let token = crate::helpers::customer_token("C-88");
    let file = |kind| privacy_shared::rights::CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind,
        language: privacy_shared::Language::Nl,
        email: None,
        name: None,
        details: None,
        subject: None,
    };
    let mut filed = Vec::new();
    for kind in [
        privacy_shared::rights::RightsRequestKind::Erasure,
        privacy_shared::rights::RightsRequestKind::Objection,
    ] {
        filed.push(
            server
                .api
                .create_request(&file(kind), Some(&token))
                .await
                .unwrap(),
        );
    }
    let [erasure, objection] = <[_; 2]>::try_from(filed).unwrap();
    let secret = server
        .create_staff("officer@virtio.nl", StaffRole::Officer)
        .await;
    let browser = Browser::start(1280, 900).await;
    browser
        .client
        .goto(&format!(
            "{}/admin/#/requests/{}",
            server.address, erasure.id
        ))
        .await
        .unwrap();
    sign_in(&browser, "officer@virtio.nl", &secret).await;
    let due = text_of(&browser, "[data-admin=due]").await;

    // Extend: the new due date is shown before anything is sent, and sent only on confirming.
    find(&browser, "[data-admin=extend]")
        .await
        .click()
        .await
        .unwrap();
    fill(
        &browser,
        "[data-admin=reason]",
        "Veel systemen om te doorzoeken.",
    )
    .await;
    let months = find(&browser, "[data-admin=months]").await;
    months.select_by_value("1").await.unwrap();
    let expected = privacy_shared::rights::add_months(
        time::Date::parse(&due, &time::format_description::well_known::Iso8601::DATE).unwrap(),
        1,
    );
    let shown = text_of(&browser, "[data-admin=new-due]").await;
    assert!(shown.ends_with(&expected.to_string()), "{shown}");
    find(&browser, "[data-admin=action-form] [data-admin=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(
        &browser,
        "[data-admin=action-form] [data-admin=submit]",
        |s| s == "Verlenging bevestigen",
    )
    .await;
    let unchanged: Vec<String> =
        server.column("SELECT due_date FROM rights_requests WHERE kind = 'erasure'");
    assert_eq!(
        unchanged,
        std::slice::from_ref(&due),
        "nothing is sent before confirming"
    );
    find(&browser, "[data-admin=action-form] [data-admin=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "[data-admin=due]", |s| s == expected.to_string()).await;
    wait_for_text(&browser, "[data-admin=status]", |s| s == "termijn verlengd").await;

    // Refuse: reasons are required; the requester's page then names the complaint route.
    browser
        .client
        .goto(&format!(
            "{}/admin/#/requests/{}",
            server.address, objection.id
        ))
        .await
        .unwrap();
    wait_for_text(&browser, "[data-admin=number]", |s| {
        s == objection.id.to_string()
    })
    .await;
    find(&browser, "[data-admin=refuse]")
        .await
        .click()
        .await
        .unwrap();
    let intro = text_of(&browser, "[data-admin=action-form]").await;
    assert!(
        intro.contains("Autoriteit Persoonsgegevens") && intro.contains("rechter"),
        "{intro}"
    );
    find(&browser, "[data-admin=action-form] [data-admin=submit]")
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, "[data-admin=action-error]").await,
        "Vul dit veld in."
    );
    fill(
        &browser,
        "[data-admin=reason]",
        "Dwingende gerechtvaardigde gronden.",
    )
    .await;
    find(&browser, "[data-admin=action-form] [data-admin=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, "[data-admin=status]", |s| s == "afgewezen").await;
    let view = server
        .api
        .request_status(objection.id, &objection.status_token)
        .await
        .unwrap();
    assert_eq!(
        view.refusal_reasons.as_deref(),
        Some("Dwingende gerechtvaardigde gronden.")
    );
    assert!(view.complaint_authority.is_some());
    no_violations(&browser, "refused request").await;
    browser.close().await;
}
