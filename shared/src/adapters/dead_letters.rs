//! Dead letters in S3: the Kinesis records the writer can never store as they are (not decodable, or
//! refused by ClickHouse as bad data), each kept with its bytes, so that a fixed writer can replay
//! them. S3 rather than SQS: a record is up to 1 MiB, an SQS message at most 256 KiB.
//!
//! Key: `dead-letters/<day stored>/<shard>/<sequence number>.bin`, so a record dead-lettered twice
//! (its batch retried) is one object. Why, where from and when travel as the object's metadata.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::StoreError;

/// Where dead letters are written.
pub const PREFIX: &str = "dead-letters/";
/// Where a replay moves the ones it stored.
pub const REPLAYED_PREFIX: &str = "replayed/";
/// S3 allows 2 KB of user metadata in all; the reason gets most of it.
const MAX_REASON_CHARS: usize = 1_500;

/// One record that could not be stored, with what is known of it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub shard: String,
    pub sequence: String,
    pub reason: String,
    /// When it was dead-lettered.
    pub at: OffsetDateTime,
    /// The record's bytes, as the stream held them.
    pub data: Vec<u8>,
}

impl DeadLetter {
    /// `dead-letters/<yyyy-mm-dd>/<shard>/<sequence>.bin`.
    pub fn key(&self) -> String {
        format!(
            "{PREFIX}{}/{}/{}.bin",
            self.at.date(),
            safe(&self.shard),
            safe(&self.sequence)
        )
    }
}

/// Shard ids and sequence numbers are ASCII letters, digits and dashes; anything else is replaced, so
/// that a key never gains a path segment.
fn safe(part: &str) -> String {
    let s: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

/// Metadata values travel as HTTP headers: printable ASCII only.
fn header_text(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(max)
        .collect()
}

#[derive(Clone)]
pub struct S3DeadLetters {
    client: Client,
    bucket: String,
}

impl S3DeadLetters {
    /// Paths rather than virtual hosts when an endpoint is set (moto, LocalStack): `bucket.127.0.0.1`
    /// does not resolve.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()));
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(custom_endpoint)
            .build();
        Self::new(Client::from_conf(config), bucket)
    }

    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Stores the letter under its key (replacing the same record's earlier letter); returns the key.
    pub async fn put(&self, letter: &DeadLetter) -> Result<String, StoreError> {
        let key = letter.key();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(ByteStream::from(letter.data.clone()))
            .content_type("application/octet-stream")
            .metadata("reason", header_text(&letter.reason, MAX_REASON_CHARS))
            .metadata("shard", header_text(&letter.shard, 128))
            .metadata("sequence", header_text(&letter.sequence, 128))
            .metadata(
                "at",
                letter.at.format(&Rfc3339).expect("a UTC time formats"),
            )
            .send()
            .await
            .map_err(|e| backend("put", e))?;
        Ok(key)
    }

    /// Every key under `prefix` (e.g. `dead-letters/` or `dead-letters/2026-11-20/`), in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| backend("list", e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        Ok(keys)
    }

    pub async fn get(&self, key: &str) -> Result<DeadLetter, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| backend("get", e))?;
        let meta = out.metadata().cloned().unwrap_or_default();
        let data = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Backend(format!("s3 get {key}: {e}")))?
            .to_vec();
        let field = |name: &str| meta.get(name).cloned().unwrap_or_default();
        Ok(DeadLetter {
            shard: field("shard"),
            sequence: field("sequence"),
            reason: field("reason"),
            at: OffsetDateTime::parse(&field("at"), &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            data,
        })
    }

    /// Moves a letter to `replayed/<its key>` (kept for reference; a lifecycle rule may expire it).
    pub async fn archive(&self, key: &str) -> Result<String, StoreError> {
        let to = format!("{REPLAYED_PREFIX}{key}");
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{}", self.bucket, key))
            .key(&to)
            .send()
            .await
            .map_err(|e| backend("copy", e))?;
        self.delete(key).await?;
        Ok(to)
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| backend("delete", e))?;
        Ok(())
    }
}

fn backend<E: std::error::Error>(op: &str, err: E) -> StoreError {
    StoreError::Backend(format!("s3 {op}: {}", DisplayErrorContext(err)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn keys_are_by_day_shard_and_sequence_and_never_gain_a_segment() {
        let letter = DeadLetter {
            shard: "shardId-000000000001".into(),
            sequence: "4959033827149025660855969".into(),
            reason: "x".into(),
            at: datetime!(2026-11-20 23:59 UTC),
            data: vec![],
        };
        assert_eq!(
            letter.key(),
            "dead-letters/2026-11-20/shardId-000000000001/4959033827149025660855969.bin"
        );
        let odd = DeadLetter {
            shard: "../x".into(),
            sequence: String::new(),
            ..letter
        };
        assert_eq!(odd.key(), "dead-letters/2026-11-20/___x/unknown.bin");
    }

    #[test]
    fn metadata_is_printable_ascii_and_bounded() {
        assert_eq!(header_text("ä\nok", 10), "??ok");
        assert_eq!(
            header_text(&"a".repeat(5_000), MAX_REASON_CHARS).len(),
            1_500
        );
    }
}
