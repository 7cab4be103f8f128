//! The persistent button that reopens the choice at any time.

use privacy_shared::Language;
use yew::prelude::*;

use crate::i18n::texts;

#[derive(Properties, PartialEq)]
pub struct SettingsButtonProps {
    pub language: Language,
    pub onopen: Callback<()>,
}

#[component]
pub fn SettingsButton(props: &SettingsButtonProps) -> Html {
    let onclick = props.onopen.reform(|_: MouseEvent| ());
    html! {
        <button type="button" class="vp-settings" data-vp="settings" {onclick}>
            { texts(props.language).settings_link }
        </button>
    }
}
