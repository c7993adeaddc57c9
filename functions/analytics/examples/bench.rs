//! Benchmark of the analytics routes at volume (run by `bench/analytics.sh`, which loads the data).
//!
//! For every route: the handler in-process (what the Lambda function does for a request, minus
//! API Gateway and the Lambda runtime) timed over repeated calls, next to the very SQL it sent,
//! captured from the adapter's trace log and run straight on ClickHouse with the same parameters.
//! With `--export`: the whole table exported as NDJSON through the streaming path, with rows/s and
//! the process's peak RSS (run it in a process of its own).
//!
//!     bench --url http://127.0.0.1:8123 --database bench [--runs 11] [--export]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use analytics::{Answer, App};
use futures_util::StreamExt;
use lambda_http::{Body, RequestExt};
use shared::adapters::clickhouse::{analytics::ReadLimits, ClickHouse};
use shared::adapters::memory::MemoryUsers;
use shared::auth::jwt::{Signer, TokenSettings};
use shared::auth::Role;
use shared::config::ClickHouseConfig;
use shared::ports::UserStore;
use shared::users::{Email, User, Username};
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// A benchmarked request: name, path, query.
type Case = (&'static str, &'static str, Vec<(&'static str, String)>);

/// The SQL of the current call, as the adapter logged it: (text, parameters as JSON).
type Captured = Arc<Mutex<Vec<(String, String)>>>;

struct Capture(Captured);

#[derive(Default)]
struct Fields {
    sql: String,
    params: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "sql" => self.sql = format!("{value:?}"),
            "params" => self.params = format!("{value:?}"),
            _ => {}
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "sql" => self.sql = value.to_owned(),
            "params" => self.params = value.to_owned(),
            _ => {}
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "analytics_sql" {
            let mut f = Fields::default();
            event.record(&mut f);
            self.0.lock().unwrap().push((f.sql, f.params));
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn request(path: &str, query: &[(&str, String)], signer: &Signer) -> lambda_http::Request {
    let t = signer.issue("bench", Role::Admin, 0, OffsetDateTime::now_utc());
    let mut params: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (k, v) in query {
        params.entry(k.to_string()).or_default().push(v.clone());
    }
    lambda_http::http::Request::builder()
        .method("GET")
        .uri(path)
        .header("authorization", format!("Bearer {t}"))
        .body(Body::Empty)
        .unwrap()
        .with_query_string_parameters(params)
}

/// Runs the captured queries straight on ClickHouse, at once (as the handler does), reading every
/// byte of their answers.
async fn raw(client: &clickhouse::Client, queries: &[(String, String)]) -> Duration {
    let start = Instant::now();
    let runs = queries.iter().map(|(sql, params)| {
        let mut q = client.query(sql);
        let params: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(params).expect("the adapter logs JSON");
        for (name, value) in params {
            q = q.param(&name, value);
        }
        async move {
            let mut cursor = q.fetch_bytes("RowBinary").expect("a query");
            while let Some(chunk) = cursor.next().await.expect("the query runs") {
                std::hint::black_box(chunk);
            }
        }
    });
    futures_util::future::join_all(runs).await;
    start.elapsed()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = arg(&args, "--url").unwrap_or_else(|| "http://127.0.0.1:8123".into());
    let database = arg(&args, "--database").unwrap_or_else(|| "bench".into());
    let runs: usize = arg(&args, "--runs").map_or(11, |r| r.parse().expect("--runs N"));
    let captured: Captured = Arc::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(
            Capture(captured.clone()).with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_target("analytics_sql", tracing::Level::TRACE),
            ),
        ),
    )
    .unwrap();

    let cfg = ClickHouseConfig {
        url: url.clone(),
        user: "default".into(),
        password: String::new(),
        database: database.clone(),
    };
    // Auth's key mints the requests' tokens; the function verifies them with its public key only.
    let signer = Signer::new(
        b"bench-secret-bench-secret-bench-secret",
        &TokenSettings {
            issuer: "analytics".into(),
            audience: "analytics-api".into(),
            ttl_seconds: 3600,
        },
    )
    .unwrap();
    let users = MemoryUsers::default();
    let now = OffsetDateTime::now_utc();
    users
        .create(&User {
            username: Username::parse("bench").unwrap(),
            email: Email::parse("bench@example.com").unwrap(),
            role: Role::Admin,
            password_hash: String::new(),
            token_version: 0,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    let app = App {
        store: ClickHouse::for_reads(
            &cfg,
            &ReadLimits {
                export_seconds: 840, // as the streaming function
                ..ReadLimits::default()
            },
        ),
        users,
        tokens: signer.verifier(),
    };
    let client = clickhouse::Client::default()
        .with_url(&url)
        .with_database(&database);

    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Extent {
        rows: u64,
        last_ms: i64,
    }
    let extent: Extent = client
        .query("SELECT count() AS rows, toUnixTimestamp64Milli(max(timestamp)) AS last_ms FROM raw_events")
        .fetch_one()
        .await
        .expect("raw_events is there: load it with bench/analytics.sh");
    let end =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(extent.last_ms) * 1_000_000).unwrap();
    let day = |days_back: i64| (end - time::Duration::days(days_back)).date().to_string();

    if args.iter().any(|a| a == "--export") {
        let req = request(
            "/api/analytics/export",
            &[("from", day(400)), ("to", day(0))],
            &signer,
        );
        let start = Instant::now();
        let Answer::Stream(resp) = analytics::answer(&app, &req, end).await else {
            panic!("the export answers a stream")
        };
        let mut stream = resp.into_body();
        let (mut bytes, mut lines) = (0u64, 0u64);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("the export streams");
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        let secs = start.elapsed().as_secs_f64();
        println!("| export (NDJSON, every row) | {lines} rows | {:.1} s | {:.0} rows/s | {:.0} MB | peak RSS {:.1} MB |",
            secs, lines as f64 / secs, bytes as f64 / 1e6, peak_rss_mb());
        return;
    }

    let q = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    };
    let (d90, d30, d7, d0, d84) = (day(89), day(29), day(6), day(0), day(83));
    let cases: Vec<Case> = vec![
        (
            "overview, 7 days (the panel's default)",
            "/api/analytics/overview",
            q(&[("from", &d7), ("to", &d0)]),
        ),
        (
            "timeseries, 7 days by day",
            "/api/analytics/timeseries",
            q(&[("from", &d7), ("to", &d0), ("interval", "day")]),
        ),
        (
            "breakdown entry_page, 7 days",
            "/api/analytics/breakdown",
            q(&[("from", &d7), ("to", &d0), ("dimension", "entry_page")]),
        ),
        (
            "breakdown path, 7 days",
            "/api/analytics/breakdown",
            q(&[("from", &d7), ("to", &d0), ("dimension", "path")]),
        ),
        (
            "overview, 7 days, Asia/Kolkata (raw rows)",
            "/api/analytics/overview",
            q(&[("from", &d7), ("to", &d0), ("tz", "Asia/Kolkata")]),
        ),
        (
            "overview, 90 days",
            "/api/analytics/overview",
            q(&[("from", &d90), ("to", &d0)]),
        ),
        (
            "overview, 30 days, Europe/Berlin",
            "/api/analytics/overview",
            q(&[("from", &d30), ("to", &d0), ("tz", "Europe/Berlin")]),
        ),
        (
            "overview, 90 days, browser=Firefox",
            "/api/analytics/overview",
            q(&[("from", &d90), ("to", &d0), ("browser", "Firefox")]),
        ),
        (
            "overview, 90 days, path contains /blog",
            "/api/analytics/overview",
            q(&[
                ("from", &d90),
                ("to", &d0),
                ("filter", "path:contains:/blog"),
            ]),
        ),
        (
            "timeseries, 90 days by day",
            "/api/analytics/timeseries",
            q(&[("from", &d90), ("to", &d0), ("interval", "day")]),
        ),
        (
            "timeseries, 7 days by hour",
            "/api/analytics/timeseries",
            q(&[("from", &d7), ("to", &d0), ("interval", "hour")]),
        ),
        (
            "breakdown entry_page, 90 days",
            "/api/analytics/breakdown",
            q(&[("from", &d90), ("to", &d0), ("dimension", "entry_page")]),
        ),
        (
            "breakdown referrer, 90 days",
            "/api/analytics/breakdown",
            q(&[("from", &d90), ("to", &d0), ("dimension", "referrer")]),
        ),
        (
            "breakdown path, 90 days",
            "/api/analytics/breakdown",
            q(&[("from", &d90), ("to", &d0), ("dimension", "path")]),
        ),
        (
            "breakdown path, 30 days",
            "/api/analytics/breakdown",
            q(&[("from", &d30), ("to", &d0), ("dimension", "path")]),
        ),
        (
            "funnel, 4 steps, 90 days",
            "/api/analytics/funnel",
            q(&[
                ("from", &d90),
                ("to", &d0),
                (
                    "steps",
                    "pageview,signup_start,signup_details,signup_complete",
                ),
            ]),
        ),
        (
            "retention, 12 weeks",
            "/api/analytics/retention",
            q(&[("from", &d84), ("to", &d0), ("periods", "12")]),
        ),
        ("live", "/api/analytics/live", vec![]),
        ("sites", "/api/analytics/sites", vec![]),
    ];

    println!(
        "{} events in raw_events; ranges end on {d0}; {runs} runs per route after one warm-up.\n",
        extent.rows
    );
    println!("| route | API median ms | API p95 ms | SQL median ms | SQL p95 ms | API over SQL |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, path, query) in cases {
        let mut api = Vec::new();
        let mut sql = Vec::new();
        for i in 0..=runs {
            captured.lock().unwrap().clear();
            let req = request(path, &query, &signer);
            let start = Instant::now();
            let resp = analytics::handle_at(&app, req, end).await;
            let took = start.elapsed();
            assert_eq!(resp.status().as_u16(), 200, "{name}: {:?}", resp.body());
            let queries = captured.lock().unwrap().clone();
            let raw_took = raw(&client, &queries).await;
            if i > 0 {
                api.push(ms(took));
                sql.push(ms(raw_took));
            }
        }
        api.sort_by(f64::total_cmp);
        sql.sort_by(f64::total_cmp);
        let (am, ap, sm, sp) = (
            percentile(&api, 0.5),
            percentile(&api, 0.95),
            percentile(&sql, 0.5),
            percentile(&sql, 0.95),
        );
        println!(
            "| {name} | {am:.0} | {ap:.0} | {sm:.0} | {sp:.0} | {:+.0}% |",
            (am / sm - 1.0) * 100.0
        );
    }
}
