//! What the loader calls: [`start`], and the functions behind `window.VirtioPrivacy`.

use privacy_shared::{Language, PurposeId, SiteId};

use crate::{app, browser, components, control, enforce};
use wasm_bindgen::prelude::*;

/// Starts the widget on the page: `site` is the embedding site's id, `lang` its `data-lang` (may
/// be empty), `api_base` the privacy server's origin, `stylesheet` the URL of the widget's CSS and
/// `gtag` the page's `gtag` function; `queued` is the hook of a first-layer button clicked before
/// the bundle ran (`accept-all`, `reject-all`, `open-preferences`), or empty.
///
/// Before anything renders, Consent Mode gets its `default` and the tags a stored choice allows
/// are released, so no held-back tag runs before the signals are set.
#[wasm_bindgen]
pub fn start(
    site: &str,
    lang: &str,
    api_base: &str,
    stylesheet: &str,
    gtag: JsValue,
    queued: &str,
) -> Result<(), JsError> {
    let site: SiteId = site.parse()?;
    let language = browser::language(lang);
    let gtag: Option<js_sys::Function> = gtag.dyn_into().ok();
    let initial = browser::read_consent_cookie();
    let stored = initial
        .as_ref()
        .filter(|c| c.is_current_for(site, browser::now_seconds()));
    if let Some(gtag) = &gtag {
        enforce::consent_default(gtag, site, stored);
    }
    if let Some(stored) = stored {
        enforce::activate_scripts(stored);
        enforce::activate_iframes(stored);
    }
    enforce::placeholders(language);
    let mount = browser::mount_in_shadow_root(stylesheet)?;
    let props = app::AppProps {
        site,
        language,
        api_base: api_base.into(),
        initial,
        gtag,
        gpc: browser::global_privacy_control(),
        queued: app::Queued::from_hook(queued),
    };
    yew::Renderer::<app::App>::with_root_and_props(mount, props).render();
    mount_inline_views(site, language, api_base, stylesheet)?;
    Ok(())
}

/// Renders the policy viewer, the preferences and the rights center into the page's mount points
/// (`data-virtio-privacy="policy"`, `="preferences"`, `="rights"`), each in a shadow root of its
/// own.
fn mount_inline_views(
    site: SiteId,
    language: Language,
    api_base: &str,
    stylesheet: &str,
) -> Result<(), JsError> {
    use components::policy_viewer::{PolicyViewer, PolicyViewerProps};
    use components::rights_center::{RightsCenter, RightsCenterProps};
    for host in browser::mount_points("policy") {
        let mount = browser::shadow_mount(&host, stylesheet)?;
        let props = PolicyViewerProps {
            api_base: api_base.into(),
            language,
        };
        yew::Renderer::<PolicyViewer>::with_root_and_props(mount, props).render();
    }
    for host in browser::mount_points("preferences") {
        let mount = browser::shadow_mount(&host, stylesheet)?;
        let props = components::preferences::InlinePreferencesProps { site, language };
        yew::Renderer::<components::preferences::InlinePreferences>::with_root_and_props(
            mount, props,
        )
        .render();
    }
    for host in browser::mount_points("rights") {
        let mount = browser::shadow_mount(&host, stylesheet)?;
        let props = RightsCenterProps {
            api_base: api_base.into(),
            site,
            language,
        };
        yew::Renderer::<RightsCenter>::with_root_and_props(mount, props).render();
    }
    Ok(())
}

/// `VirtioPrivacy.consent()`: the choice that applies, `{ analytics: true, … }`, or `null`.
#[wasm_bindgen]
pub fn consent() -> JsValue {
    enforce::choices_js(control::current().as_ref())
}

/// `VirtioPrivacy.has(purpose)`: whether `purpose` has consent now.
#[wasm_bindgen]
pub fn has(purpose: &str) -> bool {
    let Ok(purpose) = purpose.parse::<PurposeId>() else {
        return false;
    };
    purpose.is_locked() || control::current().is_some_and(|c| c.allows(purpose))
}

/// `VirtioPrivacy.open(view)`: opens `"preferences"` (the default), `"policy"` or `"rights"` in a
/// dialog.
#[wasm_bindgen]
pub fn open(view: Option<String>) {
    let view = control::View::parse(view.as_deref().unwrap_or_default());
    control::send(control::Command::Open(view));
}

/// The button of an iframe placeholder: consent to `purpose` on top of the current choice.
#[wasm_bindgen]
pub fn grant(purpose: &str) {
    if let Ok(purpose) = purpose.parse() {
        control::send(control::Command::Grant(purpose));
    }
}

/// `VirtioPrivacy.setIdentity(token)`: the customer's identity token from the interface app; the
/// customer's newer choice from another device is adopted, and later choices are linked to them.
#[wasm_bindgen]
pub fn set_identity(token: &str) {
    control::set_identity(token.to_owned());
    control::send(control::Command::SetIdentity(token.to_owned()));
    enforce::emit("identity", &JsValue::NULL);
}
