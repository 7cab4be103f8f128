//! CORS only for the configured sites' origins, rate limits per client (as the trusted proxies
//! name it), per e-mail address and per subject, and logs without secrets.

use privacy_shared::problem::ProblemKind;
use privacy_shared::rights::{CreateRightsRequest, RightsRequestKind};
use privacy_shared::{ConsentKind, EmailAddress, Language};

use privacy_server::limits::RateLimits;

use crate::helpers::{TestApp, consent_body, expect_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_configured_origin_gets_a_cors_grant_and_another_gets_none() {
    let app = spawn_app().await;
    let health = |origin: &'static str| {
        app.http
            .get(format!("{}/api/v1/health", app.address))
            .header("origin", origin)
            .send()
    };
    let allowed = health("https://www.virtio.nl").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.virtio.nl"
    );
    assert_eq!(
        allowed.headers()["timing-allow-origin"],
        "https://www.virtio.nl",
        "the group site sees the timing of its own calls"
    );
    let other = health("https://evil.example").await.unwrap();
    assert_eq!(other.status(), 200);
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert!(other.headers().get("timing-allow-origin").is_none());

    let preflight = |origin: &'static str, path: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let granted = preflight("https://www.virtio.nl", "/api/v1/consents")
        .await
        .unwrap();
    assert_eq!(granted.status(), 204);
    assert_eq!(
        granted.headers()["access-control-allow-origin"],
        "https://www.virtio.nl"
    );
    assert!(
        granted.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let refused = preflight("https://evil.example", "/api/v1/consents")
        .await
        .unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let admin = preflight("https://www.virtio.nl", "/api/v1/admin/login")
        .await
        .unwrap();
    assert!(
        admin.headers().get("access-control-allow-origin").is_none(),
        "the admin API is same-origin only"
    );
}

fn access_request(email: &str) -> CreateRightsRequest {
    CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind: RightsRequestKind::Access,
        language: Language::Nl,
        email: Some(EmailAddress::parse(email).unwrap()),
        name: None,
        details: None,
        subject: None,
    }
}

/// Files `body` as the client `forwarded_for` says, through the test's connection from loopback.
async fn file_as(app: &TestApp, forwarded_for: &str, body: &CreateRightsRequest) -> u16 {
    app.http
        .post(format!("{}/api/v1/requests", app.address))
        .header("x-forwarded-for", forwarded_for)
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn request_intake_is_rate_limited_per_client_with_retry_after() {
    let app = spawn_app().await;
    for n in 0..10 {
        let body = access_request(&format!("flood{n}@example.nl"));
        app.api.create_request(&body, None).await.unwrap();
    }
    let response = app
        .http
        .post(format!("{}/api/v1/requests", app.address))
        .json(&access_request("flood@example.nl"))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&retry_after), "{retry_after}");
    assert_eq!(
        expect_problem(response, 429).await.kind(),
        Some(ProblemKind::RateLimited)
    );
    assert_eq!(app.count("SELECT count(*) FROM rights_requests").await, 10);
}

/// Behind the load balancer every client arrives from its address: each gets its own bucket, as
/// the trusted proxy names it; an IPv6 client is its /64. A client that is no trusted proxy cannot
/// pick a bucket by sending the header itself.
#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket_and_others_cannot_pick_one() {
    let limits = RateLimits {
        request_intake_per_minute: 2,
        ..RateLimits::default()
    };
    let behind = spawn_app_with(|s| {
        s.rate_limits = limits;
        s.proxies.trusted = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let mut n = 0;
    let mut file = |app, client| {
        n += 1;
        let body = access_request(&format!("client{n}@example.nl"));
        async move { file_as(app, client, &body).await }
    };
    assert_eq!(file(&behind, "203.0.113.1").await, 201);
    assert_eq!(file(&behind, "203.0.113.1").await, 201);
    assert_eq!(file(&behind, "203.0.113.1").await, 429);
    // Another client behind the same proxy is not affected; a forged hop before it changes
    // nothing, since the proxy appends the address it saw.
    assert_eq!(file(&behind, "203.0.113.2").await, 201);
    assert_eq!(file(&behind, "198.51.100.9, 203.0.113.1").await, 429);
    // Two addresses of one IPv6 /64 share a bucket.
    assert_eq!(file(&behind, "2001:db8:1:2::1").await, 201);
    assert_eq!(file(&behind, "2001:db8:1:2::ffff").await, 201);
    assert_eq!(file(&behind, "2001:db8:1:2:aaaa::1").await, 429);
    assert_eq!(file(&behind, "2001:db8:1:3::1").await, 201);

    // Without a trusted proxy the header is the client's own word, and ignored.
    let direct = spawn_app_with(|s| s.rate_limits = limits).await;
    assert_eq!(file(&direct, "203.0.113.1").await, 201);
    assert_eq!(file(&direct, "203.0.113.2").await, 201);
    assert_eq!(file(&direct, "203.0.113.3").await, 429);
}

/// Each request e-mails a code: one address gets a day's few, from however many clients, and
/// its codes are guessed at a bounded rate over all its requests.
#[tokio::test]
async fn an_address_gets_a_few_codes_a_day_and_few_guesses_whoever_asks() {
    let app = spawn_app_with(|s| {
        s.proxies.trusted = vec!["127.0.0.1".parse().unwrap()];
        s.rate_limits = RateLimits {
            requests_per_email_per_day: 3,
            code_checks_per_email_per_day: 4,
            ..RateLimits::default()
        };
    })
    .await;
    let victim = access_request("victim@example.nl");
    let mut created = Vec::new();
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let response = app
            .http
            .post(format!("{}/api/v1/requests", app.address))
            .header("x-forwarded-for", client)
            .json(&victim)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: privacy_shared::rights::RequestCreated = response.json().await.unwrap();
        created.push(body);
    }
    assert_eq!(
        file_as(&app, "203.0.113.4", &access_request("VICTIM@example.nl")).await,
        429
    );
    assert_eq!(
        file_as(&app, "203.0.113.4", &access_request("other@example.nl")).await,
        201
    );
    let mut statuses = Vec::new();
    for (i, request) in created.iter().cycle().take(5).enumerate() {
        let response = app
            .http
            .post(format!(
                "{}/api/v1/requests/{}/verify",
                app.address, request.id
            ))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .bearer_auth(&request.status_token)
            .json(&serde_json::json!({ "code": "000000" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 422, 429]);
}

/// One visitor's subject records at a human pace, from any address.
#[tokio::test]
async fn one_subject_writes_consent_at_a_human_pace() {
    let app = spawn_app_with(|s| {
        s.rate_limits = RateLimits {
            consent_writes_per_subject_per_minute: 3,
            ..RateLimits::default()
        };
    })
    .await;
    let first = consent_body(ConsentKind::AcceptAll);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let body = privacy_shared::RecordConsent {
            idempotency_key: uuid::Uuid::new_v4(),
            ..first.clone()
        };
        statuses.push(
            app.post_consent_json(&serde_json::to_value(&body).unwrap())
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [201, 201, 201, 429]);
    let other = consent_body(ConsentKind::AcceptAll);
    let response = app
        .post_consent_json(&serde_json::to_value(&other).unwrap())
        .await;
    assert_eq!(response.status(), 201);
}

/// Every answer names its request's id (`X-Request-Id`), and a problem names it as its `instance`:
/// the id a trusted proxy sent, else a new one (a client cannot choose the id of its log lines).
#[tokio::test]
async fn request_ids_come_from_a_trusted_proxy_or_are_made_and_name_the_problem() {
    let send = |app: &crate::helpers::TestApp, id: Option<&'static str>| {
        let mut request = app
            .http
            .post(format!("{}/api/v1/consents", app.address))
            .header("content-type", "application/json")
            .body("{}");
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };
    let id_and_instance = |response: reqwest::Response| async move {
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let problem = expect_problem(response, 422).await;
        (id, problem.instance.unwrap().to_string())
    };

    let direct = spawn_app().await;
    let (id, instance) =
        id_and_instance(send(&direct, Some("chosen-by-client")).await.unwrap()).await;
    assert_ne!(id, "chosen-by-client", "an untrusted peer chose the id");
    assert!(uuid::Uuid::try_parse(&id).is_ok(), "{id}");
    assert_eq!(instance, format!("urn:virtio-privacy:request:{id}"));
    let (other, _) = id_and_instance(send(&direct, None).await.unwrap()).await;
    assert_ne!(other, id, "each request has its own id");
    // A success names its id too.
    let ok = direct
        .post_consent_json(&serde_json::to_value(consent_body(ConsentKind::AcceptAll)).unwrap())
        .await;
    assert_eq!(ok.status(), 201);
    assert!(ok.headers().contains_key("x-request-id"));

    let behind = spawn_app_with(|s| s.proxies.trusted = vec!["127.0.0.0/8".parse().unwrap()]).await;
    let (id, instance) = id_and_instance(send(&behind, Some("lb-7f3a.91")).await.unwrap()).await;
    assert_eq!(id, "lb-7f3a.91");
    assert_eq!(instance, "urn:virtio-privacy:request:lb-7f3a.91");
    // One that could break a log line is replaced.
    let (id, _) = id_and_instance(send(&behind, Some("a b")).await.unwrap()).await;
    assert!(uuid::Uuid::try_parse(&id).is_ok(), "{id}");
}

/// Runs the real binary with every log level on, drives the flows that carry secrets, and reads
/// the log: no e-mail code, status token, identity token, password, TOTP code or session token.
#[tokio::test]
async fn logs_at_trace_level_hold_no_codes_tokens_or_passwords() {
    logs_hold_no_secrets("text").await;
}

/// The same in the JSON format a log pipeline reads: every line one JSON object, and the lines of
/// a request carry its id.
#[tokio::test]
async fn json_logs_are_one_object_a_line_with_the_request_id_and_hold_no_secrets() {
    logs_hold_no_secrets("json").await;
}

async fn logs_hold_no_secrets(format: &str) {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("privacy.db");
    let database_url = format!("sqlite://{}", database.display());
    let password = "a long staff password";
    let created = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .args([
            "admin",
            "create",
            "--email",
            "officer@virtio.nl",
            "--role",
            "officer",
        ])
        .args(["--database", &database_url])
        .env("PRIVACY_ADMIN_PASSWORD", password)
        .env("PRIVACY_LOG", "warn")
        .output()
        .unwrap();
    let secret = String::from_utf8_lossy(&created.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("totp secret: ").map(str::to_owned))
        .unwrap();

    // HS256 from the environment: the secret and every token must stay out of the log.
    let identity_secret = "log-test-identity-secret-of-32-bytes";
    let issuer = "https://mijn.virtio.nl";
    let mut server = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database",
            &database_url,
        ])
        // The group's sites, as every deployment names its catalogue.
        .arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../config/sites.toml"))
        .env("PRIVACY_IDENTITY_ALGORITHM", "HS256")
        .env("PRIVACY_IDENTITY_SECRET", identity_secret)
        .env("PRIVACY_IDENTITY_ISSUER", issuer)
        .env("PRIVACY_LOG", "trace")
        .env("PRIVACY_LOG_FORMAT", format)
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    for stream in [
        Box::new(server.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(server.stdout.take().unwrap()),
    ] {
        let tx = lines_tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
    }
    drop(lines_tx);
    let mut log = Vec::new();
    let address = loop {
        let line = lines_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the server starts");
        let found = line
            .split("serving on ")
            .nth(1)
            // The rest of a text line, or of a JSON line's message.
            .map(|a| a.split('"').next().unwrap_or(a).trim().to_owned());
        log.push(line);
        if let Some(address) = found {
            break address;
        }
    };
    let http = reqwest::Client::new();
    let api = privacy_shared::api::ApiClient::new(&address);

    // A visitor's request: the status token and the e-mailed code, a wrong code and the right one.
    let created = api
        .create_request(
            &CreateRightsRequest {
                site: "virtio-nl".parse().unwrap(),
                kind: RightsRequestKind::Access,
                language: Language::Nl,
                email: Some(EmailAddress::parse("bezoeker@example.nl").unwrap()),
                name: None,
                details: None,
                subject: None,
            },
            None,
        )
        .await
        .unwrap();
    let mail: String = rusqlite::Connection::open(&database)
        .unwrap()
        .query_row("SELECT body FROM outbox", [], |r| r.get(0))
        .unwrap();
    let code = mail.split_once("code is: ").unwrap().1[..6].to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for attempt in [wrong, code.as_str()] {
        let _ = api
            .verify_request(
                created.id,
                &created.status_token,
                &privacy_shared::rights::VerifyRequest {
                    code: privacy_shared::validate::VerificationCode::parse(attempt).unwrap(),
                },
            )
            .await;
    }
    // A customer's consent with an identity token.
    let token = privacy_server::identity::Signer::new(
        privacy_server::identity::Algorithm::Hs256,
        identity_secret.as_bytes(),
        issuer,
    )
    .unwrap()
    .sign(
        privacy_shared::CustomerNumber::parse("C-77").unwrap(),
        EmailAddress::parse("klant@example.nl").unwrap(),
        &["virtio-nl"],
        time::OffsetDateTime::now_utc().unix_timestamp(),
        600,
    )
    .unwrap();
    let consent = http
        .post(format!("{address}/api/v1/consents"))
        .bearer_auth(&token)
        .json(&consent_body(ConsentKind::AcceptAll))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 201);
    // A staff login.
    let totp =
        privacy_server::staff::totp_code(&secret, time::OffsetDateTime::now_utc().unix_timestamp())
            .unwrap();
    let login = http
        .post(format!("{address}/api/v1/admin/login"))
        .json(&serde_json::json!({ "email": "officer@virtio.nl", "password": password, "totp": totp }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let session = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session = session
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();

    let consent_id = consent.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    server.kill().unwrap();
    server.wait().unwrap();
    log.extend(lines_rx.iter());
    if format == "json" {
        let objects: Vec<serde_json::Value> = log
            .iter()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect();
        assert!(
            objects
                .iter()
                .any(|o| o["span"]["request_id"] == consent_id.as_str()),
            "no line carries the consent's request id {consent_id}"
        );
    }
    // Each line carries its timestamp, whose microseconds could match a 6-digit code.
    let log = log
        .iter()
        .map(
            |line| match serde_json::from_str::<serde_json::Value>(line) {
                Ok(mut object) => {
                    object.as_object_mut().map(|o| o.remove("timestamp"));
                    object.to_string()
                }
                Err(_) => match line.split_once(' ') {
                    Some((stamp, rest)) if stamp.contains("T") && stamp.contains('Z') => {
                        rest.to_owned()
                    }
                    _ => line.clone(),
                },
            },
        )
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        log.lines().count() > 5,
        "the trace log says something:\n{log}"
    );
    for (what, secret) in [
        ("e-mail code", code.as_str()),
        ("status token", created.status_token.as_str()),
        ("identity token", token.as_str()),
        ("password", password),
        ("TOTP code", totp.as_str()),
        ("session token", session.as_str()),
    ] {
        assert!(!log.contains(secret), "the log holds the {what}:\n{log}");
    }
}
