//! The policy viewer (PRODUCT.md §5.2): the whole policy from its structured form, fetched when
//! the viewer opens (so it does not weigh on the banner), with a table of contents, an anchor per
//! section, version and date, a language switch that keeps the reader's place, the rights and how
//! to use them, and the way to complain to the Autoriteit Persoonsgegevens.

use privacy_shared::Language;
use privacy_shared::api::ApiClient;
use privacy_shared::policy::{Inline, Paragraph, PolicyDocument};
use privacy_shared::rights::RightsRequestKind;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::i18n::{explain, view_texts};

pub use privacy_shared::rights::{
    COMPLAINT_AUTHORITY_NAME as AUTHORITY_NAME, COMPLAINT_AUTHORITY_URL as AUTHORITY_URL,
};

#[derive(Properties, PartialEq)]
pub struct PolicyViewerProps {
    pub api_base: String,
    pub language: Language,
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

/// Scrolls to a section inside the viewer's shadow root and moves focus to its heading.
fn go_to(event: &MouseEvent, anchor: &str) {
    event.prevent_default();
    let root = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
        .map(|node| node.get_root_node());
    let heading = root
        .and_then(|root| root.dyn_into::<web_sys::ShadowRoot>().ok())
        .and_then(|root| root.get_element_by_id(&format!("vp-policy-{anchor}")))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(heading) = heading {
        heading.scroll_into_view();
        let _ = heading.focus();
    }
}

#[component]
pub fn PolicyViewer(props: &PolicyViewerProps) -> Html {
    let language = use_state(|| props.language);
    let document = use_state(|| None::<Result<PolicyDocument, String>>);
    {
        let document = document.clone();
        let base = props.api_base.clone();
        use_effect_with(*language, move |&language| {
            document.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let client = ApiClient::new(base);
                let result = client
                    .policy(None, language)
                    .await
                    .map_err(|e| explain(&e, language));
                document.set(Some(result));
            });
        });
    }
    let t = view_texts(*language);
    let switch = |to: Language| {
        let language = language.clone();
        Callback::from(move |_: MouseEvent| language.set(to))
    };
    let body = match &*document {
        None => html! { <p role="status">{ t.loading }</p> },
        Some(Err(message)) => html! { <p role="alert">{ message.clone() }</p> },
        Some(Ok(policy)) => {
            let chapters = policy.sections.iter().filter(|s| s.level == 2);
            html! {
                <>
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
                            { for chapters.map(|s| {
                                let anchor = s.anchor.clone();
                                let onclick = Callback::from(move |e: MouseEvent| go_to(&e, &anchor));
                                html! {
                                    <li><a href={format!("#{}", s.anchor)} {onclick}>{ &s.heading }</a></li>
                                }
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
                            { for RightsRequestKind::ALL.iter().map(|k| html! { <li>{ k.label(*language) }</li> }) }
                        </ul>
                        <p>
                            { t.complaint }
                            <a href={AUTHORITY_URL} rel="noopener" target="_blank" data-vp="authority">
                                { AUTHORITY_NAME }
                            </a>
                            { "." }
                        </p>
                    </section>
                </>
            }
        }
    };
    html! {
        <article class="vp-policy" data-vp="policy" lang={language.as_str()} aria-labelledby="vp-policy-title">
            <div class="vp-language" role="group" aria-label={t.language}>
                <button type="button" class="vp-lang" data-vp="policy-nl"
                    aria-pressed={(*language == Language::Nl).to_string()} onclick={switch(Language::Nl)}>
                    { "Nederlands" }
                </button>
                <button type="button" class="vp-lang" data-vp="policy-en"
                    aria-pressed={(*language == Language::En).to_string()} onclick={switch(Language::En)}>
                    { "English" }
                </button>
            </div>
            { body }
        </article>
    }
}
