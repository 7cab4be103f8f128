//! The views bundle (`widget/views`): the rights center, fetched only when a page opens it or has
//! a mount point for it, so that the consent widget every page loads (`widget/main`, no UI
//! framework) does not carry it. Its dialog renders in the widget's shadow root beside the
//! loader's first layer (and the preferences and the policy, which the server renders and the
//! loader's `dialogs.js` shows). The customer's identity comes from the loader, which keeps the
//! token for both bundles.

use privacy_shared::{Language, SiteId};
use std::cell::RefCell;
use wasm_bindgen::JsError;
use yew::prelude::*;

use crate::components::modal::Modal;
use crate::components::rights_center::{RightsCenter, RightsCenterProps};
use crate::control::View;
use crate::i18n::{texts, view_texts};
use crate::{browser, enforce};

thread_local! {
    /// What the dialog is rendered with, from [`start`].
    static PROPS: RefCell<Option<ViewsProps>> = const { RefCell::new(None) };
}

/// Starts the views bundle on the page: renders the rights center into the page's mount points
/// (`data-virtio-privacy="rights"`), each in a shadow root of its own, and makes [`open`] work. The arguments are the main bundle's (`widget/main`). Nothing is
/// added to the page until a dialog opens.
pub fn start(
    site: &str,
    lang: &str,
    api_base: &str,
    definition: &str,
    host: enforce::Host,
) -> Result<(), JsError> {
    let site = crate::install_site(site, definition)?;
    let language = browser::language(lang);
    enforce::install_host(host);
    enforce::add_stylesheet(concat!(
        include_str!("../dialog.css"),
        include_str!("../views.css")
    ))
    .map_err(|_| JsError::new("the views' stylesheet could not be constructed"))?;
    for mount in browser::mount_points("rights") {
        let mount = browser::shadow_mount(&mount, site)?;
        let props = RightsCenterProps {
            api_base: api_base.into(),
            site,
            language,
        };
        yew::Renderer::<RightsCenter>::with_root_and_props(mount, props).render();
    }
    PROPS.with(|p| {
        *p.borrow_mut() = Some(ViewsProps {
            api_base: api_base.into(),
            site,
            language,
            initial: None,
        })
    });
    Ok(())
}

/// Opens `view` in a dialog, rendering the dialog's app the first time.
pub fn open(view: View) -> Result<(), JsError> {
    if crate::control::open(view) {
        return Ok(());
    }
    let Some(mut props) = PROPS.with(|p| p.borrow_mut().take()) else {
        return Err(JsError::new("the views bundle was not started"));
    };
    props.initial = Some(view);
    let mount = browser::views_mount(props.site)?;
    yew::Renderer::<Views>::with_root_and_props(mount, props).render();
    Ok(())
}

/// The customer's identity token, read again whenever the page gives a new one.
#[hook]
pub fn use_identity() -> Option<String> {
    let token = use_state(enforce::identity);
    {
        let token = token.clone();
        use_effect_with((), move |()| {
            let listener = web_sys::window().map(|window| {
                gloo_events::EventListener::new(&window, "virtio-privacy:identity", move |_| {
                    token.set(enforce::identity())
                })
            });
            move || drop(listener)
        });
    }
    (*token).clone()
}

#[derive(Properties, PartialEq)]
pub struct ViewsProps {
    pub api_base: String,
    pub site: SiteId,
    pub language: Language,
    /// The view the first [`open`] asked for.
    pub initial: Option<View>,
}

/// The views bundle's dialog: the rights center, or nothing.
#[component]
pub fn Views(props: &ViewsProps) -> Html {
    let open = use_state(|| props.initial);
    // The element that opened the dialog, to give focus back to.
    let opener = use_mut_ref(browser::deep_active_element);
    {
        let open = open.clone();
        let opener = opener.clone();
        use_effect_with((), move |()| {
            let connect = Callback::from(move |view: View| {
                if open.is_none() {
                    *opener.borrow_mut() = browser::deep_active_element();
                }
                open.set(Some(view));
            });
            crate::control::connect(connect);
        });
    }
    let close = {
        let open = open.clone();
        Callback::from(move |()| {
            open.set(None);
            browser::return_focus(opener.borrow_mut().take());
        })
    };
    let t = texts(props.language);
    let v = view_texts(props.language);
    let language = props.language;
    html! {
        <div lang={language.as_str()}>
            {
                match *open {
                    Some(View::Rights) => html! {
                        <Modal title={v.rights_center_title} hook="rights-dialog" close_label={t.close} onclose={close}>
                            <RightsCenter api_base={props.api_base.clone()} site={props.site} {language} />
                        </Modal>
                    },
                    None => html! {},
                }
            }
        </div>
    }
}
