//! The views bundle of the widget (`views-<hash>.wasm`): the policy viewer and the rights center,
//! which the loader fetches only when a page opens one (`VirtioPrivacy.open("policy")`, a link of
//! the first layer or the preferences) or has a mount point for one. The code is
//! [`privacy_widget::views`]; this crate only exports, so that it links nothing of the main
//! bundle's engine or outbox.
#![cfg(target_arch = "wasm32")]

use privacy_widget::control::View;
use privacy_widget::enforce;
use wasm_bindgen::prelude::*;

/// Starts the views bundle: the same arguments as the main bundle's `start`, without a queued
/// click. Renders the page's mount points of the policy and the rights center and makes [`open`]
/// work.
#[wasm_bindgen]
pub fn start(
    site: &str,
    lang: &str,
    api_base: &str,
    definition: &str,
    host: enforce::Host,
) -> Result<(), JsError> {
    privacy_widget::views::start(site, lang, api_base, definition, host)
}

/// Opens `"policy"` or `"rights"` in a dialog.
#[wasm_bindgen]
pub fn open(view: &str) -> Result<(), JsError> {
    let view = View::parse(view).ok_or_else(|| JsError::new(&format!("no such view: {view}")))?;
    privacy_widget::views::open(view)
}
