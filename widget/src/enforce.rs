//! Enforcement in the host page (PRODUCT.md §5.4): Google Consent Mode v2 signals, scripts and
//! iframes held back until their purpose has consent, cookies deleted on withdrawal, and the DOM
//! events host pages listen to.

use privacy_shared::engine::ConsentModeState;
use privacy_shared::{ConsentChoices, Language, PurposeId, SiteId};
use std::collections::BTreeMap;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlScriptElement};

fn to_js(value: &impl serde::Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|json| js_sys::JSON::parse(&json).ok())
        .unwrap_or(JsValue::NULL)
}

/// `gtag('consent', command, …)` with every signal granted or denied, when the page has `gtag`
/// (the loader defines it): `default` before any held-back tag runs (with `wait_for_update` when
/// there is no choice yet), `update` after every change.
pub fn consent_mode(command: &str, state: &ConsentModeState, wait_for_update: bool) {
    let Some(gtag) = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"gtag".into()).ok())
        .and_then(|g| g.dyn_into::<js_sys::Function>().ok())
    else {
        return;
    };
    let mut signals: BTreeMap<&str, serde_json::Value> = state
        .iter()
        .map(|(&signal, &granted)| (signal, if granted { "granted" } else { "denied" }.into()))
        .collect();
    if wait_for_update {
        signals.insert("wait_for_update", 500.into());
    }
    let _ = gtag.call3(
        &JsValue::NULL,
        &"consent".into(),
        &command.into(),
        &to_js(&signals),
    );
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn elements(selector: &str) -> Vec<Element> {
    let Some(list) = document().and_then(|d| d.query_selector_all(selector).ok()) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<Element>().ok())
        .collect()
}

fn purpose_of(element: &Element) -> Option<PurposeId> {
    element.get_attribute("data-vp-purpose")?.parse().ok()
}

/// Re-creates every held-back `<script type="text/plain" data-vp-purpose>` whose purpose is one of
/// `granted` as a real script, keeping its attributes and `nonce`; each runs once.
pub fn activate_scripts(granted: &[PurposeId]) {
    for held in elements("script[type='text/plain'][data-vp-purpose]:not([data-vp-activated])") {
        if !purpose_of(&held).is_some_and(|p| granted.contains(&p)) {
            continue;
        }
        let Some(document) = document() else { return };
        let Ok(script) = document.create_element("script") else {
            continue;
        };
        let attributes = held.attributes();
        for i in 0..attributes.length() {
            if let Some(attribute) = attributes.item(i) {
                let name = attribute.name();
                if name != "type" && name != "nonce" {
                    let _ = script.set_attribute(&name, &attribute.value());
                }
            }
        }
        if let Some(kind) = held.get_attribute("data-vp-type") {
            let _ = script.set_attribute("type", &kind);
        }
        // The nonce attribute is hidden once the page has loaded; the property keeps it.
        if let (Some(held), Some(real)) = (
            held.dyn_ref::<HtmlScriptElement>(),
            script.dyn_ref::<web_sys::HtmlElement>(),
        ) {
            let nonce = js_sys::Reflect::get(held, &"nonce".into())
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            if !nonce.is_empty() {
                let _ = js_sys::Reflect::set(real, &"nonce".into(), &nonce.into());
            }
            if held.src().is_empty() {
                real.set_text_content(held.text_content().as_deref());
            }
        }
        let _ = held.set_attribute("data-vp-activated", "");
        if let Some(parent) = held.parent_node() {
            let _ = parent.insert_before(&script, held.next_sibling().as_ref());
        }
    }
}

/// Loads every held-back `<iframe data-vp-purpose data-src>` whose purpose is one of `granted`.
pub fn activate_iframes(granted: &[PurposeId]) {
    for frame in elements("iframe[data-vp-purpose][data-src]:not([src])") {
        if purpose_of(&frame).is_some_and(|p| granted.contains(&p))
            && let Some(src) = frame.get_attribute("data-src")
        {
            let _ = frame.set_attribute("src", &src);
            let _ = frame.remove_attribute("hidden");
            if let Some(placeholder) = frame.previous_element_sibling()
                && placeholder.has_attribute("data-vp-placeholder")
            {
                placeholder.remove();
            }
        }
    }
}

/// Puts a placeholder before every held-back iframe that has none: what the frame needs consent
/// for, and a button that gives it (the loader routes its click to [`crate::grant`]). The frame
/// stays hidden until then.
pub fn placeholders(language: Language) {
    let t = crate::i18n::texts(language);
    let Some(document) = document() else { return };
    for frame in elements("iframe[data-vp-purpose][data-src]:not([src])") {
        let Some(purpose) = purpose_of(&frame) else {
            continue;
        };
        let _ = frame.set_attribute("hidden", "");
        if frame
            .previous_element_sibling()
            .is_some_and(|e| e.has_attribute("data-vp-placeholder"))
        {
            continue;
        }
        let (Ok(placeholder), Ok(text), Ok(button)) = (
            document.create_element("div"),
            document.create_element("p"),
            document.create_element("button"),
        ) else {
            continue;
        };
        let _ = placeholder.set_attribute("data-vp-placeholder", purpose.as_str());
        let _ = placeholder.set_attribute("class", "vp-placeholder");
        text.set_text_content(Some(&format!(
            "{} {}",
            t.placeholder,
            purpose.label(language)
        )));
        let _ = button.set_attribute("type", "button");
        button.set_text_content(Some(t.placeholder_button));
        let _ = placeholder.append_child(&text);
        let _ = placeholder.append_child(&button);
        if let Some(parent) = frame.parent_node() {
            let _ = parent.insert_before(&placeholder, Some(&frame));
        }
    }
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
