//! Rules that must give the same answer in the browser (wasm32) and on the server (native): the
//! same test runs on both targets and compares with stored values.

use privacy_shared::consent::uniform_choices;
use privacy_shared::cookie::ConsentCookie;
use privacy_shared::{
    ConsentDecision, ConsentKind, ConsentSource, Language, RecordConsent, SubjectId, policy,
};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_cookie_encoding_is_the_same_on_every_target() {
    privacy_shared::site::install_repo_catalogue_for_tests();
    let cookie = ConsentCookie {
        subject: SubjectId::from_random_bytes([0x5a; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at: 1_732_579_200,
        choices: uniform_choices("interface".parse().unwrap(), false),
    };
    let value = cookie.encode();
    assert_eq!(
        value,
        "1.5a5a5a5a-5a5a-4a5a-9a5a-5a5a5a5a5a5a.2024-11-26.1732579200.10--0000"
    );
    assert_eq!(ConsentCookie::parse(&value), Ok(cookie));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_widget_and_the_server_validate_a_consent_body_alike() {
    privacy_shared::site::install_repo_catalogue_for_tests();
    let site = "virtio-nl".parse().unwrap();
    let body = RecordConsent {
        idempotency_key: uuid::Uuid::from_u128(42),
        subject: SubjectId::from_random_bytes([1; 16]),
        decision: ConsentDecision {
            choices: uniform_choices(site, false),
            ..ConsentDecision::uniform(
                site,
                ConsentKind::AcceptAll,
                ConsentSource::Banner,
                Language::Nl,
            )
        },
    };
    let codes: Vec<String> = body
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["kind_contradicts_choices"]);
    let json = serde_json::to_string(&body).unwrap();
    assert_eq!(
        json,
        r#"{"idempotency_key":"00000000-0000-0000-0000-00000000002a","subject":"01010101-0101-4101-8101-010101010101","site":"virtio-nl","kind":"accept_all","source":"banner","choices":{"necessary":true,"analytics":false,"advertising":false,"recaptcha":false,"feedback":false},"policy_version":"2024-11-26","language":"nl","notice_hash":"b39845d6a387e33a50f07b87c3dc8cfe2fd35ff4c7e43403b8ca4058cb837a1a","gpc":false}"#
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_notice_hash_is_the_same_on_every_target() {
    privacy_shared::site::install_repo_catalogue_for_tests();
    let hash = |language| {
        policy::document(policy::CURRENT_VERSION, language)
            .unwrap()
            .unwrap()
            .notice_hash()
    };
    assert_eq!(
        hash(Language::Nl),
        "b39845d6a387e33a50f07b87c3dc8cfe2fd35ff4c7e43403b8ca4058cb837a1a"
    );
    assert_eq!(
        hash(Language::En),
        "ec1ce0c7e87cc2527ab5ed7f6c7438798cbea2f53f34da426d2d9991484c3cda"
    );
}

/// A site id the server names is accepted in the browser, where the client knows only its own
/// site (a customer's requests from other group sites, the console's inbox); on the server a
/// request must name a configured site.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_site_the_server_names_reads_in_the_browser_and_an_unknown_one_is_refused_on_the_server() {
    let read = serde_json::from_str::<privacy_shared::SiteId>("\"test-other-group-site\"");
    if cfg!(target_arch = "wasm32") {
        assert_eq!(read.unwrap().as_str(), "test-other-group-site");
    } else {
        assert!(read.unwrap_err().to_string().contains("unknown site"));
    }
    assert!(serde_json::from_str::<privacy_shared::SiteId>("\"Not A Site\"").is_err());
}
