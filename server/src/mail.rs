//! Delivery of the outbox: a task that sends due e-mails over SMTP, marks them sent (erasing the
//! body, which may hold a verification code) or retries them with exponential backoff.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

use crate::storage::{OutboxRow, Storage};

/// Where e-mail goes. Without it, mail waits in the outbox (readable in the admin console).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// An SMTP relay reachable without TLS, such as the host's own MTA on localhost.
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// The sender address, such as `privacy@virtio.nl`.
    pub from: String,
}

fn default_port() -> u16 {
    25
}

/// How often the outbox is looked at.
const POLL: Duration = Duration::from_secs(5);

/// After this many failed attempts a message is left for staff to look at.
pub const MAX_ATTEMPTS: u32 = 10;

/// The wait before attempt `attempts + 1`: 30 s doubling, at most an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    time::Duration::seconds((30_i64 << attempts.min(7)).min(3600))
}

/// Sends every due message once; returns how many were delivered.
pub async fn deliver_due(storage: &Arc<dyn Storage>, settings: &SmtpSettings) -> usize {
    let now = OffsetDateTime::now_utc();
    let due = match storage.due_mail(now, MAX_ATTEMPTS).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the outbox");
            return 0;
        }
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
        .port(settings.port)
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let mut delivered = 0;
    for row in due {
        let result = match message(settings, &row) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let recorded = match result {
            Ok(()) => {
                delivered += 1;
                storage.mail_sent(row.id, OffsetDateTime::now_utc()).await
            }
            Err(error) => {
                // The error names the relay's complaint, never the message's content.
                tracing::warn!(attempt = row.attempts + 1, %error, "an e-mail could not be delivered");
                storage
                    .mail_failed(
                        row.id,
                        error,
                        OffsetDateTime::now_utc() + backoff(row.attempts),
                    )
                    .await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "cannot record the delivery of an e-mail");
        }
    }
    delivered
}

fn message(settings: &SmtpSettings, row: &OutboxRow) -> Result<Message, String> {
    Message::builder()
        .from(settings.from.parse().map_err(|e| format!("from: {e}"))?)
        .to(row.to.parse().map_err(|e| format!("to: {e}"))?)
        .subject(row.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(row.body.clone())
        .map_err(|e| e.to_string())
}

/// Delivers the outbox for as long as the server runs.
pub fn spawn_sender(storage: Arc<dyn Storage>, settings: SmtpSettings) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(POLL);
        loop {
            interval.tick().await;
            deliver_due(&storage, &settings).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_from_thirty_seconds_to_an_hour() {
        let waits: Vec<i64> = (0..9).map(|a| backoff(a).whole_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
