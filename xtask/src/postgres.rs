//! A throwaway PostgreSQL server for the tests: a new cluster in a temporary folder, on a free
//! loopback port, stopped and deleted when dropped. PostgreSQL refuses to run as root, so as root
//! it runs as the `postgres` user Debian's package creates.

use anyhow::{Context as _, Result, ensure};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools;

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// The URL of its maintenance database, where the tests create their own.
    pub url: String,
    /// The CA that signed the server's TLS certificate (for `127.0.0.1`): clients that verify
    /// it connect with `sslmode=require&sslrootcert=…`; plain connections are allowed too.
    pub ca: PathBuf,
}

/// A CA and a server certificate for `127.0.0.1` signed by it, made with `openssl` in `dir`:
/// `(ca.pem, server.pem, server.key)`, valid for two days.
fn test_certificates(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let openssl = |args: &[&str]| -> Result<()> {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .context("the PostgreSQL TLS test needs openssl: apt-get install openssl")?;
        ensure!(
            output.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    };
    let p256 = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509", "-new"][..],
            &p256,
            &["-keyout", "ca.key", "-out", "ca.pem"],
            &["-days", "2", "-subj", "/CN=virtio-privacy-test-ca"],
        ]
        .concat(),
    )?;
    openssl(
        &[
            &["req", "-new"][..],
            &p256,
            &["-keyout", "server.key", "-out", "server.csr"],
            &["-subj", "/CN=127.0.0.1"],
        ]
        .concat(),
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n\
         extendedKeyUsage=serverAuth\n",
    )?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ])?;
    let key = dir.join("server.key");
    // PostgreSQL reads its key only when no one else may.
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    if tools::is_root() {
        crate::run_command(
            Command::new("chown")
                .arg("postgres:postgres")
                .arg(&key)
                .arg(dir.join("server.pem")),
        )?;
    }
    Ok((dir.join("ca.pem"), dir.join("server.pem"), key))
}

/// `program` from `bin`, run as `postgres` when this runs as root.
fn as_owner(bin: &Path, program: &str) -> Command {
    if tools::is_root() {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

impl Cluster {
    /// Creates and starts a cluster under `root`'s `target/`.
    pub fn start(root: &Path) -> Result<Self> {
        let bin = tools::postgres_bin()?;
        let dir = root
            .join("target")
            .join(format!("postgres-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if tools::is_root() {
            crate::run_command(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
            // The path down to the folder must be searchable by the server's user.
            let mut up = dir.parent();
            while let Some(folder) = up {
                let _ = Command::new("chmod").arg("o+x").arg(folder).status();
                up = folder.parent();
            }
        }
        let data = dir.join("data");
        let initdb = as_owner(&bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
            .output()
            .context("running initdb")?;
        ensure!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let (ca, certificate, key) = test_certificates(&dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let started = as_owner(&bin, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 \
                 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                dir.display(),
                certificate.display(),
                key.display()
            ))
            .arg("-l")
            .arg(dir.join("server.log"))
            .args(["-w", "start"])
            .output()
            .context("running pg_ctl start")?;
        let cluster = Self {
            bin,
            dir,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            ca,
        };
        ensure!(
            started.status.success(),
            "PostgreSQL did not start: {}{}",
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default()
        );
        Ok(cluster)
    }
}

impl Cluster {
    /// A new empty database named after `purpose`; its URL.
    pub fn create_database(&self, purpose: &str) -> Result<String> {
        let name = format!("{purpose}_{}", std::process::id());
        self.query(&self.url, &format!("DROP DATABASE IF EXISTS {name}"))?;
        self.query(&self.url, &format!("CREATE DATABASE {name}"))?;
        let (base, _) = self
            .url
            .rsplit_once('/')
            .context("a URL ending in /database")?;
        Ok(format!("{base}/{name}"))
    }

    /// Runs `sql` on the database at `url` with `psql`; each row's values.
    pub fn query(&self, url: &str, sql: &str) -> Result<Vec<Vec<String>>> {
        let output = Command::new(self.bin.join("psql"))
            .args([
                url,
                "-X",
                "-A",
                "-t",
                "-F",
                "\t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .context("running psql")?;
        ensure!(
            output.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_owner(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
