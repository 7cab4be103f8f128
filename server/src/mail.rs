//! Delivery of the outbox: a task that sends due e-mails over SMTP, marks them sent (erasing the
//! body, which may hold a verification code) or retries them with exponential backoff.

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

use crate::storage::{OutboxRow, Storage};

/// Where e-mail goes. Without it, mail waits in the outbox (readable in the admin console).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// The relay, such as `smtp.virtio.nl`, or `localhost` for the host's own MTA.
    pub host: String,
    /// 587 (submission, STARTTLS) by default; 465 with `tls = "tls"`; 25 for a local MTA.
    #[serde(default = "default_port")]
    pub port: u16,
    /// The sender address, such as `privacy@virtio.nl`.
    pub from: String,
    /// How the connection to the relay is protected.
    #[serde(default)]
    pub tls: SmtpTls,
    /// A PEM file of certificate authorities to trust beside the public ones (a relay with a
    /// private CA), relative to the working directory.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// The login at the relay; sent only over TLS.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// Never prints the password.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `[smtp] tls`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS, required: a relay that does not offer it gets nothing (the default).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
    /// Plain text: only to a relay on this machine (`localhost`, a loopback address).
    None,
}

fn default_port() -> u16 {
    587
}

impl SmtpSettings {
    /// A relay on this machine, which plain text may reach.
    fn is_local(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Refuses settings that would send mail or a password in plain text over a network, or
    /// a login with half its parts.
    pub fn check(&self) -> Result<(), String> {
        if self.tls == SmtpTls::None && !self.is_local() {
            return Err(format!(
                "tls = \"none\" sends e-mail (with verification codes) in plain text to `{}`: \
                 only a relay on this machine may be reached without TLS",
                self.host
            ));
        }
        if self.username.is_some() != self.password.is_some() {
            return Err("a login needs both `username` and `password`".into());
        }
        Ok(())
    }

    /// The transport these settings describe.
    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
                .port(self.port)
                .timeout(Some(Duration::from_secs(20)));
        if self.tls != SmtpTls::None {
            let mut parameters = TlsParameters::builder(self.host.clone());
            if let Some(path) = &self.ca_file {
                let pem =
                    std::fs::read(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
                let authority = Certificate::from_pem(&pem)
                    .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
                parameters = parameters.add_root_certificate(authority);
            }
            let parameters = parameters.build_rustls().map_err(|e| e.to_string())?;
            builder = builder.tls(match self.tls {
                SmtpTls::Tls => Tls::Wrapper(parameters),
                _ => Tls::Required(parameters),
            });
        }
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
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
    deliver_due_with(storage, settings, &settings.transport()).await
}

/// [`deliver_due`] through a transport made once from `settings` (its CA file read, its TLS
/// parameters built), or the reason it could not be made, which each due message then records.
async fn deliver_due_with(
    storage: &Arc<dyn Storage>,
    settings: &SmtpSettings,
    transport: &Result<AsyncSmtpTransport<Tokio1Executor>, String>,
) -> usize {
    let now = OffsetDateTime::now_utc();
    let due = match storage.due_mail(now, MAX_ATTEMPTS).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the outbox");
            return 0;
        }
    };
    let mut delivered = 0;
    for row in due {
        let result = match (transport, message(settings, &row)) {
            (Ok(transport), Ok(message)) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(e),
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
        let transport = settings.transport();
        let mut interval = tokio::time::interval(POLL);
        loop {
            interval.tick().await;
            deliver_due_with(&storage, &settings, &transport).await;
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
