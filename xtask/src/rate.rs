//! A fixed-rate load generator for `cargo xtask bench` (PRODUCT.md §7 asks for the p99 at 10,000
//! consent writes per second): `wrk` drives a server to saturation, which says nothing about the
//! latency at a given load. Requests are due at even intervals; each goes out on a keep-alive
//! connection that is free at that moment, and its latency counts from the moment it was due, not
//! from when it was sent, so a stalled server is not hidden by requests that waited to go out
//! (coordinated omission). One thread drives every connection from one event loop (`mio`, epoll),
//! as `wrk` does: the generator shares the two cores with the server, and a thread per connection
//! cost it half a core at 10,000/s. Loopback only, bounded in count and time.

use anyhow::{Context as _, Result, bail};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How many connections carry the load: a request that falls due while all of them wait for an
/// answer waits too, and that wait counts as latency. 128 is ten times what a server answering in
/// 1 ms needs at 10,000/s, as real traffic at that rate comes from thousands of browsers, each on
/// its own connection.
pub const CONNECTIONS: usize = 128;

/// How long the generator waits for the last answers after the last request was due.
const GRACE: Duration = Duration::from_secs(10);

/// What a run at a fixed rate measured.
#[derive(Debug)]
pub struct Fixed {
    pub rate: u64,
    pub sent: u64,
    pub answered: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One keep-alive connection: the moment its request in flight was due, and the bytes of its
/// answer read so far.
struct Connection {
    stream: TcpStream,
    due: Option<Instant>,
    inbox: Vec<u8>,
}

impl Connection {
    /// A new connection to `address`, watched by `poll` under `index`.
    fn open(poll: &Poll, address: SocketAddr, index: usize) -> Result<Self> {
        let stream = std::net::TcpStream::connect(address).context("connecting")?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(stream);
        poll.registry()
            .register(&mut stream, Token(index), Interest::READABLE)?;
        Ok(Self {
            stream,
            due: None,
            inbox: Vec::new(),
        })
    }
}

/// The head and the length of the first whole HTTP/1.1 message in `bytes` (its body as long as
/// its `Content-Length` says); `None` while it is incomplete.
fn whole_message(bytes: &[u8]) -> Result<Option<(&str, usize)>> {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&bytes[..end]).context("a message head that is not text")?;
    let mut length = 0;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value
                .trim()
                .parse()
                .context("a Content-Length that is not a number")?;
        }
    }
    let size = end + 4 + length;
    Ok((bytes.len() >= size).then_some((head, size)))
}

/// The status and length of the first whole HTTP/1.1 response in `bytes`; `None` while it is
/// incomplete.
fn whole_response(bytes: &[u8]) -> Result<Option<(u16, usize)>> {
    let Some((head, size)) = whole_message(bytes)? else {
        return Ok(None);
    };
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("a response without a status: {head}"))?;
    Ok(Some((status, size)))
}

/// Sends `rate` consent writes a second for `duration` to the server at `address`, each made by
/// `body(idempotency key, subject)`, and measures them.
pub fn run(
    address: SocketAddr,
    rate: u64,
    duration: Duration,
    body: impl Fn(&str, &str) -> String,
) -> Result<Fixed> {
    let total = rate * duration.as_secs();
    let interval = Duration::from_secs(1).as_nanos() as u64 / rate;
    let mut poll = Poll::new()?;
    let mut connections = (0..CONNECTIONS)
        .map(|index| Connection::open(&poll, address, index))
        .collect::<Result<Vec<_>>>()?;
    // Taken in turn, oldest free first: a connection left idle for long is closed by the server
    // (actix-web's keep-alive is 5 s), as it would be for a browser.
    let mut free: VecDeque<usize> = (0..CONNECTIONS).collect();
    let start = Instant::now() + Duration::from_millis(100);
    let due = |request: u64| start + Duration::from_nanos(request * interval);
    let deadline = due(total) + GRACE;
    let mut random = crate::chaos::Random(0x9e37_79b9_7f4a_7c15);
    let mut events = Events::with_capacity(CONNECTIONS);
    let mut buffer = vec![0; 64 * 1024];
    let mut latencies = Vec::with_capacity(total as usize);
    let (mut next, mut failed) = (0, 0);
    while (latencies.len() as u64) + failed < total {
        let now = Instant::now();
        if now > deadline {
            bail!(
                "{} of {total} requests unanswered {GRACE:?} after the last was due",
                total - latencies.len() as u64 - failed
            );
        }
        // Every request that is due goes out, as long as a connection is free.
        while next < total && due(next) <= now {
            let Some(index) = free.pop_front() else { break };
            let text = body(&random.key(), &random.uuid());
            let request = crate::chaos::json_request(address, "/api/v1/consents", &text, "");
            let connection = &mut connections[index];
            // A connection is free only once its last answer was read whole, so its send buffer
            // is empty and a request of a few hundred bytes goes out in one write.
            let written = connection.stream.write(request.as_bytes())?;
            if written < request.len() {
                bail!(
                    "a request went out in part ({written} of {} bytes)",
                    request.len()
                );
            }
            connection.due = Some(due(next));
            next += 1;
        }
        // Wake for the next answer, or when the next request falls due if a connection is free
        // for it (mio rounds a wait up to whole milliseconds; the lateness counts as latency).
        let wait = if next < total && !free.is_empty() {
            due(next).saturating_duration_since(now)
        } else {
            deadline.saturating_duration_since(now)
        };
        match poll.poll(&mut events, Some(wait)) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            result => result?,
        }
        for event in &events {
            let index = event.token().0;
            let connection = &mut connections[index];
            let closed = loop {
                match connection.stream.read(&mut buffer) {
                    Ok(0) => break true,
                    Ok(read) => connection.inbox.extend_from_slice(&buffer[..read]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
                    Err(e) => return Err(e).context("reading an answer"),
                }
            };
            while let Some((status, size)) = whole_response(&connection.inbox)? {
                connection.inbox.drain(..size);
                let due = connection
                    .due
                    .take()
                    .context("the server answered a request that was not sent")?;
                if (200..300).contains(&status) {
                    latencies.push(due.elapsed().as_secs_f64() * 1000.0);
                } else {
                    failed += 1;
                }
                free.push_back(index);
            }
            if closed {
                // Opened again under the same index, as a browser would. An idle connection is
                // in `free` already; a request in flight on it was lost: a failure, after which
                // the connection is free.
                if connection.due.take().is_some() {
                    failed += 1;
                    free.push_back(index);
                }
                poll.registry().deregister(&mut connection.stream)?;
                *connection = Connection::open(&poll, address, index)?;
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Fixed {
        rate,
        sent: total,
        answered: latencies.len() as u64,
        failed,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: latencies.last().copied().unwrap_or(f64::NAN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &[u8] =
        b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

    #[test]
    fn an_answer_is_whole_only_with_its_head_and_its_body() {
        for cut in 0..ANSWER.len() {
            assert_eq!(
                whole_response(&ANSWER[..cut]).unwrap(),
                None,
                "cut at {cut}"
            );
        }
        assert_eq!(whole_response(ANSWER).unwrap(), Some((201, ANSWER.len())));
        // Two answers read at once: the first is taken, the second stays for the next turn.
        let two = [
            ANSWER,
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
        ]
        .concat();
        assert_eq!(whole_response(&two).unwrap(), Some((201, ANSWER.len())));
        assert_eq!(
            whole_response(&two[ANSWER.len()..]).unwrap(),
            Some((503, two.len() - ANSWER.len()))
        );
        assert!(whole_response(b"garbage\r\n\r\n").is_err());
    }

    /// How the test peer ends a connection.
    #[derive(Clone, Copy)]
    enum Close {
        /// Never: it answers every request.
        Never,
        /// After answering this many requests on it, as a server with a keep-alive limit does.
        AfterAnswers(u64),
        /// On reading every request whose number (counted over all connections, from 1) is a
        /// multiple of this, without answering it, as a server that dies mid-request does.
        UnansweredEvery(u64),
    }

    /// A peer that answers requests with `status` (each answer once the whole request arrived)
    /// and ends connections as `close` says; it counts the requests it read.
    fn peer(
        status: &'static str,
        close: Close,
    ) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicU64>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = count.clone();
        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\n{{}}");
        let serve = move |mut stream: std::net::TcpStream| {
            let (mut inbox, mut buffer, mut answered) = (Vec::new(), [0; 4096], 0);
            while let Ok(read @ 1..) = stream.read(&mut buffer) {
                inbox.extend_from_slice(&buffer[..read]);
                while let Some((_, size)) = whole_message(&inbox).unwrap() {
                    inbox.drain(..size);
                    let number = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    if matches!(close, Close::UnansweredEvery(n) if number.is_multiple_of(n)) {
                        return;
                    }
                    stream.write_all(answer.as_bytes()).unwrap();
                    answered += 1;
                    if matches!(close, Close::AfterAnswers(n) if answered == n) {
                        return;
                    }
                }
            }
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let serve = serve.clone();
                std::thread::spawn(move || serve(stream));
            }
        });
        (address, count)
    }

    /// `rate` requests due within one second against a peer that answers with `status` and ends
    /// connections as `close` says: what the run measured, and how many requests the peer read.
    fn one_second(rate: u64, status: &'static str, close: Close) -> (Fixed, u64) {
        let (address, count) = peer(status, close);
        let fixed = run(address, rate, Duration::from_secs(1), |key, subject| {
            format!(r#"{{"idempotency_key":"{key}","subject":"{subject}"}}"#)
        })
        .unwrap();
        (fixed, count.load(std::sync::atomic::Ordering::SeqCst))
    }

    #[test]
    fn every_request_due_is_sent_once_and_its_answer_counted() {
        let (fixed, read) = one_second(500, "201 Created", Close::Never);
        assert_eq!((fixed.sent, fixed.answered, fixed.failed), (500, 500, 0));
        assert_eq!(read, 500);
        assert!(fixed.p50_ms <= fixed.p99_ms && fixed.p99_ms <= fixed.max_ms);
    }

    #[test]
    fn an_answer_that_is_not_a_success_counts_as_failed() {
        let (fixed, _) = one_second(200, "429 Too Many Requests", Close::Never);
        assert_eq!((fixed.sent, fixed.answered, fixed.failed), (200, 0, 200));
    }

    #[test]
    fn a_connection_the_server_closes_when_idle_is_opened_again() {
        // Each connection answers 3 requests and is closed: 500 requests need new connections
        // once the first 128 have carried 384, and none of them is lost.
        let (fixed, read) = one_second(500, "201 Created", Close::AfterAnswers(3));
        assert_eq!((fixed.sent, fixed.answered, fixed.failed), (500, 500, 0));
        assert_eq!(read, 500);
    }

    #[test]
    fn a_request_lost_with_its_connection_counts_as_failed() {
        let (fixed, read) = one_second(500, "201 Created", Close::UnansweredEvery(10));
        assert_eq!((fixed.sent, fixed.answered, fixed.failed), (500, 450, 50));
        assert_eq!(read, 500);
    }
}
