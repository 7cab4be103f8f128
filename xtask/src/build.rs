//! `cargo xtask build`: compiles the widget's two bundles (`widget/main`, `widget/views`) and the
//! admin console to WebAssembly, generates their bindings, shrinks them with `wasm-opt -Oz` (without the producers section), and writes content-hashed, precompressed assets to
//! `dist/`. The widget's loader template `dist/widget/v1/loader.template.js` names the hashed files;
//! the server renders `/widget/v1/loader.js` from it for the sites it is configured with.

use anyhow::{Context as _, Result};
use privacy_shared::dist::{DIALOG_CSS, FIRST_LAYER, POLICY_CSS};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, run_command, tools};

/// Features rustc enables for wasm32 today; wasm-opt must accept them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// One file written to `dist/`, with its sizes.
pub struct Asset {
    pub path: PathBuf,
    pub bytes: usize,
    pub brotli_bytes: usize,
}

/// Builds both bundles into `root/dist` and returns what was written.
pub fn bundles(root: &Path) -> Result<Vec<Asset>> {
    tools::wasm_target()?;
    let bindgen = tools::wasm_bindgen(root)?.join("wasm-bindgen");
    let wasm_opt = tools::wasm_opt(root)?;
    let terser = tools::terser(root)?;
    run_command(Command::new(cargo()).args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--package",
        "privacy-widget-main",
        "--package",
        "privacy-widget-views",
        "--package",
        "privacy-admin",
    ]))?;
    let dist = root.join("dist");
    for folder in ["widget", "admin"] {
        let path = dist.join(folder);
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("clearing {}", path.display()))?;
        }
    }
    let mut assets = Vec::new();

    let minify = |js: &[u8], module: bool| minified(root, &terser, js, module);
    let widget_assets = dist.join("widget/v1/assets");
    // The widget's two bundles: each a glue module and its WebAssembly, named by content.
    let mut bundle = |krate: &str, stem: &str| -> Result<(String, String)> {
        let built = bindgen_and_optimise(root, krate, &bindgen, &wasm_opt)?;
        let module = minify(&built.js, true)?;
        let module = write_hashed(&widget_assets, stem, "js", &module, &mut assets)?;
        let wasm = write_hashed(&widget_assets, stem, "wasm", &built.wasm, &mut assets)?;
        Ok((module, wasm))
    };
    let (module, wasm) = bundle("privacy_widget_main", "widget")?;
    let (views_module, views_wasm) = bundle("privacy_widget_views", "views")?;
    // The loader names the hashed files and carries the stylesheet (it constructs it, so the
    // first layer needs no second request); the server fills in the configured sites at start
    // (server/src/loader.rs). What is served is minified: comments and whitespace left out and
    // local names shortened, never inlined (the server's placeholders must stay one each).
    let css = compact_css(&std::fs::read_to_string(root.join("widget/style.css"))?);
    let css = serde_json::to_string(&css)?.replace('<', "\\u003c");
    // The rules of the dialog and the preferences, and of the policy viewer, compacted: the
    // server sends them with their markup (server/src/loader.rs).
    for (source, target) in [
        ("widget/dialog.css", DIALOG_CSS),
        ("widget/policy.css", POLICY_CSS),
    ] {
        let rules = compact_css(&std::fs::read_to_string(root.join(source))?);
        write_asset(&dist.join(target), rules.as_bytes(), &mut assets)?;
    }
    // The preferences, and the policy with what it shares with them: modules the loader imports
    // the first time one is shown.
    let dialogs = std::fs::read_to_string(root.join("widget/dialogs.js"))?
        .replace("__VP_FIRST_LAYER__", &serde_json::to_string(FIRST_LAYER)?);
    let dialogs = minify(dialogs.as_bytes(), true)?;
    let dialogs = write_hashed(&widget_assets, "dialogs", "js", &dialogs, &mut assets)?;
    let policy = std::fs::read_to_string(root.join("widget/policy.js"))?
        .replace("__VP_DIALOGS_MODULE__", &dialogs);
    let policy = minify(policy.as_bytes(), true)?;
    let policy = write_hashed(&widget_assets, "policy", "js", &policy, &mut assets)?;
    let loader = std::fs::read(root.join("widget/loader.js"))?;
    let loader = String::from_utf8(minify(&loader, false)?)?
        .replace("__VP_MODULE__", &module)
        .replace("__VP_WASM__", &wasm)
        .replace("__VP_VIEWS_MODULE__", &views_module)
        .replace("__VP_VIEWS_WASM__", &views_wasm)
        .replace("__VP_DIALOGS_MODULE__", &dialogs)
        .replace("__VP_POLICY_MODULE__", &policy)
        .replace("__VP_CSS_TEXT__", &css);
    write_asset(
        &dist.join(privacy_shared::dist::LOADER_TEMPLATE),
        loader.as_bytes(),
        &mut assets,
    )?;
    // A loader left by an earlier build would be served in place of the rendered one.
    for stale in ["loader.js", "loader.js.br", "loader.js.gz"] {
        let _ = std::fs::remove_file(dist.join("widget/v1").join(stale));
    }

    let admin = bindgen_and_optimise(root, "privacy_admin", &bindgen, &wasm_opt)?;
    let admin_assets = dist.join("admin/assets");
    let module = write_hashed(&admin_assets, "admin", "js", &admin.js, &mut assets)?;
    let wasm = write_hashed(&admin_assets, "admin", "wasm", &admin.wasm, &mut assets)?;
    let boot = std::fs::read_to_string(root.join("admin/boot.js"))?
        .replace("__ADMIN_MODULE__", &module)
        .replace("__ADMIN_WASM__", &wasm);
    let boot = write_hashed(&admin_assets, "boot", "js", boot.as_bytes(), &mut assets)?;
    let css = std::fs::read(root.join("admin/admin.css"))?;
    let css = write_hashed(&admin_assets, "admin", "css", &css, &mut assets)?;
    let page = std::fs::read_to_string(root.join("admin/index.html"))?
        .replace("__ADMIN_BOOT__", &boot)
        .replace("__ADMIN_CSS__", &css);
    write_asset(&dist.join("admin/index.html"), page.as_bytes(), &mut assets)?;

    println!("{:<48} {:>10} {:>10}", "dist/", "bytes", "brotli");
    for asset in &assets {
        let shown = asset.path.strip_prefix(&dist).unwrap_or(&asset.path);
        println!(
            "{:<48} {:>10} {:>10}",
            shown.display(),
            asset.bytes,
            asset.brotli_bytes
        );
    }
    Ok(assets)
}

struct Bindgen {
    js: Vec<u8>,
    wasm: Vec<u8>,
}

fn bindgen_and_optimise(
    root: &Path,
    crate_name: &str,
    bindgen: &Path,
    wasm_opt: &Path,
) -> Result<Bindgen> {
    let input = root.join(format!(
        "target/wasm32-unknown-unknown/wasm-release/{crate_name}.wasm"
    ));
    let out = root.join("target/wasm-bindgen").join(crate_name);
    run_command(
        Command::new(bindgen)
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(&out)
            .arg(&input),
    )?;
    let bound = out.join(format!("{crate_name}_bg.wasm"));
    let optimised = out.join(format!("{crate_name}_bg.opt.wasm"));
    run_command(
        Command::new(wasm_opt)
            // (The producers section names the compilers: bytes no browser reads.)
            .args(["-Oz", "--strip-producers"])
            .args(WASM_FEATURES)
            .arg(&bound)
            .arg("-o")
            .arg(&optimised),
    )?;
    Ok(Bindgen {
        js: std::fs::read(out.join(format!("{crate_name}.js")))?,
        wasm: std::fs::read(&optimised)?,
    })
}

/// Writes `bytes` as `<stem>-<hash>.<ext>` and returns that file name.
fn write_hashed(
    dir: &Path,
    stem: &str,
    ext: &str,
    bytes: &[u8],
    assets: &mut Vec<Asset>,
) -> Result<String> {
    let hash = hex::encode(Sha256::digest(bytes));
    let name = format!("{stem}-{}.{ext}", &hash[..16]);
    write_asset(&dir.join(&name), bytes, assets)?;
    Ok(name)
}

/// Writes a file with its `.br` and `.gz` siblings.
fn write_asset(path: &Path, bytes: &[u8], assets: &mut Vec<Asset>) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    let mut brotli = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &bytes[..], &mut brotli, &params)?;
    }
    std::fs::write(sibling(path, "br"), &brotli)?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(bytes)?;
    std::fs::write(sibling(path, "gz"), gzip.finish()?)?;
    assets.push(Asset {
        path: path.to_path_buf(),
        bytes: bytes.len(),
        brotli_bytes: brotli.len(),
    });
    Ok(())
}

fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// `css` without its comments, indentation and line breaks: what the loader carries on every page.
fn compact_css(css: &str) -> String {
    let mut kept = String::new();
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        kept.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    kept.push_str(rest);
    kept.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `js` minified by terser: an ES module (wasm-bindgen's glue) compressed and with its local names
/// shortened; a script (the loader) only with its local names shortened and without comments and
/// whitespace, so no expression is moved or inlined.
fn minified(root: &Path, terser: &Path, js: &[u8], module: bool) -> Result<Vec<u8>> {
    let dir = root.join("target/terser");
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("input.js");
    let output = dir.join("output.js");
    std::fs::write(&input, js)?;
    let mut command = Command::new("node");
    command.arg(terser).arg(&input);
    if module {
        command.args(["--module", "--compress", "--mangle"]);
    } else {
        command.args(["--mangle"]);
    }
    run_command(command.arg("--output").arg(&output))?;
    std::fs::read(&output).with_context(|| format!("reading {}", output.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_css_drops_comments_and_layout_and_keeps_every_rule() {
        let css = "/* one\n   two */\n.a,\n.b { color: red; }\n/* x */ .c {\n  margin: 0;\n}\n";
        assert_eq!(compact_css(css), ".a, .b { color: red; } .c { margin: 0; }");
        let widget = include_str!("../../widget/style.css");
        let compact = compact_css(widget);
        assert!(!compact.contains("/*") && !compact.contains('\n'));
        assert_eq!(compact.matches('{').count(), widget.matches('{').count());
        assert_eq!(compact.matches('}').count(), widget.matches('}').count());
    }
}
