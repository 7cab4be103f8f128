//! The second layer: every purpose of the site with its description, processors and retention, a
//! toggle each (off until switched on, `necessary` locked on), and save, accept-all and
//! reject-all; in a [`Modal`] (closing or Escape records nothing) or inline in the page.

use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{ConsentChoices, ConsentReceipt, Language, PurposeId, SiteId};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::modal::Modal;
use crate::i18n::texts;

#[derive(Properties, PartialEq)]
pub struct PreferencesProps {
    pub site: SiteId,
    pub language: Language,
    /// The stored choice, whose toggles start as they were; without one, every toggle is off.
    pub consent: Option<ConsentCookie>,
    pub ondecide: Callback<ConsentChoices>,
    /// Closes the dialog; unused inline.
    #[prop_or_default]
    pub onclose: Callback<()>,
    /// Opens the policy viewer; without it the link is not shown.
    #[prop_or_default]
    pub onpolicy: Option<Callback<()>>,
    /// In the page (`data-virtio-privacy="preferences"`) rather than a modal dialog.
    #[prop_or_default]
    pub inline: bool,
}

#[component]
pub fn Preferences(props: &PreferencesProps) -> Html {
    let t = texts(props.language);
    let site = props.site;
    let purposes = site.site().purposes;
    let as_stored = move |consent: Option<&ConsentCookie>| -> ConsentChoices {
        privacy_shared::consent::inserted(
            purposes
                .iter()
                .map(|&p| (p, p.is_locked() || consent.is_some_and(|c| c.allows(p)))),
        )
    };
    let choices = use_state(|| as_stored(props.consent.as_ref()));
    // A choice made elsewhere (the banner, the dialog, another view) resets the toggles to it.
    {
        let choices = choices.clone();
        use_effect_with(props.consent.clone(), move |consent| {
            choices.set(as_stored(consent.as_ref()));
        });
    }
    let toggle = |purpose: PurposeId| {
        let choices = choices.clone();
        Callback::from(move |event: Event| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                let mut next = (*choices).clone();
                next.insert(purpose, input.checked());
                choices.set(next);
            }
        })
    };
    let uniform = |granted: bool| {
        let ondecide = props.ondecide.clone();
        Callback::from(move |_: MouseEvent| {
            ondecide.emit(privacy_shared::consent::uniform_choices(site, granted));
        })
    };
    let onsave = {
        let ondecide = props.ondecide.clone();
        let choices = choices.clone();
        Callback::from(move |_: MouseEvent| ondecide.emit((*choices).clone()))
    };
    let language = props.language;
    let receipt = crate::views::use_receipt();

    let body = html! {
        <>
            <p>{ t.preferences_intro }</p>
            if let Some(consent) = &props.consent {
                <Proof {language} consent={consent.clone()} {receipt} />
            }
            if let Some(onpolicy) = &props.onpolicy {
                <button type="button" class="vp-link" data-vp="open-policy" onclick={onpolicy.reform(|_: MouseEvent| ())}>
                    { t.read_policy }
                </button>
            }
            <ul class="vp-purpose-list">
                { for purposes.iter().map(|&purpose| {
                    let id = format!("vp-toggle-{purpose}");
                    let described = format!("vp-about-{purpose}");
                    let locked = purpose.is_locked();
                    let on = choices.get(&purpose).copied().unwrap_or(false);
                    html! {
                        <li class="vp-purpose">
                            <div class="vp-purpose-head">
                                <label for={id.clone()} class="vp-purpose-label">{ purpose.label(language) }</label>
                                <input type="checkbox" role="switch" class="vp-switch" id={id}
                                    data-vp-toggle={purpose.as_str()} checked={on} disabled={locked}
                                    aria-describedby={described.clone()} onchange={toggle(purpose)} />
                            </div>
                            <div id={described} class="vp-purpose-about">
                                <p>{ purpose.description().get(language) }</p>
                                if locked {
                                    <p class="vp-meta">{ t.always_on }</p>
                                }
                                <p class="vp-meta" data-vp-processors={purpose.as_str()}>{ format!("{}: {}", t.processors, purpose.processors(language).join("; ")) }</p>
                                <p class="vp-meta" data-vp-cookies={purpose.as_str()}>{ format!("{}: {}", t.cookie_names, match site.browser_names(purpose).as_slice() {
                                    [] => t.no_cookies.to_owned(),
                                    names => names.join(", "),
                                }) }</p>
                                if let Some(retention) = purpose.retention() {
                                    <p class="vp-meta">{ format!("{}: {}", t.retention, retention.get(language)) }</p>
                                }
                            </div>
                        </li>
                    }
                }) }
            </ul>
            <div class="vp-actions">
                <button type="button" class="vp-button" data-vp="save" onclick={onsave}>{ t.save_choices }</button>
                <button type="button" class="vp-button" data-vp="preferences-accept-all" onclick={uniform(true)}>{ t.accept_all }</button>
                <button type="button" class="vp-button" data-vp="preferences-reject-all" onclick={uniform(false)}>{ t.reject_all }</button>
            </div>
        </>
    };
    if props.inline {
        html! {
            <section class="vp-inline-preferences" data-vp="inline-preferences" aria-labelledby="vp-inline-preferences-title">
                <h2 id="vp-inline-preferences-title" class="vp-title">{ t.preferences_title }</h2>
                { body }
            </section>
        }
    } else {
        html! {
            <Modal title={t.preferences_title} hook="preferences" close_label={t.close} onclose={props.onclose.clone()}>
                { body }
            </Modal>
        }
    }
}

#[derive(Properties, PartialEq)]
struct ProofProps {
    language: Language,
    consent: ConsentCookie,
    receipt: Option<Rc<ConsentReceipt>>,
}

/// The date of the current choice and, once the server recorded it, its receipt: the event id,
/// the notice hash and a download of the receipt as JSON.
#[component]
fn Proof(props: &ProofProps) -> Html {
    let t = texts(props.language);
    // The receipt proves this choice when it is of this browser and of these very choices.
    let receipt = props.receipt.clone().filter(|r| {
        r.event.subject == props.consent.subject
            && r.event.decision.choices == props.consent.choices
    });
    let download = use_memo(receipt.clone(), |receipt| {
        let receipt = receipt.as_ref()?;
        let json = serde_json::to_vec_pretty(&**receipt).ok()?;
        let url = crate::browser::object_url(&json)?;
        Some((
            url,
            format!("virtio-privacy-receipt-{}.json", receipt.event.event_id),
        ))
    });
    let given = crate::browser::local_date_time(props.consent.given_at, props.language);
    html! {
        <div class="vp-proof" data-vp="proof">
            <p class="vp-meta">{ format!("{} {given}.", t.current_choice) }</p>
            {
                match (&receipt, &*download) {
                    (Some(receipt), Some((url, name))) => html! {
                        <>
                            <p class="vp-meta" data-vp="receipt">
                                { format!("{}: {} {}, {} {}.", t.proof, t.proof_event, receipt.event.event_id,
                                    t.proof_notice, receipt.event.decision.notice_hash) }
                            </p>
                            <p class="vp-meta">
                                <a class="vp-link" data-vp="receipt-download" href={url.clone()} download={name.clone()}>
                                    { t.proof_download }
                                </a>
                            </p>
                        </>
                    },
                    _ => html! { <p class="vp-meta" data-vp="receipt-pending">{ t.proof_pending }</p> },
                }
            }
        </div>
    }
}
