//! The local outbox (PRODUCT.md §5.5): every choice is queued in `localStorage` with its
//! idempotency key before it is sent, so it survives a reload and a server outage; it is retried
//! with backoff until the server acknowledges it, and the key makes a retry never a second event.

use privacy_shared::RecordConsent;
use privacy_shared::api::{ApiClient, ApiError, Credentials, endpoints};
use std::cell::Cell;

const KEY: &str = "vp_outbox";
/// The first wait after a failure, doubled after each further one up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: u32 = 1_000;
const MAX_BACKOFF_MS: u32 = 30_000;

thread_local! {
    /// Whether a flush loop runs; one is enough.
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The waiting events, oldest first. Unreadable entries are dropped.
pub fn pending() -> Vec<RecordConsent> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn store(queue: &[RecordConsent]) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(queue)) {
        let _ = if queue.is_empty() {
            storage.remove_item(KEY)
        } else {
            storage.set_item(KEY, &json)
        };
    }
}

/// Queues an event behind the ones already waiting.
pub fn push(event: RecordConsent) {
    let mut queue = pending();
    queue.push(event);
    store(&queue);
}

fn remove(key: uuid::Uuid) {
    let mut queue = pending();
    queue.retain(|e| e.idempotency_key != key);
    store(&queue);
}

/// What happened to one attempt, for the widget's status line.
pub type Report = Result<(), ApiError>;

/// Sends the waiting events in order until the queue is empty, waiting with backoff while the
/// server cannot be reached. `identity` is the customer's token, if the host page gave one.
/// `report` hears of every attempt.
pub async fn flush(
    client: ApiClient,
    identity: Option<String>,
    notice_hash: impl AsyncFn() -> Result<String, ApiError>,
    report: impl Fn(Report),
) {
    if FLUSHING.with(|f| f.replace(true)) {
        return;
    }
    let mut backoff = FIRST_BACKOFF_MS;
    while let Some(mut event) = pending().into_iter().next() {
        let attempt = async {
            if event.notice_hash.is_empty() {
                event.notice_hash = notice_hash().await?;
            }
            let credentials = identity
                .as_deref()
                .map_or(Credentials::None, Credentials::Identity);
            client
                .call::<endpoints::RecordConsent>(&[], &[], Some(&event), credentials)
                .await
        };
        match attempt.await {
            Ok(_) => {
                remove(event.idempotency_key);
                backoff = FIRST_BACKOFF_MS;
                report(Ok(()));
            }
            Err(e) if e.is_retryable() => {
                report(Err(e));
                gloo_timers::future::TimeoutFuture::new(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF_MS);
            }
            Err(e) => {
                // The server refused this event for good; keeping it would block the rest.
                remove(event.idempotency_key);
                report(Err(e));
            }
        }
    }
    FLUSHING.with(|f| f.set(false));
}
