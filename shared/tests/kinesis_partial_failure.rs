//! PutRecords fails per record (ProvisionedThroughputExceeded): the Kinesis queue sends again only the
//! entries that failed, never one that was taken, and reports a failure when some are still refused
//! after its retries (the collector then answers 503, not 202).
//!
//! The SDK's HTTP client is replaced by a fake Kinesis that answers PutRecords by a rule and records
//! every entry it was sent, so these tests need no service. They judge the queue by its behaviour
//! (events in, records out), whatever number of events a record carries.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use base64::Engine as _;
use serde_json::{json, Value};
use shared::adapters::kinesis::KinesisQueue;
use shared::envelope;
use shared::event::EventRecord;
use shared::ports::EventQueue;
use time::OffsetDateTime;
use uuid::Uuid;

/// One PutRecords entry as it went over the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Entry {
    data: Vec<u8>,
    key: String,
}

/// One PutRecords call: its entries and which of them the fake refused.
#[derive(Debug, Clone)]
struct Call {
    entries: Vec<Entry>,
    failed: Vec<bool>,
}

impl Call {
    fn refused(&self) -> Vec<Entry> {
        self.pick(true)
    }
    fn taken(&self) -> Vec<Entry> {
        self.pick(false)
    }
    fn pick(&self, failed: bool) -> Vec<Entry> {
        self.entries
            .iter()
            .zip(&self.failed)
            .filter(|(_, f)| **f == failed)
            .map(|(e, _)| e.clone())
            .collect()
    }
}

/// Decides whether an entry fails: (call number from 0, index in the call, the entry, times it
/// was sent before).
type Rule = dyn Fn(usize, usize, &Entry, usize) -> bool + Send + Sync;

#[derive(Clone)]
struct FakeKinesis {
    rule: Arc<Rule>,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl std::fmt::Debug for FakeKinesis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeKinesis")
    }
}

impl FakeKinesis {
    fn new(rule: impl Fn(usize, usize, &Entry, usize) -> bool + Send + Sync + 'static) -> Self {
        Self {
            rule: Arc::new(rule),
            calls: Arc::default(),
        }
    }

    fn queue(&self) -> KinesisQueue {
        let config = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url("http://kinesis.test")
            .http_client(self.clone())
            .build();
        KinesisQueue::new(aws_sdk_kinesis::Client::from_conf(config), "events")
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn put_records(&self, request: &HttpRequest) -> Value {
        let body: Value = serde_json::from_slice(request.body().bytes().expect("a buffered body"))
            .expect("PutRecords sends JSON");
        let entries: Vec<Entry> = body["Records"]
            .as_array()
            .expect("Records")
            .iter()
            .map(|r| Entry {
                data: base64::engine::general_purpose::STANDARD
                    .decode(r["Data"].as_str().expect("Data"))
                    .expect("Data is base64"),
                key: r["PartitionKey"].as_str().expect("PartitionKey").to_owned(),
            })
            .collect();
        let mut calls = self.calls.lock().unwrap();
        let number = calls.len();
        let failed: Vec<bool> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let before = calls
                    .iter()
                    .flat_map(|c| &c.entries)
                    .filter(|x| *x == e)
                    .count();
                (self.rule)(number, i, e, before)
            })
            .collect();
        let records: Vec<Value> = failed
            .iter()
            .enumerate()
            .map(|(i, &f)| {
                if f {
                    json!({"ErrorCode": "ProvisionedThroughputExceededException",
                           "ErrorMessage": "Rate exceeded for shard shardId-000000000000 in stream events under account 000000000000."})
                } else {
                    json!({"SequenceNumber": format!("4959{number:010}{i:010}"), "ShardId": "shardId-000000000000"})
                }
            })
            .collect();
        let failed_count = failed.iter().filter(|f| **f).count();
        calls.push(Call { entries, failed });
        json!({"FailedRecordCount": failed_count, "Records": records})
    }
}

impl HttpConnector for FakeKinesis {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request
            .headers()
            .get("x-amz-target")
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            target, "Kinesis_20131202.PutRecords",
            "the queue only puts records"
        );
        let body = self.put_records(&request).to_string();
        let mut response = HttpResponse::new(200.try_into().unwrap(), SdkBody::from(body));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.1");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for FakeKinesis {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// The events a record carries, read as the writer reads them.
fn events_in(entry: &Entry) -> Vec<EventRecord> {
    let (events, bad) = envelope::unpack(&entry.data).expect("a record the writer can read");
    assert!(bad.is_empty(), "{bad:?}");
    events
}

fn events(n: usize, visitors: usize) -> Vec<EventRecord> {
    let now = OffsetDateTime::now_utc();
    (0..n)
        .map(|i| common::event("pageview", &format!("v{}", i % visitors), now))
        .collect()
}

/// What every run must show, whatever the rule: no entry is sent again once taken, only refused ones
/// are sent again, and each entry is taken at most once. Returns the entries taken.
fn check_no_entry_taken_twice(calls: &[Call]) -> Vec<Entry> {
    let mut taken: HashMap<Entry, usize> = HashMap::new();
    let mut refused: HashMap<Entry, usize> = HashMap::new();
    for (n, call) in calls.iter().enumerate() {
        for (entry, &failed) in call.entries.iter().zip(&call.failed) {
            assert!(
                !taken.contains_key(entry),
                "call {n} sent again an entry Kinesis had already taken"
            );
            if let Some(count) = refused.get_mut(entry) {
                *count -= 1;
                if *count == 0 {
                    refused.remove(entry);
                }
            }
            if failed {
                *refused.entry(entry.clone()).or_default() += 1;
            } else {
                *taken.entry(entry.clone()).or_default() += 1;
            }
        }
    }
    taken.into_keys().collect()
}

fn ids(events: impl IntoIterator<Item = EventRecord>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = events.into_iter().map(|e| e.event_id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn only_the_refused_entries_are_sent_again() {
    // Every other entry of the first call is refused once (the first one always, so that even a
    // single record would be refused).
    let kinesis = FakeKinesis::new(|call, index, _, _| call == 0 && index % 2 == 0);
    let sent = events(40, 7);
    kinesis.queue().publish(&sent).await.expect("published");

    let calls = kinesis.calls();
    assert_eq!(calls.len(), 2, "one call, then one retry of what failed");
    assert!(!calls[0].refused().is_empty());
    assert_eq!(
        calls[1].entries,
        calls[0].refused(),
        "the retry carries exactly the refused entries, in order, byte for byte"
    );
    assert!(calls[1].failed.iter().all(|f| !f));

    let taken = check_no_entry_taken_twice(&calls);
    assert_eq!(
        taken.len(),
        calls[0].entries.len(),
        "every entry taken once"
    );
    let mut stored = calls[0].taken();
    stored.extend(calls[1].taken());
    assert_eq!(ids(stored.iter().flat_map(events_in)), ids(sent.clone()));
    // The partition key of an entry is its visitor's, so one visitor's events share a shard.
    for entry in &stored {
        for event in events_in(entry) {
            assert_eq!(entry.key, event.visitor());
        }
    }
}

#[tokio::test]
async fn an_entry_refused_every_time_fails_the_publish() {
    // The first entry of the first call is refused on every attempt; the others go through.
    let doomed: Arc<Mutex<Option<Entry>>> = Arc::default();
    let marked = Arc::clone(&doomed);
    let kinesis = FakeKinesis::new(move |call, index, entry, _| {
        let mut doomed = marked.lock().unwrap();
        if call == 0 && index == 0 {
            *doomed = Some(entry.clone());
        }
        doomed.as_ref() == Some(entry)
    });
    let sent = events(12, 5);
    kinesis
        .queue()
        .publish(&sent)
        .await
        .expect_err("a record still refused after the retries is an error, not a success");

    let calls = kinesis.calls();
    let doomed = doomed.lock().unwrap().clone().unwrap();
    assert!(
        calls.len() >= 2 && calls.len() <= 10,
        "{} calls",
        calls.len()
    );
    for (n, call) in calls.iter().enumerate().skip(1) {
        assert_eq!(
            call.entries,
            vec![doomed.clone()],
            "call {n} retries only the refused entry"
        );
    }
    let taken = check_no_entry_taken_twice(&calls);
    assert_eq!(taken.len(), calls[0].entries.len() - 1);
    // What was taken is every event but the refused entry's: a client retry with the same event_ids
    // stores those once (the writer drops repeats), the refused ones for the first time.
    let refused: Vec<Uuid> = ids(events_in(&doomed));
    let mut expected: Vec<Uuid> = ids(sent)
        .into_iter()
        .filter(|id| !refused.contains(id))
        .collect();
    expected.sort();
    assert_eq!(ids(taken.iter().flat_map(events_in)), expected);
}

#[tokio::test]
async fn a_batch_over_one_call_retries_each_call_s_refused_entries() {
    // More visitors (so records, whatever a record carries) than one PutRecords call takes (500): the
    // first entry of every call is refused the first time it is sent.
    let kinesis =
        FakeKinesis::new(|_, index, _, times_sent_before| index == 0 && times_sent_before == 0);
    let sent = events(1_300, 620);
    kinesis.queue().publish(&sent).await.expect("published");

    let calls = kinesis.calls();
    for call in &calls {
        assert!(
            call.entries.len() <= 500,
            "PutRecords takes 500 entries at most"
        );
        let bytes: usize = call
            .entries
            .iter()
            .map(|e| e.data.len() + e.key.len())
            .sum();
        assert!(bytes <= 5 * 1024 * 1024, "PutRecords takes 5 MiB at most");
    }
    let taken = check_no_entry_taken_twice(&calls);
    let mut stored: Vec<EventRecord> = taken.iter().flat_map(events_in).collect();
    assert_eq!(stored.len(), sent.len(), "each event stored once");
    stored.sort_by_key(|e| e.event_id);
    assert_eq!(ids(stored), ids(sent));
    // A refused entry is sent again before the next call's entries go out: a visitor's events keep
    // their order on the shard.
    for (n, call) in calls.iter().enumerate() {
        if !call.refused().is_empty() {
            assert_eq!(calls[n + 1].entries, call.refused());
        }
    }
}
