//! The admin API: password + TOTP login, the inbox and its actions under the deadline rules,
//! roles, origin checks and the hash-chained audit log.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use privacy_server::staff;
use privacy_shared::api::ApiError;
use privacy_shared::problem::ProblemKind;
use privacy_shared::rights::{
    CreateRightsRequest, RequestCreated, RequestStatus, RightsRequestKind, VerifyRequest,
};
use privacy_shared::validate::{BoundedText, VerificationCode};
use privacy_shared::wire::{
    AdminRequestDetail, AuditLog, ConsentStats, LedgerVerification, OutboxMessage, RequestSummary,
};
use privacy_shared::{ConsentKind, EmailAddress, Language, PurposeId, SubjectId};
use std::process::Command;

use crate::helpers::{TestApp, consent_body, expect_problem, spawn_app, spawn_app_with};

const PASSWORD: &str = "correct horse battery staple";

/// Creates an account with the real command and returns its TOTP secret.
fn create_account(app: &TestApp, email: &str, role: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .args([
            "admin",
            "create",
            "--email",
            email,
            "--role",
            role,
            "--database",
        ])
        .arg(&app.url)
        .env("PRIVACY_ADMIN_PASSWORD", PASSWORD)
        .env("PRIVACY_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("totp secret: "))
        .expect("the secret is printed")
        .to_owned()
}

fn code_now(secret: &str, offset_steps: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset_steps * staff::TOTP_STEP;
    staff::totp_code(secret, now).unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str, code: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/admin/login", app.address))
        .json(&serde_json::json!({ "email": email, "password": password, "totp": code }))
        .send()
        .await
        .unwrap()
}

/// Signs in and returns the session cookie to send back.
pub async fn session(app: &TestApp, email: &str, role: &str) -> String {
    let secret = create_account(app, email, role);
    session_with(app, email, &secret).await
}

/// Signs in to the account with TOTP `secret` and returns the session cookie to send back.
async fn session_with(app: &TestApp, email: &str, secret: &str) -> String {
    let response = login(app, email, PASSWORD, &code_now(secret, 0)).await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    cookie.split(';').next().unwrap().to_owned()
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    app.http
        .post(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A signed-in officer's session cookie and a visitor's verified access request.
pub async fn officer_and_request(app: &TestApp) -> (String, RequestCreated) {
    let cookie = session(app, "officer@virtio.nl", "officer").await;
    (cookie, verified_request(app).await)
}

/// A visitor's access request, verified with the mailed code.
async fn verified_request(app: &TestApp) -> RequestCreated {
    verified_request_from(app, None).await
}

/// A visitor's access request from the browser with `subject`, verified with the mailed code.
async fn verified_request_from(app: &TestApp, subject: Option<SubjectId>) -> RequestCreated {
    let body = CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind: RightsRequestKind::Access,
        language: Language::En,
        email: Some(EmailAddress::parse("visitor@example.nl").unwrap()),
        name: Some(BoundedText::parse("Vera Visitor").unwrap()),
        details: None,
        subject,
    };
    let created = app.api.create_request(&body, None).await.unwrap();
    let (_, mail) = app.mails().await.pop().unwrap();
    let code = VerificationCode::parse(&mail.split_once("code is: ").unwrap().1[..6]).unwrap();
    app.api
        .verify_request(created.id, &created.status_token, &VerifyRequest { code })
        .await
        .unwrap();
    created
}

#[tokio::test]
async fn login_needs_the_password_and_a_fresh_totp_code() {
    let app = spawn_app().await;
    let secret = create_account(&app, "officer@virtio.nl", "officer");
    let wrong_password = login(
        &app,
        "officer@virtio.nl",
        "not the password",
        &code_now(&secret, 0),
    )
    .await;
    assert_eq!(
        expect_problem(wrong_password, 401).await.kind(),
        Some(ProblemKind::InvalidCredentials)
    );
    let wrong_code = login(&app, "officer@virtio.nl", PASSWORD, &code_now(&secret, 5)).await;
    expect_problem(wrong_code, 401).await;
    let unknown = login(&app, "nobody@virtio.nl", PASSWORD, &code_now(&secret, 0)).await;
    expect_problem(unknown, 401).await;

    let code = code_now(&secret, 0);
    let ok = login(&app, "officer@virtio.nl", PASSWORD, &code).await;
    assert_eq!(ok.status(), 200);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let replay = login(&app, "officer@virtio.nl", PASSWORD, &code).await;
    expect_problem(replay, 401).await;

    let anonymous = reqwest::get(format!("{}/api/v1/admin/requests", app.address))
        .await
        .unwrap();
    expect_problem(anonymous, 401).await;
}

/// A first sign-in: with the password, the console gets the account's TOTP secret and its QR code
/// until a code of it is accepted; then never again. A wrong password or an unknown account
/// learns nothing.
#[tokio::test]
async fn the_enrollment_shows_the_secret_only_until_the_first_code_is_accepted() {
    let app = spawn_app().await;
    let secret = create_account(&app, "officer@virtio.nl", "officer");
    let enroll = |email: &'static str, password: &'static str| {
        app.http
            .post(format!("{}/api/v1/admin/enrollment", app.address))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
    };
    for (email, password) in [
        ("officer@virtio.nl", "not the password"),
        ("nobody@virtio.nl", PASSWORD),
    ] {
        let refused = enroll(email, password).await.unwrap();
        let problem = expect_problem(refused, 401).await;
        assert_eq!(problem.kind(), Some(ProblemKind::InvalidCredentials));
    }
    let shown = enroll("officer@virtio.nl", PASSWORD).await.unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let enrollment: privacy_shared::wire::TotpEnrollment = shown.json().await.unwrap();
    assert_eq!(enrollment.secret, secret);
    assert!(enrollment.otpauth_uri.contains(&format!("secret={secret}")));
    assert_eq!(
        enrollment.qr_modules.len(),
        (enrollment.qr_size * enrollment.qr_size) as usize
    );
    // Asking again before any code is accepted shows it again (the phone was not at hand).
    assert_eq!(
        enroll("officer@virtio.nl", PASSWORD)
            .await
            .unwrap()
            .status(),
        200
    );

    let code = staff::totp_code(
        &enrollment.secret,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap();
    assert_eq!(
        login(&app, "officer@virtio.nl", PASSWORD, &code)
            .await
            .status(),
        200
    );
    let after = enroll("officer@virtio.nl", PASSWORD).await.unwrap();
    let problem = expect_problem(after, 409).await;
    assert_eq!(problem.kind(), Some(ProblemKind::Conflict));
    assert!(!format!("{problem:?}").contains(&secret));
}

/// Runs `privacy-server admin reset-totp --email <email>` on the app's database.
async fn reset_totp(app: &TestApp, email: &'static str) -> std::process::Output {
    let url = app.url.clone();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_privacy-server"))
            .args(["admin", "reset-totp", "--email", email, "--database"])
            .arg(&url)
            .env("PRIVACY_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// A lost phone: `admin reset-totp` gives the account a new secret. Its sessions end, the old
/// app's codes stop working, the console's first sign-in shows the new secret again, and the
/// reset is in the audit log.
#[tokio::test]
async fn a_reset_totp_secret_ends_the_sessions_and_is_enrolled_again() {
    let app = spawn_app().await;
    let old = create_account(&app, "officer@virtio.nl", "officer");
    let signed_in = login(&app, "officer@virtio.nl", PASSWORD, &code_now(&old, 0)).await;
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();

    let output = reset_totp(&app, "Officer@Virtio.nl").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let new = stdout
        .lines()
        .find_map(|l| l.strip_prefix("totp secret: "))
        .expect("the new secret is printed")
        .to_owned();
    assert_ne!(new, old);
    assert!(stdout.contains('█'), "with its QR code");

    let ended = app
        .http
        .get(format!("{}/api/v1/admin/session", app.address))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    expect_problem(ended, 401).await;
    let old_code = login(&app, "officer@virtio.nl", PASSWORD, &code_now(&old, 1)).await;
    expect_problem(old_code, 401).await;
    let enrollment: privacy_shared::wire::TotpEnrollment = app
        .http
        .post(format!("{}/api/v1/admin/enrollment", app.address))
        .json(&serde_json::json!({ "email": "officer@virtio.nl", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(enrollment.secret, new);
    let cookie = session_with(&app, "officer@virtio.nl", &new).await;
    let log: AuditLog = app
        .http
        .get(format!("{}/api/v1/admin/audit", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        log.entries
            .iter()
            .any(|e| e.action == "totp-reset" && e.actor.as_ref() == "officer@virtio.nl"),
        "{log:?}"
    );

    // An unknown account is one clear line and exit 1.
    let unknown = reset_totp(&app, "nobody@virtio.nl").await;
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr).trim(),
        "error: there is no staff account for nobody@virtio.nl"
    );
}

/// The backoff lives with the account: a second instance on the same database (on SQLite: a
/// restarted server) makes the right password wait after wrong ones made at the first, and a
/// right sign-in there ends the run.
#[tokio::test]
async fn wrong_sign_ins_back_off_on_every_instance_and_after_a_restart() {
    let first = spawn_app().await;
    let secret = create_account(&first, "officer@virtio.nl", "officer");
    let url = first.url.clone();
    let second = spawn_app_with(|s| s.database = url.parse().unwrap()).await;
    for _ in 0..=privacy_server::limits::FREE_LOGIN_FAILURES {
        let wrong = login(
            &first,
            "officer@virtio.nl",
            "a guess",
            &code_now(&secret, 0),
        )
        .await;
        expect_problem(wrong, 401).await;
    }
    let waiting = login(
        &second,
        "Officer@Virtio.nl",
        PASSWORD,
        &code_now(&secret, 0),
    )
    .await;
    let retry_after: u64 = waiting.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let problem = expect_problem(waiting, 429).await;
    assert_eq!(problem.kind(), Some(ProblemKind::RateLimited));
    assert_eq!(
        first
            .value("SELECT failed_logins FROM staff")
            .await
            .as_deref(),
        Some("4")
    );

    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    let right = login(
        &second,
        "officer@virtio.nl",
        PASSWORD,
        &code_now(&secret, 0),
    )
    .await;
    assert_eq!(right.status(), 200);
    assert_eq!(
        first
            .value("SELECT failed_logins || ' ' || coalesce(login_wait_until, 'none') FROM staff")
            .await
            .as_deref(),
        Some("0 none")
    );
}

/// Guesses at one account back off, doubling, whichever address they come from; the session
/// cookie is `Secure` whenever a trusted proxy says the console came over HTTPS.
#[tokio::test]
async fn wrong_logins_of_one_account_back_off_from_any_address() {
    let app = spawn_app_with(|s| {
        s.proxies.trusted = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let secret = create_account(&app, "officer@virtio.nl", "officer");
    let attempt = |n: u8, password: &'static str, code: String| {
        app.http
            .post(format!("{}/api/v1/admin/login", app.address))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .header("x-forwarded-proto", "https")
            .json(&serde_json::json!({
                // As people type it: the account is found whatever the case.
                "email": "Officer@Virtio.nl", "password": password, "totp": code
            }))
            .send()
    };
    for n in 0..=privacy_server::limits::FREE_LOGIN_FAILURES as u8 {
        let wrong = attempt(n, "a guess", code_now(&secret, 0)).await.unwrap();
        expect_problem(wrong, 401).await;
    }
    // Now even the right password waits, from yet another address.
    let waiting = attempt(50, PASSWORD, code_now(&secret, 0)).await.unwrap();
    let retry_after: u64 = waiting.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry_after, 1);
    assert_eq!(
        expect_problem(waiting, 429).await.kind(),
        Some(ProblemKind::RateLimited)
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let ok = attempt(51, PASSWORD, code_now(&secret, 0)).await.unwrap();
    assert_eq!(ok.status(), 200);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn the_session_names_its_end_and_logout_ends_it_on_the_server() {
    let app = spawn_app().await;
    let cookie = session(&app, "viewer@virtio.nl", "viewer").await;
    let who = get(&app, &cookie, "/api/v1/admin/session").await;
    assert_eq!(who.status(), 200);
    let who: privacy_shared::wire::AdminSession = who.json().await.unwrap();
    assert_eq!(who.role, privacy_shared::wire::StaffRole::Viewer);
    let hours = (who.expires_at - time::OffsetDateTime::now_utc()).whole_minutes() as f64 / 60.0;
    assert!(
        (hours - privacy_server::staff::SESSION_HOURS as f64).abs() < 0.1,
        "{hours}"
    );

    let out = post(
        &app,
        &cookie,
        "/api/v1/admin/logout",
        serde_json::json!(null),
    )
    .await;
    assert_eq!(out.status(), 204);
    let cleared = out.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie, replayed (copied before the logout), opens nothing any more.
    for path in ["/api/v1/admin/session", "/api/v1/admin/requests"] {
        expect_problem(get(&app, &cookie, path).await, 401).await;
    }
    let last = app
        .value("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1")
        .await;
    assert_eq!(last.as_deref(), Some("logout"));
}

#[tokio::test]
async fn an_officer_extends_once_with_a_reason_and_completes_and_the_requester_is_told() {
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;

    let inbox: Vec<RequestSummary> = get(&app, &cookie, "/api/v1/admin/requests")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(
        (27..=31).contains(&inbox[0].days_left) && !inbox[0].overdue,
        "{inbox:?}"
    );

    let path = format!("/api/v1/admin/requests/{}", created.id);
    let extended = post(
        &app,
        &cookie,
        &format!("{path}/extend"),
        serde_json::json!({ "months": 2, "reason": "we hold data in many systems" }),
    )
    .await;
    assert_eq!(extended.status(), 200);
    let extended: AdminRequestDetail = extended.json().await.unwrap();
    assert_eq!(extended.summary.status, RequestStatus::Extended);
    assert_eq!(
        extended.summary.due_date,
        privacy_shared::rights::add_months(created.due_date, 2)
    );

    let again = post(
        &app,
        &cookie,
        &format!("{path}/extend"),
        serde_json::json!({ "months": 1, "reason": "more" }),
    )
    .await;
    assert_eq!(
        expect_problem(again, 409).await.kind(),
        Some(ProblemKind::Conflict)
    );
    let too_long = post(
        &app,
        &cookie,
        &format!("{path}/extend"),
        serde_json::json!({ "months": 3, "reason": "x" }),
    )
    .await;
    expect_problem(too_long, 409).await;
    let no_reason = post(
        &app,
        &cookie,
        &format!("{path}/extend"),
        serde_json::json!({ "months": 1, "reason": "  " }),
    )
    .await;
    assert_eq!(
        expect_problem(no_reason, 422).await.errors[0].field,
        "reason"
    );

    let done = post(
        &app,
        &cookie,
        &format!("{path}/complete"),
        serde_json::json!({ "message": "Attached is all we hold." }),
    )
    .await;
    assert_eq!(done.status(), 200);
    let view = app
        .api
        .request_status(created.id, &created.status_token)
        .await
        .unwrap();
    assert_eq!(view.status, RequestStatus::Completed);
    assert_eq!(view.answer.as_deref(), Some("Attached is all we hold."));
    assert_eq!(
        view.extension_reason.as_deref(),
        Some("we hold data in many systems")
    );

    let outbox: Vec<OutboxMessage> = get(&app, &cookie, "/api/v1/admin/outbox")
        .await
        .json()
        .await
        .unwrap();
    let subjects: Vec<&str> = outbox.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects[1..],
        [
            "We need more time for your privacy request",
            "Your privacy request has been handled"
        ]
    );
    assert!(outbox[1].body.contains("we hold data in many systems"));
}

#[tokio::test]
async fn a_refusal_carries_reasons_and_the_complaint_route() {
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;
    let path = format!("/api/v1/admin/requests/{}/refuse", created.id);
    let refused = post(
        &app,
        &cookie,
        &path,
        serde_json::json!({ "reasons": "manifestly unfounded" }),
    )
    .await;
    assert_eq!(refused.status(), 200);
    let view = app
        .api
        .request_status(created.id, &created.status_token)
        .await
        .unwrap();
    assert_eq!(view.status, RequestStatus::Refused);
    assert_eq!(
        view.refusal_reasons.as_deref(),
        Some("manifestly unfounded")
    );
    assert!(
        view.complaint_authority
            .unwrap()
            .contains("Autoriteit Persoonsgegevens")
    );
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_change_a_request() {
    let app = spawn_app().await;
    let cookie = session(&app, "viewer@virtio.nl", "viewer").await;
    let created = verified_request(&app).await;
    let path = format!("/api/v1/admin/requests/{}", created.id);
    assert_eq!(get(&app, &cookie, &path).await.status(), 200);
    let change = post(
        &app,
        &cookie,
        &format!("{path}/complete"),
        serde_json::json!({ "message": "done" }),
    )
    .await;
    assert_eq!(
        expect_problem(change, 403).await.kind(),
        Some(ProblemKind::Forbidden)
    );
    let view = app
        .api
        .request_status(created.id, &created.status_token)
        .await
        .unwrap();
    assert_eq!(view.status, RequestStatus::Open);
}

#[tokio::test]
async fn a_write_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;
    let response = app
        .http
        .post(format!(
            "{}/api/v1/admin/requests/{}/complete",
            app.address, created.id
        ))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({ "message": "done" }))
        .send()
        .await
        .unwrap();
    expect_problem(response, 403).await;
}

#[tokio::test]
async fn staff_views_and_changes_are_in_a_hash_chained_audit_log() {
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;
    let path = format!("/api/v1/admin/requests/{}", created.id);
    get(&app, &cookie, &path).await;
    post(
        &app,
        &cookie,
        &format!("{path}/reply"),
        serde_json::json!({ "message": "We are on it." }),
    )
    .await;

    let log: AuditLog = get(&app, &cookie, "/api/v1/admin/audit")
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log
        .entries
        .iter()
        .rev()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["login", "view", "reply"]);
    assert!(
        log.entries
            .iter()
            .all(|e| e.actor.as_ref() == "officer@virtio.nl")
    );
    assert_eq!(log.first_broken, None);

    // Someone with the database in hand drops the guard and rewrites who did something.
    app.execute(app.pick(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone@else.nl' WHERE seq = 2;",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; \
         UPDATE audit_log SET actor = 'someone@else.nl' WHERE seq = 2;",
    ))
    .await
    .unwrap();
    let log: AuditLog = get(&app, &cookie, "/api/v1/admin/audit")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log.first_broken, Some(2));
}

#[tokio::test]
async fn statistics_and_ledger_verification_for_staff() {
    let app = spawn_app().await;
    let cookie = session(&app, "viewer@virtio.nl", "viewer").await;
    for kind in [
        ConsentKind::AcceptAll,
        ConsentKind::RejectAll,
        ConsentKind::RejectAll,
    ] {
        app.api.record_consent(&consent_body(kind)).await.unwrap();
    }
    let stats: ConsentStats = get(&app, &cookie, "/api/v1/admin/stats")
        .await
        .json()
        .await
        .unwrap();
    let events = |kind| {
        stats
            .kinds
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.events)
            .sum::<u64>()
    };
    assert_eq!(
        (
            events(ConsentKind::AcceptAll),
            events(ConsentKind::RejectAll)
        ),
        (1, 2)
    );
    let stats = stats.purposes;
    let analytics = stats
        .iter()
        .find(|r| r.purpose == PurposeId::Analytics)
        .unwrap();
    assert_eq!((analytics.granted, analytics.refused), (1, 2));
    let necessary = stats
        .iter()
        .find(|r| r.purpose == PurposeId::Necessary)
        .unwrap();
    assert_eq!((necessary.granted, necessary.refused), (3, 0));

    let verification: LedgerVerification = get(&app, &cookie, "/api/v1/admin/ledger/verify")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((verification.events, verification.first_broken), (3, None));
}

#[tokio::test]
async fn an_access_answer_carries_the_export_and_the_officers_file_encrypted_at_rest() {
    let app = spawn_app().await;
    let cookie = session(&app, "officer@virtio.nl", "officer").await;
    let consent = consent_body(ConsentKind::AcceptAll);
    let receipt = app.api.record_consent(&consent).await.unwrap().receipt;
    let created = verified_request_from(&app, Some(consent.subject)).await;
    // Someone else names the same address and never verifies: that is not the person's data.
    let unverified = CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind: RightsRequestKind::Erasure,
        language: Language::En,
        email: Some(EmailAddress::parse("visitor@example.nl").unwrap()),
        name: Some(BoundedText::parse("Mallory").unwrap()),
        details: None,
        subject: None,
    };
    app.api.create_request(&unverified, None).await.unwrap();
    let path = format!("/api/v1/admin/requests/{}", created.id);
    // The officer sees the export before sending it.
    let preview: Vec<privacy_shared::wire::ExportPreviewFile> =
        get(&app, &cookie, &format!("{path}/export"))
            .await
            .json()
            .await
            .unwrap();
    let preview_json = &preview
        .iter()
        .find(|f| f.name == "export.json")
        .unwrap()
        .text;
    assert!(
        preview_json.contains(&receipt.event.event_id.to_string()),
        "{preview_json}"
    );
    let secret_text = "invoice records of Vera Visitor";
    let done = post(
        &app,
        &cookie,
        &format!("{path}/complete"),
        serde_json::json!({
            "message": "Attached is all we hold.",
            "attachments": [{
                "name": "records.txt",
                "content_type": "text/plain",
                "content_base64": STANDARD.encode(secret_text),
            }],
        }),
    )
    .await;
    assert_eq!(done.status(), 200);
    let detail: AdminRequestDetail = done.json().await.unwrap();
    let names: Vec<&str> = detail.attachments.iter().map(|a| a.name.as_str()).collect();
    let expected = [
        "records.txt",
        "export.json",
        "consent-events.csv",
        "requests.csv",
        "field-descriptions.csv",
    ];
    assert_eq!(names, expected);

    let view = app
        .api
        .request_status(created.id, &created.status_token)
        .await
        .unwrap();
    assert_eq!(view.attachments.len(), 5);
    let answer = app
        .api
        .request_answer(created.id, &created.status_token)
        .await
        .unwrap();
    let file = |name: &str| {
        let file = answer.files.iter().find(|f| f.name == name).unwrap();
        String::from_utf8(STANDARD.decode(&file.content_base64).unwrap()).unwrap()
    };
    assert_eq!(file("records.txt"), secret_text);
    let export: serde_json::Value = serde_json::from_str(&file("export.json")).unwrap();
    assert_eq!(
        export["consent_events"][0]["event_id"],
        receipt.event.event_id.to_string()
    );
    assert_eq!(export["requests"][0]["id"], created.id.to_string());
    assert_eq!(
        export["requests"].as_array().unwrap().len(),
        1,
        "only verified requests"
    );
    assert!(!file("requests.csv").contains("Mallory"));
    assert_eq!(export["requests"][0]["name"], "Vera Visitor");
    assert!(
        export["field_descriptions"]["consent_events"]["notice_hash"]
            .as_str()
            .unwrap()
            .contains("SHA-256")
    );
    let events_csv = file("consent-events.csv");
    let mut lines = events_csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("event_id,recorded_at,site,")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with(&receipt.event.event_id.to_string())
    );
    assert!(file("field-descriptions.csv").contains("consent-events.csv,gpc,"));

    // At rest the files are ciphertext.
    let stored = app
        .value("SELECT ciphertext FROM request_attachments WHERE name = 'records.txt'")
        .await
        .unwrap();
    assert!(
        !stored.contains(&hex::encode(&secret_text.as_bytes()[..15])),
        "{stored}"
    );

    // The officer's file and the export are audited.
    let audit: AuditLog = get(&app, &cookie, "/api/v1/admin/audit")
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"attach") && actions.contains(&"export"),
        "{actions:?}"
    );

    // Without the status token, or with another, there is nothing to read.
    let anonymous = app
        .http
        .get(format!(
            "{}/api/v1/requests/{}/answer",
            app.address, created.id
        ))
        .send()
        .await
        .unwrap();
    expect_problem(anonymous, 401).await;
    let wrong = app.api.request_answer(created.id, "not-the-token").await;
    assert!(matches!(wrong, Err(ApiError::Problem(p)) if p.status == 404));

    // A ciphertext altered in the database no longer opens: a 500 problem, not altered content.
    app.execute(app.pick(
        "UPDATE request_attachments SET ciphertext = zeroblob(length(ciphertext)) WHERE name = 'records.txt'",
        "UPDATE request_attachments SET ciphertext = decode(repeat('00', length(ciphertext)), 'hex') \
         WHERE name = 'records.txt'",
    ))
    .await
    .unwrap();
    let altered = app
        .http
        .get(format!(
            "{}/api/v1/requests/{}/answer",
            app.address, created.id
        ))
        .bearer_auth(&created.status_token)
        .send()
        .await
        .unwrap();
    expect_problem(altered, 500).await;
}

#[tokio::test]
async fn bad_attachments_are_refused_by_field_and_change_nothing() {
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;
    let path = format!("/api/v1/admin/requests/{}/complete", created.id);
    let bad = post(
        &app,
        &cookie,
        &path,
        serde_json::json!({
            "message": "done",
            "attachments": [
                { "name": "../../etc/passwd", "content_type": "text/plain", "content_base64": "aGk=" },
                { "name": "ok.txt", "content_type": "plain", "content_base64": "not base64!" },
            ],
        }),
    )
    .await;
    let problem = expect_problem(bad, 422).await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "attachments[0].name",
            "attachments[1].content_type",
            "attachments[1].content_base64"
        ]
    );
    let view = app
        .api
        .request_status(created.id, &created.status_token)
        .await
        .unwrap();
    assert_eq!(view.status, RequestStatus::Open);
    assert!(view.attachments.is_empty());
}

#[tokio::test]
async fn retention_deletes_a_closed_request_with_its_answer_files_once_its_period_has_passed() {
    use crate::retention::{count, in_days, run};
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;
    let path = format!("/api/v1/admin/requests/{}/complete", created.id);
    let done = post(
        &app,
        &cookie,
        &path,
        serde_json::json!({ "message": "All we hold." }),
    )
    .await;
    assert_eq!(done.status(), 200);
    assert_eq!(
        count(&app, "request_attachments").await,
        4,
        "the export's four files"
    );

    let config = "[retention]\nclosed_request_days = 30\n";
    let early = run(&app, &["retention", "run", "--now", &in_days(29)], config).await;
    assert!(
        early.contains("0 closed requests with 0 answer files"),
        "{early}"
    );
    assert_eq!(count(&app, "request_attachments").await, 4);
    let due = run(&app, &["retention", "run", "--now", &in_days(31)], config).await;
    assert!(
        due.contains("1 closed requests with 4 answer files"),
        "{due}"
    );
    assert_eq!(count(&app, "request_attachments").await, 0);
    assert_eq!(count(&app, "rights_requests").await, 0);
}

/// Completing an erasure request erases what the server holds about the person: their other
/// requests go (with their e-mails and files), their consent events lose the customer number,
/// and the ledger still verifies through the tombstones. The erasure request stays as the record.
#[tokio::test]
async fn a_completed_erasure_erases_the_persons_requests_and_unlinks_their_consent() {
    let app = spawn_app().await;
    let cookie = session(&app, "officer@virtio.nl", "officer").await;
    let token = crate::helpers::token_for("C-5005", 600);
    for kind in [ConsentKind::AcceptAll, ConsentKind::RejectAll] {
        let recorded = app
            .http
            .post(format!("{}/api/v1/consents", app.address))
            .bearer_auth(&token)
            .json(&consent_body(kind))
            .send()
            .await
            .unwrap();
        assert_eq!(recorded.status(), 201);
    }
    // Someone else's choice stays linked to them.
    app.api
        .record_consent(&consent_body(ConsentKind::AcceptAll))
        .await
        .unwrap();
    let file = |kind| CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind,
        language: Language::Nl,
        email: None,
        name: None,
        details: None,
        subject: None,
    };
    let access = app
        .api
        .create_request(&file(RightsRequestKind::Access), Some(&token))
        .await
        .unwrap();
    let erasure = app
        .api
        .create_request(&file(RightsRequestKind::Erasure), Some(&token))
        .await
        .unwrap();
    const LINKED: &str = "SELECT count(*) FROM consent_events WHERE customer = 'C-5005'";
    assert_eq!(app.count(LINKED).await, 2);
    // The ledger lets only the unlinking through, and nothing may ride along with it.
    let riding = app
        .execute(
            "UPDATE consent_events SET customer = NULL, unlinked_at = 'now', choices = '{}' \
             WHERE customer = 'C-5005'",
        )
        .await;
    assert!(riding.is_err(), "an edit rode along with an unlinking");
    assert_eq!(app.count(LINKED).await, 2);

    let done = post(
        &app,
        &cookie,
        &format!("/api/v1/admin/requests/{}/complete", erasure.id),
        serde_json::json!({ "message": "Alles is gewist." }),
    )
    .await;
    assert_eq!(done.status(), 200);

    assert_eq!(
        app.count(LINKED).await,
        0,
        "the consent events still name the customer"
    );
    assert_eq!(app.count_events().await, 3, "the proof of consent stays");
    let gone = app
        .api
        .request_status(access.id, &access.status_token)
        .await
        .unwrap_err();
    assert!(matches!(gone, ApiError::Problem(p) if p.status == 404));
    let record = app
        .api
        .request_status(erasure.id, &erasure.status_token)
        .await
        .unwrap();
    assert_eq!(
        record.status,
        privacy_shared::rights::RequestStatus::Completed
    );
    let (intact, report) = crate::ledger::verify(&app.url);
    assert!(intact, "{report}");
    let mine = app
        .api
        .me_consent(&token, "virtio-nl".parse().unwrap())
        .await
        .unwrap();
    assert!(mine.history.is_empty() && mine.latest.is_none());
}

/// The audit log keeps the officers' notes and file names only for its retention period; the
/// entries after it still verify, chained from the last one deleted, and nothing newer can go.
#[tokio::test]
async fn audit_entries_go_after_their_period_and_the_rest_still_verifies() {
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;
    let path = format!("/api/v1/admin/requests/{}", created.id);
    post(
        &app,
        &cookie,
        &format!("{path}/reply"),
        serde_json::json!({ "message": "Een notitie met een naam erin." }),
    )
    .await;
    const ENTRIES: &str = "SELECT count(*) FROM audit_log";
    let before = app.count(ENTRIES).await;
    assert!(before >= 2, "{before}");
    let config = "[retention]\naudit_entry_days = 30\n";
    let early = crate::retention::run(
        &app,
        &["retention", "run", "--now", &crate::retention::in_days(29)],
        config,
    )
    .await;
    assert!(early.contains(", 0 audit entries"), "{early}");
    let later = crate::retention::run(
        &app,
        &["retention", "run", "--now", &crate::retention::in_days(31)],
        config,
    )
    .await;
    assert!(
        later.contains(&format!(", {before} audit entries")),
        "{later}"
    );
    assert_eq!(app.count(ENTRIES).await, 0);

    // The next entry chains on from the deleted ones, and the log verifies.
    get(&app, &cookie, &path).await;
    let log: AuditLog = get(&app, &cookie, "/api/v1/admin/audit")
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["view"]);
    assert_eq!(log.first_broken, None);
    // What the period has not reached cannot be deleted.
    let refused = app.execute("DELETE FROM audit_log").await;
    assert!(refused.is_err());
}

/// Officers acting at once on one request: each decision is made from what is stored, and one
/// made from a state that changed meanwhile is made again, so exactly one extension lands and
/// the others are refused; nothing is written twice.
#[tokio::test]
async fn officers_acting_at_once_extend_a_request_exactly_once() {
    let app = spawn_app().await;
    let (cookie, created) = officer_and_request(&app).await;
    let path = format!("/api/v1/admin/requests/{}", created.id);
    let body = serde_json::json!({ "months": 1, "reason": "we hold data in many systems" });
    let extend = format!("{path}/extend");
    let answers =
        futures_util::future::join_all((0..8).map(|_| post(&app, &cookie, &extend, body.clone())))
            .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 409].contains(s)),
        "{statuses:?}"
    );
    let detail: AdminRequestDetail = get(&app, &cookie, &path).await.json().await.unwrap();
    let extended = detail
        .history
        .iter()
        .filter(|h| h.status == RequestStatus::Extended)
        .count();
    assert_eq!(extended, 1, "{:?}", detail.history);
    assert_eq!(
        detail.summary.due_date,
        privacy_shared::rights::add_months(created.due_date, 1)
    );
}
