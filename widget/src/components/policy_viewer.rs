//! The policy viewer (PRODUCT.md §5.2): the whole policy from its structured form, with a table
//! of contents, an anchor per section, version and date, a language switch, the rights and how to
//! use them, and the way to complain to the Autoriteit Persoonsgegevens. It is markup only: the
//! server renders it per language (`ssr::policy`) and the loader's `dialogs.js` makes it work (the
//! contents' links move to their section, the language buttons bring the other language's text).

use privacy_shared::Language;
use privacy_shared::policy::{Inline, Paragraph, PolicyDocument};
use privacy_shared::rights::RightsRequestKind;
use yew::prelude::*;

use crate::i18n::{texts, view_texts};

pub use privacy_shared::rights::{
    COMPLAINT_AUTHORITY_NAME as AUTHORITY_NAME, COMPLAINT_AUTHORITY_URL as AUTHORITY_URL,
};

#[derive(Properties, PartialEq)]
pub struct PolicyViewerProps {
    /// Shown in its own language.
    pub policy: PolicyDocument,
}

fn paragraph(runs: &Paragraph) -> Html {
    html! {
        <p>
            { for runs.iter().map(|run| match run {
                Inline::Text { text } => html! { { text.clone() } },
                Inline::Link { text, href } => html! {
                    <a href={href.clone()} rel="noopener" target="_blank">{ text.clone() }</a>
                },
            }) }
        </p>
    }
}

#[component]
pub fn PolicyViewer(props: &PolicyViewerProps) -> Html {
    let (policy, language) = (&props.policy, props.policy.language);
    let t = texts(language);
    let chapters = policy.sections.iter().filter(|s| s.level == 2);
    let switch = |to: Language, name: &'static str| {
        html! {
            <button type="button" class="vp-lang" data-vp={format!("policy-{}", to.as_str())}
                lang={to.as_str()} aria-pressed={(language == to).to_string()}>
                { name }
            </button>
        }
    };
    html! {
        <article class="vp-policy" data-vp="policy" lang={language.as_str()} aria-labelledby="vp-policy-title">
            <div class="vp-language" role="group" aria-label={t.language}>
                { switch(Language::Nl, "Nederlands") }
                { switch(Language::En, "English") }
            </div>
            <h2 class="vp-title" id="vp-policy-title">{ &policy.title }</h2>
            <p class="vp-meta" data-vp="policy-version">
                { format!("{} {} · {} {}", t.version, policy.version, t.effective, policy.effective) }
            </p>
            if policy.translation_of.is_some() {
                <p class="vp-meta">{ t.translation_note }</p>
            }
            <nav aria-labelledby="vp-policy-toc" class="vp-toc" data-vp="policy-toc">
                <h3 id="vp-policy-toc">{ t.contents }</h3>
                <ol>
                    { for chapters.map(|s| html! {
                        <li><a href={format!("#{}", s.anchor)}>{ &s.heading }</a></li>
                    }) }
                </ol>
            </nav>
            { for policy.intro.iter().map(paragraph) }
            { for policy.sections.iter().map(|s| {
                let id = format!("vp-policy-{}", s.anchor);
                let heading = if s.level == 2 {
                    html! { <h3 {id} tabindex="-1">{ &s.heading }</h3> }
                } else {
                    html! { <h4 {id} tabindex="-1">{ &s.heading }</h4> }
                };
                html! {
                    <section data-anchor={s.anchor.clone()}>
                        { heading }
                        { for s.paragraphs.iter().map(paragraph) }
                    </section>
                }
            }) }
            <section class="vp-rights" data-vp="policy-rights" aria-labelledby="vp-policy-rights">
                <h3 id="vp-policy-rights">{ t.rights_title }</h3>
                <p>{ t.rights_intro }</p>
                <ul>
                    { for RightsRequestKind::ALL.iter().map(|k| html! { <li>{ k.label(language) }</li> }) }
                </ul>
                <p>
                    { view_texts(language).complaint }
                    <a href={AUTHORITY_URL} rel="noopener" target="_blank" data-vp="authority">
                        { AUTHORITY_NAME }
                    </a>
                    { "." }
                </p>
            </section>
        </article>
    }
}
