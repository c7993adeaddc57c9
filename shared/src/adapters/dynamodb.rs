//! Users and login throttling in one DynamoDB table, key `pk`:
//! - `USER#<username>` holds the user;
//! - `EMAIL#<email>` reserves an address, so e-mails are unique without a scan;
//! - `META#admins` counts the admins, so that "never remove the last admin" holds under concurrency;
//! - `THROTTLE#<key>` counts failed logins, removed by the table's TTL (`expires_at`);
//! - `META#signing-keys` holds the public keys that verify access tokens (`signing_keys.rs`).
//!
//! Writes that touch more than one of them are one transaction.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::auth::Role;
use crate::error::{Conflict, StoreError};
use crate::ports::{Claim, LoginThrottle, Strikes, UserStore};
use crate::users::{Email, User, Username};

const ADMINS_KEY: &str = "META#admins";

#[derive(Clone)]
pub struct DynamoUsers {
    client: Client,
    table: String,
}

impl DynamoUsers {
    pub fn from_sdk(sdk: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), table)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The same table holds the published token keys.
    pub fn signing_keys(&self) -> super::signing_keys::DynamoSigningKeys {
        super::signing_keys::DynamoSigningKeys::new(self.client.clone(), self.table.clone())
    }

    /// The same table holds the login throttle.
    pub fn throttle(&self) -> DynamoThrottle {
        DynamoThrottle {
            client: self.client.clone(),
            table: self.table.clone(),
        }
    }

    fn put(
        &self,
        item: HashMap<String, AttributeValue>,
        condition: &str,
        values: Values,
    ) -> TransactWriteItem {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(values.into_option())
            .build()
            .expect("table, item and condition are set");
        TransactWriteItem::builder().put(put).build()
    }

    fn delete(&self, key: AttributeValue, condition: &str, values: Values) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", key)
            .condition_expression(condition)
            .set_expression_attribute_values(values.into_option())
            .build()
            .expect("table, key and condition are set");
        TransactWriteItem::builder().delete(delete).build()
    }

    /// Adds `delta` to the admin count; a decrement only while another admin remains.
    fn count_admins(&self, delta: i64) -> TransactWriteItem {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(ADMINS_KEY))
            .update_expression("ADD admins :delta")
            .expression_attribute_values(":delta", n(delta));
        if delta < 0 {
            update = update
                .condition_expression("admins > :one")
                .expression_attribute_values(":one", n(1));
        }
        TransactWriteItem::builder()
            .update(update.build().expect("table, key and expression are set"))
            .build()
    }

    /// Runs a transaction; `conflicts[i]` says what a failed condition on item `i` means.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        conflicts: Vec<StoreError>,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if let SdkError::ServiceError(ctx) = &err {
            if let TransactWriteItemsError::TransactionCanceledException(cancel) = ctx.err() {
                let reasons = cancel.cancellation_reasons();
                let failed = reasons
                    .iter()
                    .position(|r| r.code() == Some("ConditionalCheckFailed"));
                if let Some(i) = failed {
                    let mut conflicts = conflicts;
                    if i < conflicts.len() {
                        return Err(conflicts.swap_remove(i));
                    }
                }
                // Another transaction on the same items (say, the admin count) was in flight.
                if reasons
                    .iter()
                    .any(|r| r.code() == Some("TransactionConflict"))
                {
                    return Err(StoreError::Conflict(Conflict::Changed));
                }
            }
        }
        Err(backend(DisplayErrorContext(err)))
    }
}

/// Expression attribute values, built up as needed.
#[derive(Default)]
struct Values(HashMap<String, AttributeValue>);

impl Values {
    fn with(mut self, name: &str, value: AttributeValue) -> Self {
        self.0.insert(name.to_owned(), value);
        self
    }
    fn into_option(self) -> Option<HashMap<String, AttributeValue>> {
        (!self.0.is_empty()).then_some(self.0)
    }
}

/// One item by key, read consistently (a login must see the write just before it).
pub(crate) async fn get_item(
    client: &Client,
    table: &str,
    key: AttributeValue,
) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", key)
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| backend(DisplayErrorContext(e)))?;
    Ok(out.item)
}

fn user_key(username: &str) -> AttributeValue {
    AttributeValue::S(format!("USER#{username}"))
}

fn email_key(email: &str) -> AttributeValue {
    AttributeValue::S(format!("EMAIL#{email}"))
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("dynamodb: {err}"))
}

fn rfc3339(t: OffsetDateTime) -> AttributeValue {
    s(&t.format(&Rfc3339).expect("UTC times format as RFC 3339"))
}

fn to_item(user: &User) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), user_key(user.username.as_str())),
        ("username".to_owned(), s(user.username.as_str())),
        ("email".to_owned(), s(user.email.as_str())),
        ("role".to_owned(), s(user.role.as_str())),
        ("password_hash".to_owned(), s(&user.password_hash)),
        ("token_version".to_owned(), n(user.token_version as i64)),
        ("created_at".to_owned(), rfc3339(user.created_at)),
        ("updated_at".to_owned(), rfc3339(user.updated_at)),
    ])
}

fn email_item(user: &User) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), email_key(user.email.as_str())),
        ("username".to_owned(), s(user.username.as_str())),
    ])
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Result<User, StoreError> {
    let get = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::Backend(format!("user item without `{name}`")))
    };
    let time = |name: &str| {
        OffsetDateTime::parse(get(name)?, &Rfc3339)
            .map_err(|e| StoreError::Backend(format!("user item `{name}`: {e}")))
    };
    let corrupt = |what: &str| StoreError::Backend(format!("user item has an invalid {what}"));
    Ok(User {
        username: Username::parse(get("username")?).map_err(|_| corrupt("username"))?,
        email: Email::parse(get("email")?).map_err(|_| corrupt("email"))?,
        role: Role::parse(get("role")?).ok_or_else(|| corrupt("role"))?,
        password_hash: get("password_hash")?.clone(),
        token_version: item
            .get("token_version")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        created_at: time("created_at")?,
        updated_at: time("updated_at")?,
    })
}

impl UserStore for DynamoUsers {
    async fn get(&self, username: &str) -> Result<Option<User>, StoreError> {
        get_item(&self.client, &self.table, user_key(username))
            .await?
            .as_ref()
            .map(from_item)
            .transpose()
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        let mut users = Vec::new();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(pk, :user)")
            .expression_attribute_values(":user", s("USER#"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            users.push(from_item(
                &item.map_err(|e| backend(DisplayErrorContext(e)))?,
            )?);
        }
        users.sort_by(|a, b| a.username.as_str().cmp(b.username.as_str()));
        Ok(users)
    }

    async fn create(&self, user: &User) -> Result<(), StoreError> {
        let mut items = vec![
            self.put(to_item(user), "attribute_not_exists(pk)", Values::default()),
            self.put(
                email_item(user),
                "attribute_not_exists(pk)",
                Values::default(),
            ),
        ];
        if user.role == Role::Admin {
            items.push(self.count_admins(1));
        }
        let conflicts = vec![
            StoreError::Conflict(Conflict::Username),
            StoreError::Conflict(Conflict::Email),
        ];
        self.transact(items, conflicts).await
    }

    async fn update(&self, current: &User, next: &User) -> Result<(), StoreError> {
        // Optimistic: the write only lands if nobody changed the user since `current` was read.
        let unchanged = Values::default().with(":seen", rfc3339(current.updated_at));
        let mut items = vec![self.put(to_item(next), "updated_at = :seen", unchanged)];
        let mut conflicts = vec![StoreError::Conflict(Conflict::Changed)];
        if current.email != next.email {
            let owner = Values::default().with(":u", s(current.username.as_str()));
            items.push(self.delete(email_key(current.email.as_str()), "username = :u", owner));
            conflicts.push(StoreError::Conflict(Conflict::Changed));
            items.push(self.put(
                email_item(next),
                "attribute_not_exists(pk)",
                Values::default(),
            ));
            conflicts.push(StoreError::Conflict(Conflict::Email));
        }
        match (current.role, next.role) {
            (Role::Admin, Role::Viewer) => {
                items.push(self.count_admins(-1));
                conflicts.push(StoreError::Conflict(Conflict::LastAdmin));
            }
            (Role::Viewer, Role::Admin) => {
                items.push(self.count_admins(1));
                conflicts.push(StoreError::Conflict(Conflict::Changed));
            }
            _ => {}
        }
        self.transact(items, conflicts).await
    }

    async fn delete(&self, user: &User) -> Result<(), StoreError> {
        let owner = Values::default().with(":u", s(user.username.as_str()));
        // As read: a user promoted or given a new address since must not be deleted on stale facts.
        let unchanged = Values::default().with(":seen", rfc3339(user.updated_at));
        let mut items = vec![
            self.delete(
                user_key(user.username.as_str()),
                "attribute_exists(pk) AND updated_at = :seen",
                unchanged,
            ),
            self.delete(
                email_key(user.email.as_str()),
                "attribute_not_exists(pk) OR username = :u",
                owner,
            ),
        ];
        let mut conflicts = vec![
            StoreError::NotFound,
            StoreError::Conflict(Conflict::Changed),
        ];
        if user.role == Role::Admin {
            items.push(self.count_admins(-1));
            conflicts.push(StoreError::Conflict(Conflict::LastAdmin));
        }
        match self.transact(items, conflicts).await {
            // The user item's condition failed: gone, or changed since it was read?
            Err(StoreError::NotFound) if self.get(user.username.as_str()).await?.is_some() => {
                Err(StoreError::Conflict(Conflict::Changed))
            }
            other => other,
        }
    }

    async fn ever_had_admin(&self) -> Result<bool, StoreError> {
        Ok(get_item(&self.client, &self.table, s(ADMINS_KEY))
            .await?
            .is_some())
    }

    async fn create_first_admin(&self, user: &User) -> Result<bool, StoreError> {
        let admin = User {
            role: Role::Admin,
            ..user.clone()
        };
        let first = HashMap::from([
            ("pk".to_owned(), s(ADMINS_KEY)),
            ("admins".to_owned(), n(1)),
        ]);
        let items = vec![
            self.put(
                to_item(&admin),
                "attribute_not_exists(pk)",
                Values::default(),
            ),
            self.put(
                email_item(&admin),
                "attribute_not_exists(pk)",
                Values::default(),
            ),
            // The admin count exists from the first admin on: its absence means "never had one".
            self.put(first, "attribute_not_exists(pk)", Values::default()),
        ];
        let conflicts = vec![
            StoreError::Conflict(Conflict::Username),
            StoreError::Conflict(Conflict::Email),
            StoreError::Conflict(Conflict::Changed),
        ];
        match self.transact(items, conflicts).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(Conflict::Changed)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Failed-login windows in the users table (`THROTTLE#<key>`), expired by the table's TTL.
#[derive(Clone)]
pub struct DynamoThrottle {
    client: Client,
    table: String,
}

fn throttle_key(key: &str) -> AttributeValue {
    AttributeValue::S(format!("THROTTLE#{key}"))
}

fn strikes_from(item: &HashMap<String, AttributeValue>) -> Result<Strikes, StoreError> {
    let num = |name: &str| -> Result<i64, StoreError> {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| StoreError::Backend(format!("throttle item without `{name}`")))
    };
    Ok(Strikes {
        count: u32::try_from(num("strikes")?).unwrap_or(u32::MAX),
        until: OffsetDateTime::from_unix_timestamp(num("until")?).map_err(backend)?,
    })
}

impl DynamoThrottle {
    async fn window(&self, key: &str) -> Result<Option<Strikes>, StoreError> {
        get_item(&self.client, &self.table, throttle_key(key))
            .await?
            .as_ref()
            .map(strikes_from)
            .transpose()
    }
}

fn condition_failed<E>(err: &SdkError<E>, is_it: impl Fn(&E) -> bool) -> bool {
    matches!(err, SdkError::ServiceError(ctx) if is_it(ctx.err()))
}

impl LoginThrottle for DynamoThrottle {
    async fn claim(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
    ) -> Result<Claim, StoreError> {
        let until = (now + window).unix_timestamp();
        // A few rounds at most: each lost race means another request just changed the window.
        for _ in 0..5 {
            // 1. Count the attempt in the running window while it is under the limit.
            let counted = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", throttle_key(key))
                .update_expression("ADD strikes :one")
                .condition_expression("attribute_exists(pk) AND #until > :now AND strikes < :max")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(now.unix_timestamp()))
                .expression_attribute_values(":max", n(i64::from(max)))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match counted {
                Ok(out) => {
                    return Ok(Claim::Granted(strikes_from(
                        out.attributes().unwrap_or(&HashMap::new()),
                    )?))
                }
                Err(e)
                    if !condition_failed(&e, |e| {
                        matches!(e, UpdateItemError::ConditionalCheckFailedException(_))
                    }) =>
                {
                    return Err(backend(DisplayErrorContext(e)))
                }
                Err(_) => {}
            }
            // 2. Locked, or no running window (none yet, or expired: the TTL removes items late).
            match self.window(key).await? {
                Some(w) if w.until > now && w.count >= max => {
                    return Ok(Claim::Locked { until: w.until })
                }
                Some(w) if w.until > now => continue, // under the limit after all: a race, count again
                _ => {}
            }
            // 3. Open a new window, unless another request just did.
            let opened = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", throttle_key(key))
                .item("strikes", n(1))
                .item("until", n(until))
                .item("expires_at", n(until))
                .condition_expression("attribute_not_exists(pk) OR #until <= :now")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":now", n(now.unix_timestamp()))
                .send()
                .await;
            match opened {
                Ok(_) => {
                    let until = OffsetDateTime::from_unix_timestamp(until).map_err(backend)?;
                    return Ok(Claim::Granted(Strikes { count: 1, until }));
                }
                Err(e)
                    if !condition_failed(&e, |e| {
                        matches!(e, PutItemError::ConditionalCheckFailedException(_))
                    }) =>
                {
                    return Err(backend(DisplayErrorContext(e)))
                }
                Err(_) => {}
            }
        }
        Err(StoreError::Backend(format!(
            "throttle {key}: too much contention"
        )))
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let released = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", throttle_key(key))
            .update_expression("ADD strikes :minus")
            .condition_expression("strikes > :zero")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match released {
            Err(e)
                if !condition_failed(&e, |e| {
                    matches!(e, UpdateItemError::ConditionalCheckFailedException(_))
                }) =>
            {
                Err(backend(DisplayErrorContext(e)))
            }
            _ => Ok(()),
        }
    }

    async fn forgive(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", throttle_key(key))
            .send()
            .await
            .map_err(|e| backend(DisplayErrorContext(e)))?;
        Ok(())
    }
}
