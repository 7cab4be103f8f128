//! What each part of the widget's WebAssembly costs, for `cargo xtask bench`: twiggy reads the
//! bundle as wasm-bindgen wrote it (before `wasm-opt`, while it still names its functions), and
//! every function and data segment is counted to the crate it comes from (this workspace's crates
//! by module). Shares of code and data are exact for that file; the brotli kilobytes beside them
//! apply those shares to the shipped, optimised file, so they are estimates.

use anyhow::{Context as _, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// How many parts the table names; the rest are summed.
const SHOWN: usize = 18;

/// The part an item of twiggy's list belongs to: its crate, or for this workspace's crates the
/// module (`privacy_widget::rights_center`).
fn part(item: &str) -> String {
    if item.starts_with("data segment") {
        return "data segments (strings, tables)".into();
    }
    if item.starts_with("import ") {
        return "imports from JavaScript".into();
    }
    let name = item.trim_start_matches(|c: char| c == '<' || c == '&' || c.is_whitespace());
    let name = name.strip_prefix("mut ").unwrap_or(name);
    let name = name.strip_prefix("dyn ").unwrap_or(name);
    let krate: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if krate.is_empty() {
        return "other".into();
    }
    // `<T as Trait>::…`: generic code instantiated for some type.
    if krate.len() == 1 && krate.chars().all(|c| c.is_ascii_uppercase()) {
        return "generic impls (<T as …>)".into();
    }
    if krate.starts_with("privacy_") {
        let module = name
            .strip_prefix(&format!("{krate}::"))
            .map(|rest| rest.strip_prefix("components::").unwrap_or(rest))
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect::<String>()
            })
            .filter(|module| !module.is_empty());
        return match module {
            Some(module) => format!("{krate}::{module}"),
            None => krate,
        };
    }
    krate
}

/// The parts of `wasm` (a named, unoptimised bundle) by size, largest first, without the name
/// section (which the shipped file does not carry).
pub fn parts(twiggy: &Path, wasm: &Path) -> Result<Vec<(String, u64)>> {
    let output = Command::new(twiggy)
        .args(["top", "-n", "1000000", "--format", "json"])
        .arg(wasm)
        .output()
        .context("running twiggy")?;
    anyhow::ensure!(
        output.status.success(),
        "twiggy failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).context("reading twiggy's list")?;
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for item in &items {
        let name = item["name"].as_str().unwrap_or_default();
        // Custom sections (names, producers) are not shipped.
        if name.starts_with('"') {
            continue;
        }
        *sizes.entry(part(name)).or_default() += item["shallow_size"].as_u64().unwrap_or(0);
    }
    let mut parts: Vec<(String, u64)> = sizes.into_iter().collect();
    parts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(parts)
}

/// The report's section: the largest parts with their share and estimated brotli bytes, given
/// the shipped file's brotli size.
pub fn report(title: &str, parts: &[(String, u64)], shipped_brotli: u64) -> String {
    let total: u64 = parts.iter().map(|(_, size)| size).sum();
    let mut text = format!(
        "\n## {title}\n\n\
         `twiggy top` over the bundle as wasm-bindgen wrote it (before `wasm-opt`), every function\n\
         and data segment counted to its crate (this workspace's crates by module); the brotli\n\
         column applies each share to the shipped file ({:.1} KB brotli), an estimate.\n\n\
         | part | share | about, brotli |\n|---|---|---|\n",
        shipped_brotli as f64 / 1000.0
    );
    let line = |name: &str, size: u64| {
        let share = size as f64 / total.max(1) as f64;
        format!(
            "| {name} | {:.1}% | {:.1} KB |\n",
            share * 100.0,
            share * shipped_brotli as f64 / 1000.0
        )
    };
    for (name, size) in parts.iter().take(SHOWN) {
        let shown = if name.contains(' ') {
            name.clone()
        } else {
            format!("`{name}`")
        };
        text.push_str(&line(&shown, *size));
    }
    let rest: u64 = parts.iter().skip(SHOWN).map(|(_, size)| size).sum();
    if rest > 0 {
        text.push_str(&line(
            &format!("{} more parts", parts.len().saturating_sub(SHOWN)),
            rest,
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_counted_to_their_crate_or_workspace_module() {
        assert_eq!(
            part("<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::x"),
            "serde_json"
        );
        assert_eq!(
            part("<privacy_widget::components::rights_center::RightsCenter as yew::F>::run"),
            "privacy_widget::rights_center"
        );
        assert_eq!(
            part("privacy_shared::api::ApiClient::call::h1"),
            "privacy_shared::api"
        );
        assert_eq!(
            part("data segment \".rodata\""),
            "data segments (strings, tables)"
        );
        assert_eq!(part("core[c5930c85]::num::flt2dec"), "core");
    }
}
