//! The external tools the pipeline needs, installed at pinned versions into `.tools/` (cargo tools
//! from crates.io, wasm-opt from npm) or from Debian (Chromium and ChromeDriver), or named in one
//! clear line when they cannot be installed here.

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run_command;

/// The binaryen release whose `wasm-opt` reads what today's rustc emits (Debian's 108 cannot).
const BINARYEN_VERSION: &str = "132";

fn tools_dir(root: &Path) -> PathBuf {
    root.join(".tools")
}

fn output_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `wasm-bindgen` version that `Cargo.lock` pins.
fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let lines: Vec<&str> = lock.lines().collect();
    lines
        .windows(2)
        .find(|pair| pair[0] == "name = \"wasm-bindgen\"")
        .and_then(|pair| pair[1].strip_prefix("version = \""))
        .map(|version| version.trim_end_matches('"').to_owned())
        .context("Cargo.lock pins no wasm-bindgen version")
}

/// `.tools/bin`, holding `wasm-bindgen` and `wasm-bindgen-test-runner` at the locked version.
pub fn wasm_bindgen(root: &Path) -> Result<PathBuf> {
    let version = locked_wasm_bindgen_version(root)?;
    let bin = tools_dir(root).join("bin");
    let installed = output_of(Command::new(bin.join("wasm-bindgen")).arg("--version"));
    if installed.is_some_and(|v| v.trim().ends_with(&version)) {
        return Ok(bin);
    }
    println!("installing wasm-bindgen-cli {version} into .tools/ (once; takes a few minutes)");
    run_command(Command::new(crate::cargo()).args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--root",
        &tools_dir(root).to_string_lossy(),
    ]))?;
    Ok(bin)
}

/// `wasm-opt` from npm's `binaryen@132`, installed into `.tools/npm`.
pub fn wasm_opt(root: &Path) -> Result<PathBuf> {
    let prefix = tools_dir(root).join("npm");
    let bin = prefix.join("node_modules/.bin/wasm-opt");
    let installed = output_of(Command::new(&bin).arg("--version"));
    if installed.is_some_and(|v| v.contains(&format!("version {BINARYEN_VERSION}"))) {
        return Ok(bin);
    }
    if output_of(Command::new("npm").arg("--version")).is_none() {
        bail!("wasm-opt needs npm: install Node.js and npm (apt-get install nodejs npm)");
    }
    std::fs::create_dir_all(&prefix)?;
    run_command(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("binaryen@{BINARYEN_VERSION}")),
    )?;
    Ok(bin)
}

fn is_root() -> bool {
    output_of(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0")
}

/// Debian's Chromium and ChromeDriver: the path of `chromedriver`, installing both with apt-get
/// when they are missing and this runs as root.
pub fn chromedriver() -> Result<PathBuf> {
    let chromium = Path::new("/usr/bin/chromium");
    let driver = Path::new("/usr/bin/chromedriver");
    if chromium.exists() && driver.exists() {
        return Ok(driver.to_path_buf());
    }
    if !is_root() {
        bail!(
            "the browser tests need Chromium and ChromeDriver: run `sudo apt-get install chromium chromium-driver`"
        );
    }
    println!("installing Debian's chromium and chromium-driver");
    run_command(Command::new("apt-get").args(["update", "-qq"]))?;
    run_command(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(driver.to_path_buf())
}
