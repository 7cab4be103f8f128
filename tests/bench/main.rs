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
const wait = (ready) => new Promise((resolve) => { const poll = () => ready() ? resolve() : setTimeout(poll, 5); poll(); });
const mark = (name) => performance.getEntriesByName(name)[0];
(async () => {
  await wait(() => mark('first-contentful-paint') && (!withWidget || mark('vp-banner')));
  const fcp = mark('first-contentful-paint').startTime;
  const visible = withWidget ? mark('vp-banner').startTime : fcp;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const widget = performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/widget/') || e.name.includes('/api/'));
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

async fn measure(server: &TestServer, path: &str, with_widget: bool, runs: usize) -> Samples {
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
            .execute_async(MEASURE, vec![with_widget.into()])
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
    let server = TestServer::start().await;
    let plain = measure(&server, "/bench/plain.html", false, runs).await;
    let widget = measure(&server, "/", true, runs).await;

    let kb = |bytes: f64| format!("{:.1} KB", bytes / 1000.0);
    let ms = |value: f64| format!("{value:.0} ms");
    let mut report = String::new();
    let _ = writeln!(
        report,
        "# Benchmarks\n\n\
         Produced by `cargo xtask bench` ({runs} runs each, median; every run a fresh headless\n\
         Chromium profile, so nothing is cached) against the real server on this machine. Bytes\n\
         are encoded (brotli) bodies of the widget's files and API calls, as the browser\n\
         received them. The banner is the loader's first layer (HTML rendered at build time from\n\
         the banner component, with the stylesheet); \"before the banner\" counts everything that had\n\
         arrived by then, including the bundle's JavaScript glue that loads in parallel.\n\n\
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
    let _ = writeln!(
        report,
        "| demo page with the widget (`/`) | {} | {} | {} | {} | {} |",
        ms(median(&widget.fcp)),
        ms(median(&widget.visible)),
        kb(median(&widget.before)),
        kb(median(&widget.total)),
        ms(median(&widget.longest))
    );
    let _ = writeln!(
        report,
        "\nBudget (PRODUCT.md §7): the banner no later than the fastest open-source banner in the\n\
         same run (vanilla-cookieconsent 294 ms, Osano 259 ms as measured there), at most 13.5 KB\n\
         brotli before it is visible, no task over 50 ms."
    );
    std::fs::write(&output, &report).expect("writing the report");
    print!("{report}");
}
