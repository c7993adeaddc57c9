//! The Kinesis adapter against moto's Kinesis: everything published can be read back, packed into
//! one record per visitor (and request), each visitor's events in order.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use common::{event, unique};
use shared::adapters::{aws::sdk_config, kinesis::KinesisQueue};
use shared::envelope;
use shared::event::EventRecord;
use shared::ports::EventQueue;
use time::OffsetDateTime;

#[tokio::test]
async fn published_events_arrive_whole() {
    common::env("AWS_ENDPOINT_URL_KINESIS");
    let client = aws_sdk_kinesis::Client::new(&sdk_config().await);
    let stream = unique("events");
    client
        .create_stream()
        .stream_name(&stream)
        .shard_count(2)
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let d = client
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

    // 620 visitors: more records than one PutRecords call takes (500).
    let now = OffsetDateTime::now_utc();
    let sent: Vec<EventRecord> = (0..1_300)
        .map(|i| event("pageview", &format!("v{}", i % 620), now))
        .collect();
    KinesisQueue::new(client.clone(), &stream)
        .publish(&sent)
        .await
        .unwrap();

    let mut got = Vec::new();
    let mut records = 0;
    let shards = client
        .list_shards()
        .stream_name(&stream)
        .send()
        .await
        .unwrap();
    for shard in shards.shards() {
        let mut it = client
            .get_shard_iterator()
            .stream_name(&stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_owned);
        while let Some(iter) = it {
            let out = client
                .get_records()
                .shard_iterator(iter)
                .send()
                .await
                .unwrap();
            if out.records().is_empty() {
                break;
            }
            for r in out.records() {
                records += 1;
                let (events, bad) = envelope::unpack(r.data().as_ref()).unwrap();
                assert!(bad.is_empty(), "{bad:?}");
                assert!(events
                    .iter()
                    .all(|e| Some(e.visitor()) == r.partition_key()));
                got.extend(events);
            }
            it = out.next_shard_iterator().map(str::to_owned);
        }
    }
    assert_eq!(got.len(), sent.len());
    let ids: HashSet<_> = got.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, sent.iter().map(|e| e.event_id).collect());
    // One record per visitor.
    assert_eq!(records, 620);
    // Each visitor's events arrive in the order they were sent.
    for v in 0..620 {
        let visitor = format!("v{v}");
        let order = |events: &[EventRecord]| -> Vec<_> {
            events
                .iter()
                .filter(|e| e.visitor() == visitor)
                .map(|e| e.event_id)
                .collect()
        };
        assert_eq!(order(&got), order(&sent));
    }
}
