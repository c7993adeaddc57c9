//! The writer against a real ClickHouse, fed the KinesisEvent that Lambda delivers (a committed fixture).

use aws_lambda_events::event::kinesis::KinesisEvent;
use shared::adapters::clickhouse::{migrate, ClickHouse};
use shared::analytics::period::Zone;
use shared::analytics::Question;
use shared::config::ClickHouseConfig;
use shared::ports::AnalyticsStore;
use time::macros::datetime;

fn fixture() -> KinesisEvent {
    serde_json::from_str(include_str!("fixtures/kinesis_event.json"))
        .expect("the fixture is a KinesisEvent")
}

fn config(url: String) -> ClickHouseConfig {
    ClickHouseConfig {
        url,
        user: "default".into(),
        password: String::new(),
        database: format!("writer_{}", uuid::Uuid::new_v4().simple()),
    }
}

fn clickhouse_url() -> String {
    std::env::var("CLICKHOUSE_URL")
        .expect("CLICKHOUSE_URL is not set: run the tests through ./test.sh")
}

#[tokio::test]
async fn a_batch_lands_and_bad_records_are_skipped() {
    let cfg = config(clickhouse_url());
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);

    let response = writer::handle(&store, fixture()).await;
    assert!(response.batch_item_failures.is_empty());
    // Lambda redelivers a batch after a timeout: the second delivery must not double the counts.
    writer::handle(&store, fixture()).await;

    let q = Question {
        from: datetime!(2026-11-20 0:00 UTC),
        to: datetime!(2026-11-21 0:00 UTC),
        zone: Zone::utc(),
        site: None,
        filters: vec![],
    };
    let totals = store.overview(&q).await.unwrap();
    assert_eq!(
        (totals.events, totals.visitors, totals.pageviews),
        (2, 2, 1)
    );
}

#[tokio::test]
async fn a_failed_insert_reports_every_record_for_retry() {
    let store = ClickHouse::new(&config("http://127.0.0.1:9".into()));
    let batch = fixture();
    let response = writer::handle(&store, batch.clone()).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.clone())
        .collect();
    let all: Vec<_> = batch
        .records
        .iter()
        .map(|r| r.kinesis.sequence_number.clone())
        .collect();
    assert_eq!(failed, all);
    let json = serde_json::to_value(&response).unwrap();
    assert!(
        json["batchItemFailures"][0]["itemIdentifier"].is_string(),
        "{json}"
    );
}
