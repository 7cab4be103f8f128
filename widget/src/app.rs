//! The widget's root: holds the stored choice, which layer is open and how far the latest choice
//! got to the server. A choice applies in the page at once (cookie, Consent Mode, held-back tags)
//! and waits in the outbox until the server has it.

use privacy_shared::api::{ApiClient, ApiError, Credentials, endpoints};
use privacy_shared::consent::uniform_choices;
use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{
    ConsentChoices, ConsentKind, ConsentSource, Language, PurposeId, RecordConsent, SiteId, policy,
};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::banner::Banner;
use crate::components::modal::Modal;
use crate::components::policy_viewer::PolicyViewer;
use crate::components::preferences::Preferences;
use crate::components::rights_center::RightsCenter;
use crate::components::settings_button::SettingsButton;
use crate::control::{self, Command, View};
use crate::i18n::{explain, texts};
use crate::{browser, enforce, outbox};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub site: SiteId,
    pub language: Language,
    pub api_base: String,
    /// The choice stored in this browser when the page loaded.
    pub initial: Option<ConsentCookie>,
    /// The page's `gtag` (pushes its arguments to `dataLayer`), for Consent Mode updates.
    #[prop_or_default]
    pub gtag: Option<js_sys::Function>,
    /// `navigator.globalPrivacyControl` was true.
    #[prop_or_default]
    pub gpc: bool,
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
pub struct WidgetState {
    pub consent: Option<ConsentCookie>,
    pub banner_open: bool,
    /// The view open in a dialog, if any.
    pub overlay: Option<View>,
    pub save: SaveState,
    /// The notice hash of the policy shown on this site, from the site configuration.
    pub notice_hash: Option<String>,
    /// The optional purposes were switched off for the browser's GPC signal.
    pub gpc_honoured: bool,
}

pub enum Action {
    Open(View),
    Close,
    NoticeHash(String),
    /// The person chose.
    Decided(ConsentCookie),
    /// The GPC signal chose for them; the banner stays to say so.
    Gpc(ConsentCookie),
    /// A newer choice of the same customer from another device.
    Adopted(ConsentCookie),
    SaveReport(Result<(), ApiError>),
}

impl Reducible for WidgetState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Open(view) => next.overlay = Some(view),
            Action::Close => next.overlay = None,
            Action::NoticeHash(hash) => next.notice_hash = Some(hash),
            Action::Decided(consent) => {
                next.consent = Some(consent);
                next.banner_open = false;
                next.overlay = None;
                next.gpc_honoured = false;
                next.save = SaveState::Saving;
            }
            Action::Gpc(consent) => {
                next.consent = Some(consent);
                next.gpc_honoured = true;
                next.save = SaveState::Saving;
            }
            Action::Adopted(consent) => {
                next.consent = Some(consent);
                next.banner_open = false;
            }
            Action::SaveReport(Ok(())) => next.save = SaveState::Saved,
            Action::SaveReport(Err(e)) => next.save = SaveState::Failed(e),
        }
        Rc::new(next)
    }
}

/// The kind of event a choice is: withdrawal when it takes back consent given before.
pub fn decision_kind(
    site: SiteId,
    choices: &ConsentChoices,
    previous: Option<&ConsentCookie>,
) -> ConsentKind {
    let optional: Vec<PurposeId> = site
        .site()
        .purposes
        .iter()
        .copied()
        .filter(|p| !p.is_locked())
        .collect();
    let on = |p: &PurposeId| choices.get(p).copied().unwrap_or(false);
    let withdrawn = previous.is_some_and(|c| optional.iter().any(|p| c.allows(*p) && !on(p)));
    if optional.iter().all(on) {
        ConsentKind::AcceptAll
    } else if withdrawn {
        ConsentKind::Withdraw
    } else if optional.iter().any(on) {
        ConsentKind::Custom
    } else {
        ConsentKind::RejectAll
    }
}

/// The focused element, looking into the widget's own shadow root.
fn deep_active_element() -> Option<web_sys::HtmlElement> {
    let document = web_sys::window()?.document()?;
    let mut active = document.active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|r| r.active_element()) {
        active = inner;
    }
    active.dyn_into().ok()
}

/// Sends what waits in the outbox, reporting each attempt to the status line.
fn spawn_flush(
    client: &ApiClient,
    site: SiteId,
    language: Language,
    identity: Option<String>,
    dispatcher: UseReducerDispatcher<WidgetState>,
) {
    let client = client.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let config_client = client.clone();
        outbox::flush(
            client,
            identity,
            async || Ok(config_client.site_config(site, language).await?.notice_hash),
            |report| dispatcher.dispatch(Action::SaveReport(report)),
        )
        .await;
    });
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let site = props.site;
    let language = props.language;
    let state = use_reducer(|| WidgetState {
        banner_open: !props
            .initial
            .as_ref()
            .is_some_and(|c| c.is_current_for(site, browser::now_seconds())),
        overlay: None,
        consent: props.initial.clone(),
        save: SaveState::Idle,
        notice_hash: None,
        gpc_honoured: false,
    });
    let client = use_memo(props.api_base.clone(), |base| ApiClient::new(base.clone()));
    let gtag = props.gtag.clone();
    // The element that opened the dialog, to give focus back to.
    let opener = use_mut_ref(|| None::<web_sys::HtmlElement>);

    // A choice: applied in the page at once, queued, then sent.
    let choose = {
        let state = state.clone();
        let client = client.clone();
        let gtag = gtag.clone();
        Callback::from(move |(choices, source): (ConsentChoices, ConsentSource)| {
            let previous = state.consent.clone();
            let consent = ConsentCookie {
                subject: previous
                    .as_ref()
                    .map_or_else(browser::new_subject_id, |c| c.subject),
                policy_version: policy::CURRENT_VERSION.to_owned(),
                given_at: browser::now_seconds(),
                choices,
            };
            let gpc = source == ConsentSource::Gpc;
            let kind = if gpc {
                ConsentKind::Gpc
            } else {
                decision_kind(site, &consent.choices, previous.as_ref())
            };
            browser::write_consent_cookie(&consent);
            outbox::push(RecordConsent {
                idempotency_key: browser::new_idempotency_key(),
                site,
                subject: consent.subject,
                kind,
                source,
                choices: consent.choices.clone(),
                policy_version: consent.policy_version.clone(),
                language,
                notice_hash: state.notice_hash.clone().unwrap_or_default(),
                gpc,
            });
            let changed = previous.as_ref().map(|p| &p.choices) != Some(&consent.choices);
            control::set_current(Some(consent.clone()));
            if let Some(gtag) = &gtag {
                enforce::apply(gtag, site, &consent, changed);
            }
            state.dispatch(if gpc {
                Action::Gpc(consent)
            } else {
                Action::Decided(consent)
            });
            spawn_flush(
                &client,
                site,
                language,
                control::identity(),
                state.dispatcher(),
            );
        })
    };

    // A customer's newer choice from another device replaces this browser's.
    let adopt = {
        let state = state.clone();
        let client = client.clone();
        let gtag = gtag.clone();
        Callback::from(move |token: String| {
            let state = state.clone();
            let client = client.clone();
            let gtag = gtag.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let query = [("site", site.as_str())];
                let Ok((_, me)) = client
                    .call::<endpoints::MeConsent>(&[], &query, None, Credentials::Identity(&token))
                    .await
                else {
                    return;
                };
                let Some(latest) = me.latest else { return };
                let local = control::current();
                let newer = local
                    .as_ref()
                    .is_none_or(|l| latest.recorded_at.unix_timestamp() > l.given_at);
                if !newer || latest.policy_version != policy::CURRENT_VERSION {
                    return;
                }
                let consent = ConsentCookie {
                    subject: local.as_ref().map_or(latest.subject, |l| l.subject),
                    policy_version: latest.policy_version,
                    given_at: latest.recorded_at.unix_timestamp(),
                    choices: latest.choices,
                };
                let changed = local.as_ref().map(|l| &l.choices) != Some(&consent.choices);
                browser::write_consent_cookie(&consent);
                control::set_current(Some(consent.clone()));
                if let Some(gtag) = &gtag {
                    enforce::apply(gtag, site, &consent, changed);
                }
                state.dispatch(Action::Adopted(consent));
            });
        })
    };

    let open_view = {
        let state = state.clone();
        let opener = opener.clone();
        Callback::from(move |view: View| {
            // Moving from one dialog to another keeps the first opener.
            if state.overlay.is_none() {
                *opener.borrow_mut() = deep_active_element();
            }
            state.dispatch(Action::Open(view));
        })
    };
    let open_preferences = open_view.reform(|()| View::Preferences);

    // Once, on start: the JavaScript API, the GPC signal, and what waits in the outbox.
    {
        let state = state.clone();
        let client = client.clone();
        let choose = choose.clone();
        let adopt = adopt.clone();
        let open_view = open_view.clone();
        let gpc = props.gpc;
        let queued = props.queued;
        use_effect_with((), move |()| {
            control::set_current(state.consent.clone());
            let granting = choose.clone();
            let opening = open_view.clone();
            control::connect(Callback::from(move |command| match command {
                Command::Open(view) => opening.emit(view),
                Command::Decide(choices) => {
                    granting.emit((choices, ConsentSource::Preferences));
                }
                Command::SetIdentity(token) => adopt.emit(token),
                Command::Grant(purpose) => {
                    let mut choices = control::current()
                        .filter(|c| c.is_current_for(site, browser::now_seconds()))
                        .map_or_else(|| uniform_choices(site, false), |c| c.choices);
                    choices.insert(purpose, true);
                    granting.emit((choices, ConsentSource::Preferences));
                }
            }));
            let current = state
                .consent
                .as_ref()
                .is_some_and(|c| c.is_current_for(site, browser::now_seconds()));
            if gpc && !current {
                choose.emit((uniform_choices(site, false), ConsentSource::Gpc));
            } else {
                spawn_flush(&client, site, language, None, state.dispatcher());
            }
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

    // The moment the first layer is in the page, for `cargo xtask bench`.
    use_effect_with(state.banner_open, |&open| {
        if open && let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("vp-banner");
        }
    });

    // While a layer asks, fetch the notice hash the choice will be recorded against, so a click
    // does not wait for it. The banner itself never waits for the network.
    {
        let state = state.clone();
        let client = client.clone();
        let asking = state.banner_open || state.overlay == Some(View::Preferences);
        use_effect_with(asking, move |&asking| {
            if asking && state.notice_hash.is_none() {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(config) = client.site_config(site, language).await {
                        state.dispatch(Action::NoticeHash(config.notice_hash));
                    }
                });
            }
        });
    }

    // Focus goes back to the opener when the dialog closes (or to the settings button, when the
    // opener went away with the banner).
    {
        let opener = opener.clone();
        use_effect_with(state.overlay.is_some(), move |&open| {
            if !open && let Some(element) = opener.borrow_mut().take() {
                let target = if element.is_connected() {
                    Some(element)
                } else {
                    element
                        .get_root_node()
                        .dyn_into::<web_sys::ShadowRoot>()
                        .ok()
                        .or_else(|| {
                            web_sys::window()?
                                .document()?
                                .get_element_by_id("virtio-privacy")?
                                .shadow_root()
                        })
                        .and_then(|root| root.query_selector("[data-vp=settings]").ok().flatten())
                        .and_then(|e| e.dyn_into().ok())
                };
                if let Some(target) = target {
                    let _ = target.focus();
                }
            }
        });
    }

    let on_banner =
        choose.reform(move |granted: bool| (uniform_choices(site, granted), ConsentSource::Banner));
    let on_preferences = choose.reform(|choices| (choices, ConsentSource::Preferences));
    let close = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::Close))
    };

    let t = texts(language);
    let status = match &state.save {
        SaveState::Idle => String::new(),
        SaveState::Saving => t.saving.to_owned(),
        SaveState::Saved => t.saved.to_owned(),
        SaveState::Failed(e) => explain(e, language),
    };
    html! {
        <div lang={language.as_str()}>
            if state.banner_open {
                <Banner {site} {language} ondecide={on_banner}
                    onpreferences={open_preferences.clone()} gpc={state.gpc_honoured} />
            } else {
                <SettingsButton {language} onopen={open_preferences} />
            }
            {
                match state.overlay {
                    Some(View::Preferences) => html! {
                        <Preferences {site} {language} consent={state.consent.clone()}
                            ondecide={on_preferences} onclose={close.clone()}
                            onpolicy={Some(open_view.reform(|()| View::Policy))} />
                    },
                    Some(View::Policy) => html! {
                        <Modal title={t.policy_title} hook="policy-dialog" close_label={t.close} onclose={close.clone()}>
                            <PolicyViewer api_base={props.api_base.clone()} {language} />
                        </Modal>
                    },
                    Some(View::Rights) => html! {
                        <Modal title={t.rights_center_title} hook="rights-dialog" close_label={t.close} onclose={close.clone()}>
                            <RightsCenter api_base={props.api_base.clone()} {site} {language} />
                        </Modal>
                    },
                    None => html! {},
                }
            }
            <p class="vp-status" role="status" data-vp="status">{ status }</p>
        </div>
    }
}
