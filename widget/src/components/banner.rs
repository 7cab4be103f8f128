//! The first layer: names the controller and the purposes, says how to withdraw, and offers
//! accept-all and reject-all as equal buttons, with the way to the preferences beside them.

use privacy_shared::{Language, SiteId};
use yew::prelude::*;

use crate::i18n::texts;

#[derive(Properties, PartialEq)]
pub struct BannerProps {
    pub site: SiteId,
    pub language: Language,
    /// Called with `true` for accept-all, `false` for reject-all.
    pub ondecide: Callback<bool>,
    /// Opens the preferences dialog.
    #[prop_or_default]
    pub onpreferences: Callback<()>,
    /// Opens the privacy policy.
    #[prop_or_default]
    pub onpolicy: Callback<()>,
    /// The browser sent Global Privacy Control and the optional purposes were switched off.
    #[prop_or_default]
    pub gpc: bool,
}

#[component]
pub fn Banner(props: &BannerProps) -> Html {
    let t = texts(props.language);
    let purposes = props.site.site().purposes.iter().filter(|p| !p.is_locked());
    let decide = |granted: bool| props.ondecide.reform(move |_: MouseEvent| granted);
    let onpreferences = props.onpreferences.reform(|_: MouseEvent| ());
    let onpolicy = props.onpolicy.reform(|_: MouseEvent| ());
    html! {
        <section class="vp-banner" data-vp="banner" role="region" aria-labelledby="vp-banner-title">
            <h2 id="vp-banner-title" class="vp-title">{ t.banner_title }</h2>
            if props.gpc {
                <p class="vp-gpc" data-vp="gpc-honoured">{ t.gpc_honoured }</p>
            }
            <p>{ t.banner_intro }</p>
            <ul class="vp-purposes">
                { for purposes.map(|p| html! { <li>{ p.label(props.language) }</li> }) }
            </ul>
            <p>{ t.banner_necessary }</p>
            <p>{ t.banner_withdraw }</p>
            <p>
                <button type="button" class="vp-link" data-vp="open-policy" onclick={onpolicy}>
                    { t.read_policy }
                </button>
            </p>
            <div class="vp-actions">
                <button type="button" class="vp-button" data-vp="accept-all" onclick={decide(true)}>
                    { t.accept_all }
                </button>
                <button type="button" class="vp-button" data-vp="reject-all" onclick={decide(false)}>
                    { t.reject_all }
                </button>
                <button type="button" class="vp-link" data-vp="open-preferences" onclick={onpreferences}>
                    { t.open_preferences }
                </button>
            </div>
        </section>
    }
}
