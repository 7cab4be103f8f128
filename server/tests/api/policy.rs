use privacy_shared::policy::{self, CURRENT_VERSION};
use privacy_shared::problem::ProblemKind;
use privacy_shared::{ConsentKind, Language, PurposeId};

use crate::helpers::{consent_body, expect_problem, spawn_app};

#[tokio::test]
async fn the_site_config_lists_the_sites_purposes_in_the_language_asked() {
    let app = spawn_app().await;
    let config = app
        .api
        .site_config("virtio-nl".parse().unwrap(), Language::En)
        .await
        .unwrap();
    let ids: Vec<PurposeId> = config.purposes.iter().map(|p| p.id).collect();
    use PurposeId::*;
    assert_eq!(
        ids,
        [Necessary, Analytics, Advertising, Recaptcha, Feedback]
    );
    assert!(config.purposes[0].locked && config.purposes[1..].iter().all(|p| !p.locked));
    assert_eq!(config.purposes[1].label, "Statistics (Google Analytics)");
    assert!(config.purposes[1].cookies.contains(&"_ga".to_owned()));
    assert_eq!(config.policy_version, CURRENT_VERSION);
    assert_eq!(
        Some(config.notice_hash.as_str()),
        policy::notice_hash(CURRENT_VERSION, Language::En)
    );

    let interface = app
        .api
        .site_config("interface".parse().unwrap(), Language::Nl)
        .await
        .unwrap();
    assert!(
        interface
            .purposes
            .iter()
            .any(|p| p.id == CrashReports && p.label.starts_with("Crashgegevens"))
    );
}

#[tokio::test]
async fn unknown_sites_and_languages_are_problems() {
    let app = spawn_app().await;
    for endpoint in ["config", "preferences"] {
        let unknown = reqwest::get(format!("{}/api/v1/sites/evil/{endpoint}", app.address))
            .await
            .unwrap();
        assert_eq!(
            expect_problem(unknown, 404).await.kind(),
            Some(ProblemKind::NotFound),
            "{endpoint}"
        );
        let bad_lang = reqwest::get(format!(
            "{}/api/v1/sites/virtio-nl/{endpoint}?lang=de",
            app.address
        ))
        .await
        .unwrap();
        assert_eq!(
            expect_problem(bad_lang, 400).await.kind(),
            Some(ProblemKind::InvalidQuery),
            "{endpoint}"
        );
    }
}

/// The preferences the widget shows come from the server, rendered by the widget's component for
/// each configured site and language, compressed and cacheable, with their rules.
#[tokio::test]
async fn the_preferences_of_each_site_are_served_in_the_language_asked() {
    let app = spawn_app().await;
    for (site, language, words, purpose) in [
        ("virtio-nl", "en", "Save choices", "analytics"),
        ("virtio-nl", "nl", "Keuzes opslaan", "advertising"),
        ("interface", "nl", "Keuzes opslaan", "crash_reports"),
    ] {
        let url = format!(
            "{}/api/v1/sites/{site}/preferences?lang={language}",
            app.address
        );
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(
            response.headers()["cache-control"].to_str().unwrap(),
            "public, max-age=300"
        );
        let view: privacy_shared::wire::RenderedView = response.json().await.unwrap();
        for html in [&view.dialog, &view.inline] {
            assert!(html.contains(words), "{url}: {html}");
            assert!(
                html.contains(&format!("data-vp-toggle=\"{purpose}\"")),
                "{url}: {html}"
            );
            assert!(
                html.contains(&format!("lang=\"{language}\"")),
                "{url}: {html}"
            );
        }
        assert!(view.dialog.contains("role=\"dialog\""));
        assert!(view.css.contains(".vp-dialog"));
        // Compressed, as the loader is: brotli where the browser takes it.
        let compressed = app
            .http
            .get(&url)
            .header("Accept-Encoding", "gzip, deflate, br")
            .header("Origin", "https://www.virtio.nl")
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.headers()["content-encoding"], "br");
        let vary: Vec<_> = compressed.headers().get_all("vary").iter().collect();
        // A group site's call varies by its origin too, and keeps varying by the encoding.
        for by in ["Accept-Encoding", "Origin"] {
            assert!(vary.iter().any(|v| *v == by), "{by}: {vary:?}");
        }
        assert!(compressed.headers().contains_key("etag"));
    }
}

/// The policy viewer comes from the server too, rendered by the widget's component from the same
/// document `GET /api/v1/policy` gives: every section with its anchor, the version, the language
/// switch and the authority, in a dialog titled in the page's language and in the page;
/// compressed and cacheable; a bad `lang` is a problem.
#[tokio::test]
async fn the_policy_viewer_is_served_rendered_in_the_language_asked() {
    let app = spawn_app().await;
    for (language, title) in [
        (Language::Nl, "Privacyverklaring"),
        (Language::En, "Privacy statement"),
    ] {
        let document = app.api.policy(None, language).await.unwrap();
        let url = format!(
            "{}/api/v1/policy/view?lang={}",
            app.address,
            language.as_str()
        );
        let compressed = app
            .http
            .get(&url)
            .header("Accept-Encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.status(), 200, "{url}");
        assert_eq!(compressed.headers()["content-encoding"], "br");
        assert!(compressed.headers().contains_key("etag"));
        let response = reqwest::get(&url).await.unwrap();
        let view: privacy_shared::wire::RenderedView = response.json().await.unwrap();
        for html in [&view.dialog, &view.inline] {
            for section in &document.sections {
                let anchor = format!("id=\"vp-policy-{}\"", section.anchor);
                assert!(html.contains(&anchor), "{url}: {anchor}");
            }
            for hook in [
                "policy-version",
                "policy-toc",
                "policy-nl",
                "policy-en",
                "authority",
            ] {
                assert!(
                    html.contains(&format!("data-vp=\"{hook}\"")),
                    "{url}: {hook}"
                );
            }
            assert!(html.contains(&document.version), "{url}");
            assert!(
                html.contains(&format!("lang=\"{}\"", language.as_str())),
                "{url}"
            );
        }
        assert!(view.dialog.contains("data-vp=\"policy-dialog\""));
        assert!(view.dialog.contains(title), "{url}");
        assert!(view.css.contains(".vp-dialog") && view.css.contains(".vp-toc"));
    }
    let bad_lang = reqwest::get(format!("{}/api/v1/policy/view?lang=de", app.address))
        .await
        .unwrap();
    assert_eq!(
        expect_problem(bad_lang, 400).await.kind(),
        Some(ProblemKind::InvalidQuery)
    );
}

#[tokio::test]
async fn the_policy_is_served_with_its_notice_hash_as_etag_and_revalidates() {
    let app = spawn_app().await;
    let english = app.api.policy(None, Language::En).await.unwrap();
    assert_eq!(
        (english.version.as_str(), english.translation_of),
        (CURRENT_VERSION, Some(Language::Nl))
    );
    let url = format!(
        "{}/api/v1/policy?lang=nl&version={CURRENT_VERSION}",
        app.address
    );
    let response = reqwest::get(&url).await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        etag,
        format!(
            "\"{}\"",
            policy::notice_hash(CURRENT_VERSION, Language::Nl).unwrap()
        )
    );
    let again = reqwest::Client::new()
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let missing = reqwest::get(format!("{}/api/v1/policy?version=1999-01-01", app.address))
        .await
        .unwrap();
    expect_problem(missing, 404).await;
}

#[tokio::test]
async fn the_versions_list_names_each_languages_notice_hash() {
    let app = spawn_app().await;
    let versions = app.api.policy_versions().await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version, CURRENT_VERSION);
    for language in [Language::Nl, Language::En] {
        assert_eq!(
            versions[0].notice_hashes.get(&language).map(String::as_str),
            policy::notice_hash(CURRENT_VERSION, language)
        );
    }
}

#[tokio::test]
async fn a_consent_naming_another_notice_hash_is_refused() {
    let app = spawn_app().await;
    let mut body = serde_json::to_value(consent_body(ConsentKind::RejectAll)).unwrap();
    body["notice_hash"] = "0".repeat(64).into();
    let problem = expect_problem(app.post_consent_json(&body).await, 422).await;
    assert_eq!(problem.errors[0].field, "notice_hash");
    assert_eq!(app.count_events().await, 0);
}
