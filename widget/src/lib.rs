//! The Virtio Privacy widget: a yew app in a shadow root that asks for consent, applies it at once
//! in a first-party cookie and records it on the privacy server. `loader.js` (built beside it)
//! reads the embedding script tag and calls [`start`].
//!
//! Architecture invariant: the widget never talks to a database; it knows the server only through
//! the shared API client.
#![cfg(target_arch = "wasm32")]

pub mod app;
mod browser;
pub mod components;
pub mod i18n;

use privacy_shared::{Language, SiteId};
use wasm_bindgen::prelude::*;

/// Starts the widget on the page: `site` is the embedding site's id, `lang` its `data-lang` (may
/// be empty), `api_base` the privacy server's origin and `stylesheet` the URL of the widget's CSS.
#[wasm_bindgen]
pub fn start(site: &str, lang: &str, api_base: &str, stylesheet: &str) -> Result<(), JsError> {
    let site: SiteId = site.parse()?;
    let language = browser::language(lang);
    let mount = browser::mount_in_shadow_root(stylesheet)?;
    let props = app::AppProps {
        site,
        language,
        api_base: api_base.into(),
        initial: browser::read_consent_cookie(),
    };
    yew::Renderer::<app::App>::with_root_and_props(mount, props).render();
    Ok(())
}

/// The languages the page asks for, in order: `data-lang`, the page's `lang`, the browser's.
pub fn preferred_language(data_lang: &str, page_lang: &str, browser: &[String]) -> Language {
    let tags = [data_lang, page_lang]
        .into_iter()
        .chain(browser.iter().map(String::as_str));
    Language::negotiate(tags.filter(|t| !t.is_empty()))
}
