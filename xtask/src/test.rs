//! `cargo xtask test`: every check, cheapest first, so a mistake fails fast.
//!
//! In order: formatting; clippy, natively and for wasm32; architecture invariants; the browser and
//! the bundles the browser tests load; native tests (unit, API and browser end-to-end); the
//! browser tests again with the host pages on a second origin, as group sites embed the widget;
//! WebAssembly tests in headless Chromium.

use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::{build, cargo, run_command, tools};

const WASM_CRATES: [&str; 5] = [
    "privacy-shared",
    "privacy-widget",
    "privacy-widget-main",
    "privacy-widget-views",
    "privacy-admin",
];

pub fn all(root: &Path) -> Result<()> {
    let started = Instant::now();
    let step = |name: &str| println!("\n==> {name} ({}s)", started.elapsed().as_secs());

    step("formatting");
    run_command(Command::new(cargo()).args(["fmt", "--all", "--check"]))?;

    step("clippy (native)");
    run_command(Command::new(cargo()).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("clippy (wasm32)");
    tools::wasm_target()?;
    let mut wasm_clippy = Command::new(cargo());
    wasm_clippy.args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
    ]);
    for krate in WASM_CRATES {
        wasm_clippy.args(["--package", krate]);
    }
    run_command(wasm_clippy.args(["--", "-D", "warnings"]))?;

    step("architecture invariants");
    architecture_invariants()?;

    step("browser and bundles");
    let chromedriver = tools::chromedriver()?;
    let bin = tools::wasm_bindgen(root)?;
    let axe = tools::axe_core(root)?;
    tools::jose(root)?;
    tools::promtool(root)?;
    build::bundles(root)?;

    step("native tests (unit, API, browser end-to-end)");
    run_command(
        Command::new(cargo())
            .args(["test", "--workspace"])
            .env("CHROMEDRIVER", &chromedriver)
            .env("AXE_CORE", &axe),
    )?;

    step("the API suite again, on PostgreSQL over TLS (a fresh cluster started here)");
    {
        let cluster = crate::postgres::Cluster::start(root)?;
        run_command(
            Command::new(cargo())
                // With --workspace, features resolve as in the run above: nothing is built twice.
                .args(["test", "--workspace", "--test", "api"])
                .env("PRIVACY_TEST_POSTGRES", &cluster.url)
                // Every connection of the suite over TLS, the server's certificate verified.
                .env("PRIVACY_TEST_POSTGRES_CA", &cluster.ca),
        )?;
        step("crash safety on PostgreSQL: two servers, 6 SIGKILLs in turn under consent writes");
        let binary = root.join("target/debug/privacy-server");
        let outcome =
            crate::chaos::run_on(root, &binary, 6, crate::chaos::Backing::Postgres(&cluster))?;
        println!(
            "{} writes answered, {} in the ledger, 0 lost, 0 duplicated, {}",
            outcome.writes, outcome.in_ledger, outcome.verification
        );
    }

    step("browser end-to-end again, the host pages on a second origin");
    run_command(
        Command::new(cargo())
            // With --workspace, features resolve as in the first run: nothing is built twice.
            .args(["test", "--workspace", "--test", "e2e"])
            .env("CHROMEDRIVER", &chromedriver)
            .env("AXE_CORE", &axe)
            .env("VP_E2E_PAGES", "second-origin"),
    )?;

    step("WebAssembly tests in headless Chromium");
    let mut wasm_tests = Command::new(cargo());
    wasm_tests.args([
        "test",
        "--target",
        "wasm32-unknown-unknown",
        "--lib",
        "--tests",
    ]);
    for krate in ["privacy-shared", "privacy-widget"] {
        wasm_tests.args(["--package", krate]);
    }
    run_command(
        wasm_tests
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                bin.join("wasm-bindgen-test-runner"),
            )
            .env("CHROMEDRIVER", &chromedriver)
            .env(
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                root.join("webdriver.json"),
            ),
    )?;

    step("contract: schemathesis against the OpenAPI document, signed in as an officer");
    crate::contract::run(root, &root.join("target/debug/privacy-server"), 25)?;

    step("crash safety: 5 SIGKILLs under consent writes, then a full disk");
    let binary = root.join("target/debug/privacy-server");
    let outcome = crate::chaos::run(root, &binary, 5)?;
    println!(
        "{} writes answered, {} in the ledger, 0 lost, 0 duplicated, {}",
        outcome.writes, outcome.in_ledger, outcome.verification
    );
    let full = crate::chaos::full_disk(root, &binary)?;
    println!(
        "full disk: {} answered, then {} refused with 503 problem+json; {} after a restart; \
         integrity {}, {}",
        full.answered_before_full,
        full.refused_while_full,
        full.answered_after,
        full.integrity,
        full.verification
    );

    println!("\nall checks passed in {}s", started.elapsed().as_secs());
    Ok(())
}

/// What each crate must not know (ARCHITECTURE.md): `cargo tree -i` must find no path from the
/// crate to the forbidden dependency.
fn architecture_invariants() -> Result<()> {
    let forbidden: [(&str, Option<&str>, &str); 8] = [
        ("privacy-shared", None, "actix-web"),
        ("privacy-shared", None, "sqlx"),
        ("privacy-shared", None, "tokio"),
        ("privacy-shared", None, "rusqlite"),
        ("privacy-shared", None, "web-sys"),
        ("privacy-shared", Some("wasm32-unknown-unknown"), "reqwest"),
        ("privacy-widget", Some("wasm32-unknown-unknown"), "rusqlite"),
        ("privacy-widget", Some("wasm32-unknown-unknown"), "reqwest"),
    ];
    for (krate, target, dependency) in forbidden {
        let mut tree = Command::new(cargo());
        tree.args([
            "tree",
            "--quiet",
            "--edges",
            "normal",
            "--package",
            krate,
            "--invert",
            dependency,
        ]);
        if let Some(target) = target {
            tree.args(["--target", target]);
        }
        let output = tree.output()?;
        let paths = String::from_utf8_lossy(&output.stdout);
        let errors = String::from_utf8_lossy(&output.stderr);
        // `cargo tree -i` fails with "did not match any packages" when nothing depends on it.
        let absent = if output.status.success() {
            paths.trim().is_empty()
        } else {
            errors.contains("did not match")
        };
        if !absent {
            bail!("{krate} must not depend on {dependency}:\n{paths}{errors}");
        }
        println!("ok: {krate} does not depend on {dependency}");
    }
    Ok(())
}
