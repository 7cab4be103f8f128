//! The Virtio Privacy widget: asks for consent in a shadow root, applies it at once in the page
//! (first-party cookie, Consent Mode, held-back tags) and records it on the privacy server.
//! `loader.js` (built beside it) shows the first layer and the settings button from HTML the
//! server renders by [`ssr`] from the yew components, loads a bundle, calls its `start` and wires
//! `window.VirtioPrivacy` to the functions it exports.
//!
//! This crate is the library of two bundles, each a crate of its own that only exports:
//! `widget/main` (the consent widget: engine, outbox, enforcement; no UI framework, it tells the
//! loader which first layer to show, [`layer`], and what the preferences show, which the loader's
//! `preferences.js` makes live from markup the server renders) and `widget/views` (yew: the policy
//! viewer and the rights center, [`views`]), fetched only when a page opens one of them or has a
//! mount point for one.
//!
//! Architecture invariant: the widget never talks to a database; it knows the server only through
//! the shared API client.

#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(any(target_arch = "wasm32", feature = "ssr"))]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod control;
#[cfg(target_arch = "wasm32")]
mod effects;
#[cfg(target_arch = "wasm32")]
pub mod enforce;
#[cfg(any(target_arch = "wasm32", feature = "ssr"))]
pub mod i18n;
#[cfg(target_arch = "wasm32")]
pub mod layer;
#[cfg(target_arch = "wasm32")]
pub mod outbox;
#[cfg(all(not(target_arch = "wasm32"), feature = "ssr"))]
pub mod ssr;
#[cfg(target_arch = "wasm32")]
pub mod store;
#[cfg(target_arch = "wasm32")]
pub mod views;

use privacy_shared::Language;

/// The `localStorage` key of the outbox (`outbox.rs`): while it holds events, the loader starts the
/// bundle on every page to send them.
pub const OUTBOX_KEY: &str = "vp_outbox";

/// The languages the page asks for, in order: `data-lang`, the page's `lang`, the browser's.
pub fn preferred_language(data_lang: &str, page_lang: &str, browser: &[String]) -> Language {
    let tags = [data_lang, page_lang]
        .into_iter()
        .chain(browser.iter().map(String::as_str));
    Language::negotiate(tags.filter(|t| !t.is_empty()))
}

/// Installs the site's definition (JSON, which the server rendered into the loader from its
/// configuration; a bundle knows no site of its own) and returns the site.
#[cfg(target_arch = "wasm32")]
pub fn install_site(
    site: &str,
    definition: &str,
) -> Result<privacy_shared::SiteId, wasm_bindgen::JsError> {
    if !definition.is_empty() {
        let declared: privacy_shared::site::SiteDefinition = serde_json::from_str(definition)?;
        privacy_shared::site::install(site, &declared)?;
    }
    Ok(site.parse()?)
}
