//! The views bundle's modal dialog: the [`Dialog`] markup (`role="dialog"`, `aria-modal`, labelled
//! by its title), with focus moved in when it opens and kept in (Tab and Shift+Tab wrap); Escape
//! and the close button ask to close. The opener gets focus back from the app when it closes.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};
use yew::prelude::*;

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

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), \
     textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

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
pub fn Modal(props: &ModalProps) -> Html {
    let dialog = use_node_ref();

    // Focus moves into the dialog when it opens: to its first control after the close button,
    // else the close button.
    {
        let dialog = dialog.clone();
        use_effect_with((), move |()| {
            let items = dialog
                .cast::<Element>()
                .map(|d| focusable(&d))
                .unwrap_or_default();
            if let Some(first) = items.get(1).or(items.first()) {
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
    html! {
        <Dialog title={props.title.clone()} hook={props.hook.clone()} close_label={props.close_label.clone()}
            onclose={props.onclose.clone()} node={dialog} {onkeydown}>
            { props.children.clone() }
        </Dialog>
    }
}
