//! The event queue on Kinesis. A request's events are packed into as few records as the limits allow
//! (one visitor's events per record, see `envelope`), so a shard's 1,000 records/s carry many more
//! events. PutRecords can fail per record, so only the failed ones are retried.

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_kinesis::Client;

use crate::envelope;
use crate::error::StoreError;
use crate::event::EventRecord;
use crate::ports::EventQueue;

/// PutRecords takes at most 500 records and 5 MiB a call.
const MAX_RECORDS_PER_CALL: usize = 500;
const MAX_BYTES_PER_CALL: usize = 5 * 1024 * 1024;
const ATTEMPTS: u32 = 4;

#[derive(Clone)]
pub struct KinesisQueue {
    client: Client,
    stream: String,
}

impl KinesisQueue {
    pub fn from_sdk(sdk: &aws_config::SdkConfig, stream: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), stream)
    }

    pub fn new(client: Client, stream: impl Into<String>) -> Self {
        Self {
            client,
            stream: stream.into(),
        }
    }

    async fn put_with_retries(
        &self,
        mut entries: Vec<PutRecordsRequestEntry>,
    ) -> Result<(), StoreError> {
        for attempt in 1..=ATTEMPTS {
            let out = self
                .client
                .put_records()
                .stream_name(&self.stream)
                .set_records(Some(entries.clone()))
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(err) if attempt < ATTEMPTS => {
                    tracing::warn!(attempt, error = %aws_sdk_kinesis::error::DisplayErrorContext(&err), "PutRecords failed; retrying");
                    backoff(attempt).await;
                    continue;
                }
                Err(err) => {
                    return Err(StoreError::Backend(format!(
                        "kinesis: {}",
                        aws_sdk_kinesis::error::DisplayErrorContext(err)
                    )))
                }
            };
            if out.failed_record_count().unwrap_or(0) == 0 {
                return Ok(());
            }
            // Results come back in request order; keep only the entries that failed.
            entries = entries
                .into_iter()
                .zip(out.records())
                .filter(|(_, result)| result.error_code().is_some())
                .map(|(entry, _)| entry)
                .collect();
            tracing::warn!(
                attempt,
                failed = entries.len(),
                "some Kinesis records failed; retrying those"
            );
            backoff(attempt).await;
        }
        Err(StoreError::Backend(format!(
            "kinesis: {} records still failing after {ATTEMPTS} attempts",
            entries.len()
        )))
    }
}

async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(50 * 2u64.pow(attempt))).await;
}

impl EventQueue for KinesisQueue {
    async fn publish(&self, events: &[EventRecord]) -> Result<(), StoreError> {
        let records = envelope::pack(events).map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut batch = Vec::new();
        let mut batch_bytes = 0;
        for record in records {
            let size = record.size();
            if batch.len() == MAX_RECORDS_PER_CALL || batch_bytes + size > MAX_BYTES_PER_CALL {
                self.put_with_retries(std::mem::take(&mut batch)).await?;
                batch_bytes = 0;
            }
            // Partitioning by visitor keeps each visitor's events in order on one shard.
            batch.push(
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(record.data))
                    .partition_key(record.partition_key)
                    .build()
                    .expect("data and partition key are set"),
            );
            batch_bytes += size;
        }
        if !batch.is_empty() {
            self.put_with_retries(batch).await?;
        }
        Ok(())
    }
}
