//! The real parts every browser test needs: a server with a fresh database, and a fresh Chromium
//! profile driven through WebDriver.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use privacy_server::storage::DatabaseUrl;
use privacy_server::{Application, Settings};
use privacy_shared::api::ApiClient;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for something the page is about to show.
const PATIENCE: Duration = Duration::from_secs(15);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The real server on a free port with a fresh SQLite file, serving `www/` and the built `dist/`.
pub struct TestServer {
    /// The privacy server's origin: its API, its widget files, its admin API.
    pub address: String,
    /// Where the host pages come from: the privacy server itself, or (with
    /// `VP_E2E_PAGES=second-origin`) a group site on another origin that embeds the widget with
    /// the one tag, as every group site but the privacy host does.
    pub pages: String,
    pub api: ApiClient,
    pub database: PathBuf,
    port: u16,
    handle: actix_web::dev::ServerHandle,
    _host: Option<actix_web::dev::ServerHandle>,
    _dir: tempfile::TempDir,
}

fn settings(bind: std::net::SocketAddr, database: &Path, host: Option<&str>) -> Settings {
    privacy_shared::site::install_repo_catalogue_for_tests();
    let root = workspace_root();
    let mut allowed_origins: std::collections::HashSet<String> =
        ["https://www.virtio.nl".to_owned()].into();
    allowed_origins.extend(host.map(str::to_owned));
    Settings {
        www_dir: root.join("www"),
        dist_dir: root.join("dist"),
        identity: Some(privacy_server::identity::development::config()),
        allowed_origins,
        workers: Some(2),
        // The demo interface page signs in through the development token endpoint.
        dev_token_key: Some(privacy_server::identity::development::private_key()),
        ..Settings::new(bind, DatabaseUrl::Sqlite(database.to_owned()))
    }
}

/// The password of the staff accounts tests create.
pub const STAFF_PASSWORD: &str = "an officer's long password";

/// The TOTP code of `secret` for the current 30-second step plus `steps_ahead`, as an
/// authenticator app computes it.
pub fn totp_now(secret: &str, steps_ahead: i64) -> String {
    use privacy_server::staff;
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + steps_ahead * staff::TOTP_STEP;
    staff::totp_code(secret, now).unwrap()
}

/// Whether this run serves the host pages from a second origin (`VP_E2E_PAGES=second-origin`;
/// `cargo xtask test` runs the browser tests both ways).
pub fn second_origin() -> bool {
    std::env::var("VP_E2E_PAGES").is_ok_and(|v| v == "second-origin")
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_serving(&workspace_root().join("www")).await
    }

    /// The server with `www` as its pages (the benchmark adds its comparison pages to a copy).
    pub async fn start_serving(www: &Path) -> Self {
        Self::serve(www, second_origin()).await
    }

    /// The server with `www` as its pages, always served by a group site on another origin.
    pub async fn start_serving_from_another_origin(www: &Path) -> Self {
        Self::serve(www, true).await
    }

    async fn serve(www: &Path, another_origin: bool) -> Self {
        let root = workspace_root();
        let loader = root.join("dist").join(privacy_server::loader::TEMPLATE);
        assert!(
            loader.is_file(),
            "{} is missing: run `cargo xtask build` (or `cargo xtask test`)",
            loader.display()
        );
        let dir = tempfile::tempdir().expect("a temporary folder");
        let database = dir.path().join("privacy.db");
        let host_listener = another_origin
            .then(|| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"));
        let host_origin = host_listener
            .as_ref()
            .map(|l| format!("http://127.0.0.1:{}", l.local_addr().unwrap().port()));
        let settings = Settings {
            www_dir: www.to_owned(),
            ..settings(
                "127.0.0.1:0".parse().unwrap(),
                &database,
                host_origin.as_deref(),
            )
        };
        let app = Application::build(settings).expect("the server starts");
        let port = app.port();
        let address = format!("http://127.0.0.1:{port}");
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let host = host_listener.map(|listener| {
            privacy_server::group_site::start(listener, www.to_owned(), address.clone())
                .expect("the group site starts")
        });
        Self {
            api: ApiClient::new(address.clone()),
            pages: host_origin.unwrap_or_else(|| address.clone()),
            address,
            database,
            port,
            handle,
            _host: host,
            _dir: dir,
        }
    }

    /// The URL of the host page at `path` (such as `/privacy.html`).
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.pages)
    }

    /// Stops the server; its port refuses connections until [`Self::restart`].
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    /// Starts the server again on the same port with the same database file.
    pub async fn restart(&mut self) {
        let bind = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let host = (self.pages != self.address).then_some(self.pages.as_str());
        let app =
            Application::build(settings(bind, &self.database, host)).expect("the server restarts");
        self.handle = app.handle();
        tokio::spawn(app.run_until_stopped());
    }

    /// Creates a staff account in the database, as `privacy-server admin create` does, and returns
    /// its TOTP secret; the password is [`STAFF_PASSWORD`].
    pub async fn create_staff(&self, email: &str, role: privacy_shared::wire::StaffRole) -> String {
        use privacy_server::staff;
        let storage = privacy_server::storage::open(&DatabaseUrl::Sqlite(self.database.clone()))
            .expect("the database opens");
        let secret = staff::new_totp_secret().unwrap();
        storage
            .create_staff(
                privacy_shared::EmailAddress::parse(email).unwrap(),
                staff::hash_password(STAFF_PASSWORD).unwrap(),
                secret.clone(),
                role,
            )
            .await
            .unwrap();
        secret
    }

    /// Signs in an officer through the admin API (the account created in the database, the TOTP
    /// code computed as an authenticator app does) and returns the session cookie.
    pub async fn officer_session(&self) -> String {
        let secret = self
            .create_staff(
                "officer@virtio.nl",
                privacy_shared::wire::StaffRole::Officer,
            )
            .await;
        let code = totp_now(&secret, 0);
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/admin/login", self.address))
            .json(&serde_json::json!({ "email": "officer@virtio.nl", "password": STAFF_PASSWORD, "totp": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "the officer signs in");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    /// The kinds of the ledger's events, oldest first, read from the database file.
    pub fn event_kinds(&self) -> Vec<String> {
        self.column("SELECT kind FROM consent_events ORDER BY seq")
    }

    /// The first column of every row `sql` selects, read from the database file itself.
    pub fn column<T: rusqlite::types::FromSql>(&self, sql: &str) -> Vec<T> {
        let conn = rusqlite::Connection::open(&self.database).unwrap();
        let mut statement = conn.prepare(sql).unwrap();
        statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Waits until the ledger holds `count` events.
    pub async fn wait_for_events(&self, count: i64) {
        let started = Instant::now();
        while self.count_events() != count {
            assert!(
                started.elapsed() < PATIENCE,
                "the ledger holds {} events, not {count}",
                self.count_events()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Counts the ledger's rows by reading the database file itself.
    pub fn count_events(&self) -> i64 {
        let conn = rusqlite::Connection::open(&self.database).unwrap();
        conn.query_row("SELECT count(*) FROM consent_events", [], |r| r.get(0))
            .unwrap()
    }
}

/// A fresh headless Chromium profile, driven by its own chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    pub async fn start(width: u32, height: u32) -> Self {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {chromedriver} ({e}): apt-get install chromium chromium-driver"
                )
            });
        let profile = tempfile::tempdir().unwrap();
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let serde_json::Value::Object(mut capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        if width < 500 {
            // Headless windows are at least 500 px wide; narrower viewports are emulated, as on a phone.
            capabilities["goog:chromeOptions"]["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 }
            });
        }
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() > PATIENCE => panic!("chromedriver did not start: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        Self {
            client,
            driver,
            _profile: profile,
        }
    }

    /// The widget's shadow-root element matching `css`, waiting for it to appear.
    pub async fn widget_element(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Some(element) = self.try_widget_element(css).await {
                return element;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the widget never showed `{css}`"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The text of the widget's element matching `css`, read in the page in one step: the bundle
    /// replaces the loader's first layer when it starts, and an element found just before that
    /// would be stale by the time its text is asked for.
    pub async fn widget_text(&self, css: &str) -> String {
        let script = format!(
            "return document.querySelector('#virtio-privacy')?.shadowRoot?.querySelector({css:?})?.textContent ?? null;"
        );
        let text = self.wait_for_script(&script, |v| v.is_string()).await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// The widget's shadow-root element matching `css`, if it is there now.
    pub async fn try_widget_element(&self, css: &str) -> Option<Element> {
        self.try_element_in("#virtio-privacy", css).await
    }

    /// The element matching `css` in the shadow root of the page's element `host`, if it is
    /// there now.
    pub async fn try_element_in(&self, host: &str, css: &str) -> Option<Element> {
        let host = self.client.find(Locator::Css(host)).await.ok()?;
        let shadow = host.shadow_root().await.ok()?;
        shadow.find(Locator::Css(css)).await.ok()
    }

    /// The element matching `css` in the shadow root of `host`, waiting for it to appear.
    pub async fn element_in(&self, host: &str, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Some(element) = self.try_element_in(host, css).await {
                return element;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "`{host}` never showed `{css}`"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `condition` holds on the result of `script`.
    pub async fn wait_for_script(
        &self,
        script: &str,
        condition: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .expect("the script runs");
            if condition(&value) {
                return value;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "`{script}` never met the condition; last value {value}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Passes the customer's identity token, as the interface app does.
    pub async fn identify(&self, token: &str) {
        self.client
            .execute(
                "return VirtioPrivacy.ready.then(api => api.setIdentity(arguments[0]));",
                vec![token.into()],
            )
            .await
            .unwrap();
    }

    /// Waits until the widget's main bundle runs on a first visit (`VirtioPrivacy.ready` waits
    /// for it there) and says whether it fetched its WebAssembly.
    pub async fn wait_for_bundle(&self) {
        let started = self
            .run(
                "return VirtioPrivacy.ready.then(() => performance.getEntriesByType('resource')
                     .some(e => /\\/widget-[0-9a-f]+\\.wasm$/.test(e.name)));",
            )
            .await;
        assert_eq!(started, true, "the bundle runs, fetched from its .wasm");
    }

    /// Waits until the widget's dialog (the preferences, the policy, the rights center) has closed.
    pub async fn wait_for_dialog_closed(&self) {
        self.wait_for_script(
            "return !document.querySelector('#virtio-privacy').shadowRoot.querySelector('[role=dialog]');",
            |v| v == true,
        )
        .await;
    }

    /// Lets the browser save downloads into a fresh folder, which it returns.
    pub async fn allow_downloads(&self) -> tempfile::TempDir {
        let folder = tempfile::tempdir().unwrap();
        self.devtools(
            "Browser.setDownloadBehavior",
            serde_json::json!({ "behavior": "allow", "downloadPath": folder.path() }),
        )
        .await;
        folder
    }

    /// Runs a Chrome DevTools Protocol command, such as `Network.emulateNetworkConditions`.
    pub async fn devtools(&self, cmd: &'static str, params: serde_json::Value) {
        self.client
            .issue_cmd(Devtools { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"));
    }

    /// A slow connection: 40 KB/s and 100 ms a request, so the few KB of the loader and its first
    /// layer arrive at once and the bundle seconds later.
    pub async fn slow_network(&self) {
        self.devtools("Network.enable", serde_json::json!({})).await;
        self.devtools(
            "Network.emulateNetworkConditions",
            serde_json::json!({ "offline": false, "latency": 100,
                                "downloadThroughput": 40_000, "uploadThroughput": 40_000 }),
        )
        .await;
    }

    /// Makes the consent widget's main bundle (its `.wasm`) fail to load, as a dropped network
    /// does, from the cache too (which an earlier page filled); everything else goes through.
    pub async fn drop_main_bundle(&self) {
        self.block_requests(&["*/widget-*.wasm"]).await;
        self.devtools(
            "Network.setCacheDisabled",
            serde_json::json!({ "cacheDisabled": true }),
        )
        .await;
    }

    /// Makes every request whose URL matches one of `patterns` (`*` for any text) fail, as a
    /// dropped network does; none given, requests go through again.
    pub async fn block_requests(&self, patterns: &[&str]) {
        self.devtools("Network.enable", serde_json::json!({})).await;
        self.devtools(
            "Network.setBlockedURLs",
            serde_json::json!({ "urls": patterns }),
        )
        .await;
    }

    /// Clicks the widget's element matching `css`. The bundle replaces the loader's first layer
    /// when it starts; a click that found the element just before that (stale, or covered) never
    /// happened, and is tried again on the element that took its place.
    pub async fn click(&self, css: &str) {
        let started = Instant::now();
        loop {
            match self.widget_element(css).await.click().await {
                Ok(_) => return,
                Err(e) if started.elapsed() < PATIENCE && is_replaced(&e) => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(e) => panic!("clicking `{css}` failed: {e}"),
            }
        }
    }

    /// Runs `script` in the page and returns its value.
    pub async fn run(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Sends keys (WebDriver key codes, such as [`keys::TAB`]) to the focused element.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    /// The `data-vp` (or `data-vp-toggle`) hook of the element focused inside the widget, with
    /// whether it lies inside the preferences dialog.
    pub async fn focused(&self) -> (String, bool) {
        let value = self
            .run(
                "const root = document.querySelector('#virtio-privacy').shadowRoot;
                 const a = root.activeElement;
                 if (!a) return ['', false];
                 return [a.dataset.vp || (a.dataset.vpToggle ? 'toggle:' + a.dataset.vpToggle : a.tagName),
                         !!a.closest('[data-vp=preferences]')];",
            )
            .await;
        (
            value[0].as_str().unwrap_or_default().to_owned(),
            value[1].as_bool().unwrap_or(false),
        )
    }

    /// The purposes whose toggle is on in the widget's dialog.
    pub async fn checked_toggles(&self) -> serde_json::Value {
        self.run(
            "const root = document.querySelector('#virtio-privacy').shadowRoot;
             return [...root.querySelectorAll('[data-vp-toggle]')].filter(t => t.checked)
                 .map(t => t.dataset.vpToggle);",
        )
        .await
    }

    /// The names of the page's cookies.
    pub async fn cookie_names(&self) -> Vec<String> {
        let value = self
            .run("return document.cookie.split('; ').filter(c => c).map(c => c.split('=')[0]);")
            .await;
        serde_json::from_value(value).unwrap()
    }

    /// Saves a screenshot under `target/e2e/`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = workspace_root().join("target/e2e");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await.unwrap()).unwrap();
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The content of the file at `path` once a download has finished writing it.
///
/// Chromium reserves the final name with an empty file while it still writes to a `.crdownload`
/// beside it, so the file counts as downloaded only once it has content and no partial download
/// is left in the folder.
pub async fn downloaded(path: &Path) -> String {
    let started = Instant::now();
    let complete = || {
        let partial = std::fs::read_dir(path.parent().unwrap())
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().ends_with(".crdownload"));
        !partial && std::fs::metadata(path).is_ok_and(|meta| meta.len() > 0)
    };
    while !complete() {
        assert!(
            started.elapsed() < PATIENCE,
            "{} was never downloaded",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::fs::read_to_string(path).unwrap()
}

/// The rights center on the demo request page.
pub const RIGHTS: &str = "[data-virtio-privacy=rights]";

/// A fresh browser on `page` that has answered the first-visit banner, as a visitor does before
/// reading on.
pub async fn visit_answered(server: &TestServer, page: &str) -> Browser {
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page(page)).await.unwrap();
    browser.click("[data-vp=reject-all]").await;
    browser.widget_element("[data-vp=settings]").await;
    browser
}

/// Clicks the rights center's element matching `css`.
pub async fn rights_press(browser: &Browser, css: &str) {
    browser.element_in(RIGHTS, css).await.click().await.unwrap();
}

/// Types `text` into the rights center's field matching `css`, replacing what it held.
pub async fn rights_type(browser: &Browser, css: &str, text: &str) {
    let field = browser.element_in(RIGHTS, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Files an access request in the rights center as the visitor at `email`, confirms it with the
/// e-mailed code, and returns the request number shown.
pub async fn file_confirmed_request(server: &TestServer, browser: &Browser, email: &str) -> String {
    rights_type(browser, "[data-vp=rights-email]", email).await;
    rights_press(browser, "[data-vp=rights-submit]").await;
    browser.element_in(RIGHTS, "[data-vp=rights-verify]").await;
    rights_type(browser, "[data-vp=rights-code]", &outbox_code(server)).await;
    rights_press(browser, "[data-vp=rights-confirm]").await;
    let number = browser.element_in(RIGHTS, "[data-vp=rights-number]").await;
    number.text().await.unwrap()
}

/// The e-mail code of the newest message in the outbox.
pub fn outbox_code(server: &TestServer) -> String {
    let body: String = server
        .column("SELECT body FROM outbox ORDER BY rowid DESC")
        .into_iter()
        .next()
        .expect("an e-mail in the outbox");
    body.split_once("code is: ").unwrap().1[..6].to_owned()
}

/// A visit: the real server and a fresh 1280×900 browser on the host page at `path`.
pub async fn visit(path: &str) -> (TestServer, Browser) {
    let server = TestServer::start().await;
    let browser = Browser::start(1280, 900).await;
    browser.client.goto(&server.page(path)).await.unwrap();
    (server, browser)
}

/// A first visit: the real server, a fresh browser of `width`×`height` on the demo page, and the
/// banner on screen.
pub async fn first_visit(width: u32, height: u32) -> (TestServer, Browser) {
    let server = TestServer::start().await;
    let browser = Browser::start(width, height).await;
    browser.client.goto(&server.page("/")).await.unwrap();
    browser.widget_element("[data-vp=banner]").await;
    (server, browser)
}

/// An identity token for `customer` on every site of the group, signed as the interface app
/// signs them (with the development key the test servers verify with), valid 10 minutes.
pub fn customer_token(customer: &str) -> String {
    privacy_server::identity::development::token(customer, 600).unwrap()
}

/// WebDriver key codes.
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const SHIFT_TAB: &str = "\u{E008}\u{E004}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const ENTER: &str = "\u{E007}";
}

/// Whether a click failed because the element was replaced or covered while it was being clicked.
fn is_replaced(error: &fantoccini::error::CmdError) -> bool {
    use fantoccini::error::{CmdError, ErrorStatus};
    matches!(
        error,
        CmdError::Standard(e) if matches!(
            e.error,
            ErrorStatus::StaleElementReference | ErrorStatus::ElementClickIntercepted
                | ErrorStatus::NoSuchElement | ErrorStatus::DetachedShadowRoot
        )
    )
}

/// chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Devtools {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Devtools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
