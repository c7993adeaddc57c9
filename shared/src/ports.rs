//! The ports: what the functions need from the outside world. Adapters (DynamoDB, Kinesis,
//! ClickHouse, in-memory) implement them; handlers are generic over them.

use std::future::Future;

use time::{Duration, OffsetDateTime};

use crate::analytics::filter::Dimension;
use crate::analytics::period::Interval;
use crate::analytics::{
    ByteStream, Counts, ExportFormat, FunnelTally, Live, Question, Retention, RetentionCell,
    SiteSummary, Step,
};
use crate::auth::keys::{KeySet, PublicKey};
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
    /// Whether an admin was ever recorded (the first admin is created only when not).
    fn ever_had_admin(&self) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Creates `user` as the first admin, only if no admin was ever recorded: `Ok(false)` when one was.
    fn create_first_admin(
        &self,
        user: &User,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Deletes the user as read (`Changed` when it changed since), `NotFound` when gone already,
    /// `Conflict::LastAdmin` for the last admin.
    fn delete(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Sign-in attempts counted per key (a username or a client address) in a window that starts with the
/// first one. An attempt is claimed *before* the password is checked, so parallel guesses cannot all
/// slip under the limit; a successful one is given back. Entries expire by themselves (a TTL).
pub trait LoginThrottle: Send + Sync {
    /// Counts an attempt for `key`, opening a window of `window` if none is running; `Locked` when
    /// `max` attempts are already counted in the running window.
    fn claim(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;
    /// Gives one claimed attempt back (it succeeded).
    fn release(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Forgets every attempt of the key (its owner just proved the password).
    fn forgive(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Granted(Strikes),
    Locked { until: OffsetDateTime },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strikes {
    pub count: u32,
    /// When the window closes, and the count with it.
    pub until: OffsetDateTime,
}

/// The public keys that verify access tokens, by key id: auth publishes its own at cold start, and
/// every function that verifies tokens reads them (never the secret auth signs with). A write lands only
/// on the set it was computed from, so processes publishing at once lose no key.
pub trait SigningKeys: Send + Sync {
    /// Every stored key, retired or not (verifiers skip those past their `retire_at`).
    fn load(&self) -> impl Future<Output = Result<KeySet, StoreError>> + Send;
    /// Makes `key` the current one as `KeySet::publish` says (the other keys retire at `now + grace`,
    /// those retired by `now` are dropped), writing only if that changes anything; the set as stored.
    fn publish(
        &self,
        key: &PublicKey,
        now: OffsetDateTime,
        grace: Duration,
    ) -> impl Future<Output = Result<KeySet, StoreError>> + Send;
}

/// The queue between the collector and the writer (Kinesis in AWS).
pub trait EventQueue: Send + Sync {
    /// Publishes every record or fails: a partial failure is retried inside, then reported.
    fn publish(
        &self,
        events: &[EventRecord],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The daily salts of cookieless visitor ids (cookieless.rs): today's is made by whoever asks first
/// that day, and every caller gets the same one; the previous day's while it is kept.
pub trait SaltStore: Send + Sync {
    fn salts(
        &self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<crate::cookieless::DailySalts, StoreError>> + Send;
}

/// Where events are stored (ClickHouse).
pub trait EventSink: Send + Sync {
    fn insert(&self, events: &[EventRecord])
        -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The analytics queries (ClickHouse). Every answer counts each `event_id` once.
pub trait AnalyticsStore: Send + Sync {
    fn overview(&self, q: &Question) -> impl Future<Output = Result<Counts, StoreError>> + Send;
    /// Counts per bucket, in the order of `buckets` (their starts, as `interval` floors them).
    fn timeseries(
        &self,
        q: &Question,
        interval: Interval,
        buckets: &[OffsetDateTime],
    ) -> impl Future<Output = Result<Vec<Counts>, StoreError>> + Send;
    /// Values by visitors, descending (then by value).
    fn breakdown(
        &self,
        q: &Question,
        dimension: &Dimension,
        limit: u64,
        offset: u64,
    ) -> impl Future<Output = Result<Vec<(String, Counts)>, StoreError>> + Send;
    /// How far the visitors who did the first step got, each step within `window_ms` of it.
    fn funnel(
        &self,
        q: &Question,
        steps: &[Step],
        window_ms: i64,
    ) -> impl Future<Output = Result<FunnelTally, StoreError>> + Send;
    /// Cohort sizes and returning visitors, by cohort (first start event ever in [from, to)).
    #[allow(clippy::type_complexity)]
    fn retention(
        &self,
        q: &Question,
        spec: &Retention,
    ) -> impl Future<Output = Result<(Vec<(jiff::civil::Date, u64)>, Vec<RetentionCell>), StoreError>>
           + Send;
    fn live(
        &self,
        site: Option<&str>,
        now: OffsetDateTime,
        window: Duration,
    ) -> impl Future<Output = Result<Live, StoreError>> + Send;
    fn sites(
        &self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<SiteSummary>, StoreError>> + Send;
    /// The raw events of the question (event-level filters), streamed in `format` with a header
    /// line for CSV; ordered by site and day.
    fn export(
        &self,
        q: &Question,
        format: ExportFormat,
    ) -> impl Future<Output = Result<ByteStream, StoreError>> + Send;
}
