//! Component tests in headless Chromium: the widget's components rendered into the real DOM.
#![cfg(target_arch = "wasm32")]

use privacy_shared::cookie::ConsentCookie;
use privacy_shared::engine::{Action, Engine};
use privacy_shared::{ConsentChoices, PurposeId};
use privacy_shared::{Language, SiteId, SubjectId, consent::uniform_choices, policy};
use privacy_widget::components::banner::{Banner, BannerProps};
use privacy_widget::components::preferences::{Preferences, PreferencesProps};
use privacy_widget::layer::{Layer, SaveState};
use privacy_widget::store;
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
    privacy_shared::site::install_repo_catalogue_for_tests();
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
        onpreferences: Callback::noop(),
        onpolicy: Callback::noop(),
        gpc: false,
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
        onpreferences: Callback::noop(),
        onpolicy: Callback::noop(),
        gpc: false,
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
fn a_current_stored_choice_shows_the_settings_button_instead_of_the_banner() {
    let stored = ConsentCookie {
        subject: SubjectId::from_random_bytes([9; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at: (js_sys::Date::now() / 1000.0) as i64,
        choices: uniform_choices(site(), false),
    };
    start_engine(Some(stored));
    assert_eq!(store::read(Layer::of), Some(Layer::Settings));
    start_engine(None);
    assert_eq!(store::read(Layer::of), Some(Layer::Banner));
}

#[wasm_bindgen_test]
fn a_stale_stored_choice_asks_again() {
    let stale = ConsentCookie {
        subject: SubjectId::from_random_bytes([9; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at: 1_000,
        choices: uniform_choices(site(), true),
    };
    start_engine(Some(stale));
    assert_eq!(store::read(Layer::of), Some(Layer::Banner));
    assert_eq!(
        store::read(|e| e.current().cloned()),
        Some(None),
        "a stale choice is no choice"
    );
    assert_eq!(store::read(|e| e.allows(PurposeId::Analytics)), Some(false));
}

#[wasm_bindgen_test]
fn the_status_line_speaks_only_of_the_visitors_own_choices() {
    let failure = privacy_shared::api::ApiError::Network("offline".into());
    assert_eq!(SaveState::Idle.reported(Ok(())), SaveState::Idle);
    assert_eq!(
        SaveState::Idle.reported(Err(failure.clone())),
        SaveState::Idle
    );
    assert_eq!(SaveState::Saving.reported(Ok(())), SaveState::Saved);
    assert_eq!(
        SaveState::Saving.reported(Err(failure.clone())),
        SaveState::Failed(failure.clone())
    );
    assert_eq!(
        SaveState::Failed(failure).reported(Ok(())),
        SaveState::Saved
    );
    assert_eq!(
        SaveState::Saved.text(Language::En),
        "Your choice has been saved."
    );
    assert_eq!(SaveState::Idle.text(Language::Nl), "");
}

/// The page's engine, started from `stored` as the widget's `start` does.
fn start_engine(stored: Option<ConsentCookie>) {
    store::install(
        Engine::new(site(), Language::Nl, false),
        privacy_shared::api::ApiClient::new(String::new()),
    );
    store::dispatch(Action::Start { stored });
}

fn click(root: &Element, css: &str) {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no `{css}`"))
        .unchecked_into::<HtmlElement>()
        .click();
}

fn toggle(root: &Element, purpose: &str) -> web_sys::HtmlInputElement {
    root.query_selector(&format!("[data-vp-toggle={purpose}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no toggle for {purpose}"))
        .unchecked_into()
}

/// What a rendered dialog reported: its choices and how often it asked to close.
type Reports = (Rc<RefCell<Vec<ConsentChoices>>>, Rc<RefCell<u32>>);

fn render_preferences(stored: Option<ConsentCookie>) -> (Element, Reports) {
    let root = fresh_root();
    let decisions = Rc::new(RefCell::new(Vec::new()));
    let closes = Rc::new(RefCell::new(0));
    let (seen, closed) = (decisions.clone(), closes.clone());
    let props = PreferencesProps {
        site: site(),
        language: Language::En,
        consent: stored,
        ondecide: Callback::from(move |c| seen.borrow_mut().push(c)),
        onclose: Callback::from(move |()| *closed.borrow_mut() += 1),
        onpolicy: None,
        inline: false,
    };
    yew::Renderer::<Preferences>::with_root_and_props(root.clone(), props).render();
    (root, (decisions, closes))
}

#[wasm_bindgen_test]
async fn no_toggle_starts_on_and_necessary_is_shown_locked() {
    let (root, _) = render_preferences(None);
    yew::scheduler::flush().await;
    let dialog = root
        .query_selector("[data-vp=preferences]")
        .unwrap()
        .unwrap();
    assert_eq!(dialog.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    for purpose in site().site().purposes {
        let input = toggle(&root, purpose.as_str());
        assert_eq!(input.get_attribute("role").as_deref(), Some("switch"));
        if purpose.is_locked() {
            assert!(
                input.checked() && input.disabled(),
                "{purpose} is locked on"
            );
        } else {
            assert!(!input.checked(), "{purpose} starts off");
            let about = root
                .query_selector(&format!("#vp-about-{purpose}"))
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap();
            assert!(
                about.contains(purpose.description().en),
                "{purpose}: {about}"
            );
            assert!(about.contains("Processors:"), "{purpose}: {about}");
        }
    }
}

#[wasm_bindgen_test]
async fn saving_reports_exactly_the_switched_on_purposes_and_closing_reports_nothing() {
    let (root, (decisions, closes)) = render_preferences(None);
    yew::scheduler::flush().await;
    click(&root, "[data-vp-toggle=analytics]");
    yew::scheduler::flush().await;
    click(&root, "[data-vp=close]");
    assert_eq!((decisions.borrow().len(), *closes.borrow()), (0, 1));
    click(&root, "[data-vp=save]");
    let saved = decisions.borrow()[0].clone();
    assert_eq!(saved.get(&PurposeId::Analytics), Some(&true));
    assert_eq!(saved.get(&PurposeId::Advertising), Some(&false));
    assert_eq!(saved.get(&PurposeId::Necessary), Some(&true));
}

#[wasm_bindgen_test]
async fn a_stored_choice_sets_the_toggles_as_they_were() {
    let mut choices = uniform_choices(site(), false);
    choices.insert(PurposeId::Advertising, true);
    let stored = ConsentCookie {
        subject: SubjectId::from_random_bytes([9; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at: (js_sys::Date::now() / 1000.0) as i64,
        choices,
    };
    let (root, _) = render_preferences(Some(stored));
    yew::scheduler::flush().await;
    assert!(toggle(&root, "advertising").checked());
    assert!(!toggle(&root, "analytics").checked());
}

#[wasm_bindgen_test]
fn withdrawn_cookies_are_deleted_on_the_host_and_its_parent_domains_but_never_on_an_ip() {
    use privacy_widget::enforce::cookie_domains;
    assert_eq!(
        cookie_domains("www.virtio.nl"),
        ["", "www.virtio.nl", "virtio.nl"]
    );
    assert_eq!(
        cookie_domains("mijn.interface.virtio.nl"),
        [
            "",
            "mijn.interface.virtio.nl",
            "interface.virtio.nl",
            "virtio.nl"
        ]
    );
    assert_eq!(cookie_domains("127.0.0.1"), [""]);
    assert_eq!(cookie_domains("::1"), [""]);
    assert_eq!(cookie_domains("localhost"), [""]);
}
