//! The second layer's markup: every purpose of the site with its description, processors, cookies
//! and retention, a toggle each (off, `necessary` locked on), and save, accept-all and reject-all;
//! in a [`Dialog`] or in the page. The server renders it (`ssr::preferences`) and the loader's
//! `preferences.js` makes it work: it sets the toggles to the stored choice, fills in the
//! proof of that choice (`data-vp-slot="proof"`) and carries out the buttons by their hooks.

use privacy_shared::{Language, SiteId};
use yew::prelude::*;

use crate::components::dialog::Dialog;
use crate::i18n::texts;

#[derive(Properties, PartialEq)]
pub struct PreferencesProps {
    pub site: SiteId,
    pub language: Language,
    /// In the page (`data-virtio-privacy="preferences"`) rather than a modal dialog; only the
    /// dialog links to the policy.
    #[prop_or_default]
    pub inline: bool,
}

#[component]
pub fn Preferences(props: &PreferencesProps) -> Html {
    let t = texts(props.language);
    let site = props.site;
    let language = props.language;
    let body = html! {
        <>
            <p>{ t.preferences_intro }</p>
            <div data-vp-slot="proof"></div>
            if !props.inline {
                <button type="button" class="vp-link" data-vp="open-policy">{ t.read_policy }</button>
            }
            <ul class="vp-purpose-list">
                { for site.site().purposes.iter().map(|&purpose| {
                    let id = format!("vp-toggle-{purpose}");
                    let described = format!("vp-about-{purpose}");
                    let locked = purpose.is_locked();
                    html! {
                        <li class="vp-purpose">
                            <div class="vp-purpose-head">
                                <label for={id.clone()} class="vp-purpose-label">{ purpose.label(language) }</label>
                                <input type="checkbox" role="switch" class="vp-switch" id={id}
                                    data-vp-toggle={purpose.as_str()} checked={locked} disabled={locked}
                                    aria-describedby={described.clone()} />
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
                <button type="button" class="vp-button" data-vp="save">{ t.save_choices }</button>
                <button type="button" class="vp-button" data-vp="preferences-accept-all">{ t.accept_all }</button>
                <button type="button" class="vp-button" data-vp="preferences-reject-all">{ t.reject_all }</button>
            </div>
        </>
    };
    if props.inline {
        html! {
            <section class="vp-inline-preferences" data-vp="inline-preferences" aria-labelledby="vp-inline-preferences-title" lang={language.as_str()}>
                <h2 id="vp-inline-preferences-title" class="vp-title">{ t.preferences_title }</h2>
                { body }
            </section>
        }
    } else {
        html! {
            <div lang={language.as_str()}>
                <Dialog title={t.preferences_title} hook="preferences" close_label={t.close}>
                    { body }
                </Dialog>
            </div>
        }
    }
}
