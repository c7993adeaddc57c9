//! The writer's speed and memory against a plain insert of the same rows; `bench/writer.sh` runs it
//! against a fresh ClickHouse (chDB, `lstack.with_services`) and prints the table. Three modes, each
//! its own process so that each peak RSS is its own:
//!
//! ```text
//! writer_bench generate --out FILE [--events-per-record N] [--payload-bytes B]
//! writer_bench writer --payload FILE   # parse the invoke payload, then writer::process
//! writer_bench raw --payload FILE      # the same rows, decoded beforehand, in one clickhouse insert
//! ```
//!
//! `generate` writes the largest KinesisEvent (as Lambda delivers it: base64 data, record metadata)
//! that fits the invoke payload (6 MiB by default), of records packed as the collector packs them:
//! each record one visitor's events, `N` at most (the tracker sends up to 20 per request), made by the
//! sample-data generator through the collector's own parsing. Each run gets a fresh database.

use std::collections::HashMap;
use std::time::Instant;

use aws_lambda_events::event::kinesis::KinesisEvent;
use base64::Engine as _;
use serde_json::json;
use shared::adapters::clickhouse::{migrate, ClickHouse, EventRow};
use shared::adapters::dead_letters::DeadLetter;
use shared::config::ClickHouseConfig;
use shared::envelope;
use shared::event::EventRecord;
use shared::StoreError;
use time::OffsetDateTime;
use uuid::Uuid;

const DEFAULT_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.first().map(String::as_str) {
        Some("generate") => generate(
            &opt("--out").expect("--out FILE"),
            opt("--events-per-record").map_or(10, |n| n.parse().unwrap()),
            opt("--payload-bytes").map_or(DEFAULT_PAYLOAD_BYTES, |n| n.parse().unwrap()),
        ),
        Some(mode @ ("writer" | "raw")) => {
            let payload = std::fs::read(opt("--payload").expect("--payload FILE")).unwrap();
            rt.block_on(run(mode, payload));
        }
        _ => {
            eprintln!("usage: writer_bench generate|writer|raw ... (see the source)");
            std::process::exit(2);
        }
    }
}

fn generate(out: &str, per_record: usize, limit: usize) {
    let end = OffsetDateTime::now_utc();
    let mut opts = sample_data::Options::new(200_000, 30, 42, end);
    opts.batch_size = 10_000;
    let mut generator = sample_data::Generator::new(opts);
    let enricher = sample_data::Enricher::new();
    // One visitor's events, `per_record` at most, make a record, as one tracker request would.
    let mut open: HashMap<String, Vec<EventRecord>> = HashMap::new();
    let mut records: Vec<serde_json::Value> = Vec::new();
    let mut size = r#"{"Records":[]}"#.len();
    let mut events = 0;
    let (mut record_bytes, mut json_bytes) = (0, 0);
    'outer: while let Some(sent) = generator.next_batch() {
        for s in sent.iter().filter(|s| !s.duplicate) {
            let event = enricher
                .record(s)
                .expect("the generator sends valid events");
            let visitor = event.visitor().to_owned();
            let group = open.entry(visitor.clone()).or_default();
            group.push(event);
            if group.len() < per_record {
                continue;
            }
            let group = open.remove(&visitor).expect("just filled");
            let packed = envelope::pack(&group).unwrap();
            assert_eq!(packed.len(), 1);
            let record = kinesis_record(&packed[0], records.len());
            let bytes = serde_json::to_vec(&record).unwrap().len() + 1;
            if size + bytes > limit {
                break 'outer;
            }
            size += bytes;
            events += group.len();
            record_bytes += packed[0].size();
            json_bytes += group
                .iter()
                .map(|e| serde_json::to_vec(e).unwrap().len())
                .sum::<usize>();
            records.push(record);
        }
    }
    let payload = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    assert!(payload.len() <= limit, "{} > {limit}", payload.len());
    std::fs::write(out, &payload).unwrap();
    println!(
        "{}",
        json!({
            "records": records.len(), "events": events, "payload_bytes": payload.len(),
            "record_bytes": record_bytes, "event_json_bytes": json_bytes,
        })
    );
}

fn kinesis_record(record: &envelope::Record, i: usize) -> serde_json::Value {
    let seq = format!("49590338271490256608559692538361571095921575989{i:09}");
    json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": seq,
            "data": base64::engine::general_purpose::STANDARD.encode(&record.data),
            "approximateArrivalTimestamp": 1795687201.123
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": format!("shardId-000000000000:{seq}"),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/analytics-writer",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/analytics-events"
    })
}

/// Nothing is dead-lettered in the benchmark; a letter would be a mistake.
struct NoDeadLetters;

impl writer::DeadLetterSink for NoDeadLetters {
    async fn put(&self, letter: &DeadLetter) -> Result<String, StoreError> {
        panic!("unexpected dead letter: {}", letter.reason)
    }
}

async fn run(mode: &str, payload: Vec<u8>) {
    let cfg = ClickHouseConfig {
        url: std::env::var("CLICKHOUSE_URL").expect("CLICKHOUSE_URL: run through bench/writer.sh"),
        user: "default".into(),
        password: String::new(),
        database: format!("bench_writer_{}", Uuid::new_v4().simple()),
    };
    migrate(&cfg).await.unwrap();
    let payload_bytes = payload.len();
    // parse_s: the writer's payload parse; for `raw`, decoding the records alone (untimed in its rate).
    let (events, parse_s, insert_s) = if mode == "writer" {
        let store = ClickHouse::new(&cfg);
        let t = Instant::now();
        let batch: KinesisEvent = serde_json::from_slice(&payload).unwrap();
        drop(payload);
        let parse_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let (response, metrics) = writer::process(&store, &NoDeadLetters, &batch).await;
        let insert_s = t.elapsed().as_secs_f64();
        assert!(response.batch_item_failures.is_empty());
        (metrics.stored_events, parse_s, insert_s)
    } else {
        let batch: KinesisEvent = serde_json::from_slice(&payload).unwrap();
        drop(payload);
        let t = Instant::now();
        let mut events = Vec::new();
        for r in &batch.records {
            envelope::unpack_into(&r.kinesis.data, &mut events).unwrap();
        }
        let decode_s = t.elapsed().as_secs_f64();
        drop(batch);
        let client = clickhouse::Client::default()
            .with_url(&cfg.url)
            .with_database(&cfg.database)
            .with_setting("async_insert", "0");
        let t = Instant::now();
        // The writer's own rows, the visit being the session (what the raw insert skips: the duplicate
        // check and the visits of session-less events).
        let mut insert = client.insert::<EventRow<'_>>("raw_events").await.unwrap();
        for e in &events {
            insert
                .write(&EventRow::new(e, &e.session_id))
                .await
                .unwrap();
        }
        insert.end().await.unwrap();
        (events.len(), decode_s, t.elapsed().as_secs_f64())
    };
    let stored: u64 = clickhouse::Client::default()
        .with_url(&cfg.url)
        .with_database(&cfg.database)
        .query("SELECT count() FROM raw_events")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(stored as usize, events, "every event stored once");
    println!(
        "{}",
        json!({
            "mode": mode, "events": events, "payload_bytes": payload_bytes,
            "parse_s": parse_s, "insert_s": insert_s, "peak_rss_kb": peak_rss_kb(),
        })
    );
}

/// VmHWM: the most this process ever held in memory.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}
