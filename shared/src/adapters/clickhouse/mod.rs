//! ClickHouse over its HTTP interface with the official client: versioned migrations (here), the
//! writer's deduplicating insert (`sink`) and the analytics queries (`analytics`). Every value a client
//! sends is a bound parameter, never spliced in.

pub mod analytics;
mod sink;

pub use sink::{EventRow, InsertError};

use clickhouse::sql::Identifier;
use clickhouse::Client;
use time::OffsetDateTime;

use crate::config::ClickHouseConfig;
use crate::error::StoreError;

/// Every stored event (append-only; the writer keeps duplicates out).
pub const EVENTS_TABLE: &str = "raw_events";

/// The migrations, in order. Each file holds statements separated by `;` at a line's end.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "events",
        include_str!("../../../migrations/clickhouse/0001_events.sql"),
    ),
    (
        2,
        "raw_events_and_visits",
        include_str!("../../../migrations/clickhouse/0002_raw_events_and_visits.sql"),
    ),
];

#[derive(Clone)]
pub struct ClickHouse {
    client: Client,
    /// How long an export may run (`analytics::ReadLimits`).
    export_seconds: u64,
}

pub(crate) fn backend(err: clickhouse::error::Error) -> StoreError {
    StoreError::Backend(format!("clickhouse: {err}"))
}

impl ClickHouse {
    pub fn new(cfg: &ClickHouseConfig) -> Self {
        Self {
            // Inserts must be visible when they return: the next batch's duplicate check reads them.
            client: base_client(cfg)
                .with_database(&cfg.database)
                .with_setting("async_insert", "0"),
            export_seconds: analytics::ReadLimits::default().export_seconds,
        }
    }
}

fn base_client(cfg: &ClickHouseConfig) -> Client {
    Client::default()
        .with_url(&cfg.url)
        .with_user(&cfg.user)
        .with_password(&cfg.password)
}

/// Creates the database and applies the migrations not yet recorded in `schema_migrations`.
/// Returns the versions it applied.
pub async fn migrate(cfg: &ClickHouseConfig) -> Result<Vec<u32>, StoreError> {
    base_client(cfg)
        .query("CREATE DATABASE IF NOT EXISTS ?")
        .bind(Identifier(&cfg.database))
        .execute()
        .await
        .map_err(backend)?;
    let client = ClickHouse::new(cfg).client;
    client
        .query(
            "CREATE TABLE IF NOT EXISTS schema_migrations \
             (version UInt32, name String, applied_at DateTime DEFAULT now()) \
             ENGINE = ReplacingMergeTree ORDER BY version",
        )
        .execute()
        .await
        .map_err(backend)?;
    let done: Vec<u32> = client
        .query("SELECT version FROM schema_migrations FINAL")
        .fetch_all()
        .await
        .map_err(backend)?;
    let mut applied = Vec::new();
    for &(version, name, sql) in MIGRATIONS {
        if done.contains(&version) {
            continue;
        }
        for statement in statements(sql) {
            client.query(&statement).execute().await.map_err(backend)?;
        }
        client
            .query("INSERT INTO schema_migrations (version, name) VALUES (?, ?)")
            .bind(version)
            .bind(name)
            .execute()
            .await
            .map_err(backend)?;
        tracing::info!(version, name, "applied ClickHouse migration");
        applied.push(version);
    }
    Ok(applied)
}

/// Splits a migration file into statements, dropping comment lines. The client's `?` placeholders
/// are escaped as `??`, since migration SQL has no bound values.
fn statements(sql: &str) -> Vec<String> {
    let body: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    body.split(";\n")
        .map(|s| s.trim().trim_end_matches(';').trim().replace('?', "??"))
        .filter(|s| !s.is_empty())
        .collect()
}

pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_files_split_into_statements() {
        let got = statements("-- a comment; with a semicolon\nCREATE TABLE a (x UInt8);\n\nCREATE TABLE b (y String)\n");
        assert_eq!(
            got,
            vec!["CREATE TABLE a (x UInt8)", "CREATE TABLE b (y String)"]
        );
        assert_eq!(statements(MIGRATIONS[0].2).len(), 1);
        assert_eq!(statements(MIGRATIONS[1].2).len(), 6);
    }
}
