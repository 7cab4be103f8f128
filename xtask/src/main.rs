//! Project automation, reached as `cargo xtask <command>` (matklad's cargo-xtask pattern):
//! `build` the WebAssembly bundles, `serve` the product locally, `test` everything, `bench` the
//! widget's time to banner and weight.

mod bench;
mod build;
mod chaos;
mod contract;
mod postgres;
mod test;

mod rate;
mod tools;
mod weight;

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  build   build the widget and admin bundles into dist/
  serve   build, then serve everything at http://127.0.0.1:8080 (SQLite at ./data/privacy.db)
  test    formatting, lints, architecture checks, native, WebAssembly and browser tests
  bench [server]
          measure the widget's time to banner and bytes in headless Chromium, and the server's
          consent writes against a bare actix-web handler; writes BENCHMARKS.md (`server`: only
          the server's part, printed)
  fuzz [EXAMPLES]
          a long contract pass: schemathesis against the server's OpenAPI document, EXAMPLES
          per operation (default 500)
  chaos [KILLS]
          SIGKILL and restart the server KILLS times (default 50) under consent writes; every
          answered write must be in the ledger once; writes RELIABILITY.md";

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root).context("entering the workspace root")?;
    match args.first().map(String::as_str) {
        Some("build") => build::bundles(&root).map(|_| ()),
        Some("serve") => serve(&root),
        Some("test") => test::all(&root),
        Some("bench") if args.get(1).map(String::as_str) == Some("server") => {
            print!("{}", bench::server(&root)?);
            Ok(())
        }
        Some("bench") => bench(&root),
        Some("chaos") => chaos(&root, args.get(1).map(String::as_str)),
        Some("fuzz") => {
            let examples = args
                .get(1)
                .map(|n| n.parse())
                .transpose()
                .context("EXAMPLES is a number")?
                .unwrap_or(500);
            contract::run(&root, &debug_server(&root)?, examples)
        }

        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn serve(root: &Path) -> Result<()> {
    build::bundles(root)?;
    println!("starting the server at http://127.0.0.1:8080 (Ctrl-C stops it)");
    run_command(Command::new(cargo()).args([
        "run",
        "--quiet",
        "--package",
        "privacy-server",
        "--",
        "serve",
        "--config",
        "config/dev.toml",
        "--dev",
    ]))
}

/// Builds the server binary in the dev profile (the one the tests use) and returns its path.
fn debug_server(root: &Path) -> Result<PathBuf> {
    run_command(Command::new(cargo()).args([
        "build",
        "--package",
        "privacy-server",
        "--bin",
        "privacy-server",
    ]))?;
    Ok(root.join("target/debug/privacy-server"))
}

/// Builds the server and runs the chaos round, then writes RELIABILITY.md.
fn chaos(root: &Path, kills: Option<&str>) -> Result<()> {
    let kills: usize = kills
        .map(str::parse)
        .transpose()
        .context("KILLS is a number")?
        .unwrap_or(50);
    let binary = debug_server(root)?;
    let outcome = chaos::run(root, &binary, kills)?;
    let cluster = postgres::Cluster::start(root)?;
    let shared = chaos::run_on(root, &binary, kills, chaos::Backing::Postgres(&cluster))?;
    drop(cluster);
    let full_disk = chaos::full_disk(root, &binary)?;
    let command = if kills == 50 {
        "cargo xtask chaos".to_owned()
    } else {
        format!("cargo xtask chaos {kills}")
    };
    let report = format!(
        "# Reliability\n\n\
         Produced by `{command}` on this machine (loopback only, bounded in count and time).\n\
         `cargo xtask test` runs a short round of the same code (5 kills, and the full disk) on\n\
         every run, on both backends.\n\n{}\n{}\n{}",
        outcome.report(&command),
        shared.report(&command),
        full_disk.report()
    );
    std::fs::write(root.join("RELIABILITY.md"), &report)?;
    println!("{report}");
    Ok(())
}

/// Builds the bundles and runs the widget benchmark, which writes `BENCHMARKS.md`.
fn bench(root: &Path) -> Result<()> {
    let chromedriver = tools::chromedriver()?;
    let competitors = tools::competitors(root)?;
    build::bundles(root)?;
    run_command(
        Command::new(cargo())
            .args([
                "run",
                "--quiet",
                "--package",
                "privacy-tests",
                "--bin",
                "widget-bench",
            ])
            .env("BENCH_COMPETITORS", competitors)
            .env("CHROMEDRIVER", chromedriver),
    )?;
    let weight = widget_weight(root)?;
    let server = bench::server(root)?;
    let report = root.join("BENCHMARKS.md");
    let mut text = std::fs::read_to_string(&report).context("reading BENCHMARKS.md")?;
    text.push_str(&weight);
    text.push_str(&server);
    // The hand-made profile of the server, kept with the figures it explains.
    text.push_str(&std::fs::read_to_string(
        root.join("xtask/bench/profile.md"),
    )?);
    std::fs::write(&report, text).context("writing BENCHMARKS.md")?;
    print!("{server}");
    Ok(())
}

/// What each part of the widget's two WebAssembly bundles costs (the bundles `build::bundles`
/// just made).
fn widget_weight(root: &Path) -> Result<String> {
    let twiggy = tools::twiggy(root)?;
    let mut text = String::new();
    for (krate, stem, title) in [
        (
            "privacy_widget_main",
            "widget",
            "What the widget's main bundle is made of (every page with a choice to make)",
        ),
        (
            "privacy_widget_views",
            "views",
            "What the views bundle is made of (the rights center, fetched only when it opens)",
        ),
    ] {
        let named = root.join(format!("target/wasm-bindgen/{krate}/{krate}_bg.wasm"));
        let prefix = format!("{stem}-");
        let shipped = std::fs::read_dir(root.join("dist/widget/v1/assets"))?
            .filter_map(|entry| entry.ok())
            .find(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.starts_with(&prefix) && name.ends_with(".wasm.br")
            })
            .with_context(|| format!("the build wrote no brotli WebAssembly for {stem}"))?;
        let parts = weight::parts(&twiggy, &named)?;
        text.push_str(&weight::report(
            title,
            &parts,
            std::fs::metadata(shipped.path())?.len(),
        ));
    }
    Ok(text)
}

/// The cargo that runs this xtask, so the pinned toolchain is used throughout.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs a command, echoing it, and fails if it fails.
fn run_command(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}").replace('"', "");
    println!("$ {shown}");
    let status = command
        .status()
        .with_context(|| format!("starting `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}
