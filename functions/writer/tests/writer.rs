//! The writer against the real services (`lstack.with_services`): ClickHouse (chDB), S3 and Kinesis
//! (moto), fed KinesisEvents as Lambda delivers them: the committed fixture (records of the format
//! before the envelope, and garbage), packed records, and records read back from moto's Kinesis.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use base64::Engine as _;
use serde_json::json;
use shared::adapters::aws::sdk_config;
use shared::adapters::clickhouse::{migrate, ClickHouse};
use shared::adapters::dead_letters::{S3DeadLetters, PREFIX, REPLAYED_PREFIX};
use shared::adapters::kinesis::KinesisQueue;
use shared::config::ClickHouseConfig;
use shared::envelope;
use shared::event::EventRecord;
use shared::ports::EventQueue;
use time::macros::datetime;
use time::OffsetDateTime;
use uuid::Uuid;
use writer::replay::{replay, Options};

fn fixture() -> KinesisEvent {
    serde_json::from_str(include_str!("fixtures/kinesis_event.json"))
        .expect("the fixture is a KinesisEvent")
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through ./test.sh (lstack.with_services)")
    })
}

fn config(url: String) -> ClickHouseConfig {
    ClickHouseConfig {
        url,
        user: "default".into(),
        password: String::new(),
        database: format!("writer_{}", Uuid::new_v4().simple()),
    }
}

/// A fresh database with the schema.
async fn clickhouse() -> (ClickHouse, ClickHouseConfig) {
    let cfg = config(env("CLICKHOUSE_URL"));
    migrate(&cfg).await.unwrap();
    (ClickHouse::new(&cfg), cfg)
}

fn raw_client(cfg: &ClickHouseConfig) -> clickhouse::Client {
    clickhouse::Client::default()
        .with_url(&cfg.url)
        .with_database(&cfg.database)
}

async fn stored_ids(cfg: &ClickHouseConfig) -> Vec<String> {
    raw_client(cfg)
        .query("SELECT toString(event_id) AS id FROM raw_events ORDER BY id")
        .fetch_all()
        .await
        .unwrap()
}

/// A fresh bucket on moto's S3.
async fn bucket() -> (S3DeadLetters, aws_sdk_s3::Client) {
    env("AWS_ENDPOINT_URL_S3");
    let sdk = sdk_config().await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let name = format!("dead-letters-{}", Uuid::new_v4().simple());
    client.create_bucket().bucket(&name).send().await.unwrap();
    (S3DeadLetters::from_sdk(&sdk, name), client)
}

fn event(i: u32, visitor: &str, name: &str) -> EventRecord {
    EventRecord {
        event_id: Uuid::now_v7(),
        site: "shop".into(),
        event: name.into(),
        timestamp: datetime!(2026-11-20 10:00 UTC) + time::Duration::seconds(i.into()),
        received_at: datetime!(2026-11-20 10:00 UTC),
        anonymous_id: visitor.into(),
        user_id: String::new(),
        session_id: format!("s-{visitor}"),
        url: format!("https://shop.test/p/{i}"),
        path: format!("/p/{i}"),
        referrer: String::new(),
        referrer_domain: String::new(),
        title: "Product".into(),
        utm_source: String::new(),
        utm_medium: String::new(),
        utm_campaign: String::new(),
        utm_term: String::new(),
        utm_content: String::new(),
        browser: "Firefox".into(),
        browser_version: "120.0".into(),
        os: "Linux".into(),
        device: "desktop".into(),
        country: "DE".into(),
        properties: BTreeMap::from([("plan".into(), "pro".into())]),
        previous_visitor: String::new(),
    }
}

/// A KinesisEvent as Lambda delivers it, records numbered from `first_sequence` on one shard.
fn batch(datas: &[Vec<u8>], first_sequence: u64) -> KinesisEvent {
    let records: Vec<_> = datas
        .iter()
        .enumerate()
        .map(|(i, data)| {
            let seq = format!("4959033827149025660855969{:06}", first_sequence + i as u64);
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "k",
                    "sequenceNumber": seq,
                    "data": base64::engine::general_purpose::STANDARD.encode(data),
                    "approximateArrivalTimestamp": 1795687201.123
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000003:{seq}"),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/writer",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/analytics-events"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn packed(events: &[EventRecord]) -> Vec<Vec<u8>> {
    envelope::pack(events)
        .unwrap()
        .into_iter()
        .map(|r| r.data)
        .collect()
}

fn failures(response: &aws_lambda_events::streams::KinesisEventResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn garbage_is_dead_lettered_with_its_bytes_and_the_rest_stored() {
    let (store, cfg) = clickhouse().await;
    let (letters, _) = bucket().await;
    let batch = fixture();

    let (response, metrics) = writer::process(&store, &letters, &batch).await;
    assert!(failures(&response).is_empty());
    assert_eq!(
        (
            metrics.events,
            metrics.dead_letters,
            metrics.retried_records
        ),
        (2, 1, 0)
    );
    // Lambda redelivers a batch after a timeout: the second delivery stores nothing twice, and the
    // dead letter is the same object.
    writer::handle(&store, &letters, batch.clone()).await;
    assert_eq!(
        stored_ids(&cfg).await,
        [
            "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
        ]
    );

    let keys = letters.list(PREFIX).await.unwrap();
    let garbage = &batch.records[1].kinesis;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].ends_with(&format!(
            "/shardId-000000000000/{}.bin",
            garbage.sequence_number
        )),
        "{}",
        keys[0]
    );
    let letter = letters.get(&keys[0]).await.unwrap();
    assert_eq!(letter.data, b"not json at all");
    assert_eq!(letter.data, garbage.data.0);
    assert_eq!(letter.shard, "shardId-000000000000");
    assert_eq!(letter.sequence, garbage.sequence_number);
    assert!(letter.reason.contains("not decodable"), "{}", letter.reason);
    assert!(OffsetDateTime::now_utc() - letter.at < time::Duration::minutes(5));
}

#[tokio::test]
async fn old_format_and_unknown_fields_decode() {
    let (store, cfg) = clickhouse().await;
    let (letters, _) = bucket().await;
    let old = event(1, "a", "pageview");
    let mut newer = serde_json::to_value(event(2, "b", "signup")).unwrap();
    newer["added_by_a_newer_collector"] = json!({"nested": [1, 2]});
    newer.as_object_mut().unwrap().remove("title");
    let mut body = envelope::MAGIC.to_vec();
    body.extend([envelope::VERSION, envelope::Codec::Plain as u8]);
    body.extend(serde_json::to_vec(&newer).unwrap());
    let packed_many: Vec<_> = (3..30).map(|i| event(i, "c", "click")).collect();

    let mut datas = vec![serde_json::to_vec(&old).unwrap(), body];
    datas.extend(packed(&packed_many));
    assert_eq!(datas.len(), 3, "27 events of one visitor make one record");
    let (response, metrics) = writer::process(&store, &letters, &batch(&datas, 0)).await;
    assert!(failures(&response).is_empty());
    assert_eq!((metrics.events, metrics.dead_letters), (29, 0));
    assert_eq!(stored_ids(&cfg).await.len(), 29);
    assert!(letters.list(PREFIX).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_outage_retries_every_record_and_dead_letters_nothing() {
    let store = ClickHouse::new(&config("http://127.0.0.1:9".into()));
    let (letters, _) = bucket().await;
    let batch = fixture(); // with a garbage record: it is dead-lettered on the retry that succeeds
    let (response, metrics) = writer::process(&store, &letters, &batch).await;
    let all: Vec<_> = batch
        .records
        .iter()
        .map(|r| r.kinesis.sequence_number.clone())
        .collect();
    assert_eq!(failures(&response), all);
    assert_eq!((metrics.retried_records, metrics.dead_letters), (3, 0));
    assert!(letters.list(PREFIX).await.unwrap().is_empty());
    let json = serde_json::to_value(&response).unwrap();
    assert!(
        json["batchItemFailures"][0]["itemIdentifier"].is_string(),
        "{json}"
    );
}

/// What ClickHouse refuses as bad data (here a constraint), found by halving the batch: the record
/// holding it is dead-lettered whole, every other event is stored, its neighbours in the record too.
/// Replay after the fix stores it, and a second replay of the same letter stores nothing twice.
#[tokio::test]
async fn refused_events_are_dead_lettered_and_replay_stores_them_once_fixed() {
    let (store, cfg) = clickhouse().await;
    let (letters, s3) = bucket().await;
    let ch = raw_client(&cfg);
    ch.query("ALTER TABLE raw_events ADD CONSTRAINT no_poison CHECK event != 'poison'")
        .execute()
        .await
        .unwrap();

    let mut visitor_b: Vec<_> = (0..5).map(|i| event(i, "b", "click")).collect();
    visitor_b[3].event = "poison".into();
    let mut events: Vec<_> = (0..40).map(|i| event(i, "a", "pageview")).collect();
    events.extend(visitor_b.clone());
    events.extend((0..40).map(|i| event(i, "c", "pageview")));
    let datas = packed(&events);
    assert_eq!(datas.len(), 3);
    let (response, metrics) = writer::process(&store, &letters, &batch(&datas, 100)).await;
    assert!(failures(&response).is_empty());
    assert_eq!(
        (
            metrics.refused_events,
            metrics.dead_letters,
            metrics.stored_events
        ),
        (1, 1, 84)
    );
    assert_eq!(stored_ids(&cfg).await.len(), 84);
    let keys = letters.list(PREFIX).await.unwrap();
    assert_eq!(keys.len(), 1);
    let letter = letters.get(&keys[0]).await.unwrap();
    assert_eq!(letter.data, datas[1]);
    assert!(
        letter.reason.contains("refused by ClickHouse") && letter.reason.contains("event 3"),
        "{}",
        letter.reason
    );

    // Still refused: a dry run and a replay keep the letter.
    let dry = replay(
        &store,
        &letters,
        &Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .await;
    assert_eq!((dry.letters, dry.replayed.len(), dry.events), (1, 1, 5));
    let kept = replay(&store, &letters, &Options::default()).await;
    assert_eq!(
        (
            kept.replayed.len(),
            kept.kept.len(),
            kept.stopped.as_deref()
        ),
        (0, 1, None)
    );
    assert_eq!(letters.list(PREFIX).await.unwrap(), keys);

    // The fix; replay stores the letter's events (its four stored ones are not stored twice).
    ch.query("ALTER TABLE raw_events DROP CONSTRAINT no_poison")
        .execute()
        .await
        .unwrap();
    let done = replay(&store, &letters, &Options::default()).await;
    assert_eq!((done.replayed.len(), done.kept.len()), (1, 0));
    assert_eq!(stored_ids(&cfg).await.len(), 85);
    assert!(letters.list(PREFIX).await.unwrap().is_empty());
    let moved = letters.list(REPLAYED_PREFIX).await.unwrap();
    assert_eq!(moved, [format!("{REPLAYED_PREFIX}{}", keys[0])]);

    // The same letter replayed again (put back by hand): nothing is stored twice.
    s3.copy_object()
        .bucket(letters.bucket())
        .copy_source(format!("{}/{}", letters.bucket(), moved[0]))
        .key(&keys[0])
        .send()
        .await
        .unwrap();
    let again = replay(&store, &letters, &Options::default()).await;
    assert_eq!(again.replayed.len(), 1);
    assert_eq!(stored_ids(&cfg).await.len(), 85);
}

#[tokio::test]
async fn a_batch_whose_every_event_is_refused_is_dead_lettered_not_retried_and_replay_goes_on() {
    // A quiet shard: one visitor's request of two events, both refused. Retrying would block the shard.
    let (store, cfg) = clickhouse().await;
    let (letters, _s3) = bucket().await;
    let ch = raw_client(&cfg);
    ch.query("ALTER TABLE raw_events ADD CONSTRAINT no_poison2 CHECK event != 'poison'")
        .execute()
        .await
        .unwrap();
    let poison: Vec<_> = (0..2)
        .map(|i| {
            let mut e = event(i, "p", "click");
            e.event = "poison".into();
            e
        })
        .collect();
    let datas = packed(&poison);
    assert_eq!(datas.len(), 1);
    let (response, metrics) = writer::process(&store, &letters, &batch(&datas, 100)).await;
    assert!(
        failures(&response).is_empty(),
        "retried: {:?}",
        failures(&response)
    );
    assert_eq!((metrics.refused_events, metrics.dead_letters), (2, 1));
    // A second letter behind it in key order, also refused: replay reports both kept, stops at none.
    let more: Vec<_> = (10..12)
        .map(|i| {
            let mut e = event(i, "q", "click");
            e.event = "poison".into();
            e
        })
        .collect();
    let (response, _) = writer::process(&store, &letters, &batch(&packed(&more), 200)).await;
    assert!(failures(&response).is_empty());
    let kept = replay(&store, &letters, &Options::default()).await;
    assert_eq!(
        (
            kept.replayed.len(),
            kept.kept.len(),
            kept.stopped.as_deref()
        ),
        (0, 2, None)
    );
    assert!(stored_ids(&cfg).await.is_empty());
    ch.query("ALTER TABLE raw_events DROP CONSTRAINT no_poison2")
        .execute()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_letter_that_never_decodes_stays_and_a_bad_prefix_is_refused() {
    let (store, _) = clickhouse().await;
    let (letters, _) = bucket().await;
    writer::handle(&store, &letters, fixture()).await;
    let report = replay(&store, &letters, &Options::default()).await;
    assert_eq!((report.letters, report.kept.len()), (1, 1));
    assert!(
        report.kept[0].1.contains("not decodable"),
        "{:?}",
        report.kept
    );
    let odd = replay(
        &store,
        &letters,
        &Options {
            prefix: REPLAYED_PREFIX.into(),
            ..Options::default()
        },
    )
    .await;
    assert!(odd.stopped.is_some());
}

/// The collector's packing keeps every event: published through the Kinesis adapter to moto's
/// Kinesis, read back as Lambda would deliver the records, and stored by the writer.
#[tokio::test]
async fn every_published_event_is_stored_through_kinesis() {
    env("AWS_ENDPOINT_URL_KINESIS");
    let (store, cfg) = clickhouse().await;
    let (letters, _) = bucket().await;
    let kinesis = aws_sdk_kinesis::Client::new(&sdk_config().await);
    let stream = format!("events-{}", Uuid::new_v4().simple());
    kinesis
        .create_stream()
        .stream_name(&stream)
        .shard_count(1)
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let d = kinesis
            .describe_stream_summary()
            .stream_name(&stream)
            .send()
            .await
            .unwrap();
        if d.stream_description_summary().unwrap().stream_status() == &StreamStatus::Active {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent: Vec<_> = (0..700)
        .map(|i| event(i, &format!("v{}", i % 9), "pageview"))
        .collect();
    KinesisQueue::new(kinesis.clone(), &stream)
        .publish(&sent)
        .await
        .unwrap();

    let shard = kinesis
        .list_shards()
        .stream_name(&stream)
        .send()
        .await
        .unwrap()
        .shards()[0]
        .shard_id()
        .to_owned();
    let mut iter = kinesis
        .get_shard_iterator()
        .stream_name(&stream)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .map(str::to_owned);
    let mut datas = Vec::new();
    while let Some(it) = iter {
        let out = kinesis
            .get_records()
            .shard_iterator(it)
            .send()
            .await
            .unwrap();
        if out.records().is_empty() {
            break;
        }
        datas.extend(out.records().iter().map(|r| r.data().as_ref().to_vec()));
        iter = out.next_shard_iterator().map(str::to_owned);
    }
    assert_eq!(datas.len(), 9, "one record per visitor");
    let (response, metrics) = writer::process(&store, &letters, &batch(&datas, 0)).await;
    assert!(failures(&response).is_empty());
    assert_eq!((metrics.events, metrics.dead_letters), (700, 0));
    let mut want: Vec<_> = sent.iter().map(|e| e.event_id.to_string()).collect();
    want.sort();
    assert_eq!(stored_ids(&cfg).await, want);
}

/// Decoding while inserting keeps every rule of the insert: stored ids and repeats are skipped, a
/// session-less event continues its visitor's stored visit, and a cookieless one the visit of its
/// previous day's id across midnight.
#[tokio::test]
async fn a_streamed_batch_skips_duplicates_and_continues_visits() {
    let (store, cfg) = clickhouse().await;
    let (letters, _) = bucket().await;
    let at = |e: &mut EventRecord, t: OffsetDateTime| e.timestamp = t;
    let sessionless = |i: u32, visitor: &str, t: OffsetDateTime, previous: &str| {
        let mut e = event(i, visitor, "pageview");
        e.session_id.clear();
        e.previous_visitor = previous.into();
        at(&mut e, t);
        e
    };
    let midnight = datetime!(2026-11-21 00:00 UTC);
    // Stored first: event 1, a session-less visit of `s` at 23:40 and one of `cl_old` at 23:50.
    let first = [
        event(1, "v", "click"),
        sessionless(2, "s", midnight - time::Duration::minutes(20), ""),
        sessionless(3, "cl_old", midnight - time::Duration::minutes(10), ""),
    ];
    let (response, _) = writer::process(&store, &letters, &batch(&packed(&first), 0)).await;
    assert!(failures(&response).is_empty());

    // Then: event 1 again, event 4 twice (in two records), `s` at 00:05 and `cl_new` at 00:10.
    let fourth = event(4, "v", "click");
    let mut records = packed(&[first[0].clone(), fourth.clone()]);
    records.extend(packed(&[fourth]));
    records.extend(packed(&[
        sessionless(5, "s", midnight + time::Duration::minutes(5), ""),
        sessionless(
            6,
            "cl_new",
            midnight + time::Duration::minutes(10),
            "cl_old",
        ),
    ]));
    let (response, metrics) = writer::process(&store, &letters, &batch(&records, 10)).await;
    assert!(failures(&response).is_empty());
    assert_eq!((metrics.events, metrics.dead_letters), (5, 0));

    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Stored {
        visitor: String,
        visit_id: String,
    }
    let rows: Vec<Stored> = raw_client(&cfg)
        .query("SELECT visitor, visit_id FROM raw_events WHERE session_id = '' ORDER BY timestamp")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(stored_ids(&cfg).await.len(), 6, "1-6 once each");
    let seen: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.visitor.as_str(), r.visit_id.as_str()))
        .collect();
    // 23:40 s, 23:50 cl_old, 00:05 s (its visit goes on), 00:10 cl_old's visit under cl_old.
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[2], seen[0]);
    assert_eq!(seen[3], seen[1]);
    assert_eq!(seen[3].0, "cl_old");

    // A batch of several duplicate checks (one per 2,048 events): a stored event in the last one, and
    // a repeat, are still found.
    let many: Vec<EventRecord> = (0..5_000)
        .map(|i| event(100 + i, &format!("m{}", i % 700), "click"))
        .collect();
    let mut late = many.clone();
    late.push(first[0].clone());
    late.push(many[10].clone());
    let (response, metrics) = writer::process(&store, &letters, &batch(&packed(&late), 100)).await;
    assert!(failures(&response).is_empty());
    assert_eq!(metrics.events, 5_002);
    assert_eq!(stored_ids(&cfg).await.len(), 6 + 5_000);
}
