//! The main bundle of the widget (`widget-<hash>.wasm`): what the loader calls, [`start`], and the
//! functions behind `window.VirtioPrivacy`. Everything else is in the `privacy-widget` library;
//! this crate only exports, so that the views bundle (`widget/views`) links none of it.
#![cfg(target_arch = "wasm32")]

use privacy_shared::PurposeId;
use privacy_shared::api::{ApiClient, Credentials, endpoints};
use privacy_shared::engine::{Action, Engine};

use privacy_shared::consent::uniform_choices;
use privacy_shared::{ConsentChoices, ConsentSource};
use privacy_widget::{browser, enforce, layer, outbox, store};
use wasm_bindgen::prelude::*;

/// Starts the widget on the page: `site` is the embedding site's id, `lang` its `data-lang` (may
/// be empty), `api_base` the privacy server's origin; `queued` is the hook of a first-layer button
/// clicked before the bundle ran (`accept-all`, `reject-all`, `open-preferences`), or empty.
/// `definition` is the site's definition as JSON (`{"name": …, "purposes": […], …}`), which the
/// server rendered into the loader from its configuration; the bundle knows no site of its own.
/// `notices` is the loader's `{ nl: hash, en: hash }`: the notice hash of the current policy in
/// each language, which choices are recorded against (no request for it). `host` is the loader's code that acts in the page (held-back tags, Consent Mode, the views
/// bundle, see [`enforce::Host`]) with the widget's stylesheet.
///
/// The engine starts from the stored cookie before anything renders: Consent Mode gets its
/// `default` and the tags a current choice allows are released, so no held-back tag runs before
/// the signals are set; a stale choice expires. The loader did the same before it loaded the
/// bundle (and put placeholders before held-back iframes), so here that repeats nothing.
#[wasm_bindgen]
pub fn start(
    site: &str,
    lang: &str,
    api_base: &str,
    queued: &str,
    definition: &str,
    notices: &JsValue,
    host: enforce::Host,
) -> Result<(), JsError> {
    if !browser::has_secure_random() {
        return Err(JsError::new(
            "this browser offers no crypto.getRandomValues, which the widget needs for its ids",
        ));
    }
    let site = privacy_widget::install_site(site, definition)?;
    let language = browser::language(lang);
    enforce::install_host(host);
    store::install(
        Engine::new(site, language, browser::global_privacy_control()),
        ApiClient::new(api_base.to_owned()),
    );
    let notice = js_sys::Reflect::get(notices, &language.as_str().into())
        .ok()
        .and_then(|hash| hash.as_string())
        .ok_or_else(|| JsError::new("the loader names no notice hash for this language"))?;
    store::dispatch(Action::NoticeHash(notice));
    store::dispatch(Action::Start {
        stored: browser::read_consent_cookie(),
    });
    // What is shown follows the engine from here. A click the loader kept is carried out before
    // anything is shown, so the first layer it took away does not come back.
    layer::connect();
    if let Some(granted) = banner_choice(queued) {
        layer::choose(uniform_choices(site, granted), ConsentSource::Banner);
    }
    layer::render();
    outbox::spawn_flush();
    Ok(())
}

/// `VirtioPrivacy.consent()`: the choice that applies, `{ analytics: true, … }`, or `null` (also
/// for a stored choice that is no longer current).
#[wasm_bindgen]
pub fn consent() -> JsValue {
    let choices = store::read(|e| e.current().map(|c| c.choices.clone())).flatten();
    enforce::choices_js(choices.as_ref())
}

/// `VirtioPrivacy.has(purpose)`: whether `purpose` has consent now.
#[wasm_bindgen]
pub fn has(purpose: &str) -> bool {
    let Ok(purpose) = purpose.parse::<PurposeId>() else {
        return false;
    };
    store::read(|e| e.allows(purpose)).unwrap_or(false)
}

/// A first-layer button's hook: `Some(true)` for accept-all, `Some(false)` for reject-all.
fn banner_choice(hook: &str) -> Option<bool> {
    match hook {
        "accept-all" => Some(true),
        "reject-all" => Some(false),
        _ => None,
    }
}

/// A click on the first layer's accept-all or reject-all (`hook`), which the loader shows.
#[wasm_bindgen]
pub fn decide_banner(hook: &str) {
    if let (Some(granted), Some(site)) = (banner_choice(hook), store::read(Engine::site)) {
        layer::choose(uniform_choices(site, granted), ConsentSource::Banner);
    }
}

/// The choices made in the preferences (JSON, `{ "analytics": true, … }`), which the loader's
/// `preferences.js` shows.
#[wasm_bindgen]
pub fn decide(choices: &str) -> Result<(), JsError> {
    let choices: ConsentChoices = serde_json::from_str(choices)?;
    layer::choose(choices, ConsentSource::Preferences);
    Ok(())
}

/// What the preferences show of the consent state (JSON, [`layer::preferences_state`]).
#[wasm_bindgen]
pub fn preferences() -> String {
    layer::preferences_state()
}

/// The button of an iframe placeholder: consent to `purpose` on top of the current choice.
#[wasm_bindgen]
pub fn grant(purpose: &str) {
    if let Ok(purpose) = purpose.parse() {
        store::dispatch(Action::Grant(purpose));
    }
}

/// `VirtioPrivacy.setIdentity(token)`: the customer's identity token from the interface app; the
/// customer's newer choice from another device is adopted, later choices are linked to them, and
/// events that waited for a fresh token go out with this one.
#[wasm_bindgen]
pub fn set_identity(token: &str) {
    store::dispatch(Action::Identify(Some(token.to_owned())));
    outbox::relink(token);
    sync_identity(token.to_owned());
    enforce::emit("identity", &JsValue::NULL);
}

/// Fetches the customer's latest choice on this site from any device and hands it to the engine,
/// which adopts it when it is newer than this browser's and current.
fn sync_identity(token: String) {
    let (Some(client), Some(site)) = (store::client(), store::read(Engine::site)) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let query = [("site", site.as_str())];
        let Ok((_, me)) = client
            .call::<endpoints::MeConsent>(&[], &query, None, Credentials::Identity(&token))
            .await
        else {
            return;
        };
        if let Some(latest) = me.latest {
            store::dispatch(Action::Adopt {
                choices: latest.event.decision.choices,
                policy_version: latest.event.decision.policy_version,
                recorded_at: latest.event.recorded_at.unix_timestamp(),
            });
        }
    });
}
