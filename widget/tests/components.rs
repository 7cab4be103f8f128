//! Component tests in headless Chromium: the widget's components rendered into the real DOM.
#![cfg(target_arch = "wasm32")]

use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{Language, SiteId, SubjectId, consent::uniform_choices, policy};
use privacy_widget::app::{App, AppProps};
use privacy_widget::components::banner::{Banner, BannerProps};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

fn site() -> SiteId {
    "virtio-nl".parse().unwrap()
}

fn text_of(root: &Element, css: &str) -> String {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no `{css}`"))
        .text_content()
        .unwrap()
        .trim()
        .into()
}

#[wasm_bindgen_test]
async fn the_banner_offers_equal_choices_and_lists_the_optional_purposes_of_the_site() {
    let root = fresh_root();
    let props = BannerProps {
        site: site(),
        language: Language::Nl,
        ondecide: Callback::noop(),
    };
    yew::Renderer::<Banner>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert_eq!(text_of(&root, "[data-vp=accept-all]"), "Alles accepteren");
    assert_eq!(text_of(&root, "[data-vp=reject-all]"), "Alles weigeren");
    let accept = root
        .query_selector("[data-vp=accept-all]")
        .unwrap()
        .unwrap();
    let reject = root
        .query_selector("[data-vp=reject-all]")
        .unwrap()
        .unwrap();
    assert_eq!(
        accept.class_name(),
        reject.class_name(),
        "both buttons share one style"
    );
    let purposes = root.query_selector_all(".vp-purposes li").unwrap();
    assert_eq!(
        purposes.length(),
        4,
        "virtio-nl shows four optional purposes"
    );
    assert!(text_of(&root, "[data-vp=banner]").contains("Virtio ICT B.V."));
    assert_eq!(
        root.query_selector_all("input:checked").unwrap().length(),
        0,
        "nothing is pre-ticked"
    );
}

#[wasm_bindgen_test]
async fn each_button_reports_its_own_decision() {
    let root = fresh_root();
    let decisions = Rc::new(RefCell::new(Vec::new()));
    let seen = decisions.clone();
    let props = BannerProps {
        site: site(),
        language: Language::En,
        ondecide: Callback::from(move |granted| seen.borrow_mut().push(granted)),
    };
    yew::Renderer::<Banner>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(text_of(&root, "[data-vp=accept-all]"), "Accept all");
    for hook in ["reject-all", "accept-all"] {
        let button: HtmlElement = root
            .query_selector(&format!("[data-vp={hook}]"))
            .unwrap()
            .unwrap()
            .unchecked_into();
        button.click();
    }
    assert_eq!(*decisions.borrow(), [false, true]);
}

#[wasm_bindgen_test]
async fn a_current_stored_choice_shows_the_settings_button_instead_of_the_banner() {
    let root = fresh_root();
    let stored = ConsentCookie {
        subject: SubjectId::from_random_bytes([9; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at: (js_sys::Date::now() / 1000.0) as i64,
        choices: uniform_choices(site(), false),
    };
    let props = AppProps {
        site: site(),
        language: Language::Nl,
        api_base: String::new(),
        initial: Some(stored),
    };
    yew::Renderer::<App>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(root.query_selector("[data-vp=banner]").unwrap().is_none());
    assert_eq!(text_of(&root, "[data-vp=settings]"), "Cookie-instellingen");

    let button: HtmlElement = root
        .query_selector("[data-vp=settings]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    button.click();
    yew::scheduler::flush().await;
    assert!(
        root.query_selector("[data-vp=banner]").unwrap().is_some(),
        "the settings button reopens the choice"
    );
}

#[wasm_bindgen_test]
async fn a_stale_stored_choice_asks_again() {
    let root = fresh_root();
    let stale = ConsentCookie {
        subject: SubjectId::from_random_bytes([9; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at: 1_000,
        choices: uniform_choices(site(), true),
    };
    let props = AppProps {
        site: site(),
        language: Language::Nl,
        api_base: String::new(),
        initial: Some(stale),
    };
    yew::Renderer::<App>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(root.query_selector("[data-vp=banner]").unwrap().is_some());
}
