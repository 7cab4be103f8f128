//! The external tools the pipeline needs, installed at pinned versions into `.tools/` (cargo tools
//! from crates.io, wasm-opt from npm) or from Debian (Chromium and ChromeDriver), or named in one
//! clear line when they cannot be installed here.

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run_command;

/// The binaryen release whose `wasm-opt` reads what today's rustc emits (Debian's 108 cannot).
const BINARYEN_VERSION: &str = "132";

/// The axe-core release the accessibility tests inject into the page.
const AXE_CORE_VERSION: &str = "4.10.3";

/// The `terser` release (npm) that minifies the widget's JavaScript: wasm-bindgen's glue and the
/// loader.
const TERSER_VERSION: &str = "5.51.4";

/// The `jose` release (npm) the API tests sign identity tokens with, as a Node.js interface app.
const JOSE_VERSION: &str = "6.2.18";

/// The schemathesis release of the contract pass (PyPI).
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The open-source consent banners the benchmark measures the widget against (npm, pinned).
const COMPETITORS: [(&str, &str); 3] = [
    ("vanilla-cookieconsent", "3.1.0"),
    ("klaro", "0.7.22"),
    ("tarteaucitronjs", "1.34.0"),
];

/// The twiggy release (crates.io) the benchmark reads the bundle's size profile with.
const TWIGGY_VERSION: &str = "0.8.0";

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
    cargo_install(root, "wasm-bindgen-cli", &version)?;
    Ok(bin)
}

/// `cargo install package --version version` into `.tools/`.
fn cargo_install(root: &Path, package: &str, version: &str) -> Result<()> {
    println!("installing {package} {version} into .tools/ (once; takes a few minutes)");
    run_command(Command::new(crate::cargo()).args([
        "install",
        package,
        "--version",
        version,
        "--root",
        &tools_dir(root).to_string_lossy(),
    ]))
}

/// `twiggy` at [`TWIGGY_VERSION`] in `.tools/bin`, installed from crates.io when missing.
pub fn twiggy(root: &Path) -> Result<PathBuf> {
    let binary = tools_dir(root).join("bin/twiggy");
    let installed = output_of(Command::new(&binary).arg("--version"));
    if installed.is_some_and(|v| v.trim().ends_with(TWIGGY_VERSION)) {
        return Ok(binary);
    }
    cargo_install(root, "twiggy", TWIGGY_VERSION)?;
    Ok(binary)
}

/// Installs `package@version` from npm into `.tools/npm`.
fn npm_install(root: &Path, package: &str, version: &str) -> Result<()> {
    if output_of(Command::new("npm").arg("--version")).is_none() {
        bail!("{package} comes from npm: install Node.js and npm (apt-get install nodejs npm)");
    }
    let prefix = tools_dir(root).join("npm");
    std::fs::create_dir_all(&prefix)?;
    run_command(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("{package}@{version}")),
    )
}

/// `wasm-opt` from npm's `binaryen@132`, installed into `.tools/npm`.
pub fn wasm_opt(root: &Path) -> Result<PathBuf> {
    let bin = tools_dir(root).join("npm/node_modules/.bin/wasm-opt");
    let installed = output_of(Command::new(&bin).arg("--version"));
    if installed.is_some_and(|v| v.contains(&format!("version {BINARYEN_VERSION}"))) {
        return Ok(bin);
    }
    npm_install(root, "binaryen", BINARYEN_VERSION)?;
    Ok(bin)
}

/// `.tools/npm/node_modules/<package>` at `version`, installed from npm when it is not there at
/// that version.
fn npm_package(root: &Path, package: &str, version: &str) -> Result<PathBuf> {
    let folder = tools_dir(root).join("npm/node_modules").join(package);
    let installed = std::fs::read_to_string(folder.join("package.json")).unwrap_or_default();
    if !installed.contains(&format!("\"version\": \"{version}\"")) {
        npm_install(root, package, version)?;
    }
    Ok(folder)
}

/// npm's `terser` at [`TERSER_VERSION`], installed into `.tools/npm`.
pub fn terser(root: &Path) -> Result<PathBuf> {
    Ok(npm_package(root, "terser", TERSER_VERSION)?.join("bin/terser"))
}

/// `axe.min.js` from npm's `axe-core`, installed into `.tools/npm`, for the accessibility tests.
pub fn axe_core(root: &Path) -> Result<PathBuf> {
    Ok(npm_package(root, "axe-core", AXE_CORE_VERSION)?.join("axe.min.js"))
}

/// npm's `jose` at [`JOSE_VERSION`] in `.tools/npm`, where the API tests' Node.js interface app
/// imports it from.
pub fn jose(root: &Path) -> Result<()> {
    npm_package(root, "jose", JOSE_VERSION).map(drop)
}

/// `.tools/npm/node_modules`, holding the [`COMPETITORS`] at their pinned versions, for the
/// benchmark's comparison.
pub fn competitors(root: &Path) -> Result<PathBuf> {
    for (package, version) in COMPETITORS {
        npm_package(root, package, version)?;
    }
    Ok(tools_dir(root).join("npm/node_modules"))
}

/// schemathesis from PyPI, installed into `.tools/py` (`pip install --target`); returns that
/// folder, to put on `PYTHONPATH` for `python3 -m schemathesis.cli`.
pub fn schemathesis(root: &Path) -> Result<PathBuf> {
    let target = tools_dir(root).join("py");
    let marker = target.join(format!("schemathesis-{SCHEMATHESIS_VERSION}.dist-info"));
    if marker.is_dir() {
        return Ok(target);
    }
    if output_of(Command::new("python3").args(["-m", "pip", "--version"])).is_none() {
        if is_root() {
            println!("installing Debian's python3-pip");
            run_command(Command::new("apt-get").args(["update", "-qq"]))?;
            run_command(
                Command::new("apt-get")
                    .args(["install", "-y", "-qq", "python3-pip"])
                    .env("DEBIAN_FRONTEND", "noninteractive"),
            )?;
        } else {
            bail!("the contract pass needs Python's pip: apt-get install python3-pip");
        }
    }
    let _ = std::fs::remove_dir_all(&target);
    run_command(
        Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&target)
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"))
            // Debian marks its Python as managed by apt; this installs only into `.tools/py`.
            .env("PIP_BREAK_SYSTEM_PACKAGES", "1"),
    )?;
    Ok(target)
}

/// Debian's `wrk`, the load generator of the server benchmark: installed with apt-get when it is
/// missing and this runs as root.
pub fn wrk() -> Result<PathBuf> {
    let wrk = Path::new("/usr/bin/wrk");
    if wrk.exists() {
        return Ok(wrk.to_path_buf());
    }
    if !is_root() {
        bail!("the server benchmark needs wrk: run `sudo apt-get install wrk`");
    }
    println!("installing Debian's wrk");
    run_command(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(wrk.to_path_buf())
}

/// Debian's `promtool` (from the `prometheus` package, unpacked into `.tools/prometheus` rather
/// than installed, so no Prometheus service starts): the API tests check `/metrics` with it.
pub fn promtool(root: &Path) -> Result<PathBuf> {
    let folder = tools_dir(root).join("prometheus");
    let promtool = folder.join("usr/bin/promtool");
    if promtool.exists() {
        return Ok(promtool);
    }
    println!("fetching Debian's prometheus package for promtool into .tools/prometheus");
    let downloads = tools_dir(root).join("downloads");
    std::fs::create_dir_all(&downloads)?;
    let fetched = Command::new("apt-get")
        .args(["download", "prometheus"])
        .current_dir(&downloads)
        .status()
        .is_ok_and(|s| s.success());
    if !fetched {
        bail!(
            "the metrics test needs promtool: run `apt-get update`, or `sudo apt-get install prometheus`"
        );
    }
    let deb = std::fs::read_dir(&downloads)?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("prometheus_"))
        })
        .context("apt-get download left no prometheus package")?;
    run_command(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&folder))?;
    let _ = std::fs::remove_file(&deb);
    Ok(promtool)
}

/// The `wasm32-unknown-unknown` target of the pinned toolchain: `rust-toolchain.toml` lists it,
/// but a toolchain installed before that file existed lacks it.
pub fn wasm_target() -> Result<()> {
    let Some(installed) = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
    else {
        // Without rustup, the toolchain's own sysroot decides; the build names what is missing.
        return Ok(());
    };
    if installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    println!("adding the wasm32-unknown-unknown target to the pinned toolchain");
    run_command(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])).context(
        "the WebAssembly target is missing: run `rustup target add wasm32-unknown-unknown`",
    )
}

pub fn is_root() -> bool {
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

/// The folder of Debian's PostgreSQL server programs (`initdb`, `pg_ctl`), installing the
/// `postgresql` package with apt-get when it is missing and this runs as root.
pub fn postgres_bin() -> Result<PathBuf> {
    let find = || {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
            .collect();
        versions.sort();
        versions.pop()
    };
    if let Some(bin) = find() {
        return Ok(bin);
    }
    if !is_root() {
        bail!("the API tests on PostgreSQL need its server: run `sudo apt-get install postgresql`");
    }
    println!("installing Debian's postgresql");
    run_command(Command::new("apt-get").args(["update", "-qq"]))?;
    run_command(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "postgresql"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    find().context("postgresql is installed but /usr/lib/postgresql/*/bin/initdb is not there")
}
