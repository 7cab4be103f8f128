//! `cargo xtask bench`: how fast the widget's first layer appears and how many bytes it costs, in
//! headless Chromium against the real server, each run in a fresh browser profile (a first
//! visit, nothing cached). The results go to `BENCHMARKS.md` with the command that produced them.
//!
//! Usage: `widget-bench [RUNS] [OUTPUT]` (15 runs and `BENCHMARKS.md` by default).

#[allow(dead_code)]
#[path = "../e2e/helpers.rs"]
mod helpers;

use helpers::{Browser, TestServer, workspace_root};
use std::fmt::Write as _;

/// Measures one visit in the page: when the widget's banner (or, without the widget, the first
/// contentful paint) appeared, the widget's bytes before and after that moment, and the longest
/// task. Bytes are the encoded (brotli) bodies of the widget's files and API calls.
const MEASURE: &str = r#"
const done = arguments[arguments.length - 1];
const withWidget = arguments[0];
const ownFiles = arguments[1];
const wait = (ready) => new Promise((resolve) => { const poll = () => ready() ? resolve() : setTimeout(poll, 5); poll(); });
const mark = (name) => performance.getEntriesByName(name)[0];
(async () => {
  await wait(() => mark('first-contentful-paint') && (!withWidget || mark('vp-banner')));
  const fcp = mark('first-contentful-paint').startTime;
  const visible = withWidget ? mark('vp-banner').startTime : fcp;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const widget = performance.getEntriesByType('resource')
    .filter((e) => ownFiles.some((part) => e.name.includes(part)));
  const bytes = (list) => list.reduce((sum, e) => sum + e.encodedBodySize, 0);
  const longest = await new Promise((resolve) => {
    new PerformanceObserver((list) => resolve(Math.max(0, ...list.getEntries().map((e) => e.duration))))
      .observe({ type: 'longtask', buffered: true });
    setTimeout(() => resolve(0), 300);
  });
  done({ fcp, visible, before: bytes(widget.filter((e) => e.responseEnd <= visible)), total: bytes(widget),
         files: widget.length, longest });
})();
"#;

#[derive(Default)]
struct Samples {
    fcp: Vec<f64>,
    visible: Vec<f64>,
    before: Vec<f64>,
    total: Vec<f64>,
    longest: Vec<f64>,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The comparison page: the same demo page with vanilla-cookieconsent instead of the widget,
/// configured like the widget's first layer (Dutch, accept, reject and settings), and a script
/// that marks when its consent modal is in the page.
const VANILLA_PAGE: &str = r#"<!doctype html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Virtio — the demo page with vanilla-cookieconsent (benchmark comparison)</title>
  <link rel="stylesheet" href="/demo.css">
  <link rel="stylesheet" href="/bench/vanilla/cookieconsent.css">
  <script src="/bench/vanilla/mark.js"></script>
  <script src="/bench/vanilla/cookieconsent.umd.js" defer></script>
  <script src="/bench/vanilla/config.js" defer></script>
</head>
<body><main><h1>Snelle VPS-hosting uit Nederland</h1><p>Vergelijkingspagina.</p></main></body>
</html>"#;

const VANILLA_MARK: &str = "new MutationObserver((changes, observer) => {
  if (document.querySelector('#cc-main .cm')) { performance.mark('vp-banner'); observer.disconnect(); }
}).observe(document, { childList: true, subtree: true });";

const VANILLA_CONFIG: &str = "CookieConsent.run({
  hideFromBots: false,
  categories: { necessary: { enabled: true, readOnly: true }, analytics: {}, ads: {} },
  language: { default: 'nl', translations: { nl: {
    consentModal: { title: 'Jouw privacy', description: 'Virtio ICT B.V. vraagt je toestemming voor statistieken en advertenties.',
      acceptAllBtn: 'Alles accepteren', acceptNecessaryBtn: 'Alles weigeren', showPreferencesBtn: 'Instellingen' },
    preferencesModal: { title: 'Privacyvoorkeuren', acceptAllBtn: 'Alles accepteren', acceptNecessaryBtn: 'Alles weigeren',
      savePreferencesBtn: 'Keuzes opslaan', sections: [] } } } }
});";

/// A copy of `www/` with the comparison page and npm's vanilla-cookieconsent beside it.
fn pages_with_comparison(vanilla: &std::path::Path) -> tempfile::TempDir {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().map(Result::unwrap) {
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&workspace_root().join("www"), dir.path());
    let own = dir.path().join("bench/vanilla");
    std::fs::create_dir_all(&own).unwrap();
    for file in ["cookieconsent.umd.js", "cookieconsent.css"] {
        std::fs::copy(vanilla.join(file), own.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", vanilla.join(file).display()));
    }
    std::fs::write(own.join("mark.js"), VANILLA_MARK).unwrap();
    std::fs::write(own.join("config.js"), VANILLA_CONFIG).unwrap();
    std::fs::write(dir.path().join("bench/vanilla.html"), VANILLA_PAGE).unwrap();
    dir
}

async fn measure(
    server: &TestServer,
    path: &str,
    with_widget: bool,
    own_files: &[&str],
    runs: usize,
) -> Samples {
    let mut samples = Samples::default();
    for _ in 0..runs {
        let browser = Browser::start(1280, 900).await;
        browser
            .client
            .goto(&format!("{}{path}", server.address))
            .await
            .expect("the page loads");
        let result = browser
            .client
            .execute_async(
                MEASURE,
                vec![with_widget.into(), serde_json::json!(own_files)],
            )
            .await
            .expect("the measurement runs");
        let number = |key: &str| result[key].as_f64().unwrap_or(f64::NAN);
        samples.fcp.push(number("fcp"));
        samples.visible.push(number("visible"));
        samples.before.push(number("before"));
        samples.total.push(number("total"));
        samples.longest.push(number("longest"));
        browser.close().await;
    }
    samples
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(15);
    let output = args
        .next()
        .map_or_else(|| workspace_root().join("BENCHMARKS.md"), Into::into);
    let vanilla = std::env::var("VANILLA_COOKIECONSENT").ok();
    let pages = vanilla
        .as_deref()
        .map(|v| pages_with_comparison(v.as_ref()));
    let server = match &pages {
        Some(pages) => TestServer::start_serving(pages.path()).await,
        None => TestServer::start().await,
    };
    const WIDGET_FILES: &[&str] = &["/widget/", "/api/"];
    let plain = measure(&server, "/bench/plain.html", false, WIDGET_FILES, runs).await;
    let widget = measure(&server, "/", true, WIDGET_FILES, runs).await;
    let competitor = match pages {
        Some(_) => Some(
            measure(
                &server,
                "/bench/vanilla.html",
                true,
                &["/bench/vanilla/"],
                runs,
            )
            .await,
        ),
        None => None,
    };

    let kb = |bytes: f64| format!("{:.1} KB", bytes / 1000.0);
    let ms = |value: f64| format!("{value:.0} ms");
    let mut report = String::new();
    let _ = writeln!(
        report,
        "# Benchmarks\n\n\
         Produced by `cargo xtask bench` ({runs} runs each, median; every run a fresh headless\n\
         Chromium profile, so nothing is cached) against the real server on this machine. Bytes\n\
         are encoded (brotli) bodies of the widget's files and API calls, as the browser\n\
         received them. The banner is the loader's first layer (HTML the server renders at start\n\
         from the banner component, with the stylesheet); \"before the banner\" counts everything\n\
         that had arrived by then, including the bundle's JavaScript glue that loads in parallel.\n\
         vanilla-cookieconsent's files are served as npm ships them, not precompressed, so its\n\
         bytes here are uncompressed (PRODUCT.md gives 13.5 KB brotli).\n\n\
         ## Widget: time to banner and weight\n\n\
         | page | first contentful paint | banner visible | widget bytes before the banner | widget bytes in all | longest task |\n\
         |---|---|---|---|---|---|"
    );
    let _ = writeln!(
        report,
        "| demo page without the widget (`/bench/plain.html`) | {} | — | — | — | {} |",
        ms(median(&plain.fcp)),
        ms(median(&plain.longest))
    );
    let row = |page: &str, samples: &Samples| {
        format!(
            "| {page} | {} | {} | {} | {} | {} |\n",
            ms(median(&samples.fcp)),
            ms(median(&samples.visible)),
            kb(median(&samples.before)),
            kb(median(&samples.total)),
            ms(median(&samples.longest))
        )
    };
    report.push_str(&row("demo page with the widget (`/`)", &widget));
    match &competitor {
        Some(vanilla) => report.push_str(&row(
            "the same page with vanilla-cookieconsent 3.1.0 (npm)",
            vanilla,
        )),
        None => report.push_str(
            "\n(vanilla-cookieconsent not measured: run through `cargo xtask bench`, which installs it.)\n",
        ),
    }
    let _ = writeln!(
        report,
        "\nBudget (PRODUCT.md §7): the banner no later than the fastest open-source banner in the\n\
         same run (vanilla-cookieconsent 294 ms, Osano 259 ms as measured there), at most 13.5 KB\n\
         brotli before it is visible, no task over 50 ms."
    );
    std::fs::write(&output, &report).expect("writing the report");
    print!("{report}");
}
