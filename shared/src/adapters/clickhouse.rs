//! ClickHouse over its HTTP interface with the official client: versioned migrations, batch inserts
//! and the analytics queries. Every value a client sends is a bound parameter, never spliced in.

use clickhouse::sql::Identifier;
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::ClickHouseConfig;
use crate::error::StoreError;
use crate::event::EventRecord;
use crate::ports::{AnalyticsStore, EventSink, Scope, Totals};

pub const EVENTS_TABLE: &str = "events";

/// The migrations, in order. Each file holds statements separated by `;` at a line's end.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[(
    1,
    "events",
    include_str!("../../migrations/clickhouse/0001_events.sql"),
)];

#[derive(Clone)]
pub struct ClickHouse {
    client: Client,
}

fn backend(err: clickhouse::error::Error) -> StoreError {
    StoreError::Backend(format!("clickhouse: {err}"))
}

impl ClickHouse {
    pub fn new(cfg: &ClickHouseConfig) -> Self {
        Self {
            client: base_client(cfg).with_database(&cfg.database),
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

#[derive(Row, Serialize)]
struct EventRow<'a> {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
    site: &'a str,
    event: &'a str,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    timestamp: OffsetDateTime,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    received_at: OffsetDateTime,
    anonymous_id: &'a str,
    user_id: &'a str,
    session_id: &'a str,
    url: &'a str,
    path: &'a str,
    referrer: &'a str,
    referrer_domain: &'a str,
    title: &'a str,
    utm_source: &'a str,
    utm_medium: &'a str,
    utm_campaign: &'a str,
    utm_term: &'a str,
    utm_content: &'a str,
    browser: &'a str,
    browser_version: &'a str,
    os: &'a str,
    device: &'a str,
    country: &'a str,
    properties: Vec<(&'a str, &'a str)>,
}

impl<'a> From<&'a EventRecord> for EventRow<'a> {
    fn from(e: &'a EventRecord) -> Self {
        Self {
            event_id: e.event_id,
            site: &e.site,
            event: &e.event,
            timestamp: e.timestamp,
            received_at: e.received_at,
            anonymous_id: &e.anonymous_id,
            user_id: &e.user_id,
            session_id: &e.session_id,
            url: &e.url,
            path: &e.path,
            referrer: &e.referrer,
            referrer_domain: &e.referrer_domain,
            title: &e.title,
            utm_source: &e.utm_source,
            utm_medium: &e.utm_medium,
            utm_campaign: &e.utm_campaign,
            utm_term: &e.utm_term,
            utm_content: &e.utm_content,
            browser: &e.browser,
            browser_version: &e.browser_version,
            os: &e.os,
            device: &e.device,
            country: &e.country,
            properties: e
                .properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        }
    }
}

impl EventSink for ClickHouse {
    /// One INSERT for the whole batch: it lands whole or not at all, and a retry of the same batch
    /// is dropped by the table's insert deduplication.
    async fn insert(&self, events: &[EventRecord]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut insert = self
            .client
            .insert::<EventRow<'_>>(EVENTS_TABLE)
            .await
            .map_err(backend)?;
        for event in events {
            insert
                .write(&EventRow::from(event))
                .await
                .map_err(backend)?;
        }
        insert.end().await.map_err(backend)
    }
}

#[derive(Row, Deserialize)]
struct TotalsRow {
    events: u64,
    visitors: u64,
    sessions: u64,
    pageviews: u64,
}

impl AnalyticsStore for ClickHouse {
    async fn totals(&self, scope: &Scope) -> Result<Totals, StoreError> {
        let row: TotalsRow = self
            .client
            .query(
                "SELECT count() AS events,
                        uniqExact(if(user_id != '', user_id, anonymous_id)) AS visitors,
                        uniqExactIf(session_id, session_id != '') AS sessions,
                        countIf(event = 'pageview') AS pageviews
                 FROM events FINAL
                 WHERE timestamp >= fromUnixTimestamp64Milli({from:Int64})
                   AND timestamp < fromUnixTimestamp64Milli({to:Int64})
                   AND ({site:String} = '' OR site = {site:String})",
            )
            .param("from", millis(scope.from))
            .param("to", millis(scope.to))
            .param("site", scope.site.as_deref().unwrap_or(""))
            .fetch_one()
            .await
            .map_err(backend)?;
        Ok(Totals {
            events: row.events,
            visitors: row.visitors,
            sessions: row.sessions,
            pageviews: row.pageviews,
        })
    }
}

fn millis(t: OffsetDateTime) -> i64 {
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
    }
}
