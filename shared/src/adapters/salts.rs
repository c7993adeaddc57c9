//! The daily salts of cookieless visitor ids in their own DynamoDB table (`SALT#<day>` items with
//! a 48-hour TTL), so that the public collector needs no access to the users table. The first
//! caller of a day writes a random salt with a condition; anyone racing it reads the winner's.
//! Each process keeps the day's salts in memory until the UTC day changes. Whoever makes a day's
//! salt deletes the one of two days before (TTL deletes lazily, sometimes days late): after its 48
//! hours a salt is gone, not just unused.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use time::{Date, Duration, OffsetDateTime};

use super::dynamodb::get_item;
use crate::cookieless::{salt_day, DailySalts, Salt, SALT_BYTES, SALT_LIFETIME_HOURS};
use crate::error::StoreError;
use crate::ports::SaltStore;

pub struct DynamoSalts {
    client: Client,
    table: String,
    cached: Mutex<Option<DailySalts>>,
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("dynamodb salts: {err}"))
}

fn key(day: Date) -> AttributeValue {
    AttributeValue::S(format!("SALT#{day}"))
}

impl DynamoSalts {
    pub fn from_sdk(sdk: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), table)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            cached: Mutex::new(None),
        }
    }

    async fn read(&self, day: Date) -> Result<Option<Salt>, StoreError> {
        let Some(item) = get_item(&self.client, &self.table, key(day)).await? else {
            return Ok(None);
        };
        // An item past its TTL may linger until DynamoDB deletes it: not a salt any more.
        let expired = match item.get("expires_at") {
            Some(AttributeValue::N(n)) => n
                .parse::<i64>()
                .is_ok_and(|t| t <= OffsetDateTime::now_utc().unix_timestamp()),
            _ => false,
        };
        match item.get("salt") {
            Some(AttributeValue::B(b)) if !expired => {
                let bytes: [u8; SALT_BYTES] = b
                    .as_ref()
                    .try_into()
                    .map_err(|_| backend("a stored salt has the wrong length"))?;
                Ok(Some(Salt(bytes)))
            }
            _ => Ok(None),
        }
    }

    /// Today's salt: the stored one, or a new one stored only if nobody stored one first.
    async fn today(&self, day: Date) -> Result<Salt, StoreError> {
        if let Some(salt) = self.read(day).await? {
            return Ok(salt);
        }
        let salt = Salt::random();
        let expires = day.midnight().assume_utc() + Duration::hours(SALT_LIFETIME_HOURS);
        let item = HashMap::from([
            ("pk".to_owned(), key(day)),
            (
                "salt".to_owned(),
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(salt.0.to_vec())),
            ),
            (
                "expires_at".to_owned(),
                AttributeValue::N(expires.unix_timestamp().to_string()),
            ),
        ]);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => {
                self.forget_before(day).await;
                Ok(salt)
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                // Another process made today's salt a moment ago: use that one.
                self.read(day)
                    .await?
                    .ok_or_else(|| backend("today's salt vanished after a conflict"))
            }
            Err(err) => Err(backend(aws_sdk_dynamodb::error::DisplayErrorContext(err))),
        }
    }
}

impl DynamoSalts {
    /// Deletes the salt of two days before `day` (best effort: its TTL deletes it later anyway).
    async fn forget_before(&self, day: Date) {
        let Some(old) = day.checked_sub(Duration::days(2)) else {
            return;
        };
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", key(old))
            .send()
            .await;
        if let Err(err) = deleted {
            tracing::warn!(
                error = %aws_sdk_dynamodb::error::DisplayErrorContext(err),
                "could not delete an old cookieless salt (its TTL will)"
            );
        }
    }
}

impl SaltStore for DynamoSalts {
    async fn salts(&self, now: OffsetDateTime) -> Result<DailySalts, StoreError> {
        let day = salt_day(now);
        if let Some(salts) = self.cached.lock().expect("not poisoned").as_ref() {
            if salts.day == day {
                return Ok(salts.clone());
            }
        }
        let today = self.today(day).await?;
        let yesterday = match day.previous_day() {
            Some(d) => self.read(d).await?,
            None => None,
        };
        let salts = DailySalts {
            day,
            today,
            yesterday,
        };
        *self.cached.lock().expect("not poisoned") = Some(salts.clone());
        Ok(salts)
    }
}
