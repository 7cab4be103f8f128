//! What `cargo xtask build` writes under the dist folder for the server to read at start, named
//! once for both.

/// The loader's template, whose placeholders the server fills in (`server/src/loader.rs`).
pub const LOADER_TEMPLATE: &str = "widget/v1/loader.template.js";
/// The rules of the dialog and the preferences, compacted; sent with the preferences' markup.
pub const DIALOG_CSS: &str = "widget/v1/dialog.css";
/// The policy viewer's rules, compacted; sent with the policy's markup.
pub const POLICY_CSS: &str = "widget/v1/policy.css";

/// Where the focus goes when a widget dialog closes with no opener to go back to: the first layer,
/// that is the settings button or the banner's first button. The widget's `browser::return_focus`
/// reads it, and `cargo xtask build` writes it into the loader's `dialogs.js`
/// (`__VP_FIRST_LAYER__`), so both close their dialogs alike.
pub const FIRST_LAYER: &str = "[data-vp=settings], [data-vp=banner] button";
