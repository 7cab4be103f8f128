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
    /// The notice hash of the policy shown on this site, from the site configuration.
    pub notice_hash: Option<String>,
}

pub enum Action {
    Reopen,
    NoticeHash(String),
    Decided(ConsentCookie),
    SaveFinished(Result<(), ApiError>),
}

impl Reducible for WidgetState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Reopen => next.banner_open = true,
            Action::NoticeHash(hash) => next.notice_hash = Some(hash),
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
        notice_hash: None,
    });
    let client = use_memo(props.api_base.clone(), |base| ApiClient::new(base.clone()));

    // While the banner asks, fetch the notice hash the choice will be recorded against, so a
    // click does not wait for it. The banner itself never waits for the network.
    {
        let state = state.clone();
        let client = client.clone();
        let language = props.language;
        use_effect_with(state.banner_open, move |&open| {
            if open && state.notice_hash.is_none() {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(config) = client.site_config(site, language).await {
                        state.dispatch(Action::NoticeHash(config.notice_hash));
                    }
                });
            }
        });
    }

    let ondecide = {
        let state = state.clone();
        let language = props.language;
        let client = client.clone();
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
            let mut body = RecordConsent {
                idempotency_key: browser::new_idempotency_key(),
                site,
                subject: consent.subject,
                kind: decision_kind(granted, previous.as_ref()),
                source: ConsentSource::Banner,
                choices: consent.choices.clone(),
                policy_version: consent.policy_version.clone(),
                language,
                notice_hash: state.notice_hash.clone().unwrap_or_default(),
                gpc: false,
            };
            state.dispatch(Action::Decided(consent));
            let state = state.clone();
            let client = client.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = async {
                    if body.notice_hash.is_empty() {
                        body.notice_hash = client.site_config(site, language).await?.notice_hash;
                    }
                    client.record_consent(&body).await
                };
                state.dispatch(Action::SaveFinished(result.await.map(|_| ())));
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
