//! What `cargo xtask build` writes under the dist folder for the server to read at start, named
//! once for both.

/// The loader's template, whose placeholders the server fills in (`server/src/loader.rs`).
pub const LOADER_TEMPLATE: &str = "widget/v1/loader.template.js";
/// The rules of the dialog and the preferences, compacted; sent with the preferences' markup.
pub const DIALOG_CSS: &str = "widget/v1/dialog.css";
/// The policy viewer's rules, compacted; sent with the policy's markup.
pub const POLICY_CSS: &str = "widget/v1/policy.css";
