//! The published token keys in the users table: one item, `pk = META#signing-keys` (the `META#` prefix is
//! no user's, e-mail's or throttle's, and the user listing reads `USER#` items only):
//!
//! ```text
//! pk:      "META#signing-keys"
//! version: 7                                   (every write adds one)
//! keys:    { "<kid>": { public_key: "<32 bytes, base64url>", added_at: <unix s>, retire_at: <unix s>? } }
//! ```
//!
//! A publish reads the item, changes the set (`KeySet::publish`) and writes it back only if the version
//! is still the one it read; if another process wrote in between, it reads and tries again. Readers only
//! read, so a function with read access to the table (analytics) can verify tokens but publish no key.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use time::{Duration, OffsetDateTime};

use super::dynamodb::get_item;
use crate::auth::keys::{KeySet, PublicKey, PublishedKey};
use crate::error::StoreError;
use crate::ports::SigningKeys;

pub const SIGNING_KEYS_KEY: &str = "META#signing-keys";

/// Rounds of read-and-write before a publish gives up: each lost round means another process just
/// published, and the next one usually finds nothing left to change.
const ROUNDS: usize = 8;

#[derive(Clone)]
pub struct DynamoSigningKeys {
    client: Client,
    table: String,
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("dynamodb signing keys: {err}"))
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The item's key set (entries that do not parse are left out, with a warning) and its version.
fn from_item(item: &HashMap<String, AttributeValue>) -> (KeySet, Option<i64>) {
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok());
    let mut keys = KeySet::default();
    let entries = item.get("keys").and_then(|k| k.as_m().ok());
    for (kid, entry) in entries.into_iter().flatten() {
        match entry_from(entry) {
            Ok(key) if key.public_key.kid() == *kid => {
                keys.keys.insert(kid.clone(), key);
            }
            Ok(_) => {
                tracing::warn!(%kid, "a published token key is not the key its id names: ignored")
            }
            Err(why) => tracing::warn!(%kid, %why, "a published token key does not parse: ignored"),
        }
    }
    (keys, version)
}

fn entry_from(entry: &AttributeValue) -> Result<PublishedKey, String> {
    let m = entry.as_m().map_err(|_| "not a map")?;
    let time = |name: &str| -> Result<Option<OffsetDateTime>, String> {
        m.get(name)
            .map(|v| {
                let secs: i64 = v
                    .as_n()
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("`{name}` is not a number"))?;
                OffsetDateTime::from_unix_timestamp(secs).map_err(|e| e.to_string())
            })
            .transpose()
    };
    let public_key = m
        .get("public_key")
        .and_then(|v| v.as_s().ok())
        .ok_or("no `public_key`")?;
    Ok(PublishedKey {
        public_key: PublicKey::from_base64url(public_key)?,
        added_at: time("added_at")?.ok_or("no `added_at`")?,
        retire_at: time("retire_at")?,
    })
}

fn keys_attribute(keys: &KeySet) -> AttributeValue {
    AttributeValue::M(
        keys.keys
            .iter()
            .map(|(kid, k)| {
                let mut entry = HashMap::from([
                    (
                        "public_key".to_owned(),
                        AttributeValue::S(k.public_key.to_base64url()),
                    ),
                    ("added_at".to_owned(), n(k.added_at.unix_timestamp())),
                ]);
                if let Some(at) = k.retire_at {
                    entry.insert("retire_at".to_owned(), n(at.unix_timestamp()));
                }
                (kid.clone(), AttributeValue::M(entry))
            })
            .collect(),
    )
}

impl DynamoSigningKeys {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The stored set and the item's version; None without an item.
    async fn read(&self) -> Result<Option<(KeySet, Option<i64>)>, StoreError> {
        let item = get_item(
            &self.client,
            &self.table,
            AttributeValue::S(SIGNING_KEYS_KEY.into()),
        )
        .await?;
        Ok(item.as_ref().map(from_item))
    }
}

impl SigningKeys for DynamoSigningKeys {
    async fn load(&self) -> Result<KeySet, StoreError> {
        Ok(self.read().await?.map(|(keys, _)| keys).unwrap_or_default())
    }

    async fn publish(
        &self,
        key: &PublicKey,
        now: OffsetDateTime,
        grace: Duration,
    ) -> Result<KeySet, StoreError> {
        for _ in 0..ROUNDS {
            let stored = self.read().await?;
            let exists = stored.is_some();
            let (mut keys, version) = stored.unwrap_or_default();
            if !keys.publish(*key, now, grace) {
                return Ok(keys);
            }
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", AttributeValue::S(SIGNING_KEYS_KEY.into()))
                .item("version", n(version.unwrap_or(0) + 1))
                .item("keys", keys_attribute(&keys));
            // Only over the item as read: a publish in between made this set stale.
            put = match (exists, version) {
                (false, _) => put.condition_expression("attribute_not_exists(pk)"),
                (true, Some(seen)) => put
                    .condition_expression("#version = :seen")
                    .expression_attribute_names("#version", "version")
                    .expression_attribute_values(":seen", n(seen)),
                (true, None) => put
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(#version)")
                    .expression_attribute_names("#version", "version"),
            };
            match put.send().await {
                Ok(_) => return Ok(keys),
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(err) => return Err(backend(DisplayErrorContext(err))),
            }
        }
        Err(backend("too much contention publishing a key"))
    }
}
