//! The format of the Kinesis records between the collector and the writer. Pure: no I/O here.
//!
//! A record carries the events of one partition key (the visitor) from one request, so that a shard's
//! 1,000 records/s carry many more events, and each PUT unit carries a record's worth. Version 1:
//!
//! ```text
//! 0xA1 'E'  version=1  codec   body
//! ```
//!
//! The body is the events as JSON lines (one `EventRecord` per line), stored as they are (codec 0) or
//! LZ4-compressed (codec 1: the raw length as u32 little-endian, then one LZ4 block) when that is
//! smaller. 0xA1 can start neither JSON nor UTF-8 text, so the format before it, one bare
//! `EventRecord` JSON per record, is told apart and still read: records already in a stream when this
//! version is deployed are not lost.
//!
//! The writer decodes through its own type, [`WireEvent`]: unknown fields are ignored and missing
//! ones get defaults, so a collector newer or older than the writer does not stop it. A record that
//! still cannot be read says why ([`DecodeError`], [`BadEvent`]); the writer keeps its bytes.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::event::{EventRecord, DEFAULT_SITE};

pub const MAGIC: [u8; 2] = [0xA1, b'E'];
pub const VERSION: u8 = 1;
pub const HEADER_BYTES: usize = 4;
/// Kinesis: a record's data and its partition key together are at most 1 MiB.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// The most a record may unpack to. The packer never exceeds [`MAX_RECORD_BYTES`]; the bound keeps a
/// garbage length field from allocating gigabytes.
pub const MAX_UNPACKED_BYTES: usize = 8 * 1024 * 1024;
/// Below this a body is not worth compressing (one event gains ~10%, and records are billed in whole
/// kilobytes at least).
const COMPRESS_FROM_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Codec {
    Plain = 0,
    Lz4 = 1,
}

/// One Kinesis record to put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition_key: String,
    pub data: Vec<u8>,
    /// How many events it carries.
    pub events: usize,
}

impl Record {
    /// What counts against Kinesis's per-record and per-call limits.
    pub fn size(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("event {event_id} is {bytes} bytes as JSON, more than a Kinesis record can hold")]
    EventTooLarge { event_id: Uuid, bytes: usize },
}

/// Packs events into as few records as Kinesis's limits allow: grouped by visitor (the partition
/// key, so one visitor's events stay in order on one shard), in the order each visitor first appears,
/// each record at most [`MAX_RECORD_BYTES`] with its key.
pub fn pack(events: &[EventRecord]) -> Result<Vec<Record>, PackError> {
    let mut groups: Vec<(&str, Vec<&EventRecord>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for event in events {
        let key = event.visitor();
        let i = *index.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(event);
    }
    let mut records = Vec::new();
    for (key, group) in groups {
        let budget = MAX_RECORD_BYTES - HEADER_BYTES - key.len();
        let mut body = Vec::new();
        let mut count = 0;
        for event in group {
            let line = serde_json::to_vec(event).expect("an EventRecord always serializes");
            if line.len() + 1 > budget {
                return Err(PackError::EventTooLarge {
                    event_id: event.event_id,
                    bytes: line.len(),
                });
            }
            if body.len() + line.len() + 1 > budget {
                records.push(seal(key, &body, count));
                body.clear();
                count = 0;
            }
            body.extend_from_slice(&line);
            body.push(b'\n');
            count += 1;
        }
        if count > 0 {
            records.push(seal(key, &body, count));
        }
    }
    Ok(records)
}

/// The record for a body of JSON lines: compressed when that is smaller.
fn seal(key: &str, body: &[u8], events: usize) -> Record {
    let mut data = Vec::with_capacity(HEADER_BYTES + body.len());
    data.extend_from_slice(&MAGIC);
    data.push(VERSION);
    if body.len() >= COMPRESS_FROM_BYTES {
        let compressed = lz4_flex::block::compress(body);
        if compressed.len() + 4 < body.len() {
            data.push(Codec::Lz4 as u8);
            data.extend_from_slice(&(body.len() as u32).to_le_bytes());
            data.extend_from_slice(&compressed);
            return Record {
                partition_key: key.to_owned(),
                data,
                events,
            };
        }
    }
    data.push(Codec::Plain as u8);
    data.extend_from_slice(body);
    Record {
        partition_key: key.to_owned(),
        data,
        events,
    }
}

/// Why a whole record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty record")]
    Empty,
    #[error("not an event record (starts with byte {0:#04x})")]
    UnknownFormat(u8),
    #[error("envelope version {0} is newer than this writer knows (1)")]
    UnknownVersion(u8),
    #[error("unknown codec {0}")]
    UnknownCodec(u8),
    #[error("truncated envelope header")]
    Truncated,
    #[error("claims {0} bytes unpacked, more than {MAX_UNPACKED_BYTES}")]
    TooLarge(usize),
    #[error("corrupt LZ4 body: {0}")]
    Corrupt(String),
}

/// An event of a record that cannot be read; the other events of the record still are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEvent {
    /// Its place in the record (0-based).
    pub index: usize,
    pub reason: String,
}

impl fmt::Display for BadEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {}: {}", self.index, self.reason)
    }
}

/// What a record held: its events, appended to `out`, and those that could not be read.
pub fn unpack_into(data: &[u8], out: &mut Vec<EventRecord>) -> Result<Vec<BadEvent>, DecodeError> {
    let first = *data.first().ok_or(DecodeError::Empty)?;
    if first != MAGIC[0] {
        // The format before the envelope: one bare EventRecord JSON.
        let start = data.iter().position(|b| !b.is_ascii_whitespace());
        return match start.map(|i| data[i]) {
            Some(b'{') => Ok(decode_one(data, 0, out).err().into_iter().collect()),
            Some(b) => Err(DecodeError::UnknownFormat(b)),
            None => Err(DecodeError::Empty),
        };
    }
    if data.len() < HEADER_BYTES {
        return Err(DecodeError::Truncated);
    }
    if data[1] != MAGIC[1] {
        return Err(DecodeError::UnknownFormat(first));
    }
    if data[2] != VERSION {
        return Err(DecodeError::UnknownVersion(data[2]));
    }
    let body = &data[HEADER_BYTES..];
    match data[3] {
        0 => Ok(decode_lines(body, out)),
        1 => Ok(decode_lines(&lz4_body(body)?, out)),
        codec => Err(DecodeError::UnknownCodec(codec)),
    }
}

/// Every event of a record, or why it cannot be read at all; `bad` lists the events that were not.
pub fn unpack(data: &[u8]) -> Result<(Vec<EventRecord>, Vec<BadEvent>), DecodeError> {
    let mut events = Vec::new();
    let bad = unpack_into(data, &mut events)?;
    Ok((events, bad))
}

fn lz4_body(body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let (len, block) = body.split_at_checked(4).ok_or(DecodeError::Truncated)?;
    let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
    if len > MAX_UNPACKED_BYTES {
        return Err(DecodeError::TooLarge(len));
    }
    let mut raw = vec![0; len];
    let n = lz4_flex::block::decompress_into(block, &mut raw)
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if n != len {
        return Err(DecodeError::Corrupt(format!(
            "{n} bytes unpacked, {len} announced"
        )));
    }
    Ok(raw)
}

fn decode_lines(body: &[u8], out: &mut Vec<EventRecord>) -> Vec<BadEvent> {
    let mut bad = Vec::new();
    let lines = body
        .split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace));
    for (index, line) in lines.enumerate() {
        if let Err(e) = decode_one(line, index, out) {
            bad.push(e);
        }
    }
    bad
}

fn decode_one(json: &[u8], index: usize, out: &mut Vec<EventRecord>) -> Result<(), BadEvent> {
    let event = serde_json::from_slice::<WireEvent>(json).map_err(|err| BadEvent {
        index,
        reason: err.to_string(),
    })?;
    out.push(event.into_record());
    Ok(())
}

/// An event as the writer reads it: `event_id`, `event` and `timestamp` are required; every other
/// field may be missing or null (empty, `site` "default", `received_at` the event's time), unknown
/// fields are ignored, times may be RFC 3339 or epoch milliseconds, and property values any JSON
/// scalar (kept as their JSON text, as the collector does).
#[derive(Debug, Deserialize)]
pub struct WireEvent {
    pub event_id: Uuid,
    #[serde(deserialize_with = "event_name")]
    pub event: String,
    #[serde(deserialize_with = "any_time")]
    pub timestamp: OffsetDateTime,
    #[serde(default, deserialize_with = "optional_time")]
    pub received_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub anonymous_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub referrer_domain: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub utm_source: Option<String>,
    #[serde(default)]
    pub utm_medium: Option<String>,
    #[serde(default)]
    pub utm_campaign: Option<String>,
    #[serde(default)]
    pub utm_term: Option<String>,
    #[serde(default)]
    pub utm_content: Option<String>,
    #[serde(default)]
    pub browser: Option<String>,
    #[serde(default)]
    pub browser_version: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "properties")]
    pub properties: BTreeMap<String, String>,
    #[serde(default)]
    pub previous_visitor: Option<String>,
}

impl WireEvent {
    pub fn into_record(self) -> EventRecord {
        let s = Option::unwrap_or_default;
        EventRecord {
            event_id: self.event_id,
            site: self
                .site
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| DEFAULT_SITE.to_owned()),
            event: self.event,
            timestamp: self.timestamp,
            received_at: self.received_at.unwrap_or(self.timestamp),
            anonymous_id: s(self.anonymous_id),
            user_id: s(self.user_id),
            session_id: s(self.session_id),
            url: s(self.url),
            path: s(self.path),
            referrer: s(self.referrer),
            referrer_domain: s(self.referrer_domain),
            title: s(self.title),
            utm_source: s(self.utm_source),
            utm_medium: s(self.utm_medium),
            utm_campaign: s(self.utm_campaign),
            utm_term: s(self.utm_term),
            utm_content: s(self.utm_content),
            browser: s(self.browser),
            browser_version: s(self.browser_version),
            os: s(self.os),
            device: s(self.device),
            country: s(self.country),
            properties: self.properties,
            previous_visitor: s(self.previous_visitor),
        }
    }
}

fn event_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if name.is_empty() {
        return Err(de::Error::custom("`event` is empty"));
    }
    Ok(name)
}

/// RFC 3339 text or epoch milliseconds (read without buffering: every event has two times).
struct AnyTime;

impl<'de> Visitor<'de> for AnyTime {
    type Value = OffsetDateTime;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 time or epoch milliseconds")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        OffsetDateTime::parse(s, &Rfc3339).map_err(|e| E::custom(format!("time {s:?}: {e}")))
    }
    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Self::Value, E> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map_err(|e| E::custom(format!("time {ms}: {e}")))
    }
    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Self::Value, E> {
        let ms = i64::try_from(ms).map_err(|_| E::custom(format!("time {ms}: out of range")))?;
        self.visit_i64(ms)
    }
}

struct OptionalTime;

impl<'de> Visitor<'de> for OptionalTime {
    type Value = Option<OffsetDateTime>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 time, epoch milliseconds or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        any_time(d).map(Some)
    }
}

fn any_time<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    d.deserialize_any(AnyTime)
}

fn optional_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    d.deserialize_option(OptionalTime)
}

/// A flat object; strings as they are, numbers and booleans as their JSON text, null as "". Nested
/// values are not properties: the event cannot be read.
fn properties<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct Props;
    impl<'de> Visitor<'de> for Props {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a flat object of properties, or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let value = match map.next_value::<serde_json::Value>()? {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
                        v.to_string()
                    }
                    _ => {
                        return Err(de::Error::custom(format!(
                            "property `{key}` is not a scalar"
                        )))
                    }
                };
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    d.deserialize_option(Props)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(i: u32, visitor: &str) -> EventRecord {
        EventRecord {
            event_id: Uuid::from_u128(u128::from(i) + 1),
            site: "shop".into(),
            event: "pageview".into(),
            timestamp: datetime!(2026-11-20 10:00:00.123 UTC),
            received_at: datetime!(2026-11-20 10:00:01 UTC),
            anonymous_id: visitor.into(),
            user_id: String::new(),
            session_id: format!("s-{visitor}"),
            url: format!("https://shop.test/p/{i}?utm_source=news"),
            path: format!("/p/{i}"),
            referrer: "https://www.google.com/".into(),
            referrer_domain: "www.google.com".into(),
            title: "A product".into(),
            utm_source: "news".into(),
            utm_medium: String::new(),
            utm_campaign: String::new(),
            utm_term: String::new(),
            utm_content: String::new(),
            browser: "Firefox".into(),
            browser_version: "120.0".into(),
            os: "Linux".into(),
            device: "desktop".into(),
            country: "DE".into(),
            properties: BTreeMap::from([("plan".into(), "pro".into())]),
            previous_visitor: String::new(),
        }
    }

    #[test]
    fn one_record_per_visitor_in_order_and_everything_comes_back() {
        let events: Vec<EventRecord> = (0..30)
            .map(|i| event(i, ["a", "b", "c"][i as usize % 3]))
            .collect();
        let records = pack(&events).unwrap();
        assert_eq!(
            records
                .iter()
                .map(|r| (r.partition_key.as_str(), r.events))
                .collect::<Vec<_>>(),
            [("a", 10), ("b", 10), ("c", 10)]
        );
        let mut back = Vec::new();
        for r in &records {
            assert!(unpack_into(&r.data, &mut back).unwrap().is_empty());
        }
        let mut want = events.clone();
        want.sort_by_key(|e| e.anonymous_id.clone()); // stable: each visitor's order is kept
        assert_eq!(back, want);
    }

    #[test]
    fn larger_bodies_are_compressed_small_ones_not() {
        let one = pack(&[event(1, "a")]).unwrap();
        assert_eq!(one[0].data[3], Codec::Plain as u8);
        let many: Vec<_> = (0..20).map(|i| event(i, "a")).collect();
        let packed = pack(&many).unwrap();
        assert_eq!(packed[0].data[3], Codec::Lz4 as u8);
        let raw: usize = many
            .iter()
            .map(|e| serde_json::to_vec(e).unwrap().len())
            .sum();
        assert!(
            packed[0].data.len() * 3 < raw,
            "{} vs {raw}",
            packed[0].data.len()
        );
        assert_eq!(unpack(&packed[0].data).unwrap().0, many);
    }

    #[test]
    fn records_stay_within_a_megabyte() {
        // ~2,000 events of ~1.5 KB for one visitor: more than one record's worth.
        let big: Vec<_> = (0..2_000)
            .map(|i| {
                let mut e = event(i, "a");
                e.title = format!("{i}-{}", "x".repeat(1_400));
                e
            })
            .collect();
        let records = pack(&big).unwrap();
        assert!(records.len() >= 3, "{}", records.len());
        assert!(records.iter().all(|r| r.size() <= MAX_RECORD_BYTES));
        assert_eq!(records.iter().map(|r| r.events).sum::<usize>(), 2_000);
        let mut back = Vec::new();
        for r in &records {
            unpack_into(&r.data, &mut back).unwrap();
        }
        assert_eq!(back, big);
    }

    #[test]
    fn the_format_before_the_envelope_is_read() {
        let e = event(7, "a");
        let bare = serde_json::to_vec(&e).unwrap();
        assert_eq!(unpack(&bare).unwrap(), (vec![e], vec![]));
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_defaulted() {
        let line = br#"{"event_id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","event":"signup",
            "timestamp":1795687200123,"anonymous_id":"v","title":null,"from_the_future":{"x":[1]},
            "properties":{"n":3,"ok":true,"none":null,"s":"t"}}"#;
        let (events, bad) = unpack(line).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        let e = &events[0];
        assert_eq!((e.site.as_str(), e.event.as_str()), ("default", "signup"));
        assert_eq!(e.timestamp, datetime!(2026-11-26 10:00:00.123 UTC));
        assert_eq!(e.received_at, e.timestamp);
        assert_eq!(e.title, "");
        assert_eq!(
            e.properties,
            BTreeMap::from([
                ("n".into(), "3".into()),
                ("ok".into(), "true".into()),
                ("none".into(), String::new()),
                ("s".into(), "t".into())
            ])
        );
    }

    #[test]
    fn a_bad_line_is_named_and_the_others_read() {
        let mut body = MAGIC.to_vec();
        body.extend([VERSION, Codec::Plain as u8]);
        body.extend(serde_json::to_vec(&event(1, "a")).unwrap());
        body.extend(b"\n{\"event\":\"no id\"}\n");
        body.extend(serde_json::to_vec(&event(2, "a")).unwrap());
        let (events, bad) = unpack(&body).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].index, 1);
        assert!(bad[0].reason.contains("event_id"), "{}", bad[0].reason);
    }

    #[test]
    fn garbage_says_why() {
        assert_eq!(unpack(b""), Err(DecodeError::Empty));
        assert_eq!(unpack(b"not json"), Err(DecodeError::UnknownFormat(b'n')));
        assert_eq!(
            unpack(&[0xA1, b'E', 9, 0]),
            Err(DecodeError::UnknownVersion(9))
        );
        assert_eq!(
            unpack(&[0xA1, b'E', 1, 7]),
            Err(DecodeError::UnknownCodec(7))
        );
        assert_eq!(unpack(&[0xA1, b'E']), Err(DecodeError::Truncated));
        let huge = [0xA1, b'E', 1, 1, 0xff, 0xff, 0xff, 0x7f, 0];
        assert!(matches!(unpack(&huge), Err(DecodeError::TooLarge(_))));
        let corrupt = [0xA1, b'E', 1, 1, 10, 0, 0, 0, 0xf0, 1, 2];
        assert!(matches!(unpack(&corrupt), Err(DecodeError::Corrupt(_))));
        let (events, bad) = unpack(b"{\"event_id\": 5}").unwrap();
        assert!(events.is_empty());
        assert_eq!(bad.len(), 1);
    }
}
