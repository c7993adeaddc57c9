//! The writer: a batch of Kinesis records in, ClickHouse inserts out, and nothing dropped silently.
//!
//! - Each record is unpacked (`shared::envelope`: packed records, and the bare events of before)
//!   while the INSERT takes the rows decoded so far, so ClickHouse works while the rest is decoded.
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

use std::future::Future;

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::streams::KinesisEventResponse;
use shared::adapters::clickhouse::{ClickHouse, InsertError};
use shared::adapters::dead_letters::{DeadLetter, S3DeadLetters};
use shared::envelope;
use shared::event::EventRecord;
use shared::StoreError;
use time::OffsetDateTime;

use crate::metrics::BatchMetrics;

/// Where events are stored; says whether a failure was the data's or the service's.
pub trait Store: Sync {
    /// Stores the events `decode` appends to `events` (one record a call, false after the last)
    /// whose id is neither stored nor repeated, inserting while decoding; decodes everything
    /// whatever happens.
    fn store_decoding(
        &self,
        events: &mut Vec<EventRecord>,
        decode: impl FnMut(&mut Vec<EventRecord>) -> bool + Send,
    ) -> impl Future<Output = Result<(), InsertError>> + Send;
    /// Stores the events whose id is not stored yet.
    fn store(&self, events: &[EventRecord])
        -> impl Future<Output = Result<(), InsertError>> + Send;
}

impl Store for ClickHouse {
    fn store_decoding(
        &self,
        events: &mut Vec<EventRecord>,
        decode: impl FnMut(&mut Vec<EventRecord>) -> bool + Send,
    ) -> impl Future<Output = Result<(), InsertError>> + Send {
        self.insert_decoding(events, decode)
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
    let mut unpacked = Unpacked::with_capacity(records.len());
    let mut events = Vec::with_capacity(records.len());
    let mut next = records.iter();
    let first = store
        .store_decoding(&mut events, |events| match next.next() {
            Some(record) => {
                unpacked.add(record, events);
                true
            }
            None => false,
        })
        .await;
    metrics.events = events.len();
    let mut problems = std::mem::take(&mut unpacked.problems);

    let mut response = KinesisEventResponse::default();
    let result = match first {
        Ok(()) => Ok(Vec::new()),
        Err(InsertError::Unavailable(err)) => Err(err),
        // Some event is refused: find which, by halves.
        Err(InsertError::Refused(why)) if events.len() == 1 => Ok(vec![(0, why)]),
        Err(InsertError::Refused(_)) => store_all(store, &events, true).await,
    };
    match result {
        Ok(refused) => {
            metrics.refused_events = refused.len();
            for (i, why) in refused {
                let record = unpacked.origin[i];
                let event = &events[i];
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

/// Where each decoded event came from, and what could not be read, by record.
pub(crate) struct Unpacked {
    /// The record of each event.
    pub origin: Vec<usize>,
    /// The index among the events of each record's first event.
    pub starts: Vec<usize>,
    pub problems: Vec<Vec<String>>,
}

impl Unpacked {
    fn with_capacity(records: usize) -> Self {
        Self {
            origin: Vec::with_capacity(records),
            starts: Vec::with_capacity(records),
            problems: Vec::with_capacity(records),
        }
    }

    /// Decodes the next record's events into `events`.
    fn add(&mut self, record: &KinesisEventRecord, events: &mut Vec<EventRecord>) {
        let i = self.starts.len();
        self.starts.push(events.len());
        let problems = match envelope::unpack_into(&record.kinesis.data, events) {
            Ok(bad) => bad.iter().map(|b| format!("not decodable: {b}")).collect(),
            Err(err) => vec![format!("not decodable: {err}")],
        };
        self.problems.push(problems);
        self.origin.resize(events.len(), i);
    }
}

/// Stores `events`; when ClickHouse refuses the data, halves are tried until the refused events are
/// found, and the others stored. Returns the refused ones (index, why); an error when ClickHouse is
/// unavailable. `refused_whole`: the whole was tried and refused already (start with the halves).
pub(crate) async fn store_all<S: Store>(
    store: &S,
    events: &[EventRecord],
    refused_whole: bool,
) -> Result<Vec<(usize, String)>, StoreError> {
    let mut refused = Vec::new();
    // Ranges still to store, the next one last; earlier events are stored first.
    let n = events.len();
    let mut todo = if refused_whole && n > 1 {
        vec![(n / 2, n), (0, n / 2)]
    } else {
        vec![(0, n)]
    };
    while let Some((lo, hi)) = todo.pop() {
        if lo == hi {
            continue;
        }
        match store.store(&events[lo..hi]).await {
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
