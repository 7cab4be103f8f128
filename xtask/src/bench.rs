//! The server half of `cargo xtask bench` (PRODUCT.md §7): consent writes per second and their
//! p99 latency with SQLite, against a bare actix-web handler on the same machine in the same run,
//! both release builds driven by `wrk` with a new, valid event in every request; then the p99 at
//! a fixed 10,000 writes a second ([`crate::rate`]). Afterwards the ledger is verified, and every
//! answered write must be in it.

use anyhow::{Context as _, Result, bail, ensure};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{cargo, run_command, tools};

/// What one `wrk` run measured.
struct Load {
    requests: u64,
    failed: u64,
    per_second: f64,
    p99_ms: f64,
}

fn free_address() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Waits until something accepts connections at `address`.
fn wait_for(address: SocketAddr, child: &mut Child) -> Result<()> {
    let started = Instant::now();
    while TcpStream::connect(address).is_err() {
        if let Some(status) = child.try_wait()? {
            bail!("the process under test exited ({status})");
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("nothing listens at {address} after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Milliseconds from a `wrk` latency such as `812.00us`, `4.21ms` or `1.02s`.
fn millis(value: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

fn parse_wrk(output: &str) -> Result<Load> {
    let field = |prefix: &str| {
        output
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let per_second = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .context("wrk printed no Requests/sec")?;
    let p99_ms = field("99%")
        .and_then(millis)
        .context("wrk printed no 99% latency")?;
    let requests = output
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .context("wrk printed no request count")?;
    let failed = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        + field("Socket errors:").map_or(0, |_| 1);
    Ok(Load {
        requests,
        failed,
        per_second,
        p99_ms,
    })
}

/// `wrk` against `address`; `instance` tells the runs going at once apart.
fn load(wrk: &Path, root: &Path, address: SocketAddr, instance: usize) -> Result<Load> {
    let (version, hash, choices) = accept_all()?;
    let output = Command::new(wrk)
        .args(["-t2", "-c64", "-d10s", "--latency", "-s"])
        .arg(root.join("xtask/bench/consent.lua"))
        .arg(format!("http://{address}/api/v1/consents"))
        .args(["--", &hash, &choices, version, &instance.to_string()])
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_wrk(&text).with_context(|| format!("reading wrk's report:\n{text}"))
}

/// A temporary folder for a server under load: its settings (the group's catalogue; no per-client
/// limit, since one client sends everything) and its database.
pub struct Scratch {
    pub dir: std::path::PathBuf,
    pub config: std::path::PathBuf,
    pub database: std::path::PathBuf,
}

impl Scratch {
    pub fn new(root: &Path, name: &str) -> Result<Self> {
        Self::with_limits(root, name, "")
    }

    /// Like [`Self::new`], with `more` settings after the `[rate_limits]` table's first line
    /// (further limits, then other tables).
    pub fn with_limits(root: &Path, name: &str, more: &str) -> Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("virtio-privacy-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "catalogue = {:?}\n[rate_limits]\nconsent_writes_per_minute = 1000000000\n{more}",
                root.join("config/sites.toml")
            ),
        )?;
        let database = dir.join(format!("{name}.db"));
        Ok(Self {
            dir,
            config,
            database,
        })
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.database.display())
    }
}

/// What an "accept all" on virtio-nl under the current policy carries: the policy version, the
/// Dutch notice hash and the choices as JSON.
fn accept_all() -> Result<(&'static str, String, String)> {
    privacy_shared::site::install_repo_catalogue_for_tests();
    let site: privacy_shared::SiteId = "virtio-nl".parse()?;
    let version = privacy_shared::policy::CURRENT_VERSION;
    let hash = privacy_shared::policy::notice_hash(version, privacy_shared::Language::Nl)
        .context("the current policy has a Dutch notice hash")?;
    let choices = serde_json::to_string(&privacy_shared::consent::uniform_choices(site, true))?;
    Ok((version, hash.to_string(), choices))
}

/// A consent write for a new subject: the JSON body `(idempotency key, subject)` →  text, for
/// virtio-nl under the current policy, accepting everything.
pub fn consent_body() -> Result<impl Fn(&str, &str) -> String + Clone> {
    let (version, hash, choices) = accept_all()?;
    Ok(move |key: &str, subject: &str| {
        format!(
            r#"{{"idempotency_key":"{key}","subject":"{subject}","site":"virtio-nl","kind":"accept_all","source":"banner","choices":{choices},"policy_version":"{version}","language":"nl","notice_hash":"{hash}","gpc":false}}"#
        )
    })
}

/// The fixed load PRODUCT.md §7 gives the p99 budget at.
const FIXED_RATE: u64 = 10_000;

fn within(ok: bool) -> &'static str {
    if ok { "within" } else { "over" }
}

/// Runs both measurements and returns the report's section.
pub fn server(root: &Path) -> Result<String> {
    let wrk = tools::wrk()?;
    run_command(Command::new(cargo()).args([
        "build",
        "--release",
        "--package",
        "privacy-server",
        "--bin",
        "privacy-server",
        "--package",
        "privacy-tests",
        "--bin",
        "bare-actix",
    ]))?;
    let release = root.join("target/release");

    let address = free_address()?;
    let mut bare = Command::new(release.join("bare-actix"))
        .arg(address.to_string())
        .stdout(Stdio::null())
        .spawn()?;
    wait_for(address, &mut bare)?;
    let bare_load = load(&wrk, root, address, 0);
    let _ = bare.kill();
    let _ = bare.wait();
    let bare_load = bare_load?;

    let scratch = Scratch::new(root, "bench")?;
    let (dir, config) = (scratch.dir.clone(), scratch.config.clone());
    let database = scratch.database_url();
    let address = free_address()?;
    let binary = release.join("privacy-server");
    let mut server = crate::chaos::Server::start(&binary, &config, &database, address)?;
    let ours = load(&wrk, root, address, 0);
    // Then the latency at a fixed load, on the ledger wrk filled.
    let fixed = crate::rate::run(
        address,
        FIXED_RATE,
        Duration::from_secs(10),
        consent_body()?,
    );
    // Let the last writes land before counting.
    std::thread::sleep(Duration::from_millis(500));
    let _ = server.kill();
    let ours = ours?;
    let fixed = fixed?;
    let stored = verified_events(&release, &database)?;
    let answered = ours.requests - ours.failed + fixed.answered;
    if stored < answered {
        bail!("{answered} writes were answered but only {stored} are in the ledger");
    }

    // The same load on PostgreSQL: one instance, then two sharing the database.
    let cluster = crate::postgres::Cluster::start(root)?;
    let one = postgres_load(&wrk, root, &release, &config, &cluster, 1)?;
    let two = postgres_load(&wrk, root, &release, &config, &cluster, 2)?;
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);

    let ratio = ours.per_second / bare_load.per_second;
    Ok(format!(
        "\n## Server: consent writes\n\n\
         `wrk -t2 -c64 -d10s` on this 2-core machine, load generator and server on the same cores;\n\
         release builds; every request a new valid event (`xtask/bench/consent.lua`).\n\n\
         | handler | requests/s | p99 latency | failed |\n|---|---|---|---|\n\
         | bare actix-web handler (`bare-actix`) | {:.0} | {:.2} ms | {} |\n\
         | `POST /api/v1/consents`, SQLite, hash chain | {:.0} | {:.2} ms | {} |\n\
         | `POST /api/v1/consents`, PostgreSQL, one instance | {:.0} | {:.2} ms | {} |\n\
         | `POST /api/v1/consents`, PostgreSQL, two instances (a `wrk` each, summed) | {:.0} | {:.2} ms | {} |\n\n\
         Ratio to the bare handler: {ratio:.2}. `wrk` drives the server to saturation, so its p99 is\n\
         the p99 at full load. PostgreSQL 15 (Debian's) runs on the same two cores, in a cluster\n\
         made for the run (`xtask/src/postgres.rs`, default settings, `synchronous_commit` on);\n\
         after each PostgreSQL run the ledger verified with every answered write in it. Each\n\
         instance's ledger writer takes a batch in a few round trips whatever its size (the\n\
         idempotency lookups pipelined, the new rows in one `INSERT … SELECT FROM UNNEST`), and\n\
         a second instance adds its own writer to the same chain, taking turns on its lock.\n\n\
         At a fixed rate (`xtask/src/rate.rs`: requests due at even intervals for 10 s, each sent on\n\
         whichever of {connections} keep-alive connections is free, all driven by one thread's event\n\
         loop; latency counted from the moment a request was due), on the ledger `wrk` filled:\n\n\
         | rate | sent | answered 2xx | failed | p50 | p99 | max |\n|---|---|---|---|---|---|---|\n\
         | {} /s | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms |\n\n\
         After both runs the ledger verified with {stored} events for {answered} answered writes:\n\
         every answered write was durable.\n\n\
         | figure | measured | budget | |\n|---|---|---|---|\n\
         | consent writes / bare handler | {ratio:.2} | 0.50 | {} |\n\
         | p99 at {} requests/s | {:.2} ms | 10.00 ms | {} |\n",
        bare_load.per_second,
        bare_load.p99_ms,
        bare_load.failed,
        ours.per_second,
        ours.p99_ms,
        ours.failed,
        one.per_second,
        one.p99_ms,
        one.failed,
        two.per_second,
        two.p99_ms,
        two.failed,
        fixed.rate,
        fixed.sent,
        fixed.answered,
        fixed.failed,
        fixed.p50_ms,
        fixed.p99_ms,
        fixed.max_ms,
        within(ratio >= 0.5),
        fixed.rate,
        fixed.p99_ms,
        within(fixed.p99_ms < 10.0 && fixed.failed == 0),
        connections = crate::rate::CONNECTIONS,
    ))
}

/// How many events `ledger verify` checked on `database`; an error unless the ledger is intact.
fn verified_events(release: &Path, database: &str) -> Result<u64> {
    let output = Command::new(release.join("privacy-server"))
        .args(["ledger", "verify", "--database", database])
        .output()?;
    let verified = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    verified
        .strip_prefix("ledger intact: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("the ledger does not verify: {verified}"))
}

/// `wrk` against `instances` servers sharing a new database on `cluster`, all at once; the loads
/// summed (p99: the worst). Every answered write must be in the ledger, which must verify.
fn postgres_load(
    wrk: &Path,
    root: &Path,
    release: &Path,
    config: &Path,
    cluster: &crate::postgres::Cluster,
    instances: usize,
) -> Result<Load> {
    let database = cluster.create_database(&format!("bench{instances}"))?;
    let addresses: Vec<SocketAddr> = (0..instances)
        .map(|_| free_address())
        .collect::<Result<_>>()?;
    let mut servers = Vec::new();
    for address in &addresses {
        let binary = release.join("privacy-server");
        servers.push(crate::chaos::Server::start(
            &binary, config, &database, *address,
        )?);
    }
    let loads: Vec<Result<Load>> = std::thread::scope(|scope| {
        let running: Vec<_> = addresses
            .iter()
            .enumerate()
            .map(|(n, address)| scope.spawn(move || load(wrk, root, *address, n)))
            .collect();
        running
            .into_iter()
            .map(|r| r.join().unwrap_or_else(|_| bail!("a load thread panicked")))
            .collect()
    });
    std::thread::sleep(Duration::from_millis(500));
    for server in &mut servers {
        let _ = server.kill();
    }
    let loads = loads.into_iter().collect::<Result<Vec<_>>>()?;
    let combined = Load {
        requests: loads.iter().map(|l| l.requests).sum(),
        failed: loads.iter().map(|l| l.failed).sum(),
        per_second: loads.iter().map(|l| l.per_second).sum(),
        p99_ms: loads.iter().map(|l| l.p99_ms).fold(0.0, f64::max),
    };
    let stored = verified_events(release, &database)?;
    let answered = combined.requests - combined.failed;
    ensure!(
        stored >= answered,
        "{answered} writes were answered on PostgreSQL but only {stored} are in the ledger"
    );
    Ok(combined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_reports_are_read() {
        let report = "Running 10s test @ http://127.0.0.1:1/api/v1/consents
  2 threads and 64 connections
  Latency Distribution
     50%    2.10ms
     75%    3.00ms
     90%    4.00ms
     99%  812.00us
  123456 requests in 10.00s, 40.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  12345.60
Transfer/sec:      4.00MB";
        let load = parse_wrk(report).unwrap();
        assert_eq!((load.requests, load.failed), (123456, 3));
        assert!((load.per_second - 12345.6).abs() < 1e-6);
        assert!((load.p99_ms - 0.812).abs() < 1e-9);
    }
}
