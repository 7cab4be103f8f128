//! The one executor of the engine's effects: the cookie, the outbox, Consent Mode, held-back
//! scripts and iframes, cookies and Web Storage of refused purposes, and the DOM events.

use privacy_shared::engine::Effect;

use crate::{browser, enforce, outbox};

/// Carries out `effects` in order, then sends what was queued.
pub fn run(effects: Vec<Effect>) {
    let mut queued = false;
    for effect in effects {
        match effect {
            Effect::WriteCookie(cookie) => browser::write_consent_cookie(&cookie),
            Effect::Queue { event, identity } => {
                outbox::push(outbox::Entry { event, identity });
                queued = true;
            }
            Effect::ConsentModeDefault {
                state,
                wait_for_update,
            } => enforce::consent_mode("default", &state, wait_for_update),
            Effect::ConsentModeUpdate(state) => enforce::consent_mode("update", &state, false),
            Effect::Release(purposes) => enforce::release(&purposes),
            Effect::Clear(site, purposes) => {
                enforce::delete_cookies(site, &purposes);
                enforce::remove_storage_keys(site, &purposes);
            }
            Effect::Emit(event, choices) => {
                enforce::emit(event.name(), &enforce::choices_js(choices.as_ref()));
            }
        }
    }
    if queued {
        outbox::spawn_flush();
    }
}
