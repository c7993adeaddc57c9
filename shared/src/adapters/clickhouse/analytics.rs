//! The analytics queries. Every figure is made in two steps: first one row per visit (its visitor,
//! counts, first and last time, the visit-level values that filters and breakdowns need, and how
//! many of its events pass the event filters), then the figures over those visits.
//!
//! The visit rows come from `visits_hourly` (one pre-aggregated row per visit and UTC hour) when
//! the question allows it: no event-level filter, and a range and buckets on whole UTC hours.
//! Otherwise from `raw_events`. Both give the same answers (the tests check that on one data set).
//! Client values only ever reach ClickHouse as bound parameters (`{pN:Type}`).

use clickhouse::Row;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{millis, ClickHouse};
use crate::analytics::filter::{Dimension, Filter, Op};
use crate::analytics::period::Interval;
use crate::analytics::{funnel_chain, FunnelTally};
use crate::analytics::{
    ByteStream, Counts, ExportFormat, Live, LivePage, Question, RecentEvent, Retention,
    RetentionCell, RetentionPeriod, SiteSummary, Step,
};
use crate::error::StoreError;
use crate::ports::AnalyticsStore;

/// The limits every analytics query runs under; a query past one is stopped by the server.
#[derive(Debug, Clone)]
pub struct ReadLimits {
    pub max_execution_seconds: u64,
    pub max_memory_bytes: u64,
    pub max_rows_to_read: u64,
    /// How long an export may run: the streaming function's own timeout less a margin (through API
    /// Gateway, which answers within 30 s, the same as any query).
    pub export_seconds: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_execution_seconds: 20,
            max_memory_bytes: 2 << 30,
            max_rows_to_read: 2_000_000_000,
            export_seconds: 20,
        }
    }
}

impl ClickHouse {
    /// A client for the analytics function: read-only, and every query under `limits`; a query is
    /// cancelled when its HTTP connection closes (the function gave up on it).
    pub fn for_reads(cfg: &crate::config::ClickHouseConfig, limits: &ReadLimits) -> Self {
        let client = Self::new(cfg)
            .client
            .with_setting("readonly", "2")
            .with_setting(
                "max_execution_time",
                limits.max_execution_seconds.to_string(),
            )
            .with_setting("timeout_overflow_mode", "throw")
            .with_setting("max_memory_usage", limits.max_memory_bytes.to_string())
            .with_setting("max_rows_to_read", limits.max_rows_to_read.to_string())
            .with_setting("cancel_http_readonly_queries_on_client_close", "1");
        Self {
            client,
            export_seconds: limits.export_seconds,
        }
    }
}

/// Errors of the server that mean "stopped at a limit" (time, memory, rows, bytes, cancelled).
const LIMIT_CODES: &[u32] = &[158, 159, 160, 241, 307, 394];
const REGEXP_CODE: u32 = 427;

fn read_error(err: clickhouse::error::Error) -> StoreError {
    let text = err.to_string();
    let code = text
        .split("Code: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u32>().ok());
    match code {
        Some(c) if LIMIT_CODES.contains(&c) => StoreError::Timeout(text),
        Some(REGEXP_CODE) => StoreError::Invalid {
            param: "filter",
            why: "the regular expression is not valid RE2".into(),
        },
        _ => StoreError::Backend(format!("clickhouse: {text}")),
    }
}

/// SQL text with its bound values.
#[derive(Default)]
struct Sql {
    text: String,
    strings: Vec<(String, String)>,
    arrays: Vec<(String, Vec<String>)>,
    ints: Vec<(String, i64)>,
}

impl Sql {
    fn name(&self) -> String {
        format!(
            "p{}",
            self.strings.len() + self.arrays.len() + self.ints.len()
        )
    }
    fn string(&mut self, v: impl Into<String>) -> String {
        let n = self.name();
        let placeholder = format!("{{{n}:String}}");
        self.strings.push((n, v.into()));
        placeholder
    }
    fn array(&mut self, v: Vec<String>) -> String {
        let n = self.name();
        let placeholder = format!("{{{n}:Array(String)}}");
        self.arrays.push((n, v));
        placeholder
    }
    fn int(&mut self, v: i64) -> String {
        let n = self.name();
        let placeholder = format!("{{{n}:Int64}}");
        self.ints.push((n, v));
        placeholder
    }
    fn params_json(&self) -> String {
        let mut m = serde_json::Map::new();
        for (n, v) in &self.strings {
            m.insert(n.clone(), v.clone().into());
        }
        for (n, v) in &self.arrays {
            m.insert(n.clone(), v.clone().into());
        }
        for (n, v) in &self.ints {
            m.insert(n.clone(), (*v).into());
        }
        serde_json::Value::Object(m).to_string()
    }
    fn query(self, ch: &ClickHouse) -> clickhouse::query::Query {
        // For the benchmark, which runs the same SQL straight on ClickHouse (off unless asked for).
        tracing::trace!(target: "analytics_sql", sql = %self.text, params = %self.params_json());
        // The client treats `?` as its own placeholder; no `?` is ever in our SQL text, but a
        // bound value could hold one and is sent apart from the text, so this is safe.
        let mut q = ch.client.query(&self.text);
        for (n, v) in self.strings {
            q = q.param(&n, v);
        }
        for (n, v) in self.arrays {
            q = q.param(&n, v);
        }
        for (n, v) in self.ints {
            q = q.param(&n, v);
        }
        q
    }
}

/// Where the visit rows come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Source {
    Raw,
    Hourly,
}

/// The raw column of a dimension (a property reads the map with a bound key).
fn event_column(d: &Dimension, sql: &mut Sql) -> String {
    match d {
        Dimension::Event => "toString(event)".into(),
        Dimension::Path | Dimension::EntryPage | Dimension::ExitPage => "path".into(),
        Dimension::Title => "title".into(),
        Dimension::Referrer => "toString(referrer_domain)".into(),
        Dimension::UtmSource => "toString(utm_source)".into(),
        Dimension::UtmMedium => "toString(utm_medium)".into(),
        Dimension::UtmCampaign => "toString(utm_campaign)".into(),
        Dimension::UtmTerm => "utm_term".into(),
        Dimension::UtmContent => "utm_content".into(),
        Dimension::Browser => "toString(browser)".into(),
        Dimension::BrowserVersion => "toString(browser_version)".into(),
        Dimension::Os => "toString(os)".into(),
        Dimension::Device => "toString(device)".into(),
        Dimension::Country => "toString(country)".into(),
        Dimension::Prop(key) => format!("properties[{}]", sql.string(key.clone())),
    }
}

/// A visit-level value as an aggregate over the visit's rows.
fn visit_value(d: &Dimension, source: Source) -> String {
    let column = match d {
        Dimension::EntryPage => {
            return match source {
                Source::Raw => "argMinIf(path, timestamp, event = 'pageview')".into(),
                Source::Hourly => "argMinIfMerge(entry_page)".into(),
            }
        }
        Dimension::ExitPage => {
            return match source {
                Source::Raw => "argMaxIf(path, timestamp, event = 'pageview')".into(),
                Source::Hourly => "argMaxIfMerge(exit_page)".into(),
            }
        }
        Dimension::Referrer => "referrer",
        Dimension::UtmSource => "utm_source",
        Dimension::UtmMedium => "utm_medium",
        Dimension::UtmCampaign => "utm_campaign",
        Dimension::UtmTerm => "utm_term",
        Dimension::UtmContent => "utm_content",
        Dimension::Browser => "browser",
        Dimension::BrowserVersion => "browser_version",
        Dimension::Os => "os",
        Dimension::Device => "device",
        Dimension::Country => "country",
        Dimension::Event | Dimension::Path | Dimension::Title | Dimension::Prop(_) => {
            unreachable!("event-level dimensions have no visit value")
        }
    };
    match source {
        Source::Raw if column == "referrer" => {
            "argMin(toString(referrer_domain), timestamp)".into()
        }
        Source::Raw => format!("argMin(toString({column}), timestamp)"),
        Source::Hourly => format!("argMinMerge({column})"),
    }
}

/// The condition of one filter on an expression.
fn condition(expr: &str, f: &Filter, sql: &mut Sql) -> String {
    let test = match f.op {
        Op::Is | Op::IsNot => format!("{expr} IN {}", sql.array(f.values.clone())),
        Op::Contains | Op::NotContains => {
            format!(
                "multiSearchAnyCaseInsensitiveUTF8({expr}, {})",
                sql.array(f.values.clone())
            )
        }
        Op::Matches | Op::NotMatches => format!("match({expr}, {})", sql.string(f.regex())),
    };
    if f.op.negated() {
        format!("NOT ({test})")
    } else {
        test
    }
}

/// The bucket an instant falls in, as Unix seconds, in the question's zone.
fn bucket(interval: Interval, time: &str, tz: &str) -> String {
    match interval {
        Interval::Minute => format!("toUnixTimestamp(toStartOfMinute({time}))"),
        Interval::Hour => format!("toUnixTimestamp(toStartOfHour({time}, {tz}))"),
        Interval::Day => format!("toUnixTimestamp(toStartOfDay({time}, {tz}))"),
        Interval::Week => {
            format!("toUnixTimestamp(toDateTime(toStartOfWeek({time}, 1, {tz}), {tz}))")
        }
        Interval::Month => {
            format!("toUnixTimestamp(toDateTime(toStartOfMonth({time}, {tz}), {tz}))")
        }
    }
}

fn on_hour(t: OffsetDateTime) -> bool {
    t.unix_timestamp() % 3600 == 0 && t.nanosecond() == 0
}

/// What a visit row carries besides the basics.
enum Extra<'a> {
    None,
    /// `bm`: per bucket (events, page views) of the visit's matching events.
    Buckets(Interval),
    /// `value`: a visit-level value.
    VisitValue(&'a Dimension),
    /// `bm`: per value of an event-level dimension (events, page views).
    EventValues(&'a Dimension),
}

/// Builds the per-visit subquery.
fn visits(q: &Question, source: Source, extra: Extra<'_>, sql: &mut Sql) -> String {
    let mut event_filters = Vec::new();
    let mut visit_filters = Vec::new();
    for f in &q.filters {
        if f.dimension.is_visit_level() {
            let v = visit_value(&f.dimension, source);
            let c = condition(&v, f, sql);
            // A visit without page views has no entry or exit page: no such filter matches it.
            visit_filters.push(match f.dimension {
                Dimension::EntryPage | Dimension::ExitPage => format!("pv > 0 AND {c}"),
                _ => c,
            });
        } else {
            let col = event_column(&f.dimension, sql);
            event_filters.push(condition(&col, f, sql));
        }
    }
    let ef = if event_filters.is_empty() {
        "1".to_owned()
    } else {
        event_filters.join(" AND ")
    };
    let (table, visitors, time, n, pv, t0, t1, m_n, m_pv) = match source {
        Source::Raw => (
            "raw_events",
            "groupUniqArray(visitor_hash)",
            "timestamp",
            "count()".to_owned(),
            "countIf(event = 'pageview')".to_owned(),
            "min(timestamp)",
            "max(timestamp)",
            format!("countIf({ef})"),
            format!("countIf(({ef}) AND event = 'pageview')"),
        ),
        Source::Hourly => (
            "visits_hourly",
            "groupUniqArrayArray(visitors)",
            "hour",
            "sum(events)".to_owned(),
            "sum(pageviews)".to_owned(),
            "min(first_at)",
            "max(last_at)",
            "sum(events)".to_owned(),
            "sum(pageviews)".to_owned(),
        ),
    };
    let mut cols = format!(
        "{visitors} AS visitor, {n} AS n, {pv} AS pv, {t0} AS t0, {t1} AS t1, \
         {m_n} AS m_n, {m_pv} AS m_pv"
    );
    let extra_kind = match &extra {
        Extra::VisitValue(d) => Extra::VisitValue(d),
        _ => Extra::None,
    };
    match extra {
        Extra::None => {}
        Extra::Buckets(interval) => {
            let tz = sql.string(q.zone.name.clone());
            let b = bucket(interval, time, &tz);
            cols += &match source {
                Source::Raw => format!(
                    ", sumMapIf([{b}], [toUInt64(1)], [toUInt64(event = 'pageview')], {ef}) AS bm"
                ),
                Source::Hourly => {
                    format!(", sumMap([{b}], [toUInt64(events)], [toUInt64(pageviews)]) AS bm")
                }
            };
        }
        Extra::VisitValue(d) => cols += &format!(", {} AS value", visit_value(d, source)),
        Extra::EventValues(d) => {
            let col = event_column(d, sql);
            // A property breakdown shows the events that have the property.
            let has = match d {
                Dimension::Prop(key) => {
                    format!(" AND mapContains(properties, {})", sql.string(key.clone()))
                }
                _ => String::new(),
            };
            cols += &format!(
                ", sumMapIf([{col}], [toUInt64(1)], [toUInt64(event = 'pageview')], ({ef}){has}) AS bm"
            );
        }
    }
    let mut wher = match source {
        Source::Raw => format!(
            "timestamp >= fromUnixTimestamp64Milli({}) AND timestamp < fromUnixTimestamp64Milli({})",
            sql.int(millis(q.from)),
            sql.int(millis(q.to))
        ),
        Source::Hourly => format!(
            "hour >= toDateTime({}) AND hour < toDateTime({})",
            sql.int(q.from.unix_timestamp()),
            sql.int(q.to.unix_timestamp())
        ),
    };
    if let Some(site) = &q.site {
        wher += &format!(" AND site = {}", sql.string(site.clone()));
    }
    let mut having = "m_n > 0".to_owned();
    if let Extra::VisitValue(Dimension::EntryPage | Dimension::ExitPage) = extra_kind {
        having += " AND pv > 0";
    }
    for f in visit_filters {
        having += &format!(" AND {f}");
    }
    format!(
        "SELECT visit_hash, {cols} FROM {table} WHERE {wher} GROUP BY visit_hash HAVING {having}"
    )
}

/// Which source can answer: the hourly rollup needs whole UTC hours and no event-level filter.
fn source_for(q: &Question, buckets: &[OffsetDateTime], extra_is_event_level: bool) -> Source {
    let aligned = on_hour(q.from) && on_hour(q.to) && buckets.iter().all(|b| on_hour(*b));
    let visit_level_only = q.filters.iter().all(|f| f.dimension.is_visit_level());
    if aligned && visit_level_only && !extra_is_event_level {
        Source::Hourly
    } else {
        Source::Raw
    }
}

const FIGURES: &str = "uniqExactArray(visitor) AS visitors, count() AS visits, \
     countIf(n = 1 AND pv = 1) AS bounces, \
     sum(toUInt64(toUnixTimestamp64Milli(t1) - toUnixTimestamp64Milli(t0))) AS duration_ms";

#[derive(Row, Deserialize)]
struct CountsRow {
    visitors: u64,
    visits: u64,
    pageviews: u64,
    events: u64,
    bounces: u64,
    duration_ms: u64,
}

impl From<CountsRow> for Counts {
    fn from(r: CountsRow) -> Self {
        Counts {
            visitors: r.visitors,
            visits: r.visits,
            pageviews: r.pageviews,
            events: r.events,
            bounces: r.bounces,
            duration_ms: r.duration_ms,
        }
    }
}

/// Counts of one bucket (`K = i64`, its start) or one breakdown value (`K = String`).
#[derive(Row, Deserialize)]
struct Keyed<K> {
    key: K,
    visitors: u64,
    visits: u64,
    pageviews: u64,
    events: u64,
    bounces: u64,
    duration_ms: u64,
}

impl<K> From<Keyed<K>> for (K, Counts) {
    fn from(r: Keyed<K>) -> Self {
        let counts = Counts {
            visitors: r.visitors,
            visits: r.visits,
            pageviews: r.pageviews,
            events: r.events,
            bounces: r.bounces,
            duration_ms: r.duration_ms,
        };
        (r.key, counts)
    }
}

#[derive(Row, Deserialize)]
struct FunnelRow {
    times: Vec<Vec<i64>>,
}

#[derive(Row, Deserialize)]
struct CohortSize {
    cohort: String,
    size: u64,
}

#[derive(Row, Deserialize)]
struct CohortCell {
    cohort: String,
    k: u32,
    visitors: u64,
}

#[derive(Row, Deserialize)]
struct LiveTotals {
    visitors: u64,
    events: u64,
}

#[derive(Row, Deserialize)]
struct LivePageRow {
    path: String,
    visitors: u64,
}

#[derive(Row, Deserialize)]
struct RecentRow {
    event: String,
    site: String,
    ms: i64,
    path: String,
    title: String,
    referrer: String,
    browser: String,
    os: String,
    device: String,
    country: String,
}

#[derive(Row, Deserialize)]
struct SiteRow {
    site: String,
    events: u64,
    visitors_30d: u64,
    last_ms: i64,
}

fn rfc3339_ms(ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The condition on single events for funnels, retention and the export: event-level filters on
/// each event; visit-level ones (a visit's first values, its entry and exit pages) select the
/// events of the visits in the range that pass them.
fn per_event_filters(q: &Question, sql: &mut Sql) -> String {
    per_event_filters_in(q, None, sql)
}

/// Like `per_event_filters`, the visits taken from `visits_in` (from, to) instead of the range.
fn per_event_filters_in(
    q: &Question,
    visits_in: Option<(OffsetDateTime, OffsetDateTime)>,
    sql: &mut Sql,
) -> String {
    let mut conds = vec!["1".to_owned()];
    let (visit_level, event_level): (Vec<&Filter>, Vec<&Filter>) =
        q.filters.iter().partition(|f| f.dimension.is_visit_level());
    for f in event_level {
        let col = event_column(&f.dimension, sql);
        conds.push(condition(&col, f, sql));
    }
    if !visit_level.is_empty() {
        let (from, to) = visits_in.unwrap_or((q.from, q.to));
        let vq = Question {
            filters: visit_level.into_iter().cloned().collect(),
            from,
            to,
            ..q.clone()
        };
        let inner = visits(&vq, source_for(&vq, &[], false), Extra::None, sql);
        conds.push(format!("visit_hash IN (SELECT visit_hash FROM ({inner}))"));
    }
    conds.join(" AND ")
}

fn site_condition(site: Option<&str>, sql: &mut Sql) -> String {
    match site {
        Some(site) => format!("site = {}", sql.string(site)),
        None => "1".into(),
    }
}

impl ClickHouse {
    async fn counts(&self, q: &Question, source: Source) -> Result<Counts, StoreError> {
        let mut sql = Sql::default();
        let inner = visits(q, source, Extra::None, &mut sql);
        sql.text =
            format!("SELECT {FIGURES}, sum(m_pv) AS pageviews, sum(m_n) AS events FROM ({inner})");
        let row: CountsRow = sql.query(self).fetch_one().await.map_err(read_error)?;
        Ok(row.into())
    }

    async fn timeseries_from(
        &self,
        q: &Question,
        interval: Interval,
        buckets: &[OffsetDateTime],
        source: Source,
    ) -> Result<Vec<Counts>, StoreError> {
        let mut sql = Sql::default();
        let inner = visits(q, source, Extra::Buckets(interval), &mut sql);
        sql.text = format!(
            "SELECT toInt64(b) AS key, {FIGURES}, sum(b_pv) AS pageviews, sum(b_n) AS events \
             FROM ({inner}) ARRAY JOIN bm.1 AS b, bm.2 AS b_n, bm.3 AS b_pv GROUP BY b"
        );
        let rows: Vec<Keyed<i64>> = sql.query(self).fetch_all().await.map_err(read_error)?;
        let mut out = vec![Counts::default(); buckets.len()];
        for (key, counts) in rows.into_iter().map(<(i64, Counts)>::from) {
            // The bucket whose start is the last one at or before the key (robust to a zone
            // database that floors a DST-less midnight a little differently).
            let i = buckets.partition_point(|b| b.unix_timestamp() <= key);
            if i > 0 {
                out[i - 1] += counts;
            }
        }
        Ok(out)
    }

    async fn breakdown_from(
        &self,
        q: &Question,
        dimension: &Dimension,
        limit: u64,
        offset: u64,
        source: Source,
    ) -> Result<Vec<(String, Counts)>, StoreError> {
        let mut sql = Sql::default();
        let body = if dimension.is_visit_level() {
            let inner = visits(q, source, Extra::VisitValue(dimension), &mut sql);
            format!(
                "SELECT value AS key, {FIGURES}, sum(m_pv) AS pageviews, sum(m_n) AS events \
                 FROM ({inner}) GROUP BY value"
            )
        } else {
            let inner = visits(q, source, Extra::EventValues(dimension), &mut sql);
            format!(
                "SELECT value AS key, {FIGURES}, sum(b_pv) AS pageviews, sum(b_n) AS events \
                 FROM ({inner}) ARRAY JOIN bm.1 AS value, bm.2 AS b_n, bm.3 AS b_pv GROUP BY value"
            )
        };
        let (limit, offset) = (sql.int(limit as i64), sql.int(offset as i64));
        sql.text = format!(
            "{body} ORDER BY visitors DESC, events DESC, value LIMIT {limit} OFFSET {offset}"
        );
        let rows: Vec<Keyed<String>> = sql.query(self).fetch_all().await.map_err(read_error)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// Test hooks: the same questions from the raw rows, to check the rollup against them.
#[doc(hidden)]
pub mod raw {
    use super::*;

    pub async fn overview(ch: &ClickHouse, q: &Question) -> Result<Counts, StoreError> {
        ch.counts(q, Source::Raw).await
    }
    pub async fn timeseries(
        ch: &ClickHouse,
        q: &Question,
        interval: Interval,
        buckets: &[OffsetDateTime],
    ) -> Result<Vec<Counts>, StoreError> {
        ch.timeseries_from(q, interval, buckets, Source::Raw).await
    }
    pub async fn breakdown(
        ch: &ClickHouse,
        q: &Question,
        d: &Dimension,
        limit: u64,
    ) -> Result<Vec<(String, Counts)>, StoreError> {
        ch.breakdown_from(q, d, limit, 0, Source::Raw).await
    }
    /// Whether the rollup would answer this question.
    pub fn uses_rollup(q: &Question, buckets: &[OffsetDateTime], d: Option<&Dimension>) -> bool {
        source_for(q, buckets, d.is_some_and(|d| !d.is_visit_level())) == Source::Hourly
    }
}

impl AnalyticsStore for ClickHouse {
    async fn overview(&self, q: &Question) -> Result<Counts, StoreError> {
        self.counts(q, source_for(q, &[], false)).await
    }

    async fn timeseries(
        &self,
        q: &Question,
        interval: Interval,
        buckets: &[OffsetDateTime],
    ) -> Result<Vec<Counts>, StoreError> {
        let aligned = interval != Interval::Minute;
        let source = if aligned {
            source_for(q, buckets, false)
        } else {
            Source::Raw
        };
        self.timeseries_from(q, interval, buckets, source).await
    }

    async fn breakdown(
        &self,
        q: &Question,
        dimension: &Dimension,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<(String, Counts)>, StoreError> {
        let source = source_for(q, &[], !dimension.is_visit_level());
        self.breakdown_from(q, dimension, limit, offset, source)
            .await
    }

    async fn funnel(
        &self,
        q: &Question,
        steps: &[Step],
        window_ms: i64,
    ) -> Result<FunnelTally, StoreError> {
        let mut sql = Sql::default();
        let conds: Vec<String> = steps
            .iter()
            .map(|s| match s {
                Step::Event(name) => format!("event = {}", sql.string(name.clone())),
                Step::Path(path) => {
                    format!("event = 'pageview' AND path = {}", sql.string(path.clone()))
                }
            })
            .collect();
        let arrays: Vec<String> = conds
            .iter()
            .map(|c| {
                // A visitor's first 1000 times of a step are enough to follow its funnel.
                format!(
                    "arraySlice(arraySort(groupArrayIf(toUnixTimestamp64Milli(timestamp), {c})), 1, 1000)"
                )
            })
            .collect();
        let filters = per_event_filters(q, &mut sql);
        let site = site_condition(q.site.as_deref(), &mut sql);
        let (from, to) = (sql.int(millis(q.from)), sql.int(millis(q.to)));
        sql.text = format!(
            "SELECT [{arrays}] AS times FROM raw_events \
             WHERE {site} AND timestamp >= fromUnixTimestamp64Milli({from}) \
               AND timestamp < fromUnixTimestamp64Milli({to}) AND ({any}) AND {filters} \
             GROUP BY visitor_hash HAVING notEmpty(times[1])",
            arrays = arrays.join(", "),
            any = conds
                .iter()
                .map(|c| format!("({c})"))
                .collect::<Vec<_>>()
                .join(" OR "),
        );
        // One visitor at a time: only the gaps between steps are kept (for the medians).
        let mut cursor = sql.query(self).fetch::<FunnelRow>().map_err(read_error)?;
        let mut tally = FunnelTally::new(steps.len());
        while let Some(row) = cursor.next().await.map_err(read_error)? {
            tally.add(&funnel_chain(&row.times, window_ms));
        }
        Ok(tally)
    }

    async fn retention(
        &self,
        q: &Question,
        spec: &Retention,
    ) -> Result<(Vec<(jiff::civil::Date, u64)>, Vec<RetentionCell>), StoreError> {
        let mut sql = Sql::default();
        let tz = sql.string(q.zone.name.clone());
        let period = |t: &str| match spec.period {
            RetentionPeriod::Day => format!("toDate({t}, {tz})"),
            RetentionPeriod::Week => format!("toStartOfWeek({t}, 1, {tz})"),
            RetentionPeriod::Month => format!("toStartOfMonth({t}, {tz})"),
        };
        let diff = match spec.period {
            RetentionPeriod::Day => "dateDiff('day', first, p)",
            RetentionPeriod::Week => "intDiv(dateDiff('day', first, p), 7)",
            RetentionPeriod::Month => "dateDiff('month', first, p)",
        };
        // Cohorts look at all history and returns run up to now: so do the visits a filter selects.
        let everything = (
            OffsetDateTime::UNIX_EPOCH,
            OffsetDateTime::now_utc() + Duration::days(1),
        );
        let filters = per_event_filters_in(q, Some(everything), &mut sql);
        let site = site_condition(q.site.as_deref(), &mut sql);
        let start = sql.string(spec.start_event.clone());
        let ret = sql.string(spec.return_event.clone());
        // Returns count from the start of the first cohort's period, which may be before `from`.
        let first_start = q
            .zone
            .start_of(spec.period.start(q.zone.date_of(q.from)))
            .map_err(|e| StoreError::Invalid {
                param: "from",
                why: e.message,
            })?;
        let (from, to) = (sql.int(millis(first_start)), sql.int(millis(q.to)));
        let first_period = period(&format!("fromUnixTimestamp64Milli({from})"));
        let cohort = period("min(timestamp)");
        let p = period("timestamp");
        let cohorts = format!(
            "SELECT visitor_hash AS v, {cohort} AS first FROM raw_events \
             WHERE {site} AND event = {start} AND {filters} \
               AND timestamp < fromUnixTimestamp64Milli({to}) \
             GROUP BY v HAVING first >= {first_period}"
        );
        let sizes_sql = format!(
            "SELECT toString(first) AS cohort, count() AS size FROM ({cohorts}) GROUP BY first"
        );
        let cells_sql = format!(
            "SELECT toString(first) AS cohort, toUInt32({diff}) AS k, uniqExact(v) AS visitors \
             FROM ({cohorts}) AS c INNER JOIN (\
                SELECT DISTINCT visitor_hash AS v, {p} AS p FROM raw_events \
                WHERE {site} AND event = {ret} AND {filters} \
                  AND timestamp >= fromUnixTimestamp64Milli({from})\
             ) AS r USING v \
             WHERE p >= first AND {diff} < {periods} GROUP BY first, k",
            periods = spec.periods
        );
        // Both queries bind the same values.
        let sizes_q = Sql {
            text: sizes_sql,
            strings: sql.strings.clone(),
            arrays: sql.arrays.clone(),
            ints: sql.ints.clone(),
        };
        sql.text = cells_sql;
        let (sizes, cells) = tokio::join!(
            sizes_q.query(self).fetch_all::<CohortSize>(),
            sql.query(self).fetch_all::<CohortCell>(),
        );
        let date = |s: &str| -> Result<jiff::civil::Date, StoreError> {
            s.parse()
                .map_err(|e| StoreError::Backend(format!("clickhouse date {s:?}: {e}")))
        };
        let sizes = sizes
            .map_err(read_error)?
            .iter()
            .map(|r| Ok((date(&r.cohort)?, r.size)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let cells = cells
            .map_err(read_error)?
            .iter()
            .map(|r| {
                Ok(RetentionCell {
                    cohort: date(&r.cohort)?,
                    offset: r.k,
                    visitors: r.visitors,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((sizes, cells))
    }

    async fn live(
        &self,
        site: Option<&str>,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Live, StoreError> {
        let scope = |sql: &mut Sql| {
            format!(
                "{} AND timestamp >= fromUnixTimestamp64Milli({}) \
                 AND timestamp <= fromUnixTimestamp64Milli({})",
                site_condition(site, sql),
                sql.int(millis(now - window)),
                sql.int(millis(now))
            )
        };
        let mut totals = Sql::default();
        let w = scope(&mut totals);
        totals.text = format!(
            "SELECT uniqExact(visitor_hash) AS visitors, count() AS events FROM raw_events WHERE {w}"
        );
        let mut pages = Sql::default();
        let w = scope(&mut pages);
        pages.text = format!(
            "SELECT path, uniqExact(visitor_hash) AS visitors FROM raw_events \
             WHERE {w} AND event = 'pageview' GROUP BY path ORDER BY visitors DESC, path LIMIT 10"
        );
        let mut recent = Sql::default();
        let w = scope(&mut recent);
        recent.text = format!(
            "SELECT toString(event) AS event, toString(site) AS site, \
                    toUnixTimestamp64Milli(timestamp) AS ms, path, title, \
                    toString(referrer_domain) AS referrer, toString(browser) AS browser, \
                    toString(os) AS os, toString(device) AS device, toString(country) AS country \
             FROM raw_events WHERE {w} ORDER BY timestamp DESC LIMIT 50"
        );
        let (t, p, r) = tokio::join!(
            totals.query(self).fetch_one::<LiveTotals>(),
            pages.query(self).fetch_all::<LivePageRow>(),
            recent.query(self).fetch_all::<RecentRow>(),
        );
        let (t, p, r) = (
            t.map_err(read_error)?,
            p.map_err(read_error)?,
            r.map_err(read_error)?,
        );
        Ok(Live {
            window_seconds: window.whole_seconds() as u64,
            visitors: t.visitors,
            events: t.events,
            pages: p
                .into_iter()
                .map(|p| LivePage {
                    path: p.path,
                    visitors: p.visitors,
                })
                .collect(),
            recent: r
                .into_iter()
                .map(|r| RecentEvent {
                    event: r.event,
                    site: r.site,
                    timestamp: rfc3339_ms(r.ms),
                    path: r.path,
                    title: r.title,
                    referrer: r.referrer,
                    browser: r.browser,
                    os: r.os,
                    device: r.device,
                    country: r.country,
                })
                .collect(),
        })
    }

    async fn sites(&self, now: OffsetDateTime) -> Result<Vec<SiteSummary>, StoreError> {
        let mut sql = Sql::default();
        let since = sql.int((now - Duration::days(30)).unix_timestamp());
        sql.text = format!(
            "SELECT toString(site) AS site, sum(events) AS events, \
                    uniqExactArrayIf(visitors, hour >= toDateTime({since})) AS visitors_30d, \
                    toUnixTimestamp64Milli(max(last_at)) AS last_ms \
             FROM visits_hourly GROUP BY site ORDER BY site"
        );
        let rows: Vec<SiteRow> = sql.query(self).fetch_all().await.map_err(read_error)?;
        Ok(rows
            .into_iter()
            .map(|r| SiteSummary {
                site: r.site,
                events: r.events,
                visitors_30d: r.visitors_30d,
                last_seen: Some(rfc3339_ms(r.last_ms)),
            })
            .collect())
    }

    async fn export(&self, q: &Question, format: ExportFormat) -> Result<ByteStream, StoreError> {
        let mut sql = Sql::default();
        let filters = per_event_filters(q, &mut sql);
        let site = site_condition(q.site.as_deref(), &mut sql);
        let (from, to) = (sql.int(millis(q.from)), sql.int(millis(q.to)));
        sql.text = format!(
            "SELECT {EXPORT_COLUMNS} FROM raw_events \
             WHERE {site} AND timestamp >= fromUnixTimestamp64Milli({from}) \
               AND timestamp < fromUnixTimestamp64Milli({to}) AND {filters} \
             ORDER BY site, toDate(timestamp)"
        );
        let mut cursor = sql
            .query(self)
            // An export of millions of rows runs for minutes; it is read in key order, so it
            // streams in constant memory on both sides.
            .with_setting("max_execution_time", self.export_seconds.to_string())
            .with_setting("date_time_output_format", "iso")
            .with_setting("output_format_json_quote_64bit_integers", "0")
            .fetch_bytes(match format {
                ExportFormat::Ndjson => "JSONEachRow",
                ExportFormat::Csv => "CSVWithNames",
            })
            .map_err(read_error)?;
        // The query is sent when the cursor is first read: read it now, so that a refused query
        // (a limit, a regular expression RE2 refuses) is an error answer, not a broken 200.
        let first = cursor.next().await.map_err(read_error)?;
        let rest = futures_util::stream::poll_fn(move |cx| {
            cursor
                .poll_next(cx)
                .map(|chunk| chunk.map_err(read_error).transpose())
        });
        Ok(Box::pin(futures_util::StreamExt::chain(
            futures_util::stream::iter(first.map(Ok)),
            rest,
        )))
    }
}

const EXPORT_COLUMNS: &str =
    "event_id, site, event, timestamp, received_at, anonymous_id, user_id, \
    session_id, visit_id, url, path, referrer, referrer_domain, title, utm_source, utm_medium, \
    utm_campaign, utm_term, utm_content, browser, browser_version, os, device, country, properties";
