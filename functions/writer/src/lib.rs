//! The writer: a batch of Kinesis records in, ClickHouse inserts out, and nothing dropped silently.
//!
//! - Each record is unpacked (`shared::envelope`: packed records, and the bare events of before).
//! - The events are stored in one INSERT. When ClickHouse cannot be reached or fails (connection,
//!   5xx, timeout), every record is reported in `batchItemFailures`, so Lambda retries the batch (the
//!   template says: until it lands, for up to 6 days) instead of moving past it; nothing is
//!   dead-lettered then.
//! - When ClickHouse refuses the data itself, the batch is split in halves until the refused events
//!   are found; the rest is stored.
//! - A record that cannot be read, or holds an event that is refused, goes with its bytes to the
//!   dead-letter store (S3) with the reason; `replay` stores it once the writer is fixed.
//!
//! Each invocation logs one metrics line (CloudWatch Embedded Metric Format) and a log line for each
//! dead letter and each retry.

pub mod metrics;
pub mod replay;
pub mod schema;

use std::collections::HashSet;
use std::future::Future;

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::streams::KinesisEventResponse;
use shared::adapters::clickhouse::{ClickHouse, InsertError};
use shared::adapters::dead_letters::{DeadLetter, S3DeadLetters};
use shared::envelope;
use shared::event::EventRecord;
use shared::StoreError;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::metrics::BatchMetrics;

/// Where events are stored; says whether a failure was the data's or the service's.
pub trait Store: Sync {
    /// Which of `ids` are stored already; a future of its own, so that it can run while the batch
    /// is decoded.
    fn stored(
        &self,
        ids: Vec<Uuid>,
    ) -> impl Future<Output = Result<HashSet<Uuid>, StoreError>> + Send + 'static;
    /// Stores the events whose id is not stored yet, given the ids that are.
    fn store_new(
        &self,
        events: &[EventRecord],
        stored: &HashSet<Uuid>,
    ) -> impl Future<Output = Result<(), InsertError>> + Send;
    /// Stores the events whose id is not stored yet.
    fn store(&self, events: &[EventRecord])
        -> impl Future<Output = Result<(), InsertError>> + Send;
}

impl Store for ClickHouse {
    fn stored(
        &self,
        ids: Vec<Uuid>,
    ) -> impl Future<Output = Result<HashSet<Uuid>, StoreError>> + Send + 'static {
        let store = self.clone();
        async move { store.stored_ids(&ids).await }
    }
    fn store_new(
        &self,
        events: &[EventRecord],
        stored: &HashSet<Uuid>,
    ) -> impl Future<Output = Result<(), InsertError>> + Send {
        self.insert_new(events, stored)
    }
    fn store(
        &self,
        events: &[EventRecord],
    ) -> impl Future<Output = Result<(), InsertError>> + Send {
        self.insert_events(events)
    }
}

/// Where records that can never be stored as they are go, with their bytes.
pub trait DeadLetterSink: Sync {
    /// Stores the letter; returns where.
    fn put(&self, letter: &DeadLetter) -> impl Future<Output = Result<String, StoreError>> + Send;
}

impl DeadLetterSink for S3DeadLetters {
    fn put(&self, letter: &DeadLetter) -> impl Future<Output = Result<String, StoreError>> + Send {
        S3DeadLetters::put(self, letter)
    }
}

pub async fn handle<S: Store, D: DeadLetterSink>(
    store: &S,
    dead_letters: &D,
    batch: KinesisEvent,
) -> KinesisEventResponse {
    let (response, metrics) = process(store, dead_letters, &batch).await;
    metrics.emit();
    response
}

/// What `handle` does, with its metrics returned rather than printed.
pub async fn process<S: Store, D: DeadLetterSink>(
    store: &S,
    dead_letters: &D,
    batch: &KinesisEvent,
) -> (KinesisEventResponse, BatchMetrics) {
    let records = &batch.records;
    let mut metrics = BatchMetrics {
        records: records.len(),
        ..BatchMetrics::default()
    };
    // The duplicate check runs in ClickHouse while the events are decoded here.
    let mut ids = Vec::new();
    for record in records {
        envelope::scan_ids(&record.kinesis.data, &mut ids);
    }
    let lookup = tokio::spawn(store.stored(ids));
    let unpacked = unpack_all(records);
    metrics.events = unpacked.events.len();
    let mut problems = unpacked.problems;

    let mut response = KinesisEventResponse::default();
    let stored = match lookup.await {
        Ok(result) => result,
        Err(join) => Err(StoreError::Backend(format!(
            "the duplicate check failed: {join}"
        ))),
    };
    let result = match stored {
        Ok(stored) => store_all(store, &unpacked.events, Some(&stored)).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(refused) => {
            metrics.refused_events = refused.len();
            for (i, why) in refused {
                let record = unpacked.origin[i];
                let event = &unpacked.events[i];
                problems[record].push(format!(
                    "event {} ({}) refused by ClickHouse: {why}",
                    i - unpacked.starts[record],
                    event.event_id
                ));
            }
        }
        Err(err) => {
            tracing::error!(error = %err, records = records.len(), "insert failed; the batch will be retried");
            metrics.retried_records = records.len();
            for record in records {
                response.add_failure(record.kinesis.sequence_number.clone());
            }
            return (response, metrics);
        }
    }
    metrics.stored_events = metrics.events - metrics.refused_events;

    let now = OffsetDateTime::now_utc();
    for (record, reasons) in records.iter().zip(problems) {
        if reasons.is_empty() {
            continue;
        }
        let letter = DeadLetter {
            shard: shard_of(record),
            sequence: record.kinesis.sequence_number.clone(),
            reason: reasons.join("; "),
            at: now,
            data: record.kinesis.data.0.clone(),
        };
        match dead_letters.put(&letter).await {
            Ok(key) => {
                metrics.dead_letters += 1;
                tracing::error!(
                    key,
                    shard = letter.shard,
                    sequence = letter.sequence,
                    bytes = letter.data.len(),
                    reason = letter.reason,
                    "record dead-lettered: it cannot be stored as it is (replay it after a fix)"
                );
            }
            Err(err) => {
                // Not lost: reported for retry, so Lambda delivers it (and what follows it) again.
                metrics.dead_letter_errors += 1;
                metrics.retried_records += 1;
                tracing::error!(
                    error = %err,
                    shard = letter.shard,
                    sequence = letter.sequence,
                    reason = letter.reason,
                    "could not dead-letter a record; it will be retried"
                );
                response.add_failure(record.kinesis.sequence_number.clone());
            }
        }
    }
    tracing::info!(
        records = metrics.records,
        events = metrics.events,
        dead_letters = metrics.dead_letters,
        "batch stored"
    );
    (response, metrics)
}

/// Every event of the batch, where each came from, and what could not be read, by record.
pub(crate) struct Unpacked {
    pub events: Vec<EventRecord>,
    /// The record of each event.
    pub origin: Vec<usize>,
    /// The index in `events` of each record's first event.
    pub starts: Vec<usize>,
    pub problems: Vec<Vec<String>>,
}

pub(crate) fn unpack_all(records: &[KinesisEventRecord]) -> Unpacked {
    let mut out = Unpacked {
        events: Vec::with_capacity(records.len()),
        origin: Vec::with_capacity(records.len()),
        starts: Vec::with_capacity(records.len()),
        problems: vec![Vec::new(); records.len()],
    };
    for (i, record) in records.iter().enumerate() {
        out.starts.push(out.events.len());
        match envelope::unpack_into(&record.kinesis.data, &mut out.events) {
            Ok(bad) => out.problems[i].extend(bad.iter().map(|b| format!("not decodable: {b}"))),
            Err(err) => out.problems[i].push(format!("not decodable: {err}")),
        }
        out.origin.resize(out.events.len(), i);
    }
    out
}

/// Stores `events`; when ClickHouse refuses the data, halves are tried until the refused events are
/// found, and the others stored. Returns the refused ones (index, why); an error when ClickHouse is
/// unavailable.
///
/// `stored`: the ids found stored already, when the caller looked them up; used for the first
/// attempt only (after a half is stored, the others' check must see it).
pub(crate) async fn store_all<S: Store>(
    store: &S,
    events: &[EventRecord],
    mut stored: Option<&HashSet<Uuid>>,
) -> Result<Vec<(usize, String)>, StoreError> {
    let mut refused = Vec::new();
    // Ranges still to store, the next one last; earlier events are stored first.
    let mut todo = vec![(0, events.len())];
    while let Some((lo, hi)) = todo.pop() {
        if lo == hi {
            continue;
        }
        let attempt = match stored.take() {
            Some(known) => store.store_new(&events[lo..hi], known).await,
            None => store.store(&events[lo..hi]).await,
        };
        match attempt {
            Ok(()) => {}
            Err(InsertError::Unavailable(err)) => return Err(err),
            Err(InsertError::Refused(why)) if hi - lo == 1 => refused.push((lo, why)),
            Err(InsertError::Refused(_)) => {
                let mid = lo + (hi - lo) / 2;
                todo.push((mid, hi));
                todo.push((lo, mid));
            }
        }
    }
    // Only ClickHouse's error code tells bad data from an outage. A batch whose every event is refused
    // is dead-lettered too (a quiet shard's batch is often one visitor's request): retrying it would
    // block the shard for days and then lose it; a dead letter is replayed once the cause is fixed.
    Ok(refused)
}

/// `shardId-000000000000` from the record's event id (`<shard>:<sequence>`).
fn shard_of(record: &KinesisEventRecord) -> String {
    record
        .event_id
        .as_deref()
        .and_then(|id| id.split_once(':'))
        .map(|(shard, _)| shard.to_owned())
        .unwrap_or_else(|| "unknown-shard".into())
}
