//! Enforcement in the host page (PRODUCT.md §5.4): Google Consent Mode v2 signals, scripts and
//! iframes held back until their purpose has consent, cookies deleted on withdrawal, and the DOM
//! events host pages listen to.

use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{Language, PurposeId, SiteId};
use std::collections::BTreeMap;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlScriptElement};

/// The Consent Mode v2 state of every signal for `consent` (all denied but the necessary ones
/// when there is no choice).
pub fn consent_mode_state(
    site: SiteId,
    consent: Option<&ConsentCookie>,
) -> BTreeMap<&'static str, &'static str> {
    let mut state = BTreeMap::new();
    for purpose in PurposeId::ALL {
        let granted = purpose.is_locked()
            || (site.shows(purpose) && consent.is_some_and(|c| c.allows(purpose)));
        for signal in purpose.consent_mode_signals() {
            state.insert(*signal, if granted { "granted" } else { "denied" });
        }
    }
    state
}

fn to_js(value: &impl serde::Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|json| js_sys::JSON::parse(&json).ok())
        .unwrap_or(JsValue::NULL)
}

/// `gtag('consent', 'default', …)`: all denied and `wait_for_update` without a stored choice, the
/// stored choice otherwise. Runs before the widget activates any held-back tag.
pub fn consent_default(gtag: &js_sys::Function, site: SiteId, stored: Option<&ConsentCookie>) {
    let mut state: BTreeMap<&str, serde_json::Value> = consent_mode_state(site, stored)
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect();
    if stored.is_none() {
        state.insert("wait_for_update", 500.into());
    }
    let _ = gtag.call3(
        &JsValue::NULL,
        &"consent".into(),
        &"default".into(),
        &to_js(&state),
    );
}

/// `gtag('consent', 'update', …)` after every change.
pub fn consent_update(gtag: &js_sys::Function, site: SiteId, consent: &ConsentCookie) {
    let _ = gtag.call3(
        &JsValue::NULL,
        &"consent".into(),
        &"update".into(),
        &to_js(&consent_mode_state(site, Some(consent))),
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

/// Re-creates every held-back `<script type="text/plain" data-vp-purpose>` whose purpose now has
/// consent as a real script, keeping its attributes and `nonce`; each runs once.
pub fn activate_scripts(consent: &ConsentCookie) {
    for held in elements("script[type='text/plain'][data-vp-purpose]:not([data-vp-activated])") {
        if !purpose_of(&held).is_some_and(|p| consent.allows(p)) {
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

/// Loads every held-back `<iframe data-vp-purpose data-src>` whose purpose now has consent.
pub fn activate_iframes(consent: &ConsentCookie) {
    for frame in elements("iframe[data-vp-purpose][data-src]:not([src])") {
        if purpose_of(&frame).is_some_and(|p| consent.allows(p))
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

/// Deletes the cookies of every purpose `consent` refuses, on this host and its parent domains.
pub fn delete_refused_cookies(consent: &ConsentCookie) {
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
        let refused = PurposeId::ALL
            .into_iter()
            .any(|p| !p.is_locked() && !consent.allows(p) && p.owns_cookie(name));
        if !refused {
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

/// The choices as a plain object, `{ analytics: true, … }`, for events and the JS API.
pub fn choices_js(consent: Option<&ConsentCookie>) -> JsValue {
    match consent {
        Some(consent) => to_js(&consent.choices),
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

/// Applies a new choice to the page: Consent Mode, held-back scripts and iframes, cookies of
/// refused purposes, and the `consent` and `change` events.
pub fn apply(gtag: &js_sys::Function, site: SiteId, consent: &ConsentCookie, changed: bool) {
    consent_update(gtag, site, consent);
    activate_scripts(consent);
    activate_iframes(consent);
    delete_refused_cookies(consent);
    let detail = choices_js(Some(consent));
    emit("consent", &detail);
    if changed {
        emit("change", &detail);
    }
}
