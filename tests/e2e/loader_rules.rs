//! The loader applies a stored choice without the bundle (Consent Mode, held-back tags,
//! `consent()`, `has()`), and decides whether to show the first layer; it runs
//! `privacy_shared::engine::start_js`, generated from the Rust rules. Here a table of cookies
//! (written by hand at the edges, and mutated at random around them) goes through that JavaScript
//! in Chromium and through the engine's own start (`Engine::step` with `Action::Start`), and both
//! must answer alike on every site: the choice, what may run, every Consent Mode signal, the
//! expiry.

use privacy_shared::cookie::{ConsentCookie, MAX_AGE_SECONDS};
use privacy_shared::engine::{self, Action, Effect, Engine, Fresh};
use privacy_shared::{Language, PurposeId, SiteId, SubjectId, consent::uniform_choices, policy};

use crate::helpers::{Browser, TestServer};

/// The group's sites, as `config/sites.toml` declares them.
fn catalogue() -> Vec<SiteId> {
    privacy_shared::site::install_repo_catalogue_for_tests()
}

const NOW: i64 = 1_790_000_000;

/// What the engine does on start with the cookie in `header`, in the shape `start_js` answers.
fn rust_answer(header: &str, site: SiteId) -> serde_json::Value {
    let stored = ConsentCookie::from_cookie_header(header).and_then(Result::ok);
    let mut engine = Engine::new(site, Language::Nl, false);
    let fresh = Fresh {
        subject: SubjectId::from_random_bytes([1; 16]),
        key: uuid::Uuid::from_u128(1),
        expiry_key: uuid::Uuid::from_u128(2),
    };
    let effects = engine.step(Action::Start { stored }, NOW, fresh);
    let Some(Effect::ConsentModeDefault { state, .. }) = effects.first() else {
        panic!("the engine starts with Consent Mode's default: {effects:?}");
    };
    let current = engine.current();
    let released = effects.iter().find_map(|e| match e {
        Effect::Release(purposes) => Some(purposes.clone()),
        _ => None,
    });
    // What `has()` says: the released purposes with a choice, the locked ones without.
    let granted: Vec<PurposeId> = PurposeId::ALL
        .into_iter()
        .filter(|&p| engine.allows(p))
        .collect();
    assert_eq!(
        released.is_some(),
        current.is_some(),
        "a current choice is released at start"
    );
    if let Some(released) = released {
        assert_eq!(released, granted);
    }
    serde_json::json!({
        "choices": current.map(|c| serde_json::to_value(&c.choices).unwrap()),
        "granted": granted,
        "consentMode": state,
        "expiresAt": current.map(|c| c.given_at + MAX_AGE_SECONDS),
    })
}

fn value(site: &str, granted: bool, given_at: i64) -> String {
    ConsentCookie {
        subject: SubjectId::from_random_bytes([0x5c; 16]),
        policy_version: policy::CURRENT_VERSION.into(),
        given_at,
        choices: uniform_choices(site.parse().unwrap(), granted),
    }
    .encode()
}

/// Cookie headers at the edges of every rule.
fn edges() -> Vec<String> {
    let good = value("virtio-nl", true, NOW - 10);
    let subject = "5c5c5c5c-5c5c-4c5c-9c5c-5c5c5c5c5c5c";
    vec![
        format!("vp_consent={good}"),
        format!("theme=dark; vp_consent={good}; other=1"),
        format!(
            "vp_consent={}",
            value("virtio-nl", false, NOW - MAX_AGE_SECONDS + 1)
        ),
        format!(
            "vp_consent={}",
            value("virtio-nl", false, NOW - MAX_AGE_SECONDS)
        ),
        format!("vp_consent={}", value("virtio-nl", false, NOW + 300)),
        format!("vp_consent={}", value("virtio-nl", false, NOW + 301)),
        format!("vp_consent={}", value("virtio-status", true, NOW)),
        format!(
            "vp_consent={}",
            good.replace(policy::CURRENT_VERSION, "2023-01-01")
        ),
        format!("vp_consent={}", good.replace(".11111---", ".01111---")),
        // Mixed choices, and states for purposes a site does not show.
        format!("vp_consent={}", good.replace(".11111---", ".10100---")),
        format!("vp_consent={}", good.replace(".11111---", ".10011---")),
        format!("vp_consent={}", good.replace(".11111---", ".11111101")),
        format!("vp_consent={}", good.replace(".11111---", ".10000111")),
        format!("vp_consent={}", good.replace(".11111---", ".1111----")),
        format!("vp_consent={}", good.replace(".11111---", ".11111--")),
        format!("vp_consent={}", good.replace(".11111---", ".1x111---")),
        format!(
            "vp_consent={}",
            good.replace(subject, &subject.to_uppercase())
        ),
        format!(
            "vp_consent={}",
            good.replace(subject, &subject.replace('-', ""))
        ),
        format!("vp_consent={}", good.replace("-4c5c-", "-1c5c-")),
        format!("vp_consent={}", good.replacen("1.", "2.", 1)),
        format!("vp_consent= {good} "),
        format!(
            "vp_consent={}",
            good.replace(&format!(".{}.", NOW - 10), &format!(".+{}.", NOW - 10))
        ),
        format!(
            "vp_consent={}",
            good.replace(&format!(".{}.", NOW - 10), &format!(".{}.5.", NOW - 10))
        ),
        format!(
            "vp_consent={}",
            good.replace(&format!(".{}.", NOW - 10), ".99999999999999999999.")
        ),
        format!(
            "vp_consent={}",
            good.replace(&format!(".{}.", NOW - 10), ".-9223372036854775808.")
        ),
        format!(
            "vp_consent={}; vp_consent={good}",
            value("virtio-nl", true, 5)
        ),
        format!(
            "vp_consent={good}; vp_consent={}",
            value("virtio-nl", true, 5)
        ),
        format!("vp_consent_old={good}"),
        "vp_consent=".to_owned(),
        "vp_consent".to_owned(),
        String::new(),
    ]
}

/// Random edits of valid cookies: a character replaced, dropped or doubled (a fixed seed, so a
/// failure is reproducible).
fn mutations(count: usize) -> Vec<String> {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    let alphabet: Vec<char> = "0123456789abcdefABCDEF.-+ =;x".chars().collect();
    (0..count)
        .map(|i| {
            let sites = catalogue();
            let site = sites[i % sites.len()].as_str();
            let mut chars: Vec<char> = value(site, i % 2 == 0, NOW - (i as i64) * 97_000)
                .chars()
                .collect();
            let at = next(chars.len());
            match next(3) {
                0 => chars[at] = alphabet[next(alphabet.len())],
                1 => {
                    chars.remove(at);
                }
                _ => chars.insert(at, chars[at]),
            }
            format!("vp_consent={}", chars.into_iter().collect::<String>())
        })
        .collect()
}

#[tokio::test]
async fn the_loader_and_the_engine_start_alike_on_every_stored_choice() {
    let sites: Vec<_> = catalogue().into_iter().map(SiteId::site).collect();
    let generated = engine::start_js(&sites);
    // The server renders the rule into the loader for the sites it is configured with.
    let server = TestServer::start().await;
    let loader = reqwest::get(format!("{}/widget/v1/loader.js", server.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!loader.contains("__VP_"), "every placeholder is filled");
    let rule = generated
        .split_once("const shown = ")
        .map(|(head, _)| head)
        .unwrap();
    assert!(
        loader.contains(rule),
        "the served loader carries the generated rule"
    );
    for site in &sites {
        assert!(loader.contains(&format!("{:?}:[", site.id)), "{}", site.id);
        // Per site, the versions whose choices still answer (the server may serve more sites
        // than the catalogue: other tests in this process install theirs).
        let versions = format!(
            "{:?}:{:?}",
            site.id,
            policy::answering_versions(site.purposes)
        );
        assert!(
            generated.contains(&versions) && loader.contains(&versions),
            "the loader carries {versions}"
        );
    }

    let mut headers = edges();
    headers.extend(mutations(400));
    let mut cases = Vec::new();
    for header in &headers {
        for site in &sites {
            cases.push((header.clone(), site.id));
        }
    }
    let browser = Browser::start(800, 600).await;
    browser.client.goto("about:blank").await.unwrap();
    let script = format!(
        "const start = {generated}; return arguments[0].map(([h, s]) => start(h, s, {NOW}));"
    );
    let input = serde_json::to_value(&cases).unwrap();
    let answers = browser.client.execute(&script, vec![input]).await.unwrap();
    browser.close().await;
    let answers: Vec<serde_json::Value> = serde_json::from_value(answers).unwrap();
    assert_eq!(answers.len(), cases.len());
    let mut current = 0;
    for ((header, site), js) in cases.iter().zip(answers) {
        let rust = rust_answer(header, site.parse().unwrap());
        assert_eq!(js, rust, "`{header}` on {site}: loader {js}, engine {rust}");
        current += usize::from(!rust["choices"].is_null());
    }
    assert!(
        current >= 10,
        "the table holds current choices too ({current})"
    );
}
