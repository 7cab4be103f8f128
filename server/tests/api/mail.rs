//! Outbox delivery over SMTP to a local sink that really speaks SMTP and keeps what it receives.

use privacy_server::mail::{self, SmtpSettings};
use privacy_shared::rights::{CreateRightsRequest, RightsRequestKind};
use privacy_shared::{EmailAddress, Language};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::spawn_app;

/// A minimal SMTP server: accepts every message and keeps its DATA.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(message) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(data.take().unwrap());
                            write.write_all(b"250 OK queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO")
                    {
                        b"250 sink\r\n"
                    } else if command.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    } else if command.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
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
    let app = spawn_app().await;
    let (port, received) = smtp_sink().await;
    app.api.create_request(&request(), None).await.unwrap();
    let storage = privacy_server::storage::open(&privacy_server::storage::DatabaseUrl::Sqlite(
        app.database.clone(),
    ))
    .unwrap();
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        from: "privacy@virtio.nl".into(),
    };

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
    let app = spawn_app().await;
    app.api.create_request(&request(), None).await.unwrap();
    let storage = privacy_server::storage::open(&privacy_server::storage::DatabaseUrl::Sqlite(
        app.database.clone(),
    ))
    .unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = SmtpSettings {
        host: "127.0.0.1".into(),
        port: closed_port,
        from: "privacy@virtio.nl".into(),
    };
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
