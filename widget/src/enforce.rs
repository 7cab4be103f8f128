//! Enforcement in the host page (PRODUCT.md §5.4): Google Consent Mode v2 signals, scripts and
//! iframes held back until their purpose has consent, cookies deleted on withdrawal, and the DOM
//! events host pages listen to.

use privacy_shared::engine::ConsentModeState;
use privacy_shared::{ConsentChoices, PurposeId, SiteId};
use wasm_bindgen::prelude::*;

fn to_js(value: &impl serde::Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|json| js_sys::JSON::parse(&json).ok())
        .unwrap_or(JsValue::NULL)
}

#[wasm_bindgen]
extern "C" {
    /// What the loader hands the bundle to act in the host page with: the one copy of the code
    /// that releases held-back scripts and iframes and talks to Consent Mode, which the loader
    /// also runs by itself on a returning visit that needs no bundle (widget/loader.js).
    pub type Host;

    /// Runs the held-back scripts and loads the held-back iframes of these purposes (ids).
    #[wasm_bindgen(method)]
    fn release(this: &Host, purposes: js_sys::Array);

    /// `gtag('consent', command, …)` with every signal granted or denied; the loader sends one
    /// `default` per page and turns a later one that differs into an `update`.
    #[wasm_bindgen(method, js_name = consentMode)]
    fn consent_mode(this: &Host, command: &str, state: JsValue, wait_for_update: bool);

    /// The widget's stylesheet, constructed by the loader (a `CSSStyleSheet`).
    #[wasm_bindgen(method, getter)]
    fn sheet(this: &Host) -> JsValue;

    /// The customer's identity token the page gave `VirtioPrivacy.setIdentity`, or `null`: the
    /// loader keeps it for both bundles.
    #[wasm_bindgen(method)]
    fn identity(this: &Host) -> Option<String>;

    /// Shows the first layer named `layer` (`"banner"`, `"gpc"`, `"settings"`), as the server
    /// rendered it into the loader; the loader keeps a shown one as it is.
    #[wasm_bindgen(method, js_name = layer)]
    fn show_layer(this: &Host, layer: &str);

    /// Says `text` in the widget's status line (a polite live region).
    #[wasm_bindgen(method)]
    fn status(this: &Host, text: &str);

    /// The main bundle's word that the consent state changed (the engine stepped, or a receipt
    /// arrived): the loader sets the preferences shown to it.
    #[wasm_bindgen(method)]
    fn changed(this: &Host);
}

thread_local! {
    static HOST: std::cell::RefCell<Option<Host>> = const { std::cell::RefCell::new(None) };
    /// A bundle's own rules, adopted after the loader's stylesheet ([`add_stylesheet`]).
    static OWN_SHEET: std::cell::RefCell<Option<web_sys::CssStyleSheet>> =
        const { std::cell::RefCell::new(None) };
}

/// Keeps the loader's `host` for the effects that act in the page.
pub fn install_host(host: Host) {
    HOST.with(|h| *h.borrow_mut() = Some(host));
}

fn with_host(f: impl FnOnce(&Host)) {
    HOST.with(|h| {
        if let Some(host) = h.borrow().as_ref() {
            f(host);
        }
    });
}

/// Consent Mode's `default` before any held-back tag runs (`wait_for_update` when there is no
/// choice yet) or its `update` after every change, through the loader.
pub fn consent_mode(command: &str, state: &ConsentModeState, wait_for_update: bool) {
    with_host(|host| host.consent_mode(command, to_js(state), wait_for_update));
}

/// Runs the held-back scripts and iframes of `granted`, through the loader.
pub fn release(granted: &[PurposeId]) {
    let purposes: js_sys::Array = granted
        .iter()
        .map(|p| JsValue::from_str(p.as_str()))
        .collect();
    with_host(|host| host.release(purposes));
}

/// The customer's identity token, if the page gave one (see [`Host`]).
pub fn identity() -> Option<String> {
    HOST.with(|h| h.borrow().as_ref().and_then(Host::identity))
}

/// Shows the first layer named `layer`, through the loader (see [`Host`]).
pub fn show_layer(layer: &str) {
    with_host(|host| host.show_layer(layer));
}

/// Says `text` in the status line, through the loader.
pub fn status(text: &str) {
    with_host(|host| host.status(text));
}

/// Tells the loader that the consent state changed.
pub fn changed() {
    with_host(Host::changed);
}

/// Gives `shadow` the widget's stylesheet, the one the loader constructed, and after it this
/// bundle's own rules if it has any, keeping what it adopted already (the widget's shadow root
/// holds the dialogs of both bundles).
pub fn adopt_stylesheet(shadow: &web_sys::ShadowRoot) {
    with_host(|host| {
        let adopted = js_sys::Reflect::get(shadow, &"adoptedStyleSheets".into())
            .ok()
            .filter(js_sys::Array::is_array)
            .map(|sheets| js_sys::Array::from(&sheets))
            .unwrap_or_default();
        let sheets = js_sys::Array::of1(&host.sheet());
        let own = OWN_SHEET.with(|own| own.borrow().clone());
        for sheet in adopted.iter().chain(own.map(JsValue::from)) {
            if !sheets.includes(&sheet, 0) {
                sheets.push(&sheet);
            }
        }
        let _ = js_sys::Reflect::set(shadow, &"adoptedStyleSheets".into(), &sheets);
    });
}

/// Constructs a sheet of `css`, this bundle's own rules, for [`adopt_stylesheet`] (the views
/// bundle's: the loader carries only what the first layer and the consent widget need).
pub fn add_stylesheet(css: &str) -> Result<(), JsValue> {
    let sheet = web_sys::CssStyleSheet::new()?;
    sheet.replace_sync(css)?;
    OWN_SHEET.with(|own| *own.borrow_mut() = Some(sheet));
    Ok(())
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Where a cookie of this page may have been set: host-only (`""`), the host and each parent
/// domain above the top level; an IP address or a single-label host has only the first.
/// `www.virtio.nl` gives `["", "www.virtio.nl", "virtio.nl"]`.
pub fn cookie_domains(host: &str) -> Vec<String> {
    let mut domains = vec![String::new()];
    let is_ip = host.contains(':') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if is_ip || !host.contains('.') {
        return domains;
    }
    let labels: Vec<&str> = host.split('.').collect();
    for start in 0..labels.len() - 1 {
        domains.push(labels[start..].join("."));
    }
    domains
}

/// Deletes the cookies of `purposes` on `site` (never a locked one's), on this host and its parent
/// domains.
pub fn delete_cookies(site: SiteId, purposes: &[PurposeId]) {
    let Some(document) = document().and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok()) else {
        return;
    };
    let header = document.cookie().unwrap_or_default();
    let host = web_sys::window()
        .and_then(|w| w.location().hostname().ok())
        .unwrap_or_default();
    let domains = cookie_domains(&host);
    for name in header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('=').map(|(n, _)| n.trim()))
    {
        if !purposes
            .iter()
            .any(|&p| !p.is_locked() && site.owns_cookie(p, name))
        {
            continue;
        }
        for domain in &domains {
            let domain = if domain.is_empty() {
                String::new()
            } else {
                format!("; Domain={domain}")
            };
            let _ = document.set_cookie(&format!(
                "{name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT{domain}"
            ));
        }
    }
}

/// Removes the `localStorage` and `sessionStorage` keys of `purposes` on `site` (never a locked
/// one's).
pub fn remove_storage_keys(site: SiteId, purposes: &[PurposeId]) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let stores = [window.local_storage(), window.session_storage()];
    for storage in stores.into_iter().filter_map(|s| s.ok().flatten()) {
        let length = storage.length().unwrap_or(0);
        let keys: Vec<String> = (0..length)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|key| {
                purposes
                    .iter()
                    .any(|&p| !p.is_locked() && site.owns_storage_key(p, key))
            })
            .collect();
        for key in keys {
            let _ = storage.remove_item(&key);
        }
    }
}

/// The choices as a plain object, `{ analytics: true, … }`, or `null`, for events and the JS API.
pub fn choices_js(choices: Option<&ConsentChoices>) -> JsValue {
    match choices {
        Some(choices) => to_js(choices),
        None => JsValue::NULL,
    }
}

/// Dispatches `virtio-privacy:<name>` on `window` with `detail`.
pub fn emit(name: &str, detail: &JsValue) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let init = web_sys::CustomEventInit::new();
    init.set_detail(detail);
    if let Ok(event) =
        web_sys::CustomEvent::new_with_event_init_dict(&format!("virtio-privacy:{name}"), &init)
    {
        let _ = window.dispatch_event(&event);
    }
}
