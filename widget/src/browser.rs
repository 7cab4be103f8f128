//! The few browser facilities the widget needs, behind plain functions: the shadow-root mount,
//! the consent cookie, randomness, the clock and the page's language.

use privacy_shared::cookie::{self, ConsentCookie};
use privacy_shared::dist::FIRST_LAYER;
use privacy_shared::{Language, SiteId, SubjectId};
use wasm_bindgen::{JsCast, JsError, JsValue};
use web_sys::{Document, Element, HtmlDocument, ShadowRootInit, ShadowRootMode};

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

fn js_error(value: JsValue) -> JsError {
    JsError::new(&value.as_string().unwrap_or_else(|| format!("{value:?}")))
}

/// The widget's host element `#virtio-privacy` at the end of `<body>`, with its open shadow root
/// (the stylesheet, the site's theme): the loader's, or made here when the loader showed nothing.
/// The loader shows the first layer in it (`.vp-root`) and the views bundle its dialogs
/// ([`views_mount`]), in an element of its own.
fn widget_shadow(site: SiteId) -> Result<web_sys::ShadowRoot, JsError> {
    let document = document().ok_or_else(|| JsError::new("no document"))?;
    if let Some(host) = document.get_element_by_id("virtio-privacy")
        && let Some(root) = host.shadow_root()
    {
        apply_theme(&host, site);
        host.remove_attribute("hidden").map_err(js_error)?;
        return Ok(root);
    }
    let body = document
        .body()
        .ok_or_else(|| JsError::new("the page has no <body>"))?;
    let host = document.create_element("div").map_err(js_error)?;
    host.set_id("virtio-privacy");
    let shadow = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .map_err(js_error)?;
    crate::enforce::adopt_stylesheet(&shadow);
    apply_theme(&host, site);
    body.append_child(&host).map_err(js_error)?;
    Ok(shadow)
}

/// The element of the widget's shadow root with class `class`, made when missing after the
/// others.
fn widget_mount(site: SiteId, class: &str) -> Result<Element, JsError> {
    let shadow = widget_shadow(site)?;
    if let Ok(Some(mount)) = shadow.query_selector(&format!(".{class}")) {
        return Ok(mount);
    }
    let document = document().ok_or_else(|| JsError::new("no document"))?;
    let mount = document.create_element("div").map_err(js_error)?;
    mount.set_class_name(class);
    shadow.append_child(&mount).map_err(js_error)?;
    Ok(mount)
}

/// The element the views bundle renders its dialog (the preferences, the policy, the rights center)
/// into: beside the loader's first layer, never inside it.
pub fn views_mount(site: SiteId) -> Result<Element, JsError> {
    let mount = widget_mount(site, "vp-views")?;
    // The widget's shadow root adopts the views bundle's own rules too.
    if let Ok(shadow) = mount.get_root_node().dyn_into::<web_sys::ShadowRoot>() {
        crate::enforce::adopt_stylesheet(&shadow);
    }
    Ok(mount)
}

/// The focused element, looking into shadow roots; none when only the page's body or a shadow
/// host whose focused element went away (the loader's button, replaced by the bundle) has it.
pub fn deep_active_element() -> Option<web_sys::HtmlElement> {
    let document = document()?;
    let mut active = document.active_element()?;
    while let Some(root) = active.shadow_root() {
        active = root.active_element()?;
    }
    if document.body().is_some_and(|body| *body == active) {
        return None;
    }
    active.dyn_into().ok()
}

/// Gives the focus back to `opener` when a dialog closes. When the opener went away, to the
/// widget's element with the same `data-vp` hook (the loader's first layer, shown anew); when there
/// was none (a script opened the dialog while nothing had the focus) or neither is there, to the
/// first layer ([`FIRST_LAYER`], as `dialogs.js` does).
pub fn return_focus(opener: Option<web_sys::HtmlElement>) {
    let in_widget = |css: &str| -> Option<web_sys::HtmlElement> {
        document()?
            .get_element_by_id("virtio-privacy")?
            .shadow_root()?
            .query_selector(css)
            .ok()
            .flatten()?
            .dyn_into()
            .ok()
    };
    let hook = opener.as_ref().and_then(|e| e.get_attribute("data-vp"));
    let target = opener
        .filter(|e| e.is_connected())
        .or_else(|| {
            hook.filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
                .and_then(|h| in_widget(&format!("[data-vp={h}]")))
        })
        .or_else(|| in_widget(FIRST_LAYER));
    if let Some(target) = target {
        let _ = target.focus();
    }
}

/// Sets the site's theme variables on a widget host, from where they reach into its shadow root
/// (through the CSSOM, which the strict CSP allows, not a `style` attribute).
fn apply_theme(host: &Element, site: SiteId) {
    use wasm_bindgen::JsCast as _;
    if let Some(host) = host.dyn_ref::<web_sys::HtmlElement>() {
        for (variable, value) in site.site().theme {
            let _ = host.style().set_property(variable, value);
        }
    }
}

/// The page's elements with `data-virtio-privacy="<view>"`.
pub fn mount_points(view: &str) -> Vec<Element> {
    let Some(list) = document().and_then(|d| {
        d.query_selector_all(&format!("[data-virtio-privacy='{view}']"))
            .ok()
    }) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

/// An open shadow root on `host` holding the widget's stylesheet (the loader's constructed one,
/// adopted: no request, and allowed by a strict CSP) and the element yew renders into.
pub fn shadow_mount(host: &Element, site: SiteId) -> Result<Element, JsError> {
    let document = document().ok_or_else(|| JsError::new("no document"))?;
    let shadow = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .map_err(js_error)?;
    crate::enforce::adopt_stylesheet(&shadow);
    let mount = document.create_element("div").map_err(js_error)?;
    mount.set_class_name("vp-root");
    shadow.append_child(&mount).map_err(js_error)?;
    apply_theme(host, site);
    Ok(mount)
}

/// The interface language: `data-lang`, else the page's `lang`, else the browser's languages,
/// else Dutch.
pub fn language(data_lang: &str) -> Language {
    let page_lang = document()
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .unwrap_or_default();
    let browser: Vec<String> = web_sys::window()
        .map(|w| {
            w.navigator()
                .languages()
                .iter()
                .filter_map(|l| l.as_string())
                .collect()
        })
        .unwrap_or_default();
    crate::preferred_language(data_lang, &page_lang, &browser)
}

/// Now, in whole seconds since the Unix epoch.
pub fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Whether the browser has a CSPRNG (`crypto.getRandomValues`); `start` refuses to run
/// without one, since subject ids and idempotency keys must be unguessable and distinct.
pub fn has_secure_random() -> bool {
    let mut probe = [0u8; 16];
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut probe).is_ok())
}

/// 16 bytes from the browser's CSPRNG. Should it fail after [`has_secure_random`] said yes,
/// `Math.random` fills them: never the same zeros for everyone.
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let secure = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !secure {
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

pub fn new_subject_id() -> SubjectId {
    SubjectId::from_random_bytes(random_bytes())
}

/// A new idempotency key: a UUID version 7, its first 48 bits the time in milliseconds and the
/// rest random. Keys made one after another sort one after another, so the server's index of them
/// grows at its end and a commit of many events writes few of its pages (BENCHMARKS.md). The
/// subject id stays version 4: it names a browser for a year and should not tell when it began.
pub fn new_idempotency_key() -> uuid::Uuid {
    let random = random_bytes();
    let mut tail = [0u8; 10];
    tail.copy_from_slice(&random[..10]);
    let millis = js_sys::Date::now().max(0.0) as u64;
    uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid()
}

fn html_document() -> Option<HtmlDocument> {
    document()?.dyn_into::<HtmlDocument>().ok()
}

/// The stored consent, if the cookie is present and readable. A damaged cookie counts as none.
pub fn read_consent_cookie() -> Option<ConsentCookie> {
    let header = html_document()?.cookie().ok()?;
    ConsentCookie::from_cookie_header(&header)?.ok()
}

/// Stores the choice in the first-party cookie for 12 months.
pub fn write_consent_cookie(consent: &ConsentCookie) {
    let secure = web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "https:");
    let value = format!(
        "{}={}; Path=/; Max-Age={}; SameSite=Lax{}",
        cookie::NAME,
        consent.encode(),
        cookie::MAX_AGE_SECONDS,
        if secure { "; Secure" } else { "" }
    );
    if let Some(document) = html_document() {
        let _ = document.set_cookie(&value);
    }
}

/// An object URL holding `bytes`, for a link that downloads them.
pub fn object_url(bytes: &[u8]) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    // Whatever the file claims to be, the browser only saves it: an HTML or SVG answer file
    // opened from this URL would otherwise run in the host page's origin.
    options.set_type("application/octet-stream");
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob))
        .ok()
}

/// A moment (Unix seconds) as the person's local date and time, in `language`.
pub fn local_date_time(seconds: i64, language: Language) -> String {
    let locale = match language {
        Language::Nl => "nl-NL",
        Language::En => "en-GB",
    };
    js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0))
        .to_locale_string(locale, &JsValue::UNDEFINED)
        .into()
}

/// `navigator.globalPrivacyControl === true`.
pub fn global_privacy_control() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"globalPrivacyControl".into()).ok())
        .is_some_and(|v| v == JsValue::TRUE)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn idempotency_keys_are_version_7_and_sort_in_the_order_they_were_made() {
        let keys: Vec<uuid::Uuid> = (0..50).map(|_| super::new_idempotency_key()).collect();
        assert!(keys.iter().all(|k| k.get_version_num() == 7));
        let millis = |k: &uuid::Uuid| k.get_timestamp().map(|t| t.to_unix().0);
        assert!(keys.windows(2).all(|w| millis(&w[0]) <= millis(&w[1])));
        let now = (js_sys::Date::now() / 1000.0) as u64;
        assert!(millis(&keys[0]).is_some_and(|s| s + 5 >= now && s <= now));
        let distinct: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
    }
}
