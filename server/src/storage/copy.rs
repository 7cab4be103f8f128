//! `privacy-server copy --from URL --to URL`: moves an installation between backends (SQLite to
//! PostgreSQL when it outgrows one machine, or back), every table as it is, hashes and sequence
//! numbers included, so both chains verify on the other side exactly as they did. The source is
//! read in one snapshot, the target written in one transaction and only when it is empty; then
//! the target's ledger and audit log are verified.

use anyhow::{Context as _, bail, ensure};
use tokio_postgres::types::ToSql;

use super::DatabaseUrl;

/// How a column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Bool,
    Blob,
}

/// One column's value as it is carried from one backend to the other.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Blob(Vec<u8>),
}

/// A table to copy: its columns, and whether its `seq` is an identity to carry over.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    /// The order rows are read in (and so written, where the target numbers them itself).
    order: &'static str,
    /// `seq` is among the columns and is an identity column on PostgreSQL.
    identity: bool,
}

use Kind::{Blob, Bool, Int, Text};

/// Every table, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "consent_events",
        columns: &[
            ("seq", Int),
            ("event_id", Text),
            ("idempotency_key", Text),
            ("site", Text),
            ("subject_id", Text),
            ("customer", Text),
            ("recorded_at", Text),
            ("kind", Text),
            ("source", Text),
            ("choices", Text),
            ("policy_version", Text),
            ("language", Text),
            ("notice_hash", Text),
            ("user_agent_family", Text),
            ("gpc", Bool),
            ("expires_at", Text),
            ("prev_hash", Text),
            ("hash", Text),
            ("withdrawn", Text),
            ("unlinked_at", Text),
        ],
        order: "seq",
        identity: true,
    },
    Table {
        name: "ledger_anchor",
        columns: &[("id", Int), ("seq", Int), ("hash", Text), ("deleted", Int)],
        order: "id",
        identity: false,
    },
    Table {
        name: "audit_anchor",
        columns: &[("id", Int), ("seq", Int), ("hash", Text), ("deleted", Int)],
        order: "id",
        identity: false,
    },
    Table {
        name: "rights_requests",
        columns: &[
            ("id", Text),
            ("site", Text),
            ("kind", Text),
            ("status", Text),
            ("language", Text),
            ("email", Text),
            ("customer", Text),
            ("name", Text),
            ("details", Text),
            ("status_token_hash", Text),
            ("received_at", Text),
            ("due_date", Text),
            ("extension_reason", Text),
            ("answer", Text),
            ("refusal_reasons", Text),
            ("code_hash", Text),
            ("code_expires_at", Text),
            ("code_attempts", Int),
            ("subject", Text),
        ],
        order: "received_at, id",
        identity: false,
    },
    Table {
        name: "request_history",
        columns: &[
            ("seq", Int),
            ("request_id", Text),
            ("at", Text),
            ("status", Text),
            ("actor", Text),
            ("note", Text),
        ],
        order: "seq",
        identity: true,
    },
    Table {
        name: "outbox",
        columns: &[
            ("id", Text),
            ("to_address", Text),
            ("subject", Text),
            ("body", Text),
            ("queued_at", Text),
            ("sent_at", Text),
            ("attempts", Int),
            ("last_error", Text),
            ("next_attempt_at", Text),
            ("request_id", Text),
        ],
        order: "queued_at, id",
        identity: false,
    },
    Table {
        name: "request_attachments",
        columns: &[
            ("id", Text),
            ("request_id", Text),
            ("name", Text),
            ("content_type", Text),
            ("size", Int),
            ("export", Bool),
            ("nonce", Blob),
            ("ciphertext", Blob),
            ("created_at", Text),
        ],
        order: "created_at, id",
        identity: false,
    },
    Table {
        name: "staff",
        columns: &[
            ("email", Text),
            ("password_hash", Text),
            ("totp_secret", Text),
            ("role", Text),
            ("created_at", Text),
            ("last_totp_step", Int),
            ("failed_logins", Int),
            ("login_wait_until", Text),
        ],
        order: "email",
        identity: false,
    },
    Table {
        name: "staff_sessions",
        columns: &[
            ("token_hash", Text),
            ("email", Text),
            ("created_at", Text),
            ("expires_at", Text),
        ],
        order: "token_hash",
        identity: false,
    },
    Table {
        name: "audit_log",
        columns: &[
            ("seq", Int),
            ("at", Text),
            ("actor", Text),
            ("action", Text),
            ("request_id", Text),
            ("detail", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
        order: "seq",
        identity: true,
    },
];

impl Table {
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn select(&self) -> String {
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            self.column_list(),
            self.name,
            self.order
        )
    }

    /// The INSERT with `marker(i)` as the i-th placeholder (1-based).
    fn insert(&self, marker: impl Fn(usize) -> String, overriding: bool) -> String {
        let values: Vec<String> = (1..=self.columns.len()).map(marker).collect();
        format!(
            "INSERT INTO {} ({}){} VALUES ({})",
            self.name,
            self.column_list(),
            if overriding {
                " OVERRIDING SYSTEM VALUE"
            } else {
                ""
            },
            values.join(", ")
        )
    }
}

/// What a copy moved and found.
#[derive(Debug)]
pub struct CopyReport {
    /// Rows per table, in [`TABLES`] order.
    pub rows: Vec<(&'static str, usize)>,
    /// The target's ledger verification, as `ledger verify` prints it.
    pub ledger: String,
    /// The target's audit log: `None` when it verifies, else the first broken entry.
    pub audit_first_broken: Option<u64>,
}

type Rows = Vec<Vec<Value>>;

fn read_sqlite(path: &std::path::Path) -> anyhow::Result<Vec<Rows>> {
    let mut conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {}", path.display()))?;
    // One read transaction: a snapshot of every table at one moment, while the server writes.
    let tx = conn.transaction()?;
    let mut all = Vec::new();
    for table in TABLES {
        let mut statement = tx.prepare(&table.select())?;
        let rows = statement.query_map([], |row| {
            table
                .columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| {
                    Ok(match (kind, row.get_ref(i)?) {
                        (_, rusqlite::types::ValueRef::Null) => Value::Null,
                        (Int, _) => Value::Int(row.get(i)?),
                        (Bool, _) => Value::Bool(row.get(i)?),
                        (Blob, _) => Value::Blob(row.get(i)?),
                        (Text, _) => Value::Text(row.get(i)?),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        all.push(rows.collect::<rusqlite::Result<Rows>>()?);
    }
    Ok(all)
}

async fn read_postgres(url: &str) -> anyhow::Result<Vec<Rows>> {
    let mut client = super::postgres::connect(url).await?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let mut all = Vec::new();
    for table in TABLES {
        let rows = tx.query(&table.select(), &[]).await?;
        all.push(
            rows.iter()
                .map(|row| {
                    table
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, (_, kind))| {
                            Ok(match kind {
                                Int => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
                                Bool => row.try_get::<_, Option<bool>>(i)?.map(Value::Bool),
                                Blob => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob),
                                Text => row.try_get::<_, Option<String>>(i)?.map(Value::Text),
                            }
                            .unwrap_or(Value::Null))
                        })
                        .collect::<Result<Vec<_>, tokio_postgres::Error>>()
                })
                .collect::<Result<Rows, _>>()?,
        );
    }
    Ok(all)
}

fn write_sqlite(path: &std::path::Path, data: &[Rows]) -> anyhow::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    let tx = conn.transaction()?;
    for (table, rows) in TABLES.iter().zip(data) {
        let mut statement = tx.prepare(&table.insert(|i| format!("?{i}"), false))?;
        for row in rows {
            let values: Vec<rusqlite::types::Value> = row
                .iter()
                .map(|value| match value {
                    Value::Null => rusqlite::types::Value::Null,
                    Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
                    Value::Int(n) => rusqlite::types::Value::Integer(*n),
                    Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
                    Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
                })
                .collect();
            statement.execute(rusqlite::params_from_iter(values))?;
        }
    }
    tx.commit()?;
    Ok(())
}

async fn write_postgres(url: &str, data: &[Rows]) -> anyhow::Result<()> {
    let mut client = super::postgres::connect(url).await?;
    let tx = client.transaction().await?;
    for (table, rows) in TABLES.iter().zip(data) {
        let statement = tx
            .prepare(&table.insert(|i| format!("${i}"), table.identity))
            .await?;
        for row in rows {
            let params: Vec<Box<dyn ToSql + Sync + Send>> = row
                .iter()
                .zip(table.columns)
                .map(|(value, (_, kind))| -> Box<dyn ToSql + Sync + Send> {
                    match (value, kind) {
                        (Value::Text(t), _) => Box::new(t.clone()),
                        (Value::Int(n), Bool) => Box::new(*n != 0),
                        (Value::Int(n), _) => Box::new(*n),
                        (Value::Bool(b), _) => Box::new(*b),
                        (Value::Blob(b), _) => Box::new(b.clone()),
                        (Value::Null, Int) => Box::new(None::<i64>),
                        (Value::Null, Bool) => Box::new(None::<bool>),
                        (Value::Null, Blob) => Box::new(None::<Vec<u8>>),
                        (Value::Null, Text) => Box::new(None::<String>),
                    }
                })
                .collect();
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            tx.execute(&statement, &refs).await?;
        }
        if table.identity {
            // New rows number on from the copied ones.
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'seq'), \
                     coalesce((SELECT max(seq) FROM {0}), 0) + 1, false)",
                    table.name
                ),
                &[],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Copies the installation at `from` into the empty database at `to` (created and migrated
/// first), then verifies the target's chains.
pub async fn copy(from: &DatabaseUrl, to: &DatabaseUrl) -> anyhow::Result<CopyReport> {
    ensure!(
        from != to,
        "the source and the target are the same database"
    );
    // The target gets its schema, and must hold nothing yet.
    let target = super::open(to)?;
    let verified = target.verify_ledger().await?;
    let (audit, _) = target.audit_log(1).await?;
    if verified.events > 0 || !audit.is_empty() || !target.outbox(None).await?.is_empty() {
        bail!("the target database is not empty: copy goes into a new database only");
    }
    drop(target);
    let data = match from {
        DatabaseUrl::Sqlite(path) => {
            ensure!(path.exists(), "{} does not exist", path.display());
            read_sqlite(path)?
        }
        DatabaseUrl::Postgres(url) => read_postgres(url.expose()).await?,
    };
    match to {
        DatabaseUrl::Sqlite(path) => write_sqlite(path, &data)?,
        DatabaseUrl::Postgres(url) => write_postgres(url.expose(), &data).await?,
    }
    let target = super::open(to)?;
    let verified = target.verify_ledger().await?;
    let (_, audit_first_broken) = target.audit_log(1).await?;
    let rows: Vec<(&'static str, usize)> = TABLES
        .iter()
        .zip(&data)
        .map(|(table, rows)| (table.name, rows.len()))
        .collect();
    let copied_events = rows[0].1 as u64;
    ensure!(
        verified.events == copied_events,
        "the target verifies {} events, the source had {copied_events}",
        verified.events
    );
    Ok(CopyReport {
        rows,
        ledger: super::describe_verification(&verified),
        audit_first_broken,
    })
}
