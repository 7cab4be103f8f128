//! The views bundle's modal dialog: the [`Dialog`] markup, with focus moved in when it opens and
//! kept in (Tab and Shift+Tab wrap, [`browser::keep_focus_in`]); Escape and the close button ask
//! to close. The opener gets focus back from the app when it closes.

use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

use crate::browser;
use crate::components::dialog::Dialog;

#[derive(Properties, PartialEq)]
pub struct ModalProps {
    pub title: AttrValue,
    /// The `data-vp` hook of the dialog element.
    pub hook: AttrValue,
    /// The close button's accessible name.
    pub close_label: AttrValue,
    pub onclose: Callback<()>,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn Modal(props: &ModalProps) -> Html {
    let dialog = use_node_ref();
    {
        let dialog = dialog.clone();
        use_effect_with((), move |()| {
            if let Some(dialog) = dialog.cast::<Element>() {
                browser::focus_first(&dialog);
            }
        });
    }
    let onkeydown = {
        let dialog = dialog.clone();
        let onclose = props.onclose.clone();
        Callback::from(move |event: KeyboardEvent| {
            if let Some(element) = dialog.cast::<Element>()
                && browser::dialog_key(&element, &event)
            {
                onclose.emit(());
            }
        })
    };
    html! {
        <Dialog title={props.title.clone()} hook={props.hook.clone()} close_label={props.close_label.clone()}
            onclose={props.onclose.clone()} node={dialog} {onkeydown}>
            { props.children.clone() }
        </Dialog>
    }
}
