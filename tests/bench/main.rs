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
/// contentful paint; on a returning visit, the moment the page heard `virtio-privacy:ready`, the
/// stored choice applied) appeared, the widget's bytes before and after that moment, and the
/// longest task. Bytes are the encoded (brotli) bodies of the widget's files and API calls.
const MEASURE: &str = r#"
const done = arguments[arguments.length - 1];
const mode = arguments[0];
const ownFiles = arguments[1];
// Polls `ready` for at most 10 s; a banner that never shows is reported as not shown.
const wait = (ready) => new Promise((resolve) => {
  const until = performance.now() + 10000;
  const poll = () => ready() || performance.now() > until ? resolve() : setTimeout(poll, 5);
  poll();
});
const mark = (name) => performance.getEntriesByName(name)[0];
(async () => {
  // The moment a visit is timed to, marked by the page's first script (this one runs only once the
  // page has loaded): the banner visible, the page hearing `virtio-privacy:ready`, else the paint.
  const moment = { banner: 'bench-banner-visible', returning: 'bench-choice-applied' }[mode]
    ?? 'first-contentful-paint';
  await wait(() => mark('first-contentful-paint') && mark(moment));
  const fcp = mark('first-contentful-paint')?.startTime ?? null;
  const visible = mark(moment)?.startTime ?? null;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const widget = performance.getEntriesByType('resource')
    .filter((e) => ownFiles.some((part) => e.name.includes(part)));
  const bytes = (list) => list.reduce((sum, e) => sum + e.encodedBodySize, 0);
  // Layout shifts without a recent input, summed (CLS as the page has it so far).
  const cls = await new Promise((resolve) => {
    new PerformanceObserver((list) => resolve(list.getEntries().filter((e) => !e.hadRecentInput)
      .reduce((sum, e) => sum + e.value, 0))).observe({ type: 'layout-shift', buffered: true });
    setTimeout(() => resolve(0), 300);
  });
  const longest = await new Promise((resolve) => {
    new PerformanceObserver((list) => resolve(Math.max(0, ...list.getEntries().map((e) => e.duration))))
      .observe({ type: 'longtask', buffered: true });
    setTimeout(() => resolve(0), 300);
  });
  done({ fcp, visible, before: bytes(widget.filter((e) => e.responseEnd <= visible)), total: bytes(widget),
         files: widget.length, longest, cls, wasm: widget.some((e) => e.name.endsWith('.wasm')) });
})();
"#;

/// What a visit is measured for.
#[derive(Clone, Copy, PartialEq)]
enum Visit {
    /// The page without any widget: its first contentful paint.
    Plain,
    /// A first visit: until the banner is visible.
    Banner,
    /// A returning visit with a current choice (all accepted, stored a minute ago): until the
    /// choice is applied (`VirtioPrivacy.ready`).
    Returning,
}

impl Visit {
    fn mode(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Banner => "banner",
            Self::Returning => "returning",
        }
    }
}

#[derive(Default)]
struct Samples {
    fcp: Vec<f64>,
    visible: Vec<f64>,
    before: Vec<f64>,
    total: Vec<f64>,
    longest: Vec<f64>,
    cls: Vec<f64>,
    /// The longest Event Timing entry of the click on "accept all" (0 when none reached 16 ms).
    inp: Vec<f64>,
    /// Every widget byte of a first visit once the visitor, after "accept all", opened the
    /// preferences.
    preferences: Vec<f64>,
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

/// The demo page itself (`www/index.html`) with `replacement(tag)` in the place of its line with
/// the widget's one tag.
fn demo_page_with(replacement: impl FnOnce(&str) -> String) -> String {
    let demo = std::fs::read_to_string(workspace_root().join("www/index.html")).unwrap();
    let tag = demo
        .lines()
        .find(|line| line.contains("/widget/v1/loader.js"))
        .expect("the demo page embeds the widget");
    demo.replace(tag, &replacement(tag))
}

/// The widget's first layer in its shadow root, for [`visibility_mark`].
const WIDGET_BANNER: &str =
    "document.getElementById('virtio-privacy')?.shadowRoot?.querySelector('[data-vp=banner]')";

/// The script every banner page runs first (`/bench/marks/<name>.js`), one detector for every
/// banner: it marks `bench-banner-visible` in the first animation frame in which `banner` (a
/// JavaScript expression for the element, null while there is none) is visible, that is laid out
/// with a size, inside the viewport, not hidden (`display`, `visibility`) and not transparent (the
/// opacity of it and of every ancestor, across shadow roots, above 0). A banner put in the page
/// hidden, to be faded in later, is not visible until it is.
fn visibility_mark(banner: &str) -> String {
    format!(
        r#"(() => {{
  const visible = (element) => {{
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.bottom <= 0 || box.right <= 0
        || box.top >= innerHeight || box.left >= innerWidth) return false;
    if (getComputedStyle(element).visibility !== 'visible') return false;
    for (let node = element; node; node = node.parentElement || node.getRootNode().host) {{
      const style = getComputedStyle(node);
      if (style.display === 'none' || Number(style.opacity) === 0) return false;
    }}
    return true;
  }};
  const frame = () => {{
    const element = {banner};
    if (element && visible(element)) performance.mark('bench-banner-visible');
    else requestAnimationFrame(frame);
  }};
  requestAnimationFrame(frame);
}})();
"#
    )
}

/// The page's tag for the detector of `name` (see [`visibility_mark`]).
fn mark_tag(name: &str) -> String {
    format!("  <script src=\"/bench/marks/{name}.js\"></script>\n")
}

/// An open-source consent banner the widget is measured against, on the demo page in the
/// widget's place, configured like the widget's first layer (Dutch; accept, reject, settings) for
/// the same purposes.
struct Competitor {
    /// As the report names it.
    name: &'static str,
    /// The npm package, in the folder `cargo xtask bench` installs them into.
    package: &'static str,
    /// The package's files the page loads, copied to `/bench/<package>/`.
    files: &'static [&'static str],
    /// What takes the widget's tag on the demo page (after the [`visibility_mark`] script).
    tags: &'static str,
    /// A JavaScript expression for the banner's element, or null while there is none.
    banner: &'static str,
    /// `config.js`: the banner's settings.
    config: &'static str,
    /// The banner's "accept all" button.
    accept: &'static str,
}

const COMPETITORS: [Competitor; 3] = [
    Competitor {
        name: "vanilla-cookieconsent 3.1.0",
        package: "vanilla-cookieconsent",
        files: &["dist/cookieconsent.umd.js", "dist/cookieconsent.css"],
        tags: r#"  <link rel="stylesheet" href="/bench/vanilla-cookieconsent/cookieconsent.css">
  <script src="/bench/vanilla-cookieconsent/cookieconsent.umd.js" defer></script>
  <script src="/bench/vanilla-cookieconsent/config.js" defer></script>"#,
        banner: "document.querySelector('#cc-main .cm')",
        config: "CookieConsent.run({
  hideFromBots: false,
  categories: { necessary: { enabled: true, readOnly: true }, analytics: {}, ads: {} },
  language: { default: 'nl', translations: { nl: {
    consentModal: { title: 'Jouw privacy', description: 'Virtio ICT B.V. vraagt je toestemming voor statistieken en advertenties.',
      acceptAllBtn: 'Alles accepteren', acceptNecessaryBtn: 'Alles weigeren', showPreferencesBtn: 'Instellingen' },
    preferencesModal: { title: 'Privacyvoorkeuren', acceptAllBtn: 'Alles accepteren', acceptNecessaryBtn: 'Alles weigeren',
      savePreferencesBtn: 'Keuzes opslaan', sections: [] } } } }
});",
        accept: "#cc-main button[data-role=all]",
    },
    Competitor {
        name: "Klaro 0.7.22",
        package: "klaro",
        files: &["dist/klaro-no-css.js", "dist/klaro.min.css"],
        tags: r#"  <link rel="stylesheet" href="/bench/klaro/klaro.min.css">
  <script src="/bench/klaro/config.js" defer></script>
  <script src="/bench/klaro/klaro-no-css.js" defer></script>"#,
        banner: "document.querySelector('.klaro .cookie-notice')",
        config: "window.klaroConfig = {
  lang: 'nl', acceptAll: true, mustConsent: false, noticeAsModal: false,
  services: [
    { name: 'analytics', title: 'Statistieken (Google Analytics)', purposes: ['analytics'] },
    { name: 'ads', title: 'Gepersonaliseerde advertenties', purposes: ['marketing'] },
  ],
};",
        accept: ".klaro .cookie-notice .cm-btn-success",
    },
    Competitor {
        name: "tarteaucitron 1.34.0",
        package: "tarteaucitronjs",
        files: &[
            "tarteaucitron.js",
            "tarteaucitron.services.js",
            "lang/tarteaucitron.nl.js",
            "css/tarteaucitron.css",
        ],
        tags: r#"  <script src="/bench/tarteaucitronjs/tarteaucitron.js" defer></script>
  <script src="/bench/tarteaucitronjs/config.js" defer></script>"#,
        banner: "document.getElementById('tarteaucitronAlertBig')",
        config: "tarteaucitron.init({ hashtag: '#tarteaucitron', cookieName: 'tarteaucitron', orientation: 'bottom',
  showAlertSmall: false, cookieslist: false, highPrivacy: true, AcceptAllCta: true, DenyAllCta: true,
  handleBrowserDNTRequest: false, removeCredit: true, moreInfoLink: false, useExternalCss: false, mandatory: true });
(tarteaucitron.job = tarteaucitron.job || []).push('gtag');",
        accept: "#tarteaucitronPersonalize2",
    },
];

/// A copy of `www/` with the benchmark's pages: the demo page without any widget (the baseline)
/// and, given the folder of npm packages, a page for each of the [`COMPETITORS`].
fn bench_pages(npm: Option<&std::path::Path>) -> tempfile::TempDir {
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
    std::fs::write(
        dir.path().join("bench/none.html"),
        demo_page_with(|_| String::new()),
    )
    .unwrap();
    let marks = dir.path().join("bench/marks");
    std::fs::create_dir_all(&marks).unwrap();
    // The widget's page also marks the moment its choice is applied (a returning visit's time).
    std::fs::write(
        marks.join("widget.js"),
        visibility_mark(WIDGET_BANNER)
            + "addEventListener('virtio-privacy:ready', () => performance.mark('bench-choice-applied'), { once: true });\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bench/widget.html"),
        demo_page_with(|tag| mark_tag("widget") + tag),
    )
    .unwrap();
    for competitor in COMPETITORS.iter().filter(|_| npm.is_some()) {
        let package = npm.unwrap().join(competitor.package);
        let own = dir.path().join("bench").join(competitor.package);
        for file in competitor.files {
            // Kept at their place in the package (tarteaucitron loads its parts from beside
            // itself), except `dist/`, which is left out.
            let target = own.join(file.strip_prefix("dist/").unwrap_or(file));
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(package.join(file), &target)
                .unwrap_or_else(|e| panic!("{}: {e}", package.join(file).display()));
        }
        std::fs::write(
            marks.join(format!("{}.js", competitor.package)),
            visibility_mark(competitor.banner),
        )
        .unwrap();
        std::fs::write(own.join("config.js"), competitor.config).unwrap();
        std::fs::write(
            dir.path()
                .join(format!("bench/{}.html", competitor.package)),
            demo_page_with(|_| mark_tag(competitor.package) + competitor.tags),
        )
        .unwrap();
    }
    dir
}

/// Starts recording Event Timing entries of 16 ms and more, before a click.
const WATCH_EVENTS: &str = "window.vpEventTimings = [];
    new PerformanceObserver((list) => window.vpEventTimings.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'event', durationThreshold: 16 });";

/// The longest recorded Event Timing entry once the click's next paint is over (0 when none
/// reached 16 ms).
const LONGEST_EVENT: &str = "const done = arguments[arguments.length - 1];
    requestAnimationFrame(() => setTimeout(() => done(Math.max(0, ...window.vpEventTimings)), 300));";

/// How the "accept all" button of a banner is clicked, for its interaction's latency (INP).
#[derive(Clone, Copy)]
enum Accept {
    /// Not clicked.
    None,
    /// `[data-vp=accept-all]` in the widget's shadow root.
    Widget,
    /// A button in the page, by CSS selector.
    Page(&'static str),
}

/// Measures one visit of `path` (in a fresh browser profile) into `samples`.
async fn measure(
    samples: &mut Samples,
    server: &TestServer,
    path: &str,
    visit: Visit,
    accept: Accept,
    own_files: &[&str],
) {
    let browser = Browser::start(1280, 900).await;
    if visit == Visit::Returning {
        // The stored choice, set on the host page's origin through a page without the widget,
        // so nothing of the widget is in the cache.
        browser
            .client
            .goto(&server.page("/bench/plain.html"))
            .await
            .expect("the plain page loads");
        browser
            .client
            .execute(
                "document.cookie = 'vp_consent=' + arguments[0] + '; Path=/; Max-Age=31536000; SameSite=Lax';",
                vec![stored_choice().into()],
            )
            .await
            .expect("the cookie is set");
    }
    browser
        .client
        .goto(&server.page(path))
        .await
        .expect("the page loads");
    let result = browser
        .client
        .execute_async(
            MEASURE,
            vec![visit.mode().into(), serde_json::json!(own_files)],
        )
        .await
        .expect("the measurement runs");
    let number = |key: &str| result[key].as_f64().unwrap_or(f64::NAN);
    assert!(
        visit != Visit::Returning || result["wasm"] == false,
        "a returning visit fetched the WebAssembly: {result}"
    );
    samples.fcp.push(number("fcp"));
    samples.visible.push(number("visible"));
    samples.before.push(number("before"));
    samples.total.push(number("total"));
    samples.longest.push(number("longest"));
    samples.cls.push(number("cls"));
    // The click on "accept all", once the banner showed.
    let clicked = match accept {
        _ if !number("visible").is_finite() => false,
        Accept::None => false,
        Accept::Widget => {
            browser.run(WATCH_EVENTS).await;
            browser.click("[data-vp=accept-all]").await;
            true
        }
        Accept::Page(css) => {
            browser.run(WATCH_EVENTS).await;
            browser
                .client
                .find(fantoccini::Locator::Css(css))
                .await
                .expect("the banner's accept button")
                .click()
                .await
                .expect("the click");
            true
        }
    };
    if clicked {
        let longest = browser
            .client
            .execute_async(LONGEST_EVENT, vec![])
            .await
            .expect("the event timings");
        samples.inp.push(longest.as_f64().unwrap_or(f64::NAN));
    }
    if clicked && matches!(accept, Accept::Widget) {
        // Then the visitor reopens the choice: the widget's bytes once the preferences show.
        browser.click("[data-vp=settings]").await;
        browser.widget_element("[data-vp=preferences]").await;
        let bytes = browser
            .client
            .execute(
                "return performance.getEntriesByType('resource')
                    .filter((e) => arguments[0].some((part) => e.name.includes(part)))
                    .reduce((sum, e) => sum + e.encodedBodySize, 0);",
                vec![serde_json::json!(own_files)],
            )
            .await
            .expect("the widget's bytes");
        samples.preferences.push(bytes.as_f64().unwrap_or(f64::NAN));
    }
    browser.close().await;
}

/// A current `vp_consent` value for the demo site with every purpose accepted, made a minute ago.
fn stored_choice() -> String {
    let site: privacy_shared::SiteId = "virtio-nl".parse().expect("the demo site");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64;
    privacy_shared::cookie::ConsentCookie {
        subject: privacy_shared::SubjectId::from_random_bytes([0x42; 16]),
        policy_version: privacy_shared::policy::CURRENT_VERSION.into(),
        given_at: now - 60,
        choices: privacy_shared::consent::uniform_choices(site, true),
    }
    .encode()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(15);
    let output = args
        .next()
        .map_or_else(|| workspace_root().join("BENCHMARKS.md"), Into::into);
    let npm = std::env::var("BENCH_COMPETITORS").ok();
    let pages = bench_pages(npm.as_deref().map(std::path::Path::new));
    // The host pages come from another origin than the privacy server, as on the group's sites.
    let server = TestServer::start_serving_from_another_origin(pages.path()).await;
    const WIDGET_FILES: &[&str] = &["/widget/", "/api/"];
    let mut plain = Samples::default();
    let mut widget = Samples::default();
    let mut returning = Samples::default();
    let mut competitors: Vec<(&str, Samples)> = COMPETITORS
        .iter()
        .filter(|_| npm.is_some())
        .map(|c| (c.name, Samples::default()))
        .collect();
    // The pages take turns, one run each, so that whatever else the machine does at a moment
    // weighs on all of them alike.
    for _ in 0..runs {
        measure(
            &mut plain,
            &server,
            "/bench/none.html",
            Visit::Plain,
            Accept::None,
            WIDGET_FILES,
        )
        .await;
        measure(
            &mut widget,
            &server,
            "/bench/widget.html",
            Visit::Banner,
            Accept::Widget,
            WIDGET_FILES,
        )
        .await;
        measure(
            &mut returning,
            &server,
            "/bench/widget.html",
            Visit::Returning,
            Accept::None,
            WIDGET_FILES,
        )
        .await;
        for (competitor, (_, samples)) in COMPETITORS.iter().zip(&mut competitors) {
            let own = format!("/bench/{}/", competitor.package);
            let page = format!("/bench/{}.html", competitor.package);
            measure(
                samples,
                &server,
                &page,
                Visit::Banner,
                Accept::Page(competitor.accept),
                &[own.as_str()],
            )
            .await;
        }
    }

    let kb = |bytes: f64| format!("{:.1} KB", bytes / 1000.0);
    let ms = |value: f64| format!("{value:.0} ms");
    let mut report = String::new();
    let _ = writeln!(
        report,
        "# Benchmarks\n\n\
         Produced by `cargo xtask bench` ({runs} runs each, median; every run a fresh headless\n\
         Chromium profile, so nothing is cached) against the real server on this machine, the\n\
         host pages served from another origin than the privacy server, as group sites embed it.\n\
         Bytes are encoded (brotli) bodies of the widget's files and API calls, as the browser\n\
         received them. The banner is the loader's first layer (HTML the server renders at start\n\
         from the banner component, with the stylesheet). One detector times every banner alike, a\n\
         script each page runs first: the banner is visible in the first animation frame in which\n\
         it is laid out with a size inside the viewport, not hidden and not transparent (the\n\
         opacity of it and its ancestors above 0), so a banner put in the page hidden and faded\n\
         in later counts from the fade. \"Before the banner\" counts everything that had arrived\n\
         by then. The pages take turns, one run each. The bundle is fetched once the page is idle,\n\
         after the banner.\n\
         A returning visit has a current stored choice: its time is when the page heard\n\
         `virtio-privacy:ready` (the choice applied), and every run checks that it fetched no\n\
         WebAssembly.\n\
         The open-source banners' files are served as npm ships them, not precompressed, so their\n\
         bytes here are uncompressed; each is configured like the widget's first layer.\n\n\
         ## Widget: time to banner and weight\n\n\
         | page | first contentful paint | banner visible | widget bytes before the banner | widget bytes in all | longest task | CLS | INP of \"accept all\" |\n\
         |---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        report,
        "| the demo page without any widget (the baseline) | {} | — | — | — | {} | {:.3} | — |",
        ms(median(&plain.fcp)),
        ms(median(&plain.longest)),
        median(&plain.cls)
    );
    let row = |page: &str, samples: &Samples| {
        let inp = match median(&samples.inp) {
            none if none.is_nan() => "—".to_owned(),
            0.0 => "< 16 ms".to_owned(),
            value => ms(value),
        };
        format!(
            "| {page} | {} | {} | {} | {} | {} | {:.3} | {inp} |\n",
            ms(median(&samples.fcp)),
            ms(median(&samples.visible)),
            kb(median(&samples.before)),
            kb(median(&samples.total)),
            ms(median(&samples.longest)),
            median(&samples.cls)
        )
    };
    report.push_str(&row("the demo page with the widget, first visit", &widget));
    report.push_str(&row(
        "the same page, returning visit with a current choice (time: choice applied)",
        &returning,
    ));
    for (name, samples) in &competitors {
        report.push_str(&row(&format!("the same page with {name} (npm)"), samples));
    }
    if competitors.is_empty() {
        report.push_str(
            "\n(No open-source banner measured: run through `cargo xtask bench`, which installs them.)\n",
        );
    }
    let _ = writeln!(
        report,
        "\nBudget (PRODUCT.md §7): the banner visible at most 0.8× the fastest open-source banner\n\
         on the same host page in the same run; at most 6.8 KB brotli before it is visible; a\n\
         returning visit with a current choice at most 10 KB brotli in all; the whole widget (the\n\
         policy viewer and the rights center apart, loaded only when opened) at most 100 KB\n\
         brotli, with the preferences opened too; no task over 50 ms; the click on \"accept all\" answered within 50 ms\n\
         (INP, from Event Timing entries of 16 ms and more, after the page has been idle 1.5 s);\n\
         CLS 0."
    );
    let check = |name: &str, value: f64, budget: f64, unit: &str| {
        let verdict = if value <= budget { "within" } else { "over" };
        format!("| {name} | {value:.1} {unit} | {budget:.1} {unit} | {verdict} |\n")
    };
    report.push_str("\n| figure | measured | budget | |\n|---|---|---|---|\n");
    let fastest = competitors
        .iter()
        .map(|(name, samples)| (*name, median(&samples.visible)))
        .filter(|(_, visible)| visible.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((name, visible)) = fastest {
        report.push_str(&check(
            &format!("banner visible (0.8× the fastest, {name}, in this run)"),
            median(&widget.visible),
            0.8 * visible,
            "ms",
        ));
    }
    report.push_str(&check(
        "bytes before the banner",
        median(&widget.before) / 1000.0,
        6.8,
        "KB",
    ));
    report.push_str(&check(
        "bytes of a returning visit",
        median(&returning.total) / 1000.0,
        10.0,
        "KB",
    ));
    report.push_str(&check(
        "bytes of the whole widget (first visit, in all)",
        median(&widget.total) / 1000.0,
        100.0,
        "KB",
    ));
    report.push_str(&check(
        "bytes of the whole widget with the preferences opened (first visit: accept all, then the settings button)",
        median(&widget.preferences) / 1000.0,
        100.0,
        "KB",
    ));
    report.push_str(&check(
        "longest task (first visit)",
        median(&widget.longest),
        50.0,
        "ms",
    ));
    report.push_str(&check(
        "INP of \"accept all\" (0 when no entry reached 16 ms)",
        median(&widget.inp),
        50.0,
        "ms",
    ));
    let cls = median(&widget.cls);
    let baseline = median(&plain.cls);
    let _ = writeln!(
        report,
        "| CLS added to the page's own (first visit) | {:.3} | 0.000 | {} |",
        cls - baseline,
        if cls <= baseline { "within" } else { "over" }
    );
    std::fs::write(&output, &report).expect("writing the report");
    print!("{report}");
}
