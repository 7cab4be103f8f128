//! The contract pass: schemathesis (PyPI, pinned, in `.tools/py`) generates requests from the
//! server's own `/api/v1/openapi.json` and sends them to the real server, signed in as an
//! officer so the admin API is reached too. It fails on any 5xx, any answer the document does
//! not describe, a schema-valid request refused or an invalid one accepted. `cargo xtask test`
//! runs a short pass; `cargo xtask fuzz` a long one.

use anyhow::{Context as _, Result, ensure};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use crate::bench::Scratch;
use crate::chaos::{Server, post_json, post_json_with};
use crate::{run_command, tools};

const OFFICER: &str = "contract@virtio.nl";
const PASSWORD: &str = "the contract pass's officer password";
/// The identity secret of the pass's server, which signs its customer's token.
const IDENTITY_SECRET: &str = "the contract pass's identity secret, 32+ bytes";
const IDENTITY_ISSUER: &str = "https://contract.test";

/// The TOTP code of a base32 `secret` now, as an authenticator app computes it.
fn totp_now(secret: &str) -> Result<String> {
    use totp_rs::{Algorithm, Secret, TOTP};
    let key = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("`{secret}` is not base32: {e:?}"))?;
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, key, None, String::new())
        .map_err(|e| anyhow::anyhow!("`{secret}` is no TOTP secret: {e}"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(totp.generate(now))
}

/// Creates the officer with the real command and signs in; returns the session cookie's value.
fn officer_session(binary: &Path, database: &str, address: std::net::SocketAddr) -> Result<String> {
    let created = Command::new(binary)
        .args(["admin", "create", "--email", OFFICER, "--role", "officer"])
        .args(["--database", database])
        .env("PRIVACY_ADMIN_PASSWORD", PASSWORD)
        .env("PRIVACY_LOG", "error")
        .output()?;
    let stdout = String::from_utf8_lossy(&created.stdout);
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("totp secret: "))
        .with_context(|| format!("`admin create` printed no TOTP secret: {stdout}"))?;
    let body = serde_json::json!({
        "email": OFFICER, "password": PASSWORD, "totp": totp_now(secret)?
    });
    let (status, response) = post_json(address, "/api/v1/admin/login", &body.to_string())
        .context("the server did not answer the login")?;
    ensure!(status == 200, "the officer's login failed: {response}");
    response
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim())
        })
        .and_then(|cookie| cookie.split(';').next())
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .context("the login set no session cookie")
}

/// The officer's actions, each given its own open request: completing or refusing one closes
/// it, so they must not share.
const ACTIONS: [&str; 4] = ["complete", "refuse", "extend", "reply"];

/// Files customer's requests (open at once), one for the read-only operations and one per
/// action of [`ACTIONS`], and records a consent event; their ids (and the requests' status
/// tokens).
fn existing_data(
    address: std::net::SocketAddr,
    customer: &str,
) -> Result<(Vec<(String, String)>, String)> {
    let id_in = |response: &str, field: &str| -> Result<String> {
        let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
        let json: serde_json::Value =
            serde_json::from_str(body).with_context(|| format!("not JSON: {response}"))?;
        json[field]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no `{field}` in {response}"))
    };
    let filed = serde_json::json!({ "site": "virtio-nl", "kind": "access", "language": "nl" });
    let mut requests = Vec::new();
    for _ in 0..=ACTIONS.len() {
        let (status, response) = post_json_with(
            address,
            "/api/v1/requests",
            &filed.to_string(),
            &format!("Authorization: Bearer {customer}\r\n"),
        )
        .context("the server did not answer the filing")?;
        ensure!(
            status == 201,
            "the customer's request was refused: {response}"
        );
        requests.push((id_in(&response, "id")?, id_in(&response, "status_token")?));
    }
    let (status, response) = post_json(
        address,
        "/api/v1/consents",
        &crate::bench::consent_body()?(
            "0193a2b4-0000-4000-8000-0000000e0e01",
            "6d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ),
    )
    .context("the server did not answer the consent")?;
    ensure!(status == 201, "the consent event was refused: {response}");
    Ok((requests, id_in(&response, "event_id")?))
}

/// Runs schemathesis with `examples` per operation against a fresh server from `binary`.
pub fn run(root: &Path, binary: &Path, examples: u32) -> Result<()> {
    let site_packages = tools::schemathesis(root)?;
    // One client sends everything: no limit may stand in the way of the generated requests.
    let scratch = Scratch::with_limits(
        root,
        "contract",
        &format!(
            "consent_writes_per_subject_per_minute = 1000000000\n\
             request_intake_per_minute = 1000000000\nrequests_per_email_per_day = 1000000000\n\
             code_checks_per_minute = 1000000000\ncode_checks_per_email_per_day = 1000000000\n\
             logins_per_minute = 1000000000\n[identity]\nalgorithm = \"HS256\"\n\
             secret = \"{IDENTITY_SECRET}\"\nissuer = \"{IDENTITY_ISSUER}\"\n"
        ),
    )?;
    let database = scratch.database_url();
    let address = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut server = Server::start(binary, &scratch.config, &database, address)?;
    let outcome = (|| {
        let session = officer_session(binary, &database, address)?;
        // A customer's identity token, signed as the interface app signs them, by the server's
        // own `token sign`.
        let key = scratch.dir.join("identity-secret");
        std::fs::write(&key, IDENTITY_SECRET)?;
        let mut sign = Command::new(binary);
        sign.args(["token", "sign", "--algorithm", "HS256", "--key"])
            .arg(&key)
            .args(["--issuer", IDENTITY_ISSUER, "--customer", "C-1001"])
            .args(["--email", "klant@example.nl", "--minutes", "60"]);
        for site in ["virtio-nl", "interface", "virtio-status"] {
            sign.args(["--site", site]);
        }
        let signed = sign.output().context("running privacy-server token sign")?;
        ensure!(
            signed.status.success(),
            "token sign failed: {}",
            String::from_utf8_lossy(&signed.stderr)
        );
        let customer = String::from_utf8(signed.stdout)?.trim().to_owned();
        let (requests, event) = existing_data(address, &customer)?;
        // Customers' open requests and a recorded event, so that operations on one reach their
        // rules instead of answering 404 to random ids.
        let mut existing = format!(
            "[[operations]]\ninclude-path-regex = \"^/api/v1/admin/requests/\\\\{{id\\\\}}(/export)?$\"\n\
             parameters = {{ \"path.id\" = \"{id}\" }}\n\n\
             [[operations]]\ninclude-path-regex = \"^/api/v1/requests/\\\\{{id\\\\}}\"\n\
             parameters = {{ \"path.id\" = \"{id}\" }}\n\n\
             # The status token is the requester's only key, and an unknown id and a wrong\n\
             # token answer the same 404, so that nobody learns which requests exist.\n\
             checks.ignored_auth.enabled = false\n\n\
             [auth.openapi.status_token]\nbearer = \"{token}\"\n\n",
            id = requests[0].0,
            token = requests[0].1,
        );
        for (action, (request, _)) in ACTIONS.iter().zip(&requests[1..]) {
            existing.push_str(&format!(
                "[[operations]]\ninclude-path = \"/api/v1/admin/requests/{{id}}/{action}\"\n\
                 parameters = {{ \"path.id\" = \"{request}\" }}\n\n"
            ));
        }
        std::fs::write(
            scratch.dir.join("schemathesis.toml"),
            format!(
                "{existing}[[operations]]\ninclude-path = \"/api/v1/consents/{{event_id}}/receipt\"\n\
                 parameters = {{ \"path.event_id\" = \"{event}\" }}\n\n\
                 [auth.openapi.staff_session]\napi_key = \"{session}\"\n\n\
                 [auth.openapi.identity_token]\nbearer = \"{customer}\"\n\n\
                 # Whether a consent body is valid depends on the site's purposes and the policy's\n\
                 # notice hash, which no schema can say: only its refusals are not checked.\n\
                 [[operations]]\ninclude-path = \"/api/v1/consents\"\ninclude-method = \"POST\"\n\
                 checks.positive_data_acceptance.enabled = false\n\n\
                 [[operations]]\ninclude-path = \"/api/v1/me/consent\"\ninclude-method = \"PUT\"\n\
                 checks.positive_data_acceptance.enabled = false\n\n\
                 # Logging out ends the session the rest of the pass uses (the API tests cover it).\n\
                 [[operations]]\ninclude-path = \"/api/v1/admin/logout\"\nenabled = false\n\n\
                 # A body over the server's limit is refused with 413 before it is read.\n\
                 [checks.negative_data_rejection]\nexpected-statuses = [\"400\", \"401\", \"403\", \
                 \"404\", \"405\", \"406\", \"409\", \"413\", \"415\", \"422\", \"428\", \"429\"]\n"
            ),
        )?;
        run_command(
            Command::new("python3")
                .args(["-m", "schemathesis.cli", "run"])
                .arg(format!("http://{address}/api/v1/openapi.json"))
                .args(["--max-examples", &examples.to_string()])
                .args(["--seed", "20261129", "--no-color"])
                .current_dir(&scratch.dir)
                .env("PYTHONPATH", &site_packages),
        )
    })();
    server.kill()?;
    let _ = std::fs::remove_dir_all(&scratch.dir);
    outcome.context("the API broke its contract (above: each failure with a curl to replay it)")
}
