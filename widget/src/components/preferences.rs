//! The second layer: a modal dialog (the WAI-ARIA dialog pattern) with every purpose of the site,
//! its description, processors and retention, a toggle each (off until switched on, `necessary`
//! locked on), and save, accept-all and reject-all. Closing or Escape records nothing. Focus
//! moves in, stays in, and the opener gets it back when the dialog closes.

use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{ConsentChoices, Language, PurposeId, SiteId};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use crate::i18n::texts;

#[derive(Properties, PartialEq)]
pub struct PreferencesProps {
    pub site: SiteId,
    pub language: Language,
    /// The stored choice, whose toggles start as they were; without one, every toggle is off.
    pub consent: Option<ConsentCookie>,
    pub ondecide: Callback<ConsentChoices>,
    pub onclose: Callback<()>,
}

const FOCUSABLE: &str =
    "button:not([disabled]), input:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

fn focusable(dialog: &Element) -> Vec<HtmlElement> {
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
        .collect()
}

/// The focused element inside the widget's shadow root (the document only sees the host).
fn active_in(dialog: &Element) -> Option<Element> {
    dialog
        .get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .ok()
        .and_then(|root| root.active_element())
        .or_else(|| web_sys::window()?.document()?.active_element())
}

#[component]
pub fn Preferences(props: &PreferencesProps) -> Html {
    let t = texts(props.language);
    let site = props.site;
    let purposes = site.site().purposes;
    let choices = use_state(|| -> ConsentChoices {
        purposes
            .iter()
            .map(|&p| {
                let on = p.is_locked() || props.consent.as_ref().is_some_and(|c| c.allows(p));
                (p, on)
            })
            .collect()
    });
    let dialog = use_node_ref();

    // Focus moves into the dialog when it opens.
    {
        let dialog = dialog.clone();
        use_effect_with((), move |()| {
            if let Some(first) = dialog
                .cast::<Element>()
                .and_then(|d| focusable(&d).into_iter().next())
            {
                let _ = first.focus();
            }
        });
    }

    let onkeydown = {
        let dialog = dialog.clone();
        let onclose = props.onclose.clone();
        Callback::from(move |event: KeyboardEvent| {
            let Some(element) = dialog.cast::<Element>() else {
                return;
            };
            match event.key().as_str() {
                "Escape" => {
                    event.prevent_default();
                    onclose.emit(());
                }
                "Tab" => {
                    let items = focusable(&element);
                    let (Some(first), Some(last)) = (items.first(), items.last()) else {
                        return;
                    };
                    let active = active_in(&element);
                    let at = |item: &HtmlElement| active.as_ref() == Some(item.unchecked_ref());
                    let inside = active.as_ref().is_some_and(|a| element.contains(Some(a)));
                    if event.shift_key() && (at(first) || !inside) {
                        event.prevent_default();
                        let _ = last.focus();
                    } else if !event.shift_key() && (at(last) || !inside) {
                        event.prevent_default();
                        let _ = first.focus();
                    }
                }
                _ => {}
            }
        })
    };

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
    let onclose = props.onclose.reform(|_: MouseEvent| ());
    let language = props.language;

    html! {
        <div class="vp-backdrop">
            <div class="vp-dialog" role="dialog" aria-modal="true" aria-labelledby="vp-preferences-title"
                data-vp="preferences" ref={dialog} {onkeydown}>
                <div class="vp-dialog-head">
                    <h2 id="vp-preferences-title" class="vp-title">{ t.preferences_title }</h2>
                    <button type="button" class="vp-close" data-vp="close" aria-label={t.close} onclick={onclose}>
                        <span aria-hidden="true">{ "×" }</span>
                    </button>
                </div>
                <p>{ t.preferences_intro }</p>
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
                                    <p class="vp-meta">{ format!("{}: {}", t.processors, purpose.processors().join(", ")) }</p>
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
            </div>
        </div>
    }
}
