//! A load into a real ClickHouse (chDB started by the test command, `CLICKHOUSE_URL`): every distinct
//! event is stored once, the resends are dropped by the sink.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use clickhouse::Client;
use sample_data::{load, Options, Progress};
use shared::config::ClickHouseConfig;
use time::{Duration, OffsetDateTime};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the integration tests through ./test.sh, which starts the engines")
    })
}

#[tokio::test]
async fn a_load_stores_each_distinct_event_once() {
    let cfg = ClickHouseConfig {
        url: env("CLICKHOUSE_URL"),
        user: "default".into(),
        password: String::new(),
        database: format!("gen_test_{}", uuid::Uuid::new_v4().simple()),
    };
    // Recent days, as a new user's dashboard shows them.
    let end = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - Duration::hours(1);
    let mut opts = Options::new(20_000, 30, 11, end);
    opts.batch_size = 4_000;
    let progress = Arc::new(Progress::default());
    let summary = load(&cfg, opts, progress.clone()).await.expect("a load");
    let stats = &summary.stats;
    assert_eq!(stats.events, 20_000);
    assert!(stats.duplicates > 0, "some events are resent: {stats:?}");
    assert_eq!(progress.events.load(Ordering::Relaxed), stats.events);
    assert_eq!(
        progress.records.load(Ordering::Relaxed),
        stats.events + stats.duplicates
    );

    let client = Client::default()
        .with_url(&cfg.url)
        .with_user(&cfg.user)
        .with_database(&cfg.database);
    let (count, distinct, visits): (u64, u64, u64) = client
        .query("SELECT count(), uniqExact(event_id), uniqExact(session_id) FROM raw_events")
        .fetch_one()
        .await
        .unwrap();
    let dropped = client
        .query("DROP DATABASE IF EXISTS ?")
        .bind(clickhouse::sql::Identifier(&cfg.database))
        .execute()
        .await;
    assert_eq!(count, stats.events, "one row per distinct event_id");
    assert_eq!(distinct, stats.events);
    assert_eq!(visits, stats.visits);
    dropped.unwrap();
}
