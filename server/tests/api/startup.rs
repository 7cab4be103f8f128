//! Starting the server from a configuration file: a bad file stops it at once with one line that
//! names the file and the line, before anything listens.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_bad_configuration_stops_the_server_with_one_line_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "bind = \"127.0.0.1:0\"\n\n[sites.shop]\nname = \"shop.virtio.nl\"\npurposes = [\"necessary\", \"marketing\"]\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_privacy-server"))
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--database")
        .arg(format!("sqlite://{}", dir.path().join("p.db").display()))
        .env("PRIVACY_LOG", "warn")
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
            panic!("the server kept running with a bad configuration");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("bad.toml:5:"), "{stderr}");
    assert!(lines[0].contains("marketing"), "{stderr}");
}
