//! What the loader shows and says before (or without) the bundle, rendered natively from the same
//! components and texts the bundle uses: the first layer ([`Banner`]), the settings button of a
//! returning visit ([`SettingsButton`]) and the iframe placeholders' words. The server renders them
//! at start for every configured site and language into the loader (`server/src/loader.rs`), and
//! the [`Preferences`] and the [`PolicyViewer`] the loader's `dialogs.js` shows
//! (`GET /api/v1/sites/{site}/preferences`, `GET /api/v1/policy/view`).

use privacy_shared::policy::PolicyDocument;
use privacy_shared::{Language, PurposeId, SiteId};
use yew::ServerRenderer;

use crate::components::banner::{Banner, BannerProps};
use crate::components::dialog::{Dialog, DialogProps};
use crate::components::policy_viewer::{PolicyViewer, PolicyViewerProps};
use crate::components::preferences::{Preferences, PreferencesProps};
use crate::components::settings_button::{SettingsButton, SettingsButtonProps};

/// The banner of `site` in `language`; with `gpc`, the banner that says the browser's Global
/// Privacy Control signal was honoured.
pub fn first_layer(site: SiteId, language: Language, gpc: bool) -> String {
    let renderer = ServerRenderer::<Banner>::with_props(move || BannerProps {
        site,
        language,
        ondecide: yew::Callback::noop(),
        onpreferences: yew::Callback::noop(),
        onpolicy: yew::Callback::noop(),
        gpc,
    })
    .hydratable(false);
    futures_executor::block_on(renderer.render())
}

/// The rules of the dialog and the preferences, as written; `cargo xtask build` compacts them.
pub const DIALOG_CSS: &str = include_str!("../dialog.css");
/// The policy viewer's rules, as written; `cargo xtask build` compacts them.
pub const POLICY_CSS: &str = include_str!("../policy.css");

/// The preferences of `site` in `language`, in a dialog and in the page, with their rules (`css`).
pub fn preferences(
    site: SiteId,
    language: Language,
    css: &str,
) -> privacy_shared::wire::RenderedView {
    let render = |inline| {
        let renderer = ServerRenderer::<Preferences>::with_props(move || PreferencesProps {
            site,
            language,
            inline,
        })
        .hydratable(false);
        futures_executor::block_on(renderer.render())
    };
    privacy_shared::wire::RenderedView {
        dialog: render(false),
        inline: render(true),
        css: css.to_owned(),
    }
}

/// The policy viewer of `policy` in its language, in a dialog (titled in `language`, the page's)
/// and in the page, with their rules (`css`).
pub fn policy(
    policy: &PolicyDocument,
    language: Language,
    css: &str,
) -> privacy_shared::wire::RenderedView {
    let inline = ServerRenderer::<PolicyViewer>::with_props({
        let policy = policy.clone();
        move || PolicyViewerProps { policy }
    })
    .hydratable(false);
    let t = crate::i18n::texts(language);
    let dialog = ServerRenderer::<Dialog>::with_props({
        let policy = policy.clone();
        move || DialogProps {
            title: t.policy_title.into(),
            hook: "policy-dialog".into(),
            close_label: t.close.into(),
            onclose: yew::Callback::noop(),
            node: yew::NodeRef::default(),
            onkeydown: yew::Callback::noop(),
            children: yew::html! { <PolicyViewer {policy} /> },
        }
    })
    .hydratable(false);
    privacy_shared::wire::RenderedView {
        dialog: format!(
            "<div lang=\"{}\">{}</div>",
            language.as_str(),
            futures_executor::block_on(dialog.render())
        ),
        inline: futures_executor::block_on(inline.render()),
        css: css.to_owned(),
    }
}

/// The loader's words in `language`: the settings button that reopens the choice on a returning
/// visit (`settings`, HTML as the bundle renders it), the text and button of an iframe placeholder
/// (`placeholder`, `placeholderButton`), every purpose's label (`purposes`), and its notices that a
/// part could not be loaded (`loadFailed`, `dismiss`) or is loading (`loading`).
pub fn loader_texts(language: Language) -> serde_json::Value {
    let renderer = ServerRenderer::<SettingsButton>::with_props(move || SettingsButtonProps {
        language,
        onopen: yew::Callback::noop(),
    })
    .hydratable(false);
    let t = crate::i18n::texts(language);
    let purposes: serde_json::Map<String, serde_json::Value> = PurposeId::ALL
        .into_iter()
        .map(|p| (p.as_str().to_owned(), p.label(language).into()))
        .collect();
    serde_json::json!({
        "settings": futures_executor::block_on(renderer.render()),
        "placeholder": t.placeholder,
        "placeholderButton": t.placeholder_button,
        "purposes": purposes,
        "loadFailed": t.load_failed,
        "loading": t.loading_view,
        "dismiss": t.dismiss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_layer_has_the_hooks_and_both_equal_buttons_in_each_language() {
        privacy_shared::site::install_repo_catalogue_for_tests();
        let site: SiteId = "virtio-nl".parse().unwrap();
        let dutch = first_layer(site, Language::Nl, false);
        for needle in [
            "data-vp=\"banner\"",
            "data-vp=\"accept-all\"",
            "data-vp=\"reject-all\"",
            "data-vp=\"open-preferences\"",
            "Alles accepteren",
            "Alles weigeren",
            "Virtio ICT B.V.",
        ] {
            assert!(dutch.contains(needle), "{needle} is missing from {dutch}");
        }
        assert!(first_layer(site, Language::En, false).contains("Reject all"));
        assert!(!dutch.contains("data-vp=\"gpc-honoured\""));
        assert!(first_layer(site, Language::Nl, true).contains("data-vp=\"gpc-honoured\""));
    }

    #[test]
    fn the_preferences_have_a_locked_necessary_toggle_and_every_other_one_off_in_each_language() {
        privacy_shared::site::install_repo_catalogue_for_tests();
        let site: SiteId = "virtio-nl".parse().unwrap();
        for (language, save) in [
            (Language::Nl, "Keuzes opslaan"),
            (Language::En, "Save choices"),
        ] {
            let view = preferences(site, language, DIALOG_CSS);
            for html in [&view.dialog, &view.inline] {
                assert!(html.contains(save), "{html}");
                assert!(html.contains("data-vp-slot=\"proof\""), "{html}");
                for purpose in site.site().purposes {
                    let toggle = format!("data-vp-toggle=\"{purpose}\"");
                    let at = html.find(&toggle).unwrap_or_else(|| panic!("{toggle}"));
                    let tag =
                        &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
                    assert_eq!(tag.contains("checked"), purpose.is_locked(), "{tag}");
                    assert_eq!(tag.contains("disabled"), purpose.is_locked(), "{tag}");
                }
            }
            assert!(view.dialog.contains("data-vp=\"preferences\""));
            assert!(view.dialog.contains("data-vp=\"open-policy\""));
            assert!(view.inline.contains("data-vp=\"inline-preferences\""));
            assert!(!view.inline.contains("data-vp=\"open-policy\""));
            assert!(view.css.contains(".vp-switch"));
        }
    }
}
