//! The writer's insert. Duplicates are kept out here, so that no read needs FINAL: an event whose id
//! is already stored (or repeated in the batch) is dropped before the INSERT. The same INSERT feeds
//! `event_ids` (a materialized view), so a retried batch finds its ids and inserts nothing twice.
//!
//! Events without a `session_id` get their visit here: the visitor's previous session-less event
//! (this batch or stored) less than 30 minutes away continues its visit, else a new one starts. A
//! shard's batches are handled one at a time and one visitor's events share a shard, so this sees
//! every earlier event of the visitor, except those that arrive late and out of order.
//!
//! A cookieless visitor has a new id each UTC day; its event that carries the previous day's id
//! (`previous_visitor`) and falls within 30 minutes of that id's last visit continues that visit under
//! that id, so a visit across midnight stays one visit of one visitor.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{backend, millis, ClickHouse, EVENTS_TABLE};
use crate::error::StoreError;
use crate::event::EventRecord;
use crate::ports::EventSink;

/// API.md: events without a session id form one visit per visitor and 30-minute gap.
pub const VISIT_GAP: Duration = Duration::minutes(30);
/// Ids per look-up query. They travel in the query text as one string (37 bytes each): ClickHouse
/// reads one long literal about twice as fast as a list of as many literals. The query may then be
/// larger than ClickHouse's default `max_query_size` (256 KiB); larger look-ups cost less per id.
const LOOKUP_CHUNK: usize = 50_000;
const LOOKUP_MAX_QUERY_BYTES: &str = "2097152";

/// A `raw_events` row as the writer inserts it.
#[derive(Row, Serialize)]
pub struct EventRow<'a> {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
    site: &'a str,
    event: &'a str,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    timestamp: OffsetDateTime,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    received_at: OffsetDateTime,
    anonymous_id: &'a str,
    user_id: &'a str,
    session_id: &'a str,
    visit_id: &'a str,
    url: &'a str,
    path: &'a str,
    referrer: &'a str,
    referrer_domain: &'a str,
    title: &'a str,
    utm_source: &'a str,
    utm_medium: &'a str,
    utm_campaign: &'a str,
    utm_term: &'a str,
    utm_content: &'a str,
    browser: &'a str,
    browser_version: &'a str,
    os: &'a str,
    device: &'a str,
    country: &'a str,
    properties: Vec<(&'a str, &'a str)>,
}

impl<'a> EventRow<'a> {
    pub fn new(e: &'a EventRecord, visit_id: &'a str) -> Self {
        Self::continuing(e, visit_id, None)
    }

    /// The row of an event that continues a visit under another (the previous day's) visitor id.
    pub fn continuing(e: &'a EventRecord, visit_id: &'a str, visitor: Option<&'a str>) -> Self {
        Self {
            event_id: e.event_id,
            site: &e.site,
            event: &e.event,
            timestamp: e.timestamp,
            received_at: e.received_at,
            anonymous_id: visitor.unwrap_or(&e.anonymous_id),
            user_id: &e.user_id,
            session_id: &e.session_id,
            visit_id,
            url: &e.url,
            path: &e.path,
            referrer: &e.referrer,
            referrer_domain: &e.referrer_domain,
            title: &e.title,
            utm_source: &e.utm_source,
            utm_medium: &e.utm_medium,
            utm_campaign: &e.utm_campaign,
            utm_term: &e.utm_term,
            utm_content: &e.utm_content,
            browser: &e.browser,
            browser_version: &e.browser_version,
            os: &e.os,
            device: &e.device,
            country: &e.country,
            properties: e
                .properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        }
    }
}

/// Why events were not stored: ClickHouse refused their values (storing them again as they are fails
/// again), or it could not be reached or failed otherwise (retrying may succeed).
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    #[error("clickhouse refused the data: {0}")]
    Refused(String),
    #[error(transparent)]
    Unavailable(#[from] StoreError),
}

/// ClickHouse's error codes for values it cannot store (a parse failure, a value out of range, a
/// constraint or `throwIf` in a view): the same rows fail again. Every other failure (network, timeout,
/// memory, a schema that does not match: TYPE_MISMATCH or a short read) is worth retrying.
const REFUSED_DATA_CODES: &[u32] = &[
    6,   // CANNOT_PARSE_TEXT
    26,  // CANNOT_PARSE_QUOTED_STRING
    38,  // CANNOT_PARSE_DATE
    41,  // CANNOT_PARSE_DATETIME
    69,  // ARGUMENT_OUT_OF_BOUND
    70,  // CANNOT_CONVERT_TYPE
    72,  // CANNOT_PARSE_NUMBER
    117, // INCORRECT_DATA
    131, // TOO_LARGE_STRING_SIZE
    321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    395, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
    469, // VIOLATED_CONSTRAINT
];

/// The exception code of a server error (`Code: 469. DB::Exception: ...`).
fn exception_code(message: &str) -> Option<u32> {
    let rest = &message[message.find("Code: ")? + 6..];
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..digits].parse().ok()
}

fn insert_error(err: clickhouse::error::Error) -> InsertError {
    match &err {
        clickhouse::error::Error::BadResponse(message)
            if exception_code(message).is_some_and(|c| REFUSED_DATA_CODES.contains(&c)) =>
        {
            InsertError::Refused(message.clone())
        }
        _ => InsertError::Unavailable(backend(err)),
    }
}

impl EventSink for ClickHouse {
    async fn insert(&self, events: &[EventRecord]) -> Result<(), StoreError> {
        self.insert_events(events).await.map_err(|e| match e {
            InsertError::Refused(why) => StoreError::Backend(format!("clickhouse: {why}")),
            InsertError::Unavailable(e) => e,
        })
    }
}

impl ClickHouse {
    /// One INSERT for the new events of the batch: it lands whole or not at all. Says whether a
    /// failure was the data's ([`InsertError::Refused`]) or not.
    pub async fn insert_events(&self, events: &[EventRecord]) -> Result<(), InsertError> {
        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        let stored = self.stored_ids(&ids).await?;
        let mut seen = HashSet::with_capacity(events.len());
        let (mut insert, mut sessionless) = (None, Vec::new());
        for e in events {
            if stored.contains(&e.event_id) || !seen.insert(e.event_id) {
                continue;
            }
            if e.session_id.is_empty() {
                sessionless.push(e);
                continue;
            }
            self.write_row(&mut insert, e).await?;
        }
        self.finish(insert, &sessionless).await
    }
}

/// An INSERT of `raw_events` rows (of any lifetime: the type's own is only a marker).
type Rows = clickhouse::insert::Insert<EventRow<'static>>;

/// Events a duplicate check asks about at once while a batch streams: small enough that the first
/// answer comes soon, large enough that the queries cost little.
const STREAM_LOOKUP_EVENTS: usize = 2048;
/// An INSERT that sends nothing for this long, or is not acknowledged this long after its last row,
/// has failed (and is retried): well within the writer's 60 s, so a hung server is an error the
/// writer reports (a metric, a retry) rather than a timed-out invocation that reports nothing.
const INSERT_SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
const INSERT_END_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl ClickHouse {
    /// [`Self::insert_events`] for events decoded while they are inserted: `decode` appends the next
    /// record's events to `events` and says whether more follow. Each 2,048 decoded events get their
    /// duplicate check at once, answered while the next ones are decoded; their rows go into the
    /// INSERT as soon as the answer is in, so ClickHouse takes rows in while the rest is decoded.
    /// Session-less events are written last, once their visits are derived. Everything is decoded
    /// whatever happens, so that the caller has every event to retry or dead-letter.
    pub async fn insert_decoding(
        &self,
        events: &mut Vec<EventRecord>,
        mut decode: impl FnMut(&mut Vec<EventRecord>) -> bool,
    ) -> Result<(), InsertError> {
        let result = self.stream_rows(events, &mut decode).await;
        while decode(events) {}
        result
    }

    async fn stream_rows(
        &self,
        events: &mut Vec<EventRecord>,
        decode: &mut impl FnMut(&mut Vec<EventRecord>) -> bool,
    ) -> Result<(), InsertError> {
        type Lookup = tokio::task::JoinHandle<Result<HashSet<Uuid>, StoreError>>;
        // Duplicate checks in flight, in order: (the end of the events they cover, the answer).
        let mut pending: VecDeque<(usize, Lookup)> = VecDeque::new();
        let mut stored = HashSet::new();
        let mut seen = HashSet::with_capacity(events.capacity());
        // events[..asked] have a check; events[..handled] are written or set aside (`later`).
        let (mut asked, mut handled, mut later) = (0, 0, Vec::new());
        let mut insert = None;
        let mut more = true;
        while more || !pending.is_empty() {
            if more {
                more = decode(events);
                if events.len() - asked >= STREAM_LOOKUP_EVENTS || (!more && events.len() > asked) {
                    let ids: Vec<Uuid> = events[asked..].iter().map(|e| e.event_id).collect();
                    let store = self.clone();
                    let lookup = tokio::spawn(async move { store.stored_ids(&ids).await });
                    pending.push_back((events.len(), lookup));
                    asked = events.len();
                }
            }
            // The answers that are in (every one, once all is decoded), in order.
            while pending
                .front()
                .is_some_and(|(_, lookup)| !more || lookup.is_finished())
            {
                let (end, lookup) = pending.pop_front().expect("a front");
                stored.extend(lookup.await.map_err(|e| {
                    StoreError::Backend(format!("the duplicate check failed: {e}"))
                })??);
                for (i, e) in events.iter().enumerate().take(end).skip(handled) {
                    if stored.contains(&e.event_id) || !seen.insert(e.event_id) {
                        continue;
                    }
                    if e.session_id.is_empty() {
                        later.push(i);
                        continue;
                    }
                    self.write_row(&mut insert, e).await?;
                }
                handled = end;
            }
        }
        let sessionless: Vec<&EventRecord> = later.iter().map(|&i| &events[i]).collect();
        self.finish(insert, &sessionless).await
    }

    /// Writes the session-less events with the visits derived for them, and ends the INSERT (if any
    /// row was written at all).
    async fn finish(
        &self,
        mut insert: Option<Rows>,
        sessionless: &[&EventRecord],
    ) -> Result<(), InsertError> {
        if !sessionless.is_empty() {
            let visits = self.derive_visits(sessionless).await?;
            let rows = self.rows(&mut insert).await?;
            for (k, e) in sessionless.iter().enumerate() {
                let visit = &visits[&k];
                rows.write(&EventRow::continuing(
                    e,
                    &visit.id,
                    visit.visitor.as_deref(),
                ))
                .await
                .map_err(insert_error)?;
            }
        }
        match insert {
            Some(rows) => rows.end().await.map_err(insert_error),
            None => Ok(()),
        }
    }

    /// An event with its own session id, into the INSERT (opened at its first row).
    async fn write_row(
        &self,
        insert: &mut Option<Rows>,
        e: &EventRecord,
    ) -> Result<(), InsertError> {
        self.rows(insert)
            .await?
            .write(&EventRow::new(e, &e.session_id))
            .await
            .map_err(insert_error)
    }

    /// The INSERT, opened at its first row.
    async fn rows<'i>(&self, insert: &'i mut Option<Rows>) -> Result<&'i mut Rows, InsertError> {
        if insert.is_none() {
            *insert = Some(self.open_insert().await?);
        }
        Ok(insert.as_mut().expect("opened"))
    }

    async fn open_insert(&self) -> Result<Rows, InsertError> {
        Ok(self
            .client
            .insert::<EventRow<'static>>(EVENTS_TABLE)
            .await
            .map_err(insert_error)?
            .with_timeouts(Some(INSERT_SEND_TIMEOUT), Some(INSERT_END_TIMEOUT)))
    }
}

#[derive(Row, Deserialize)]
struct StoredId {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
}

/// The visit a session-less event belongs to, and the visitor id it continues under, when that is
/// not its own (a cookieless visit begun the day before).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Visit {
    pub id: String,
    pub visitor: Option<String>,
}

#[derive(Row, Deserialize)]
struct LastVisit {
    visitor: String,
    last_ms: i64,
    visit_id: String,
}

impl ClickHouse {
    /// Which of `ids` are stored already.
    pub async fn stored_ids(&self, ids: &[Uuid]) -> Result<HashSet<Uuid>, StoreError> {
        let mut stored = HashSet::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let mut list = String::with_capacity(chunk.len() * 37);
            for id in chunk {
                if !list.is_empty() {
                    list.push(',');
                }
                list.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
            }
            let rows: Vec<StoredId> = self
                .client
                .query(
                    "SELECT event_id FROM event_ids
                     WHERE event_id IN (SELECT toUUID(arrayJoin(splitByChar(',', ?))))",
                )
                .bind(list)
                .with_setting("max_query_size", LOOKUP_MAX_QUERY_BYTES)
                .fetch_all()
                .await
                .map_err(backend)?;
            stored.extend(rows.into_iter().map(|r| r.event_id));
        }
        Ok(stored)
    }

    /// Visits for the events without a session id, by their index in `events`.
    async fn derive_visits(
        &self,
        events: &[&EventRecord],
    ) -> Result<HashMap<usize, Visit>, StoreError> {
        // (site, visitor) -> indexes, for the session-less events only.
        let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            if e.session_id.is_empty() {
                groups.entry((&e.site, e.visitor())).or_default().push(i);
            }
        }
        let mut out = HashMap::new();
        let sites: HashSet<&str> = groups.keys().map(|(site, _)| *site).collect();
        for site in sites {
            let in_site: Vec<(&str, &Vec<usize>)> = groups
                .iter()
                .filter(|((s, _), _)| *s == site)
                .map(|((_, visitor), idx)| (*visitor, idx))
                .collect();
            let times = in_site
                .iter()
                .flat_map(|(_, idx)| idx.iter().map(|&i| events[i].timestamp));
            let (lo, hi) = times.fold((None, None), |(lo, hi), t| {
                (
                    Some(lo.map_or(t, |l: OffsetDateTime| l.min(t))),
                    Some(hi.map_or(t, |h: OffsetDateTime| h.max(t))),
                )
            });
            let (lo, hi) = (lo.expect("a group has events"), hi.expect("likewise"));
            // Each visitor, and the previous day's id of cookieless ones (whose visit may go on).
            let previous = |idx: &[usize]| {
                idx.iter()
                    .map(|&i| events[i].previous_visitor.as_str())
                    .find(|p| !p.is_empty())
            };
            let visitors: Vec<&str> = in_site
                .iter()
                .flat_map(|(v, idx)| std::iter::once(*v).chain(previous(idx)))
                .collect();
            let last: Vec<LastVisit> = self
                .client
                .query(
                    "SELECT visitor, toUnixTimestamp64Milli(max(timestamp)) AS last_ms,
                            argMax(visit_id, timestamp) AS visit_id
                     FROM raw_events
                     WHERE site = ? AND session_id = '' AND visitor IN ?
                       AND timestamp >= fromUnixTimestamp64Milli(?)
                       AND timestamp <= fromUnixTimestamp64Milli(?)
                     GROUP BY visitor",
                )
                .bind(site)
                .bind(visitors)
                .bind(millis(lo - VISIT_GAP))
                .bind(millis(hi + VISIT_GAP))
                .fetch_all()
                .await
                .map_err(backend)?;
            let last: HashMap<&str, (i64, &str)> = last
                .iter()
                .map(|r| (r.visitor.as_str(), (r.last_ms, r.visit_id.as_str())))
                .collect();
            for (visitor, idx) in in_site {
                let mut order = idx.clone();
                order.sort_by_key(|&i| events[i].timestamp);
                let own = last.get(visitor).map(|&(t, id)| Known {
                    first: t,
                    last: t,
                    id: id.to_owned(),
                    visitor: None,
                });
                let before = previous(idx).and_then(|p| {
                    last.get(p).map(|&(t, id)| Known {
                        first: t,
                        last: t,
                        id: id.to_owned(),
                        visitor: Some(p.to_owned()),
                    })
                });
                for (i, visit) in assign_visits(
                    visitor,
                    own.into_iter().chain(before).collect(),
                    order.iter().map(|&i| (i, millis(events[i].timestamp))),
                ) {
                    out.insert(i, visit);
                }
            }
        }
        Ok(out)
    }
}

/// A visit known while assigning: its first and last event (ms), its id, and the visitor id it runs
/// under when that is not the event's own.
struct Known {
    first: i64,
    last: i64,
    id: String,
    visitor: Option<String>,
}

/// Visits for one visitor's session-less events (index, time in ms), in time order: an event joins
/// the latest known visit (a stored one, or one this batch started) that has an event within 30
/// minutes of it, else it starts a visit of its own. A late event thus starts its own visit without
/// cutting the on-time ones off from the stored visit they continue.
fn assign_visits(
    visitor: &str,
    mut known: Vec<Known>,
    events: impl Iterator<Item = (usize, i64)>,
) -> Vec<(usize, Visit)> {
    let gap = VISIT_GAP.whole_milliseconds() as i64;
    let mut out = Vec::new();
    for (i, t) in events {
        let near = known
            .iter_mut()
            .filter(|k| t >= k.first - gap && t <= k.last + gap)
            .max_by_key(|k| k.last);
        let visit = match near {
            Some(k) => {
                k.first = k.first.min(t);
                k.last = k.last.max(t);
                Visit {
                    id: k.id.clone(),
                    visitor: k.visitor.clone(),
                }
            }
            None => {
                let id = format!("~{t}~{visitor}");
                known.push(Known {
                    first: t,
                    last: t,
                    id: id.clone(),
                    visitor: None,
                });
                Visit { id, visitor: None }
            }
        };
        out.push((i, visit));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{assign_visits, exception_code, Known};

    #[test]
    fn exception_codes_are_read_from_server_errors() {
        let m = "Code: 469. DB::Exception: Constraint `c` for table raw_events is violated. (VIOLATED_CONSTRAINT) (version 26.9)";
        assert_eq!(exception_code(m), Some(469));
        assert_eq!(exception_code("bad response: 502 Bad Gateway"), None);
    }

    const MIN: i64 = 60_000;

    fn known(t: i64, id: &str, visitor: Option<&str>) -> Known {
        Known {
            first: t,
            last: t,
            id: id.to_owned(),
            visitor: visitor.map(str::to_owned),
        }
    }

    fn ids(stored: Option<(i64, &str)>, times: &[i64]) -> Vec<String> {
        assign_visits(
            "v",
            stored
                .map(|(t, id)| known(t, id, None))
                .into_iter()
                .collect(),
            times.iter().copied().enumerate(),
        )
        .into_iter()
        .map(|(_, v)| v.id)
        .collect()
    }

    #[test]
    fn thirty_minute_gaps_split_visits() {
        let got = ids(None, &[0, 20 * MIN, 45 * MIN, 80 * MIN]);
        assert_eq!(got[0], got[1]);
        assert_eq!(got[1], got[2]);
        assert_ne!(got[2], got[3]);
    }

    #[test]
    fn a_late_event_does_not_cut_on_time_ones_off_their_stored_visit() {
        // Stored visit A ends at 10:00; the batch has a late 09:00 and an on-time 10:20.
        let got = ids(Some((600 * MIN, "A")), &[540 * MIN, 620 * MIN]);
        assert_ne!(got[0], "A");
        assert_eq!(got[1], "A");
    }

    #[test]
    fn a_visit_across_midnight_goes_on_under_the_previous_days_id() {
        // Yesterday's id `old` was last seen at 23:50; today's events at 00:05, 00:30 and 01:30.
        let day = 1440 * MIN;
        let got = assign_visits(
            "new",
            vec![known(day - 10 * MIN, "V", Some("old"))],
            [(0, day + 5 * MIN), (1, day + 30 * MIN), (2, day + 90 * MIN)].into_iter(),
        );
        let continued = |i: usize| (got[i].1.id.as_str(), got[i].1.visitor.as_deref());
        assert_eq!(continued(0), ("V", Some("old")));
        // 40 minutes after 23:50 but 25 after 00:05: the same visit still.
        assert_eq!(continued(1), ("V", Some("old")));
        // An hour later: a new visit, under today's own id.
        assert_ne!(continued(2).0, "V");
        assert_eq!(continued(2).1, None);
    }
}
