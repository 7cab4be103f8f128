//! Property tests: the cookie survives a round trip, and no parser or validator panics, whatever
//! the input.
#![cfg(not(target_arch = "wasm32"))]

use privacy_shared::cookie::ConsentCookie;
use privacy_shared::policy::PolicyDocument;
use privacy_shared::validate::{BoundedText, CustomerNumber, EmailAddress, VerificationCode};
use privacy_shared::{ConsentChoices, PurposeId, RecordConsent, SiteId, SubjectId};
use proptest::prelude::*;

fn choices() -> impl Strategy<Value = ConsentChoices> {
    proptest::collection::vec(proptest::option::of(any::<bool>()), PurposeId::ALL.len()).prop_map(
        |states| {
            PurposeId::ALL
                .into_iter()
                .zip(states)
                .filter_map(|(purpose, state)| {
                    let state = if purpose.is_locked() {
                        Some(true)
                    } else {
                        state
                    };
                    state.map(|on| (purpose, on))
                })
                .collect()
        },
    )
}

proptest! {
    #[test]
    fn a_cookie_survives_its_round_trip(
        bytes in any::<[u8; 16]>(),
        version in "[0-9A-Za-z-]{1,32}",
        given_at in any::<i64>(),
        choices in choices(),
    ) {
        let cookie = ConsentCookie { subject: SubjectId::from_random_bytes(bytes), policy_version: version, given_at, choices };
        prop_assert_eq!(ConsentCookie::parse(&cookie.encode()), Ok(cookie));
    }

    #[test]
    fn reading_any_cookie_value_never_panics(value in any::<String>()) {
        let _ = ConsentCookie::parse(&value);
        let _ = ConsentCookie::from_cookie_header(&value);
    }

    #[test]
    fn reading_cookie_like_values_never_panics(value in "1\\.[0-9a-f-]{0,40}\\.[0-9-]{0,12}\\.-?[0-9]{0,20}\\.[01x-]{0,10}") {
        let _ = ConsentCookie::parse(&value);
    }

    #[test]
    fn validators_never_panic(input in any::<String>()) {
        let _ = EmailAddress::parse(&input);
        let _ = CustomerNumber::parse(&input);
        let _ = VerificationCode::parse(&input);
        let _ = BoundedText::<16>::parse(&input);
        let _ = input.parse::<SubjectId>();
        let _ = input.parse::<SiteId>();
        let _ = input.parse::<PurposeId>();
        let _ = PolicyDocument::parse(&input);
        if let Ok(body) = serde_json::from_str::<RecordConsent>(&input) {
            let _ = body.validate();
        }
    }

    #[test]
    fn a_valid_email_address_parses_to_itself(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,6}") {
        if let Ok(address) = EmailAddress::parse(&format!("{local}@{domain}")) {
            prop_assert_eq!(EmailAddress::parse(address.as_ref()), Ok(address.clone()));
        }
    }

    #[test]
    fn bounded_text_is_never_longer_than_its_bound(input in any::<String>()) {
        if let Ok(text) = BoundedText::<16>::parse(&input) {
            prop_assert!(text.as_str().chars().count() <= 16);
            prop_assert!(!text.as_str().is_empty());
        }
    }
}
