//! Component tests in headless Chromium: the widget's components rendered into the real DOM.
#![cfg(target_arch = "wasm32")]

use privacy_shared::PurposeId;
use privacy_shared::cookie::ConsentCookie;
use privacy_shared::engine::{Action, Engine};
use privacy_shared::{Language, SiteId, SubjectId, consent::uniform_choices, policy};
use privacy_widget::components::banner::{Banner, BannerProps};
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

/// What the preferences show as the proof of the current choice: its date, and the receipt only
/// when it is of this very choice (this browser's subject, these choices); any other receipt
/// leaves the proof pending.
#[wasm_bindgen_test]
fn the_proof_names_only_the_receipt_of_the_current_choice() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.remove_item("vp_receipt").unwrap();
    let state = || -> serde_json::Value {
        serde_json::from_str(&privacy_widget::layer::preferences_state()).unwrap()
    };
    start_engine(None);
    assert_eq!(
        state(),
        serde_json::json!({ "choice": null, "choices": null, "proof": null })
    );

    let mut choices = uniform_choices(site(), false);
    choices.insert(PurposeId::Analytics, true);
    let stored = ConsentCookie {
        subject: SubjectId::from_random_bytes([7; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at: (js_sys::Date::now() / 1000.0) as i64,
        choices,
    };
    start_engine(Some(stored.clone()));
    let event = "01a22d2e-38c7-71d6-9220-806cbab4edce";
    let receipt = |subject: &SubjectId, choices: &privacy_shared::ConsentChoices| {
        let json = serde_json::json!({
            "event_id": event, "recorded_at": "2026-11-30T12:00:00Z", "subject": subject,
            "customer": null, "site": "virtio-nl", "kind": "custom", "source": "preferences",
            "choices": choices, "policy_version": policy::CURRENT_VERSION, "language": "nl",
            "notice_hash": "ab".repeat(32), "gpc": false, "withdrawn": [],
            "expires_at": "2027-11-30T12:00:00Z", "prev_hash": "00".repeat(32), "hash": "cd".repeat(32),
        });
        // What the server answers, as the outbox keeps it.
        serde_json::from_value::<privacy_shared::ConsentReceipt>(json.clone()).unwrap();
        json.to_string()
    };
    let stranger = SubjectId::from_random_bytes([8; 16]);
    for (subject, choices, proves) in [
        (&stored.subject, &stored.choices, true),
        (&stranger, &stored.choices, false),
        (&stored.subject, &uniform_choices(site(), true), false),
    ] {
        let kept = receipt(subject, choices);
        storage.set_item("vp_receipt", &kept).unwrap();
        let state = state();
        assert_eq!(state["choice"], serde_json::json!(stored.encode()));
        assert_eq!(state["choices"]["analytics"], true);
        let proof = &state["proof"];
        assert!(
            proof["given"]
                .as_str()
                .unwrap()
                .starts_with("Je huidige keuze is van"),
            "{proof}"
        );
        if proves {
            let line = proof["receipt"].as_str().unwrap();
            assert!(
                line.contains(event) && line.contains(&"ab".repeat(32)),
                "{line}"
            );
            assert_eq!(
                proof["file"],
                format!("virtio-privacy-receipt-{event}.json")
            );
            assert_eq!(proof["json"], kept);
        } else {
            assert!(proof["receipt"].is_null(), "{proof}");
            assert_eq!(proof["json"], "");
        }
        assert!(
            proof["pending"].as_str().unwrap().contains("nog niet"),
            "{proof}"
        );
    }
    storage.remove_item("vp_receipt").unwrap();
}

/// The page's engine, started from `stored` as the widget's `start` does.
fn start_engine(stored: Option<ConsentCookie>) {
    store::install(
        Engine::new(site(), Language::Nl, false),
        privacy_shared::api::ApiClient::new(String::new()),
    );
    store::dispatch(Action::Start { stored });
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
