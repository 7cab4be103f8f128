//! The widget's root: holds the stored choice and the state of its recording, shows the banner
//! while no current choice exists and the settings button once one does.

use privacy_shared::api::{ApiClient, ApiError};
use privacy_shared::consent::uniform_choices;
use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{ConsentKind, ConsentSource, Language, RecordConsent, SiteId, policy};
use std::rc::Rc;
use yew::prelude::*;

use crate::browser;
use crate::components::banner::Banner;
use crate::components::settings_button::SettingsButton;
use crate::i18n::{explain, texts};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub site: SiteId,
    pub language: Language,
    pub api_base: String,
    /// The choice stored in this browser when the page loaded.
    pub initial: Option<ConsentCookie>,
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
pub struct WidgetState {
    pub consent: Option<ConsentCookie>,
    pub banner_open: bool,
    pub save: SaveState,
}

pub enum Action {
    Reopen,
    Decided(ConsentCookie),
    SaveFinished(Result<(), ApiError>),
}

impl Reducible for WidgetState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Reopen => next.banner_open = true,
            Action::Decided(consent) => {
                next.consent = Some(consent);
                next.banner_open = false;
                next.save = SaveState::Saving;
            }
            Action::SaveFinished(Ok(())) => next.save = SaveState::Saved,
            Action::SaveFinished(Err(e)) => next.save = SaveState::Failed(e),
        }
        Rc::new(next)
    }
}

/// The kind of event a banner decision is: withdrawing when it takes back an earlier consent.
fn decision_kind(granted: bool, previous: Option<&ConsentCookie>) -> ConsentKind {
    let had_consent =
        previous.is_some_and(|c| c.choices.iter().any(|(p, &on)| on && !p.is_locked()));
    match (granted, had_consent) {
        (true, _) => ConsentKind::AcceptAll,
        (false, true) => ConsentKind::Withdraw,
        (false, false) => ConsentKind::RejectAll,
    }
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let site = props.site;
    let state = use_reducer(|| WidgetState {
        banner_open: !props
            .initial
            .as_ref()
            .is_some_and(|c| c.is_current_for(site, browser::now_seconds())),
        consent: props.initial.clone(),
        save: SaveState::Idle,
    });

    let ondecide = {
        let state = state.clone();
        let language = props.language;
        let client = ApiClient::new(props.api_base.clone());
        Callback::from(move |granted: bool| {
            let previous = state.consent.clone();
            let consent = ConsentCookie {
                subject: previous
                    .as_ref()
                    .map_or_else(browser::new_subject_id, |c| c.subject),
                policy_version: policy::CURRENT_VERSION.to_owned(),
                given_at: browser::now_seconds(),
                choices: uniform_choices(site, granted),
            };
            // The choice applies at once, before the server has answered.
            browser::write_consent_cookie(&consent);
            let body = RecordConsent {
                idempotency_key: browser::new_idempotency_key(),
                site,
                subject: consent.subject,
                kind: decision_kind(granted, previous.as_ref()),
                source: ConsentSource::Banner,
                choices: consent.choices.clone(),
                policy_version: consent.policy_version.clone(),
                language,
                gpc: false,
            };
            state.dispatch(Action::Decided(consent));
            let state = state.clone();
            let client = client.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = client.record_consent(&body).await.map(|_| ());
                state.dispatch(Action::SaveFinished(result));
            });
        })
    };
    let onopen = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::Reopen))
    };

    let t = texts(props.language);
    let status = match &state.save {
        SaveState::Idle => String::new(),
        SaveState::Saving => t.saving.to_owned(),
        SaveState::Saved => t.saved.to_owned(),
        SaveState::Failed(e) => explain(e, props.language),
    };
    html! {
        <div lang={props.language.as_str()}>
            if state.banner_open {
                <Banner {site} language={props.language} {ondecide} />
            } else {
                <SettingsButton language={props.language} {onopen} />
            }
            <p class="vp-status" role="status" data-vp="status">{ status }</p>
        </div>
    }
}
