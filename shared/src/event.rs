//! The event model: what a tracker may send (validated field by field, as API.md says) and the enriched
//! record that travels through the queue into ClickHouse. Pure: no I/O here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::useragent::{self, Client};

pub const MAX_EVENTS_PER_REQUEST: usize = 500;
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const MAX_PROPERTIES: usize = 50;
pub const MAX_PROPERTY_VALUE_CHARS: usize = 1024;
pub const MAX_PROPERTY_KEY_CHARS: usize = 128;
pub const MAX_ID_CHARS: usize = 128;
pub const MAX_URL_CHARS: usize = 2048;
pub const DEFAULT_SITE: &str = "default";
pub const PAGEVIEW: &str = "pageview";
/// Client clocks further ahead than this are not believed: the event gets the server's time.
pub const MAX_CLOCK_AHEAD: Duration = Duration::minutes(5);
/// Older client times are clamped too (offline queues of a month are plausible, a year is not).
pub const MAX_EVENT_AGE: Duration = Duration::days(30);

/// One event as stored: validated and enriched by the collector, written by the writer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub event_id: Uuid,
    pub site: String,
    pub event: String,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub anonymous_id: String,
    pub user_id: String,
    pub session_id: String,
    pub url: String,
    pub path: String,
    pub referrer: String,
    pub referrer_domain: String,
    pub title: String,
    pub utm_source: String,
    pub utm_medium: String,
    pub utm_campaign: String,
    pub utm_term: String,
    pub utm_content: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub device: String,
    pub country: String,
    /// Flat properties; numbers and booleans kept as their JSON text, null as "".
    pub properties: BTreeMap<String, String>,
}

impl EventRecord {
    /// Who the event counts as: the signed-in user when known, else the anonymous id.
    pub fn visitor(&self) -> &str {
        if self.user_id.is_empty() {
            &self.anonymous_id
        } else {
            &self.user_id
        }
    }
}

/// What the server knows about the request, beyond the body.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub received_at: OffsetDateTime,
    pub client: Client,
    /// ISO country code as the edge tells it (e.g. CloudFront-Viewer-Country), if it does.
    pub country: Option<String>,
}

impl RequestContext {
    pub fn new(
        received_at: OffsetDateTime,
        user_agent: Option<&str>,
        country: Option<&str>,
    ) -> Self {
        Self {
            received_at,
            client: useragent::parse(user_agent.unwrap_or("")),
            country: country
                .map(str::trim)
                .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
                .map(str::to_ascii_uppercase),
        }
    }
}

/// Why a request body as a whole is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BatchError {
    #[error("the body must be an event object or {{\"events\": [...]}}")]
    NotAnEventOrBatch,
    #[error("at most {MAX_EVENTS_PER_REQUEST} events per request, got {0}")]
    TooManyEvents(usize),
    #[error("the batch is empty")]
    Empty,
}

/// Splits a body into its events: one event object, or `{"events": [...]}`.
pub fn split_batch(body: Value) -> Result<Vec<Value>, BatchError> {
    match body {
        Value::Object(mut obj) if obj.contains_key("events") && !obj.contains_key("event") => {
            match obj.remove("events") {
                Some(Value::Array(events)) if events.is_empty() => Err(BatchError::Empty),
                Some(Value::Array(events)) if events.len() > MAX_EVENTS_PER_REQUEST => {
                    Err(BatchError::TooManyEvents(events.len()))
                }
                Some(Value::Array(events)) => Ok(events),
                _ => Err(BatchError::NotAnEventOrBatch),
            }
        }
        Value::Object(obj) => Ok(vec![Value::Object(obj)]),
        _ => Err(BatchError::NotAnEventOrBatch),
    }
}

/// Validates one event of a request and enriches it into a record. The error names the field.
pub fn parse_event(value: &Value, ctx: &RequestContext) -> Result<EventRecord, String> {
    let obj = value.as_object().ok_or("an event must be a JSON object")?;

    let event = required_str(obj, "event")?;
    check_event_name(event)?;
    let site = match optional_str(obj, "site")? {
        Some(site) => {
            check_site(site)?;
            site.to_owned()
        }
        None => DEFAULT_SITE.to_owned(),
    };
    let event_id = match optional_str(obj, "event_id")? {
        Some(id) => Uuid::parse_str(id).map_err(|_| "`event_id` must be a UUID".to_owned())?,
        None => Uuid::now_v7(),
    };
    let timestamp = clamp_time(parse_timestamp(obj.get("timestamp"))?, ctx.received_at);

    let anonymous_id = bounded(obj, "anonymous_id", MAX_ID_CHARS)?;
    let user_id = bounded(obj, "user_id", MAX_ID_CHARS)?;
    if anonymous_id.is_empty() && user_id.is_empty() {
        return Err("one of `anonymous_id` or `user_id` is required".into());
    }
    let session_id = bounded(obj, "session_id", MAX_ID_CHARS)?;
    let url = bounded(obj, "url", MAX_URL_CHARS)?;
    let referrer = bounded(obj, "referrer", MAX_URL_CHARS)?;
    let title = bounded(obj, "title", MAX_URL_CHARS)?;
    let properties = parse_properties(obj.get("properties"))?;

    let parsed_url = parse_url(&url);
    let query = |key: &str| -> String {
        parsed_url
            .as_ref()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.into_owned())
            })
            .map(|v| v.chars().take(256).collect())
            .unwrap_or_default()
    };
    let path = parsed_url
        .as_ref()
        .map(|u| u.path().to_owned())
        .unwrap_or_default();

    Ok(EventRecord {
        event_id,
        site,
        event: event.to_owned(),
        timestamp,
        received_at: ctx.received_at,
        anonymous_id,
        user_id,
        session_id,
        utm_source: query("utm_source"),
        utm_medium: query("utm_medium"),
        utm_campaign: query("utm_campaign"),
        utm_term: query("utm_term"),
        utm_content: query("utm_content"),
        path,
        referrer_domain: referrer_domain(&referrer),
        url,
        referrer,
        title,
        browser: ctx.client.browser.clone(),
        browser_version: ctx.client.browser_version.clone(),
        os: ctx.client.os.clone(),
        device: ctx.client.device.clone(),
        country: ctx.country.clone().unwrap_or_default(),
        properties,
    })
}

fn required_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, String> {
    optional_str(obj, field)?.ok_or_else(|| format!("`{field}` is required"))
}

/// A string field; `null` and absent are the same.
fn optional_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("`{field}` must be a string")),
    }
}

fn bounded(obj: &Map<String, Value>, field: &str, max_chars: usize) -> Result<String, String> {
    let s = optional_str(obj, field)?.unwrap_or("");
    if s.chars().count() > max_chars {
        return Err(format!("`{field}` is longer than {max_chars} characters"));
    }
    Ok(s.to_owned())
}

fn check_event_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(1..=128).contains(&len) {
        return Err("`event` must be 1 to 128 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | ':' | '/' | '-'))
    {
        return Err("`event` may contain only letters, digits, space and _ . : / -".into());
    }
    Ok(())
}

fn check_site(site: &str) -> Result<(), String> {
    if !(1..=64).contains(&site.len())
        || !site
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err("`site` must be 1 to 64 characters of letters, digits and _ . -".into());
    }
    Ok(())
}

fn parse_timestamp(value: Option<&Value>) -> Result<Option<OffsetDateTime>, String> {
    const WHY: &str = "`timestamp` must be RFC 3339 or epoch milliseconds";
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map(Some)
                .map_err(|_| WHY.to_owned())
        }
        Some(Value::Number(n)) => {
            let ms = n.as_i64().ok_or(WHY)?;
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .map(Some)
                .map_err(|_| WHY.to_owned())
        }
        Some(_) => Err(WHY.into()),
    }
}

/// The client's time when it is believable, else the server's; always UTC, millisecond precision.
fn clamp_time(client: Option<OffsetDateTime>, received_at: OffsetDateTime) -> OffsetDateTime {
    let t = match client {
        Some(t) if t <= received_at + MAX_CLOCK_AHEAD && t >= received_at - MAX_EVENT_AGE => t,
        _ => received_at,
    };
    truncate_to_millis(t.to_offset(time::UtcOffset::UTC))
}

fn truncate_to_millis(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .expect("a truncated nanosecond is in range")
}

fn parse_properties(value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    let obj = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(obj)) => obj,
        Some(_) => return Err("`properties` must be a flat object".into()),
    };
    if obj.len() > MAX_PROPERTIES {
        return Err(format!("`properties` has more than {MAX_PROPERTIES} keys"));
    }
    obj.iter()
        .map(|(key, v)| {
            if key.is_empty() || key.chars().count() > MAX_PROPERTY_KEY_CHARS {
                return Err(format!(
                    "property keys must be 1 to {MAX_PROPERTY_KEY_CHARS} characters"
                ));
            }
            let text = match v {
                Value::String(s) if s.chars().count() > MAX_PROPERTY_VALUE_CHARS => {
                    return Err(format!(
                        "property `{key}` is longer than {MAX_PROPERTY_VALUE_CHARS} characters"
                    ))
                }
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(format!(
                        "property `{key}` must be a string, number, boolean or null"
                    ))
                }
            };
            Ok((key.clone(), text))
        })
        .collect()
}

/// Absolute URLs parse as they are; a bare path ("/pricing?x=1") is read against a placeholder origin.
fn parse_url(raw: &str) -> Option<url::Url> {
    if raw.is_empty() {
        return None;
    }
    url::Url::parse(raw).ok().or_else(|| {
        raw.starts_with('/')
            .then(|| url::Url::parse(&format!("http://relative.invalid{raw}")).ok())
            .flatten()
    })
}

fn referrer_domain(referrer: &str) -> String {
    url::Url::parse(referrer)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> RequestContext {
        RequestContext::new(
            time::macros::datetime!(2026-11-29 12:00:00 UTC),
            Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
            Some("de"),
        )
    }

    #[test]
    fn a_full_event_is_enriched() {
        let rec = parse_event(
            &json!({
                "event": "pageview", "site": "shop", "anonymous_id": "a1", "session_id": "s1",
                "url": "https://shop.example/pricing?utm_source=news&utm_campaign=winter",
                "referrer": "https://www.Google.com/search?q=x", "title": "Pricing",
                "timestamp": "2026-11-29T11:59:00.123456Z",
                "properties": {"plan": "pro", "seats": 3, "trial": true, "coupon": null}
            }),
            &ctx(),
        )
        .unwrap();
        assert_eq!(rec.site, "shop");
        assert_eq!(rec.path, "/pricing");
        assert_eq!(rec.utm_source, "news");
        assert_eq!(rec.utm_campaign, "winter");
        assert_eq!(rec.referrer_domain, "google.com");
        assert_eq!(rec.browser, "Chrome");
        assert_eq!(rec.os, "Windows 10");
        assert_eq!(rec.device, "desktop");
        assert_eq!(rec.country, "DE");
        assert_eq!(
            rec.timestamp,
            time::macros::datetime!(2026-11-29 11:59:00.123 UTC)
        );
        assert_eq!(rec.properties["seats"], "3");
        assert_eq!(rec.properties["trial"], "true");
        assert_eq!(rec.properties["coupon"], "");
        assert_eq!(rec.visitor(), "a1");
    }

    #[test]
    fn defaults_and_relative_urls() {
        let rec = parse_event(
            &json!({"event": "signup", "user_id": "u1", "url": "/welcome?utm_medium=email", "timestamp": 1795953540000_i64}),
            &ctx(),
        )
        .unwrap();
        assert_eq!(rec.site, DEFAULT_SITE);
        assert_eq!(rec.path, "/welcome");
        assert_eq!(rec.utm_medium, "email");
        assert_eq!(rec.visitor(), "u1");
        assert_eq!(rec.event_id.get_version_num(), 7);
        assert_eq!(
            rec.timestamp,
            time::macros::datetime!(2026-11-29 11:59:00 UTC)
        );
    }

    #[test]
    fn absurd_client_times_are_clamped() {
        for ts in [
            json!("2030-01-01T00:00:00Z"),
            json!("1999-01-01T00:00:00Z"),
            json!(0),
        ] {
            let rec = parse_event(
                &json!({"event": "x", "anonymous_id": "a", "timestamp": ts}),
                &ctx(),
            )
            .unwrap();
            assert_eq!(rec.timestamp, ctx().received_at);
        }
    }

    #[test]
    fn invalid_events_name_the_field() {
        let cases = [
            (json!("nope"), "object"),
            (json!({"anonymous_id": "a"}), "`event` is required"),
            (json!({"event": "", "anonymous_id": "a"}), "`event`"),
            (
                json!({"event": "a;drop table", "anonymous_id": "a"}),
                "`event` may contain",
            ),
            (
                json!({"event": "x".repeat(129), "anonymous_id": "a"}),
                "`event`",
            ),
            (json!({"event": "x"}), "anonymous_id"),
            (
                json!({"event": "x", "anonymous_id": 5}),
                "`anonymous_id` must be a string",
            ),
            (
                json!({"event": "x", "anonymous_id": "a".repeat(129)}),
                "`anonymous_id` is longer",
            ),
            (
                json!({"event": "x", "anonymous_id": "a", "site": "a b"}),
                "`site`",
            ),
            (
                json!({"event": "x", "anonymous_id": "a", "event_id": "42"}),
                "`event_id`",
            ),
            (
                json!({"event": "x", "anonymous_id": "a", "timestamp": "yesterday"}),
                "`timestamp`",
            ),
            (
                json!({"event": "x", "anonymous_id": "a", "url": "h".repeat(2049)}),
                "`url`",
            ),
            (
                json!({"event": "x", "anonymous_id": "a", "properties": [1]}),
                "`properties`",
            ),
            (
                json!({"event": "x", "anonymous_id": "a", "properties": {"a": {"b": 1}}}),
                "property `a`",
            ),
            (
                json!({"event": "x", "anonymous_id": "a", "properties": {"a": "v".repeat(1025)}}),
                "property `a`",
            ),
        ];
        for (input, want) in cases {
            let err = parse_event(&input, &ctx()).unwrap_err();
            assert!(err.contains(want), "{input}: {err}");
        }
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        let err = parse_event(
            &json!({"event": "x", "anonymous_id": "a", "properties": many}),
            &ctx(),
        )
        .unwrap_err();
        assert!(err.contains("more than 50"), "{err}");
    }

    #[test]
    fn batches_are_split_and_bounded() {
        assert_eq!(split_batch(json!({"event": "x"})).unwrap().len(), 1);
        assert_eq!(split_batch(json!({"events": [{}, {}]})).unwrap().len(), 2);
        assert_eq!(split_batch(json!({"events": []})), Err(BatchError::Empty));
        assert_eq!(split_batch(json!([1])), Err(BatchError::NotAnEventOrBatch));
        assert_eq!(
            split_batch(json!({"events": 1})),
            Err(BatchError::NotAnEventOrBatch)
        );
        let big = Value::Array(vec![json!({}); 501]);
        assert_eq!(
            split_batch(json!({ "events": big })),
            Err(BatchError::TooManyEvents(501))
        );
    }

    #[test]
    fn records_round_trip_through_json() {
        let rec = parse_event(&json!({"event": "x", "anonymous_id": "a"}), &ctx()).unwrap();
        let back: EventRecord =
            serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
        assert_eq!(back, rec);
    }
}
