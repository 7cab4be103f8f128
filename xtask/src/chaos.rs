//! `cargo xtask chaos [KILLS]`: consent writes on loopback while the server is killed with SIGKILL
//! and restarted, again and again. Writers retry what went unanswered with the same idempotency
//! key, as the widget's outbox does. Afterwards every write must be in the ledger exactly once,
//! and the ledger must verify. Bounded: a few writers, a fixed number of kills, a deadline.
//! `cargo xtask test` runs a short round; `cargo xtask chaos` a long one and writes
//! RELIABILITY.md.

use anyhow::{Context as _, Result, bail, ensure};
use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Concurrent writers.
const WRITERS: usize = 4;
/// The answer files' key of the servers started here (32 bytes, base64): a test key.
pub const ATTACHMENT_KEY: &str = "Y2hhb3MgYW5kIGJlbmNoOiBhIHRlc3Qga2V5LCAzMiE=";

/// Where the round writes: one server on a SQLite file, or two servers sharing one PostgreSQL
/// database behind a load balancer (each writer has its server; an unanswered write goes to the
/// other, as a balancer fails over).
pub enum Backing<'a> {
    Sqlite,
    Postgres(&'a crate::postgres::Cluster),
}
/// The longest the whole run may take.
const DEADLINE: Duration = Duration::from_secs(600);

/// What a run saw.
pub struct Outcome {
    /// What served: one server on SQLite, or two on one PostgreSQL.
    pub backing: &'static str,
    pub kills: usize,
    pub writes: usize,
    pub attempts: u64,
    pub unanswered_attempts: u64,
    pub in_ledger: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub verification: String,
    pub seconds: f64,
}

/// A small xorshift generator: the keys only need to differ, not to be secret.
pub struct Random(pub u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// An idempotency key as the widget makes them: a UUID v7 (milliseconds since the epoch, then
    /// random bits), as text.
    pub fn key(&mut self) -> String {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
            (millis >> 16) & 0xffff_ffff,
            millis & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// A random UUID v4 as text (a subject id).
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

/// The server under test, restarted on the same address and database.
pub struct Server {
    binary: PathBuf,
    config: PathBuf,
    database: String,
    address: SocketAddr,
    child: Child,
}

impl Server {
    pub fn start(
        binary: &Path,
        config: &Path,
        database: &str,
        address: SocketAddr,
    ) -> Result<Self> {
        let child = Self::spawn(binary, config, database, address)?;
        let mut server = Self {
            binary: binary.to_owned(),
            config: config.to_owned(),
            database: database.to_owned(),
            address,
            child,
        };
        server.wait_until_listening()?;
        Ok(server)
    }

    fn spawn(binary: &Path, config: &Path, database: &str, address: SocketAddr) -> Result<Child> {
        Self::spawn_limited(binary, config, database, address, None)
    }

    /// With `max_file_kib`, no file the server writes may grow beyond it: a full disk, as the
    /// database sees one (`ulimit -f`, with SIGXFSZ ignored so a write fails instead of killing).
    fn spawn_limited(
        binary: &Path,
        config: &Path,
        database: &str,
        address: SocketAddr,
        max_file_kib: Option<u64>,
    ) -> Result<Child> {
        let mut command = match max_file_kib {
            None => Command::new(binary),
            Some(kib) => {
                let mut shell = Command::new("bash");
                shell
                    .arg("-c")
                    .arg(format!("ulimit -f {kib}; trap '' XFSZ; exec \"$0\" \"$@\""))
                    .arg(binary);
                shell
            }
        };
        Ok(command
            .args([
                "serve",
                "--bind",
                &address.to_string(),
                "--database",
                database,
            ])
            .arg("--config")
            .arg(config)
            // Instances on one PostgreSQL share the key answer files are sealed with.
            .env("PRIVACY_ATTACHMENT_KEY", ATTACHMENT_KEY)
            .env("PRIVACY_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?)
    }

    fn wait_until_listening(&mut self) -> Result<()> {
        let started = Instant::now();
        while TcpStream::connect(self.address).is_err() {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited at start ({status})");
            }
            ensure!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight.
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    fn restart(&mut self) -> Result<()> {
        self.child = Self::spawn(&self.binary, &self.config, &self.database, self.address)?;
        self.wait_until_listening()
    }
}

/// Sends one consent write; `Some(status)` when the server answered.
fn post(address: SocketAddr, body: &str) -> Option<u16> {
    post_reading(address, body).map(|(status, _)| status)
}

/// Sends one consent write; the status and the whole response when the server answered.
fn post_reading(address: SocketAddr, body: &str) -> Option<(u16, String)> {
    post_json(address, "/api/v1/consents", body)
}

/// POSTs a JSON `body` to `path` over a fresh connection; the status and the whole response
/// (head and body) when the server answered.
pub fn post_json(address: SocketAddr, path: &str, body: &str) -> Option<(u16, String)> {
    post_json_with(address, path, body, "")
}

/// [`post_json`] with more header lines (each ending in `\r\n`).
pub fn post_json_with(
    address: SocketAddr,
    path: &str,
    body: &str,
    headers: &str,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = json_request(
        address,
        path,
        body,
        &format!("{headers}Connection: close\r\n"),
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.get(9..12)?.parse().ok()?;
    Some((status, response))
}

/// A POST of a JSON `body` to `path` as HTTP/1.1 puts it on the wire, with more header lines
/// (each ending in `\r\n`).
pub fn json_request(address: SocketAddr, path: &str, body: &str, headers: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n{headers}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A writer thread panicked while it held the shared list.
fn poisoned() -> anyhow::Error {
    anyhow::anyhow!("a writer thread panicked")
}

/// Runs the chaos round with `kills` kills against the server binary at `binary`, on SQLite.
pub fn run(root: &Path, binary: &Path, kills: usize) -> Result<Outcome> {
    run_on(root, binary, kills, Backing::Sqlite)
}

/// Runs the chaos round on `backing`: the kills go to each server in turn.
pub fn run_on(root: &Path, binary: &Path, kills: usize, backing: Backing) -> Result<Outcome> {
    let started = Instant::now();
    let scratch = crate::bench::Scratch::new(root, "chaos")?;
    let config = &scratch.config;
    let (database, instances) = match &backing {
        Backing::Sqlite => (scratch.database_url(), 1),
        Backing::Postgres(cluster) => (cluster.create_database("chaos")?, 2),
    };
    let addresses: Vec<SocketAddr> = (0..instances)
        .map(|_| Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?))
        .collect::<Result<_>>()?;
    let mut servers: Vec<Server> = addresses
        .iter()
        .map(|address| Server::start(binary, config, &database, *address))
        .collect::<Result<_>>()?;
    let address = addresses[0];
    let body = crate::bench::consent_body()?;

    // Each writer keeps its writes until answered: key → body.
    let stop = Arc::new(AtomicBool::new(false));
    let attempts = Arc::new(AtomicU64::new(0));
    let unanswered_attempts = Arc::new(AtomicU64::new(0));
    let answered: Arc<Mutex<HashMap<String, u16>>> = Arc::default();
    let pending: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let writers: Vec<_> = (0..WRITERS)
        .map(|n| {
            let (stop, attempts, unanswered_attempts) = (
                Arc::clone(&stop),
                Arc::clone(&attempts),
                Arc::clone(&unanswered_attempts),
            );
            let (answered, pending, body, addresses) = (
                Arc::clone(&answered),
                Arc::clone(&pending),
                body.clone(),
                addresses.clone(),
            );
            std::thread::spawn(move || {
                let mut random = Random(0x9e37_79b9_7f4a_7c15 ^ ((n as u64 + 1) * 0x1000_0001));
                let mut target = n % addresses.len();
                while !stop.load(Ordering::Relaxed) {
                    let address = addresses[target];
                    let retry = pending.lock().map(|mut p| p.pop()).unwrap_or(None);
                    let (key, text) = retry.unwrap_or_else(|| {
                        let key = random.key();
                        let text = body(&key, &random.uuid());
                        (key, text)
                    });
                    attempts.fetch_add(1, Ordering::Relaxed);
                    match post(address, &text) {
                        Some(status @ (200 | 201)) => {
                            if let Ok(mut answered) = answered.lock() {
                                answered.insert(key, status);
                            }
                        }
                        Some(status) if status < 500 && status != 429 => {
                            // Refused for good: a bug in this harness or the server.
                            eprintln!("chaos: a write was refused with {status}");
                            stop.store(true, Ordering::Relaxed);
                        }
                        _ => {
                            unanswered_attempts.fetch_add(1, Ordering::Relaxed);
                            target = (target + 1) % addresses.len();
                            if let Ok(mut pending) = pending.lock() {
                                pending.insert(0, (key, text));
                            }
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            })
        })
        .collect();

    let mut random = Random(0x2545_f491_4f6c_dd1d);
    for kill in 0..kills {
        std::thread::sleep(Duration::from_millis(50 + random.next() % 250));
        let server = &mut servers[kill % instances];
        server.kill()?;
        server.restart()?;
        ensure!(started.elapsed() < DEADLINE, "the run passed its deadline");
    }
    // Let every writer's pending writes through, then stop them.
    std::thread::sleep(Duration::from_millis(300));
    loop {
        let left = pending.lock().map(|p| p.len()).unwrap_or(0);
        if left == 0 {
            break;
        }
        ensure!(
            started.elapsed() < DEADLINE,
            "{left} writes were still unanswered at the deadline"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        let _ = writer.join();
    }
    // A write in flight when the writers stopped went back to the pending list: answer it.
    let leftovers: Vec<(String, String)> =
        std::mem::take(&mut *pending.lock().map_err(|_| poisoned())?);
    for (key, text) in leftovers {
        let status = (0..100)
            .find_map(|_| post(address, &text).filter(|s| matches!(s, 200 | 201)))
            .with_context(|| format!("write {key} was never answered"))?;
        answered.lock().map_err(|_| poisoned())?.insert(key, status);
    }
    for server in &mut servers {
        server.kill()?;
    }

    const STORED: &str = "SELECT idempotency_key, count(*) FROM consent_events GROUP BY 1";
    let stored: HashMap<String, i64> = match &backing {
        Backing::Sqlite => {
            let conn = rusqlite::Connection::open(&scratch.database)?;
            let mut statement = conn.prepare(STORED)?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?
        }
        Backing::Postgres(cluster) => cluster
            .query(&database, STORED)?
            .into_iter()
            .map(|row| Ok((row[0].clone(), row[1].parse()?)))
            .collect::<Result<_>>()?,
    };
    let answered = answered.lock().map_err(|_| poisoned())?;
    let lost = answered.keys().filter(|k| !stored.contains_key(*k)).count();
    let duplicated = stored.values().filter(|n| **n > 1).count();
    let verification = Command::new(binary)
        .args(["ledger", "verify", "--database", &database])
        .output()?;
    let verification = String::from_utf8_lossy(&verification.stdout)
        .trim()
        .to_owned();
    let outcome = Outcome {
        backing: match backing {
            Backing::Sqlite => "one server on SQLite",
            Backing::Postgres(_) => "two servers on one PostgreSQL",
        },
        kills,
        writes: answered.len(),
        attempts: attempts.load(Ordering::Relaxed),
        unanswered_attempts: unanswered_attempts.load(Ordering::Relaxed),
        in_ledger: stored.values().map(|n| *n as usize).sum(),
        lost,
        duplicated,
        verification,
        seconds: started.elapsed().as_secs_f64(),
    };
    let _ = std::fs::remove_dir_all(&scratch.dir);
    ensure!(
        outcome.lost == 0
            && outcome.duplicated == 0
            && outcome.in_ledger == outcome.writes
            && outcome.verification.starts_with("ledger intact"),
        "chaos: {} lost, {} duplicated, {} answered writes but {} events; {}",
        outcome.lost,
        outcome.duplicated,
        outcome.writes,
        outcome.in_ledger,
        outcome.verification
    );
    Ok(outcome)
}

/// What the full-disk round saw.
pub struct FullDisk {
    pub answered_before_full: usize,
    pub refused_while_full: usize,
    pub answered_after: usize,
    pub in_ledger: usize,
    pub verification: String,
    pub integrity: String,
}

/// Fills the disk under the server: writes until the database cannot grow, then more. Each is
/// answered 503 problem+json and the server keeps running; restarted with room, it takes writes
/// again, and the database is intact: `integrity_check`, the ledger verifies, and it holds
/// exactly the writes that were answered 201.
pub fn full_disk(root: &Path, binary: &Path) -> Result<FullDisk> {
    let started = Instant::now();
    let scratch = crate::bench::Scratch::new(root, "full-disk")?;
    let database = scratch.database_url();
    let address = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let body = crate::bench::consent_body()?;
    let mut random = Random(0x5851_f42d_4c95_7f2d);
    let mut write = || {
        let key = random.key();
        let subject = random.uuid();
        post_reading(address, &body(&key, &subject))
    };
    // A database with some events, then a limit a little above its size.
    let mut server = Server::start(binary, &scratch.config, &database, address)?;
    for _ in 0..50 {
        ensure!(
            matches!(write(), Some((201, _))),
            "a write before the disk filled failed"
        );
    }
    server.kill()?;
    let limit_kib = std::fs::metadata(&scratch.database)?.len() / 1024 + 64;
    server.child =
        Server::spawn_limited(binary, &scratch.config, &database, address, Some(limit_kib))?;
    server.wait_until_listening()?;
    let mut answered_before_full = 50;
    let mut refused_while_full = 0;
    while refused_while_full < 20 {
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "the disk never filled ({answered_before_full} writes answered)"
        );
        match write() {
            // Space may come back between writes (a checkpoint, a smaller page): a write that
            // fits is answered, and must be kept like any other.
            Some((201, _)) => answered_before_full += 1,
            Some((503, response)) => {
                ensure!(
                    response.contains("application/problem+json")
                        && response.contains("urn:virtio-privacy:problem:unavailable"),
                    "a full disk is not answered as a 503 problem: {response}"
                );
                refused_while_full += 1;
            }
            Some((status, response)) => {
                bail!("with the disk full a write got {status}: {response}")
            }
            None => bail!("with the disk full the server stopped answering"),
        }
    }
    ensure!(
        server.child.try_wait()?.is_none(),
        "the server died of a full disk"
    );
    server.kill()?;
    server.restart()?;
    let mut answered_after = 0;
    for _ in 0..10 {
        ensure!(
            matches!(write(), Some((201, _))),
            "with room again a write failed"
        );
        answered_after += 1;
    }
    server.kill()?;
    let conn = rusqlite::Connection::open(&scratch.database)?;
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    let in_ledger: i64 = conn.query_row("SELECT count(*) FROM consent_events", [], |r| r.get(0))?;
    let verification = Command::new(binary)
        .args(["ledger", "verify", "--database", &database])
        .output()?;
    let outcome = FullDisk {
        answered_before_full,
        refused_while_full,
        answered_after,
        in_ledger: usize::try_from(in_ledger)?,
        verification: String::from_utf8_lossy(&verification.stdout)
            .trim()
            .to_owned(),
        integrity,
    };
    let _ = std::fs::remove_dir_all(&scratch.dir);
    ensure!(
        outcome.integrity == "ok"
            && outcome.verification.starts_with("ledger intact")
            && outcome.in_ledger == outcome.answered_before_full + outcome.answered_after,
        "after a full disk: integrity {}, {}, {} events for {} answered writes",
        outcome.integrity,
        outcome.verification,
        outcome.in_ledger,
        outcome.answered_before_full + outcome.answered_after
    );
    Ok(outcome)
}

impl FullDisk {
    /// The report as Markdown.
    pub fn report(&self) -> String {
        format!(
            "## A full disk\n\n\
             The same command then fills the disk under the server (`ulimit -f` a little above \
             the database's size, SIGXFSZ ignored, so a write fails as on a full disk): writes \
             are answered until the database cannot grow, then each is refused with a 503 \
             problem+json while the server keeps running. Restarted with room, it takes writes \
             again.\n\n\
             | answered (before and under the limit) | refused while full (503) | answered after | events in the ledger | integrity_check | ledger |\n\
             |---|---|---|---|---|---|\n\
             | {} | {} | {} | {} | {} | {} |\n",
            self.answered_before_full,
            self.refused_while_full,
            self.answered_after,
            self.in_ledger,
            self.integrity,
            self.verification
        )
    }
}

impl Outcome {
    /// The report as Markdown.
    pub fn report(&self, command: &str) -> String {
        format!(
            "## Crash safety: SIGKILL under load, {backing}\n\n\
             `{command}`: {WRITERS} writers send consent events on loopback (each a new \
             idempotency key and subject) while the servers are killed with SIGKILL and \
             restarted {kills} times, in turn. An attempt without an answer (refused connection, \
             reset, 5xx) is retried with the same key, on the other server where there are two, \
             as the widget's outbox and a load balancer do.\n\n\
             | kills | writes answered | attempts | unanswered attempts (retried) | events in the ledger | lost | duplicated | ledger | seconds |\n\
             |---|---|---|---|---|---|---|---|---|\n\
             | {kills} | {writes} | {attempts} | {unanswered} | {in_ledger} | {lost} | {duplicated} | {verification} | {seconds:.1} |\n",
            backing = self.backing,
            kills = self.kills,
            writes = self.writes,
            attempts = self.attempts,
            unanswered = self.unanswered_attempts,
            in_ledger = self.in_ledger,
            lost = self.lost,
            duplicated = self.duplicated,
            verification = self.verification,
            seconds = self.seconds,
        )
    }
}
