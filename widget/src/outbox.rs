//! The local outbox (PRODUCT.md §5.5): every event the engine queues is kept in `localStorage`
//! with its idempotency key and the identity token it was made with, before it is sent, so it
//! survives a reload and a server outage; it is retried with backoff until the server
//! acknowledges it, and the key makes a retry never a second event. Nothing is dropped silently:
//! - an identity token that expired before the event went out asks the host page for a fresh one
//!   (`virtio-privacy:identity-expired`) and the event waits for it, still linked to the customer;
//! - an event the server refuses is moved to a dead-letter list (`vp_outbox_refused`), logged with
//!   `console.error` and announced as `virtio-privacy:error`.
//!
//! The receipt of the latest recorded event is kept (`vp_receipt`) for the visitor's proof.

use privacy_shared::api::{ApiError, Credentials, endpoints};
use privacy_shared::{ConsentReceipt, RecordConsent, identity};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use wasm_bindgen::JsValue;

const KEY: &str = crate::OUTBOX_KEY;
const REFUSED_KEY: &str = "vp_outbox_refused";
const RECEIPT_KEY: &str = "vp_receipt";
/// The first wait after a failure, doubled after each further one up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: u32 = 1_000;
const MAX_BACKOFF_MS: u32 = 30_000;

/// One waiting event and the identity token it was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub event: RecordConsent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// An event the server refused for good, kept with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refused {
    pub event: RecordConsent,
    /// The server's problem+json answer, when it gave one.
    pub problem: Option<privacy_shared::Problem>,
    pub error: String,
}

thread_local! {
    /// Who hears of each attempt (the widget's status line).
    static REPORT: Cell<Option<fn(Report)>> = const { Cell::new(None) };
    /// Whether a flush loop runs; one is enough.
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
    /// The head event waits for a fresh identity token.
    static AWAITING_IDENTITY: Cell<bool> = const { Cell::new(false) };
}

/// `report` hears of every attempt from now on.
pub fn on_report(report: fn(Report)) {
    REPORT.with(|r| r.set(Some(report)));
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
}

fn save<T: Serialize>(key: &str, value: &[T]) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(value)) {
        let _ = if value.is_empty() {
            storage.remove_item(key)
        } else {
            storage.set_item(key, &json)
        };
    }
}

/// The waiting events, oldest first (an outbox written before events carried their identity is
/// read as events without one).
pub fn pending() -> Vec<Entry> {
    load::<Vec<Entry>>(KEY)
        .or_else(|| {
            load::<Vec<RecordConsent>>(KEY).map(|events| {
                events
                    .into_iter()
                    .map(|event| Entry {
                        event,
                        identity: None,
                    })
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// The events the server refused, oldest first.
pub fn refused() -> Vec<Refused> {
    load(REFUSED_KEY).unwrap_or_default()
}

/// The receipt of the latest event the server recorded from this browser, with the JSON it is
/// kept as.
pub fn latest_receipt() -> Option<(ConsentReceipt, String)> {
    let json = storage().and_then(|s| s.get_item(RECEIPT_KEY).ok().flatten())?;
    Some((serde_json::from_str(&json).ok()?, json))
}

/// Queues an event behind the ones already waiting.
pub fn push(entry: Entry) {
    let mut queue = pending();
    queue.push(entry);
    save(KEY, &queue);
}

fn remove(key: uuid::Uuid) {
    let mut queue = pending();
    queue.retain(|e| e.event.idempotency_key != key);
    save(KEY, &queue);
}

/// A fresh identity token from the host page: waiting events made with an earlier token of the
/// same customer are linked with this one, and sending goes on.
pub fn relink(token: &str) {
    let customer = identity::unverified_customer(token);
    let mut queue = pending();
    for entry in &mut queue {
        let same = entry.identity.as_deref().is_some_and(|old| {
            customer.is_some() && identity::unverified_customer(old) == customer
        });
        if same {
            entry.identity = Some(token.to_owned());
        }
    }
    save(KEY, &queue);
    AWAITING_IDENTITY.with(|a| a.set(false));
    spawn_flush();
}

/// What happened to one attempt, for the widget's status line.
pub type Report = Result<(), ApiError>;

/// Sends what waits, in the background.
pub fn spawn_flush() {
    wasm_bindgen_futures::spawn_local(flush());
}

fn report(outcome: Report) {
    if let Some(report) = REPORT.with(Cell::get) {
        report(outcome);
    }
}

/// Sends the waiting events in order until the queue is empty, waiting with backoff while the
/// server cannot be reached.
async fn flush() {
    let (Some(client), Some(notice_hash)) = (
        crate::store::client(),
        crate::store::read(|e| e.notice_hash().to_owned()),
    ) else {
        return;
    };
    if FLUSHING.with(|f| f.replace(true)) {
        return;
    }
    let mut backoff = FIRST_BACKOFF_MS;
    while let Some(Entry {
        mut event,
        identity,
    }) = pending().into_iter().next()
    {
        if AWAITING_IDENTITY.with(Cell::get) {
            break;
        }
        let attempt = async {
            // An event made before the engine knew the hash (kept by an earlier version).
            if event.decision.notice_hash.is_empty() {
                event.decision.notice_hash = notice_hash.clone();
            }
            let credentials = identity
                .as_deref()
                .map_or(Credentials::None, Credentials::Identity);
            client
                .call::<endpoints::RecordConsent>(&[], &[], Some(&event), credentials)
                .await
        };
        match attempt.await {
            Ok((_, receipt)) => {
                remove(event.idempotency_key);
                keep_receipt(&receipt);
                backoff = FIRST_BACKOFF_MS;
                report(Ok(()));
            }
            Err(e) if e.is_retryable() => {
                report(Err(e));
                gloo_timers::future::TimeoutFuture::new(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF_MS);
            }
            Err(ApiError::Problem(problem)) if problem.status == 401 && identity.is_some() => {
                // The token expired on the way: the event keeps its customer and waits for a
                // fresh token from the host page.
                AWAITING_IDENTITY.with(|a| a.set(true));
                crate::enforce::emit("identity-expired", &JsValue::NULL);
                report(Err(ApiError::Problem(problem)));
            }
            Err(e) => {
                set_aside(event, &e);
                report(Err(e));
            }
        }
    }
    FLUSHING.with(|f| f.set(false));
}

fn keep_receipt(receipt: &ConsentReceipt) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(receipt)) {
        let _ = storage.set_item(RECEIPT_KEY, &json);
        crate::store::notify();
    }
}

/// Moves a refused event out of the queue (it would block the rest) into the dead letters, and
/// says so on the console and to the host page.
fn set_aside(event: RecordConsent, error: &ApiError) {
    let problem = match error {
        ApiError::Problem(p) => Some(p.clone()),
        _ => None,
    };
    remove(event.idempotency_key);
    let refused = Refused {
        event,
        problem,
        error: error.to_string(),
    };
    let mut dead = self::refused();
    dead.push(refused.clone());
    save(REFUSED_KEY, &dead);
    let detail = serde_json::to_string(&refused)
        .ok()
        .and_then(|json| js_sys::JSON::parse(&json).ok())
        .unwrap_or(JsValue::NULL);
    web_sys::console::error_2(
        &"Virtio Privacy: the server refused a consent event; it is kept in localStorage `vp_outbox_refused`:".into(),
        &detail,
    );
    crate::enforce::emit("error", &detail);
}
