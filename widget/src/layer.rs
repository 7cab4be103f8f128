//! What the main bundle shows, without a UI framework of its own: which first layer is on screen
//! (the banner, the banner that says a Global Privacy Control signal was honoured, or the settings
//! button) and the status line of the visitor's latest choice. The markup is the loader's, rendered
//! by the server from the widget's components ([`crate::ssr`]); the loader swaps it when the layer
//! changes ([`crate::enforce::Host`]). The preferences are the loader's too (`preferences.js`, from
//! markup the server renders); what they show of the engine's state is [`preferences_state`]. The
//! policy and the rights center are the views bundle's.

use privacy_shared::api::ApiError;
use privacy_shared::engine::Engine;
use privacy_shared::{ConsentChoices, ConsentSource, Language};
use std::cell::RefCell;

use crate::i18n::{explain, status_texts};
use crate::{enforce, outbox, store};

/// The first layer the engine's state calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// No current choice: the banner.
    Banner,
    /// A current choice made by the browser's Global Privacy Control signal: the banner, saying
    /// so.
    GpcBanner,
    /// A current choice: the button that reopens it.
    Settings,
}

impl Layer {
    pub fn of(engine: &Engine) -> Self {
        match (engine.banner_open(), engine.gpc_honoured()) {
            (false, _) => Self::Settings,
            (true, true) => Self::GpcBanner,
            (true, false) => Self::Banner,
        }
    }

    /// The loader's name of the layer (`widget/loader.js`, `layers`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Banner => "banner",
            Self::GpcBanner => "gpc",
            Self::Settings => "settings",
        }
    }
}

/// How far the latest choice got on its way to the server.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    Idle,
    Saving,
    Saved,
    Failed(ApiError),
}

impl SaveState {
    /// The state after an attempt to send an event. The status line speaks of the visitor's own
    /// choices, not of events the widget sends by itself before any (a recorded expiry, a queue
    /// left by an earlier page).
    pub fn reported(self, report: outbox::Report) -> Self {
        match (self, report) {
            (Self::Idle, _) => Self::Idle,
            (_, Ok(())) => Self::Saved,
            (_, Err(e)) => Self::Failed(e),
        }
    }

    /// What the status line says, in `language`.
    pub fn text(&self, language: Language) -> String {
        let t = status_texts(language);
        match self {
            Self::Idle => String::new(),
            Self::Saving => t.saving.to_owned(),
            Self::Saved => t.saved.to_owned(),
            Self::Failed(e) => explain(e, language),
        }
    }
}

thread_local! {
    static SAVE: RefCell<SaveState> = const { RefCell::new(SaveState::Idle) };
}

/// Shows what the engine's state calls for from now on: the layer after every change, the status
/// line after every attempt to send. [`render`] shows the state as it is now.
pub fn connect() {
    store::on_change(render);
    outbox::on_report(|report| {
        let next = SAVE.with(|s| s.replace(SaveState::Idle).reported(report));
        set_status(next);
    });
}

/// Tells the loader which layer to show, and that the state changed (for the preferences).
pub fn render() {
    if let Some(layer) = store::read(Layer::of) {
        enforce::show_layer(layer.as_str());
    }
    enforce::changed();
}

/// Says `state` in the status line, in the engine's language (the page's, which the loader's
/// layers are in too).
fn set_status(state: SaveState) {
    if let Some(language) = store::read(Engine::language) {
        enforce::status(&state.text(language));
    }
    SAVE.with(|s| *s.borrow_mut() = state);
}

/// The visitor chose: the engine applies it in the page at once and queues its event, and the
/// status line says it is being saved.
pub fn choose(choices: ConsentChoices, source: ConsentSource) {
    store::dispatch(privacy_shared::engine::Action::Decide { choices, source });
    set_status(SaveState::Saving);
}

/// What the preferences show of the engine's state, as JSON for the loader's `preferences.js`:
/// the current choice (`choice`, its cookie value, which the toggles are set to again whenever it
/// changes; `choices`, each purpose on or off) and its proof in the engine's language (`proof`:
/// when it was given and, once the server recorded it, the receipt with its JSON to download).
pub fn preferences_state() -> String {
    #[derive(serde::Serialize)]
    struct Shown {
        choice: Option<String>,
        choices: Option<ConsentChoices>,
        proof: Option<Proof>,
    }
    #[derive(serde::Serialize)]
    struct Proof {
        given: String,
        /// The receipt's line; `None` while the server has not recorded the choice.
        receipt: Option<String>,
        pending: &'static str,
        download: &'static str,
        file: String,
        json: String,
    }
    let current = store::read(|e| e.current().cloned().map(|c| (c, e.language()))).flatten();
    let shown = match current {
        None => Shown {
            choice: None,
            choices: None,
            proof: None,
        },
        Some((consent, language)) => {
            let t = status_texts(language);
            // The receipt proves this choice when it is of this browser and of these very choices.
            let receipt = outbox::latest_receipt().filter(|(r, _)| {
                r.event.subject == consent.subject && r.event.decision.choices == consent.choices
            });
            let (receipt, file, json) = match receipt {
                Some((r, json)) => {
                    let event = r.event.event_id;
                    let line = format!(
                        "{}: {} {event}, {} {}.",
                        t.proof, t.proof_event, t.proof_notice, r.event.decision.notice_hash
                    );
                    (
                        Some(line),
                        format!("virtio-privacy-receipt-{event}.json"),
                        json,
                    )
                }
                None => (None, String::new(), String::new()),
            };
            let given = crate::browser::local_date_time(consent.given_at, language);
            let proof = Proof {
                given: format!("{} {given}.", t.current_choice),
                receipt,
                pending: t.proof_pending,
                download: t.proof_download,
                file,
                json,
            };
            Shown {
                choice: Some(consent.encode()),
                choices: Some(consent.choices),
                proof: Some(proof),
            }
        }
    };
    serde_json::to_string(&shown).unwrap_or_else(|_| "{}".into())
}
