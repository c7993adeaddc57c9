//! The writer: a batch of Kinesis records in, one ClickHouse insert out. When the insert fails,
//! every record is reported in `batchItemFailures`, so Lambda retries the batch (the template says:
//! until it lands, for up to 6 days) instead of moving past it.

pub mod schema;

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::streams::KinesisEventResponse;
use shared::event::EventRecord;
use shared::ports::EventSink;

pub async fn handle<S: EventSink>(sink: &S, batch: KinesisEvent) -> KinesisEventResponse {
    let mut events = Vec::with_capacity(batch.records.len());
    for record in &batch.records {
        match serde_json::from_slice::<EventRecord>(&record.kinesis.data) {
            Ok(event) => events.push(event),
            // Only the collector writes to the stream; a record it did not write can never be
            // stored, so retrying it would block the shard. It is logged, with its position.
            Err(err) => tracing::error!(
                sequence_number = %record.kinesis.sequence_number,
                bytes = record.kinesis.data.len(),
                error = %err,
                "skipping a record that is not an event"
            ),
        }
    }
    let mut response = KinesisEventResponse::default();
    if let Err(err) = sink.insert(&events).await {
        tracing::error!(error = %err, records = batch.records.len(), "insert failed; the batch will be retried");
        for record in &batch.records {
            response.add_failure(record.kinesis.sequence_number.clone());
        }
    } else {
        tracing::info!(
            inserted = events.len(),
            records = batch.records.len(),
            "batch stored"
        );
    }
    response
}
