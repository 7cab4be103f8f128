//! The Virtio Privacy widget: a yew app in a shadow root that asks for consent, applies it at once
//! in the page (first-party cookie, Consent Mode, held-back tags) and records it on the privacy
//! server. `loader.js` (built beside it) shows the first layer from HTML rendered at build time by
//! [`ssr`] from the same component, loads the bundle, calls `start` and wires
//! `window.VirtioPrivacy` to the functions exported in `web.rs`.
//!
//! Architecture invariant: the widget never talks to a database; it knows the server only through
//! the shared API client.

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
mod browser;
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
pub mod outbox;
#[cfg(all(not(target_arch = "wasm32"), feature = "ssr"))]
pub mod ssr;
#[cfg(target_arch = "wasm32")]
pub mod store;
#[cfg(target_arch = "wasm32")]
mod web;

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
