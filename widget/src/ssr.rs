//! The first layer as HTML, rendered natively from the same [`Banner`] component the bundle
//! renders, so the loader can show it before the bundle has loaded. The server renders it at start
//! for every configured site and language into the loader (`server/src/loader.rs`).

use privacy_shared::{Language, SiteId};
use yew::ServerRenderer;

use crate::components::banner::{Banner, BannerProps};

/// The banner of `site` in `language`, as the bundle would render it.
pub fn first_layer(site: SiteId, language: Language) -> String {
    let renderer = ServerRenderer::<Banner>::with_props(move || BannerProps {
        site,
        language,
        ondecide: yew::Callback::noop(),
        onpreferences: yew::Callback::noop(),
        onpolicy: yew::Callback::noop(),
        gpc: false,
    })
    .hydratable(false);
    futures_executor::block_on(renderer.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_layer_has_the_hooks_and_both_equal_buttons_in_each_language() {
        privacy_shared::site::install_repo_catalogue_for_tests();
        let site: SiteId = "virtio-nl".parse().unwrap();
        let dutch = first_layer(site, Language::Nl);
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
        assert!(first_layer(site, Language::En).contains("Reject all"));
    }
}
