//! Outbox delivery over SMTP to a local sink that really speaks SMTP (and STARTTLS, with a
//! certificate from `tests/fixtures/`) and keeps what it receives.

use privacy_server::mail::{self, SmtpSettings, SmtpTls};
use privacy_shared::rights::{CreateRightsRequest, RightsRequestKind};
use privacy_shared::{EmailAddress, Language};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;

use crate::helpers::spawn_app;

type Received = Arc<Mutex<Vec<String>>>;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The sink's TLS side: its certificate for `localhost`, signed by the fixtures' authority.
fn acceptor() -> tokio_rustls::TlsAcceptor {
    let chain = rustls::pki_types::CertificateDer::pem_file_iter(fixture("smtp-sink.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(fixture("smtp-sink.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// One SMTP conversation on `stream`, keeping every message in `store`. With `starttls`, the
/// sink offers STARTTLS and refuses mail until the client took it; it returns the stream when
/// the client asks for it, for the handshake.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    starttls: bool,
    store: &Received,
) -> Option<S> {
    let mut stream = BufReader::new(stream);
    let mut data: Option<String> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if let Some(message) = data.as_mut() {
            if text == "." {
                store.lock().unwrap().push(data.take().unwrap());
                stream.write_all(b"250 OK queued\r\n").await.ok()?;
            } else {
                message.push_str(text);
                message.push('\n');
            }
            continue;
        }
        let command = text.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") && starttls {
            b"250-sink\r\n250 STARTTLS\r\n"
        } else if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 sink\r\n"
        } else if command.starts_with("STARTTLS") && starttls {
            stream.write_all(b"220 go ahead\r\n").await.ok()?;
            return Some(stream.into_inner());
        } else if starttls && (command.starts_with("MAIL") || command.starts_with("RCPT")) {
            b"530 Must issue a STARTTLS command first\r\n"
        } else if command.starts_with("DATA") {
            data = Some(String::new());
            b"354 go ahead\r\n"
        } else if command.starts_with("QUIT") {
            stream.write_all(b"221 bye\r\n").await.ok()?;
            return None;
        } else {
            b"250 OK\r\n"
        };
        stream.write_all(reply).await.ok()?;
    }
}

/// A minimal SMTP server on loopback: accepts every message and keeps its DATA. With
/// `starttls`, only over TLS (as a submission relay does).
async fn sink(starttls: bool) -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    let acceptor = acceptor();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let store = Arc::clone(&store);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                stream.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                if let Some(plain) = converse(stream, starttls, &store).await
                    && let Ok(secure) = acceptor.accept(plain).await
                {
                    converse(secure, false, &store).await;
                }
            });
        }
    });
    (port, received)
}

async fn smtp_sink() -> (u16, Received) {
    sink(false).await
}

/// The server with one rights request filed, so its confirmation e-mail waits in the outbox, and
/// the server's storage (keep the app alive while using it).
async fn one_waiting_mail() -> (
    crate::helpers::TestApp,
    std::sync::Arc<dyn privacy_server::storage::Storage>,
) {
    let app = spawn_app().await;
    app.api.create_request(&request(), None).await.unwrap();
    let storage = privacy_server::storage::open(&app.url.parse().unwrap()).unwrap();
    (app, storage)
}

/// Settings for the sink at `port` on this machine, in plain text.
fn local(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        from: "privacy@virtio.nl".into(),
        tls: SmtpTls::None,
        ca_file: None,
        username: None,
        password: None,
    }
}

fn request() -> CreateRightsRequest {
    CreateRightsRequest {
        site: "virtio-nl".parse().unwrap(),
        kind: RightsRequestKind::Access,
        language: Language::En,
        email: Some(EmailAddress::parse("visitor@example.nl").unwrap()),
        name: None,
        details: None,
        subject: None,
    }
}

#[tokio::test]
async fn the_outbox_is_delivered_over_smtp_and_the_sent_body_erased() {
    let (_app, storage) = one_waiting_mail().await;
    let (port, received) = smtp_sink().await;
    let settings = local(port);

    assert_eq!(mail::deliver_due(&storage, &settings).await, 1);
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("To: visitor@example.nl"),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("Subject: Confirm your privacy request at Virtio"),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("Your verification code is: "),
        "{}",
        messages[0]
    );

    let outbox = storage.outbox(None).await.unwrap();
    assert!(outbox[0].sent && outbox[0].body.is_empty(), "{outbox:?}");
    assert_eq!(
        mail::deliver_due(&storage, &settings).await,
        0,
        "a sent message is not sent again"
    );
}

#[tokio::test]
async fn an_unreachable_relay_is_retried_later_and_nothing_is_lost() {
    let (_app, storage) = one_waiting_mail().await;
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = local(closed_port);
    assert_eq!(mail::deliver_due(&storage, &down).await, 0);
    let outbox = storage.outbox(None).await.unwrap();
    assert_eq!((outbox[0].sent, outbox[0].attempts), (false, 1));
    assert!(!outbox[0].body.is_empty());

    // The next attempt waits for its backoff, even once the relay is back.
    let (port, received) = smtp_sink().await;
    let up = SmtpSettings { port, ..down };
    assert_eq!(mail::deliver_due(&storage, &up).await, 0);
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn mail_goes_over_starttls_to_a_relay_with_a_certificate_the_settings_trust() {
    let (_app, storage) = one_waiting_mail().await;
    let (port, received) = sink(true).await;
    let settings = SmtpSettings {
        host: "localhost".into(),
        tls: SmtpTls::Starttls,
        ca_file: Some(fixture("smtp-ca.pem")),
        ..local(port)
    };
    assert_eq!(settings.check(), Ok(()));
    assert_eq!(mail::deliver_due(&storage, &settings).await, 1);
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "the sink takes mail only after STARTTLS");
    assert!(messages[0].contains("To: visitor@example.nl"));
}

#[tokio::test]
async fn a_relay_whose_certificate_is_not_trusted_gets_nothing_and_the_mail_waits() {
    let (_app, storage) = one_waiting_mail().await;
    let (port, received) = sink(true).await;
    // The public roots only: the sink's private authority is unknown.
    let untrusted = SmtpSettings {
        host: "localhost".into(),
        tls: SmtpTls::Starttls,
        ..local(port)
    };
    assert_eq!(mail::deliver_due(&storage, &untrusted).await, 0);
    // A relay that offers no STARTTLS is not written to in plain text either.
    let (plain_port, plain_received) = smtp_sink().await;
    let downgraded = SmtpSettings {
        port: plain_port,
        ..untrusted
    };
    storage
        .mail_failed(
            storage.outbox(None).await.unwrap()[0].id,
            "retry now".into(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(mail::deliver_due(&storage, &downgraded).await, 0);
    assert!(received.lock().unwrap().is_empty());
    assert!(plain_received.lock().unwrap().is_empty());
    let outbox = storage.outbox(None).await.unwrap();
    assert!(
        !outbox[0].sent && !outbox[0].body.is_empty(),
        "kept: {outbox:?}"
    );
    assert_eq!(outbox[0].attempts, 3);
}

#[test]
fn plain_text_is_refused_to_a_relay_on_another_machine_and_a_login_needs_both_parts() {
    let remote = SmtpSettings {
        host: "smtp.example.nl".into(),
        ..local(25)
    };
    assert!(remote.check().unwrap_err().contains("plain text"));
    assert_eq!(local(25).check(), Ok(()));
    let half_login = SmtpSettings {
        tls: SmtpTls::Starttls,
        username: Some("privacy".into()),
        ..remote
    };
    assert!(half_login.check().unwrap_err().contains("password"));
}
