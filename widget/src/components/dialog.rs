//! The markup of a modal dialog after the WAI-ARIA dialog pattern: `role="dialog"`, `aria-modal`,
//! labelled by its title, with a close button. It holds no behaviour, so it also renders natively
//! (the preferences, which the server renders for the loader's `preferences.js`); the views
//! bundle's [`Modal`] and `preferences.js` move and keep the focus in it.
//!
//! [`Modal`]: crate::components::modal::Modal

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DialogProps {
    pub title: AttrValue,
    /// The `data-vp` hook of the dialog element.
    pub hook: AttrValue,
    /// The close button's accessible name.
    pub close_label: AttrValue,
    #[prop_or_default]
    pub onclose: Callback<()>,
    /// The dialog element.
    #[prop_or_default]
    pub node: NodeRef,
    #[prop_or_default]
    pub onkeydown: Callback<KeyboardEvent>,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn Dialog(props: &DialogProps) -> Html {
    let title_id = format!("vp-{}-title", props.hook);
    let onclose = props.onclose.reform(|_: MouseEvent| ());
    html! {
        <div class="vp-backdrop">
            <div class="vp-dialog" role="dialog" aria-modal="true" aria-labelledby={title_id.clone()}
                data-vp={props.hook.clone()} ref={props.node.clone()} onkeydown={props.onkeydown.clone()}>
                <div class="vp-dialog-head">
                    <h2 id={title_id} class="vp-title">{ props.title.clone() }</h2>
                    <button type="button" class="vp-close" data-vp="close" aria-label={props.close_label.clone()}
                        onclick={onclose}>
                        <span aria-hidden="true">{ "×" }</span>
                    </button>
                </div>
                { props.children.clone() }
            </div>
        </div>
    }
}
