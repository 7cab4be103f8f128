#![cfg(not(target_arch = "wasm32"))]
//! The Google Tag Manager template (`integrations/gtm/template.tpl`): its purpose table is the
//! widget's own (`PurposeId::consent_mode_signals`, one source), and its sandboxed code, run in
//! Node.js with Tag Manager's APIs stood in for, sets the defaults, loads the widget and follows
//! the visitor's choice.

use privacy_shared::PurposeId;
use std::process::Command;

fn template() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../integrations/gtm/template.tpl"
    ))
    .expect("the template is in the repository")
}

/// The table as the template must hold it: every purpose with Consent Mode signals.
fn expected_signals() -> serde_json::Value {
    PurposeId::ALL
        .iter()
        .filter(|p| !p.consent_mode_signals().is_empty())
        .map(|p| serde_json::json!([p.as_str(), p.is_locked(), p.consent_mode_signals()]))
        .collect()
}

#[test]
fn the_templates_purpose_table_is_the_widgets() {
    let text = template();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("const SIGNALS = "))
        .expect("a SIGNALS line");
    let table: serde_json::Value =
        serde_json::from_str(line.trim_end_matches(';')).expect("the table is JSON");
    assert_eq!(
        table,
        expected_signals(),
        "integrations/gtm/template.tpl's SIGNALS must be:\nconst SIGNALS = {};",
        expected_signals()
    );
    // Every signal may be read and written (the template's permissions).
    for signal in PurposeId::ALL.iter().flat_map(|p| p.consent_mode_signals()) {
        assert!(
            text.contains(&format!("\"string\": \"{signal}\" }}, {{ \"type\": 8, \"boolean\": true }}, {{ \"type\": 8, \"boolean\": true }}")),
            "the template may not write {signal}"
        );
    }
}

/// Runs the template's code in Node.js; `stored` is the widget's `consent()` when it loads,
/// `chosen` what it says after the visitor's change. Every call the template made, in order.
fn run(stored: &str, chosen: &str) -> Vec<serde_json::Value> {
    let harness = format!(
        r#"
const text = require("fs").readFileSync(process.argv[1], "utf8");
const code = text.split("___SANDBOXED_JS_FOR_WEB_TEMPLATE___")[1].split("___WEB_PERMISSIONS___")[0];
const calls = [];
let consent = {stored};
const handlers = {{}};
const apis = {{
  setDefaultConsentState: (state) => calls.push(["default", state]),
  updateConsentState: (state) => calls.push(["update", state]),
  injectScript: (url, onSuccess, onFailure, token) => {{ calls.push(["inject", url, token]); onSuccess(); }},
  callInWindow: (name, ...args) => {{
    if (name === "VirtioPrivacy.consent") return consent;
    if (name === "VirtioPrivacy.on") {{ (handlers[args[0]] = handlers[args[0]] || []).push(args[1]); return; }}
    throw new Error("the template called " + name);
  }},
  encodeUriComponent: encodeURIComponent,
  makeNumber: Number,
}};
const data = {{
  privacyHost: "https://privacy.virtio.nl", site: "virtio-nl", lang: "nl", waitForUpdate: "500",
  gtmOnSuccess: () => calls.push(["success"]), gtmOnFailure: () => calls.push(["failure"]),
}};
new Function("require", "data", code)((name) => {{
  if (!(name in apis)) throw new Error("the template requires " + name);
  return apis[name];
}}, data);
consent = {chosen};
(handlers["change"] || []).forEach((handler) => handler());
console.log(JSON.stringify(calls));
"#
    );
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../integrations/gtm/template.tpl"
    );
    let output = Command::new("node")
        .arg("-e")
        .arg(harness)
        .arg(path)
        .output()
        .expect("Node.js runs (the README's requirements)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the harness prints JSON")
}

fn state(pairs: &[(&str, &str)]) -> serde_json::Value {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[test]
fn a_first_visit_denies_until_the_choice_then_follows_it() {
    let calls = run(
        "null",
        r#"{ "necessary": true, "analytics": true, "advertising": false }"#,
    );
    let mut defaults = state(&[
        ("functionality_storage", "granted"),
        ("security_storage", "granted"),
        ("analytics_storage", "denied"),
        ("ad_storage", "denied"),
        ("ad_user_data", "denied"),
        ("ad_personalization", "denied"),
    ]);
    defaults["wait_for_update"] = 500.into();
    assert_eq!(
        calls,
        [
            serde_json::json!(["default", defaults]),
            serde_json::json!([
                "inject",
                "https://privacy.virtio.nl/widget/v1/loader.js?site=virtio-nl&lang=nl",
                "virtio-privacy"
            ]),
            serde_json::json!(["success"]),
            serde_json::json!([
                "update",
                state(&[
                    ("functionality_storage", "granted"),
                    ("security_storage", "granted"),
                    ("analytics_storage", "granted"),
                    ("ad_storage", "denied"),
                    ("ad_user_data", "denied"),
                    ("ad_personalization", "denied"),
                ])
            ]),
        ]
    );
}

#[test]
fn a_stored_choice_updates_consent_mode_as_soon_as_the_widget_loads() {
    let everything = r#"{ "necessary": true, "analytics": true, "advertising": true }"#;
    let calls = run(everything, everything);
    let granted = state(&[
        ("functionality_storage", "granted"),
        ("security_storage", "granted"),
        ("analytics_storage", "granted"),
        ("ad_storage", "granted"),
        ("ad_user_data", "granted"),
        ("ad_personalization", "granted"),
    ]);
    assert_eq!(calls[2], serde_json::json!(["update", granted]));
    assert_eq!(calls[3], serde_json::json!(["success"]));
}
