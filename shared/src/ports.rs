//! The ports: what the functions need from the outside world. Adapters (DynamoDB, Kinesis,
//! ClickHouse, in-memory) implement them; handlers are generic over them.

use std::future::Future;

use time::{Duration, OffsetDateTime};

use crate::error::StoreError;
use crate::event::EventRecord;
use crate::users::User;

/// Users. Every write that touches the e-mail reservation or the number of admins is atomic.
pub trait UserStore: Send + Sync {
    fn get(&self, username: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// Every user, ordered by username.
    fn list(&self) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;
    /// Creates the user; fails with `Conflict::Username` or `Conflict::Email` when taken.
    fn create(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces `current` by `next` (the same username). Fails with `Changed` when the stored user is no
    /// longer `current`, `Email` when the new address is taken, `LastAdmin` when it would leave no admin.
    fn update(
        &self,
        current: &User,
        next: &User,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletes the user; `NotFound` when gone already, `Conflict::LastAdmin` for the last admin.
    fn delete(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Failed logins counted per key (a username or a client address) in a window that starts with the
/// first failure. Entries expire by themselves (a TTL in DynamoDB).
pub trait LoginThrottle: Send + Sync {
    /// The failures in the key's current window, if one is running at `now`.
    fn strikes(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Strikes>, StoreError>> + Send;
    /// Counts one more failure, opening a window of `window` if none is running.
    fn strike(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> impl Future<Output = Result<Strikes, StoreError>> + Send;
    /// Forgets the key's failures (after a successful login).
    fn forgive(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strikes {
    pub count: u32,
    /// When the window closes, and the count with it.
    pub until: OffsetDateTime,
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
