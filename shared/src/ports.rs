//! The ports: what the functions need from the outside world. Adapters (DynamoDB, Kinesis,
//! ClickHouse, in-memory) implement them; handlers are generic over them.

use std::future::Future;

use time::OffsetDateTime;

use crate::error::StoreError;
use crate::event::EventRecord;
use crate::users::User;

pub trait UserStore: Send + Sync {
    fn get(&self, username: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// Creates the user; `Conflict` names what is taken (`username` or `email`).
    fn create(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The queue between the collector and the writer (Kinesis in AWS).
pub trait EventQueue: Send + Sync {
    /// Publishes every record or fails: a partial failure is retried inside, then reported.
    fn publish(
        &self,
        events: &[EventRecord],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Where events are stored (ClickHouse).
pub trait EventSink: Send + Sync {
    fn insert(&self, events: &[EventRecord])
        -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The time range and site of an analytics question; already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub site: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Totals {
    pub events: u64,
    pub visitors: u64,
    pub sessions: u64,
    pub pageviews: u64,
}

pub trait AnalyticsStore: Send + Sync {
    fn totals(&self, scope: &Scope) -> impl Future<Output = Result<Totals, StoreError>> + Send;
}
