//! Starting the server from a configuration file: a bad file stops it at once with one line that
//! names the file and the line, before anything listens.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `privacy-server serve` with `args`, expects it to stop with a failure before serving,
/// and returns the one line it printed.
fn stops_with_one_line(args: &[&std::ffi::OsStr]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .arg("serve")
        .args(args)
        .arg("--bind")
        .arg("127.0.0.1:0")
        .arg("--database")
        .arg(format!("sqlite://{}", dir.path().join("p.db").display()))
        .env("PRIVACY_LOG", "warn")
        .env_remove("PRIVACY_IDENTITY_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the server kept running with {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0].to_owned()
}

#[test]
fn a_bad_configuration_stops_the_server_with_one_line_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "bind = \"127.0.0.1:0\"\n\n[sites.shop]\nname = \"shop.virtio.nl\"\npurposes = [\"necessary\", \"marketing\"]\n",
    )
    .unwrap();
    let line = stops_with_one_line(&["--config".as_ref(), config.as_os_str()]);
    assert!(line.contains("bad.toml:5:"), "{line}");
    assert!(line.contains("marketing"), "{line}");
}

/// A deployment copied from the development settings does not start: their identity secret is
/// published, and they sign tokens for anyone. `--dev` (what `cargo xtask serve` passes) allows
/// them.
#[test]
fn the_development_settings_start_only_with_dev() {
    let dev = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/dev.toml");
    let line = stops_with_one_line(&["--config".as_ref(), dev.as_ref()]);
    assert!(
        line.contains("published") && line.contains("--dev"),
        "{line}"
    );
}

/// The loader is rendered at start from the build's template for the configured sites, and is
/// served to every origin: compressed, revalidated by its ETag.
#[tokio::test]
async fn the_loader_is_rendered_at_start_for_the_configured_sites() {
    let dist = tempfile::tempdir().unwrap();
    let template = dist.path().join(privacy_server::loader::TEMPLATE);
    std::fs::create_dir_all(template.parent().unwrap()).unwrap();
    std::fs::write(
        &template,
        "const SITES = __VP_SITES__;\nconst start = __VP_START__;\nconst TEXTS = __VP_TEXTS__;\nconst OUTBOX = __VP_OUTBOX__;\nconst NOTICES = __VP_NOTICES__;\nconst PREFERENCES_PATH = __VP_PREFERENCES_PATH__;\nconst POLICY_PATH = __VP_POLICY_PATH__;\n",
    )
    .unwrap();
    let app = crate::helpers::spawn_app_with(|s| s.dist_dir = dist.path().to_owned()).await;
    let url = format!("{}/widget/v1/loader.js", app.address);
    let response = app
        .http
        .get(&url)
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("access-control-allow-origin"), "*");
    assert_eq!(header("timing-allow-origin"), "*");
    assert_eq!(header("cache-control"), "public, max-age=300");
    assert!(header("content-type").starts_with("text/javascript"));
    let etag = header("etag");
    let body = response.text().await.unwrap();
    assert!(!body.contains("__VP_"), "{body}");
    for site in ["virtio-nl", "interface", "virtio-status"] {
        assert!(
            body.contains(&format!("\"{site}\":{{\"definition\"")),
            "{site}"
        );
    }
    assert!(body.contains("Alles weigeren") && body.contains("Reject all"));
    assert!(body.contains("Cookie-instellingen") && body.contains("const OUTBOX = \"vp_outbox\""));

    let revalidated = app
        .http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    let compressed = app
        .http
        .get(&url)
        .header("Accept-Encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "br");
}

/// Without a build the loader says how to make one.
#[tokio::test]
async fn without_a_build_the_loader_answers_404_naming_the_command() {
    let dist = tempfile::tempdir().unwrap();
    let app = crate::helpers::spawn_app_with(|s| s.dist_dir = dist.path().to_owned()).await;
    let response = app
        .http
        .get(format!("{}/widget/v1/loader.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("cargo xtask build"));
}
