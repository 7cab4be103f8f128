//! The widget's root: renders the engine's state (the first layer or the settings button, the
//! dialogs) and turns clicks into engine actions. What is on screen apart from consent (which
//! dialog is open, how far the latest event got to the server) is the app's own reducer.

use privacy_shared::api::ApiError;
use privacy_shared::consent::uniform_choices;
use privacy_shared::engine::Action as EngineAction;
use privacy_shared::{ConsentChoices, ConsentSource, Language, SiteId};
use std::rc::Rc;
use yew::prelude::*;

use crate::components::banner::Banner;
use crate::components::preferences::Preferences;
use crate::components::settings_button::SettingsButton;
use crate::control::{self, View};
use crate::i18n::{explain, texts};
use crate::{browser, enforce, outbox, store};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub site: SiteId,
    pub language: Language,
    pub api_base: String,
    /// A click on the loader's first layer, made before the bundle ran.
    #[prop_or_default]
    pub queued: Queued,
}

/// A first-layer click the loader kept for the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Queued {
    #[default]
    Nothing,
    AcceptAll,
    RejectAll,
    OpenPreferences,
}

impl Queued {
    /// The `data-vp` hook of the clicked button.
    pub fn from_hook(hook: &str) -> Self {
        match hook {
            "accept-all" => Self::AcceptAll,
            "reject-all" => Self::RejectAll,
            "open-preferences" => Self::OpenPreferences,
            _ => Self::Nothing,
        }
    }
}

/// How far the latest choice got on its way to the server.
#[derive(Clone, PartialEq)]
pub enum SaveState {
    Idle,
    Saving,
    Saved,
    Failed(ApiError),
}

#[derive(Clone, PartialEq)]
pub struct UiState {
    /// Whether the preferences are open in a dialog (the policy and the rights center open in the
    /// views bundle's).
    pub preferences_open: bool,
    pub save: SaveState,
}

pub enum UiAction {
    OpenPreferences,
    Close,
    /// A choice was made and queued.
    Chosen,
    SaveReport(Result<(), ApiError>),
}

impl Reducible for UiState {
    type Action = UiAction;

    fn reduce(self: Rc<Self>, action: UiAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            UiAction::OpenPreferences => next.preferences_open = true,
            UiAction::Close => next.preferences_open = false,
            UiAction::Chosen => {
                next.preferences_open = false;
                next.save = SaveState::Saving;
            }
            // The status line speaks of the visitor's own choices, not of events the widget
            // sends by itself before any (a recorded expiry, a queue left by an earlier page).
            UiAction::SaveReport(_) if self.save == SaveState::Idle => {}
            UiAction::SaveReport(Ok(())) => next.save = SaveState::Saved,
            UiAction::SaveReport(Err(e)) => next.save = SaveState::Failed(e),
        }
        Rc::new(next)
    }
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let site = props.site;
    let language = props.language;
    let engine = store::use_engine();
    let ui = use_reducer(|| UiState {
        preferences_open: false,
        save: SaveState::Idle,
    });
    // The element that opened the dialog, to give focus back to.
    let opener = use_mut_ref(|| None::<web_sys::HtmlElement>);

    // A choice: the engine applies it in the page at once and queues its event.
    let choose = {
        let ui = ui.clone();
        Callback::from(move |(choices, source): (ConsentChoices, ConsentSource)| {
            store::dispatch(EngineAction::Decide { choices, source });
            ui.dispatch(UiAction::Chosen);
        })
    };

    // The preferences open here; the policy and the rights center in the views bundle (its
    // dialog takes the place of the preferences, and gives the focus back itself).
    let open_view = {
        let ui = ui.clone();
        let opener = opener.clone();
        Callback::from(move |view: View| match view {
            View::Preferences => {
                if !ui.preferences_open {
                    *opener.borrow_mut() = browser::deep_active_element();
                }
                ui.dispatch(UiAction::OpenPreferences);
            }
            View::Policy | View::Rights => {
                if ui.preferences_open {
                    ui.dispatch(UiAction::Close);
                }
                enforce::open_view(view.as_str());
            }
        })
    };
    let open_preferences = open_view.reform(|()| View::Preferences);

    // Once, on start: the dialogs for the JavaScript API, the outbox's reports, what waits in
    // the outbox, and a first-layer click the loader kept.
    {
        let ui = ui.clone();
        let choose = choose.clone();
        let open_view = open_view.clone();
        let queued = props.queued;
        use_effect_with((), move |()| {
            control::connect(open_view.clone());
            let reports = ui.dispatcher();
            outbox::on_report(Callback::from(move |report| {
                reports.dispatch(UiAction::SaveReport(report))
            }));
            outbox::spawn_flush();
            match queued {
                Queued::AcceptAll => {
                    choose.emit((uniform_choices(site, true), ConsentSource::Banner))
                }
                Queued::RejectAll => {
                    choose.emit((uniform_choices(site, false), ConsentSource::Banner))
                }
                Queued::OpenPreferences => open_view.emit(View::Preferences),
                Queued::Nothing => {}
            }
        });
    }

    let banner_open = engine.as_ref().is_some_and(|e| e.banner_open());
    // The moment the first layer is in the page, for `cargo xtask bench`.
    use_effect_with(banner_open, |&open| {
        if open && let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("vp-banner");
        }
    });

    // Focus goes back to the opener when the dialog closes, or to the settings button when the
    // opener went away with the banner or was the loader's (replaced when the bundle started).
    {
        let opener = opener.clone();
        // Only a dialog that closes gives the focus back, not the first render (which may come
        // after a dialog the loader asked for was opened).
        let was_open = use_mut_ref(|| false);
        use_effect_with(ui.preferences_open, move |&open| {
            let closed = std::mem::replace(&mut *was_open.borrow_mut(), open) && !open;
            if closed {
                browser::return_focus(opener.borrow_mut().take());
            }
        });
    }

    let on_banner =
        choose.reform(move |granted: bool| (uniform_choices(site, granted), ConsentSource::Banner));
    let on_preferences = choose.reform(|choices| (choices, ConsentSource::Preferences));
    let close = {
        let ui = ui.clone();
        Callback::from(move |()| ui.dispatch(UiAction::Close))
    };

    let t = texts(language);
    let status = match &ui.save {
        SaveState::Idle => String::new(),
        SaveState::Saving => t.saving.to_owned(),
        SaveState::Saved => t.saved.to_owned(),
        SaveState::Failed(e) => explain(e, language),
    };
    let current = engine.as_ref().and_then(|e| e.current().cloned());
    let gpc = engine.as_ref().is_some_and(|e| e.gpc_honoured());
    html! {
        <div lang={language.as_str()}>
            if banner_open {
                <Banner {site} {language} ondecide={on_banner}
                    onpreferences={open_preferences.clone()}
                    onpolicy={open_view.reform(|()| View::Policy)} {gpc} />
            } else {
                <SettingsButton {language} onopen={open_preferences} />
            }
            if ui.preferences_open {
                <Preferences {site} {language} consent={current}
                    ondecide={on_preferences} onclose={close.clone()}
                    onpolicy={Some(open_view.reform(|()| View::Policy))} />
            }
            <p class="vp-status" role="status" data-vp="status">{ status }</p>
        </div>
    }
}
