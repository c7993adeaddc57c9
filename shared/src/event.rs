//! The event model: what a tracker may send (validated field by field, as API.md says) and the enriched
//! record that travels through the queue into ClickHouse. Pure: no I/O here.
//!
//! A body is read in one pass into borrowed pieces (`raw`), then each event is validated and enriched
//! into its record; the URL parts come from `url`, the ids of events sent without one from `id`.

mod id;
mod raw;
mod url;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use self::raw::{Item, Prop, Props, RawEvent, Scalar};
use crate::cookieless::CookielessClient;
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
    /// A cookieless visitor's id under the previous day's salt (empty otherwise): the writer continues
    /// a visit that began before midnight under it. Travels in the queue, never stored.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub previous_visitor: String,
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
    /// Set when events sent without `anonymous_id` and `user_id` may get a cookieless visitor id.
    pub cookieless: Option<CookielessClient>,
}

impl RequestContext {
    pub fn new(
        received_at: OffsetDateTime,
        user_agent: Option<&str>,
        country: Option<&str>,
    ) -> Self {
        Self::with_client(
            received_at,
            useragent::parse(user_agent.unwrap_or("")),
            country,
        )
    }

    /// The same with the User-Agent already parsed (e.g. remembered from an earlier request).
    pub fn with_client(received_at: OffsetDateTime, client: Client, country: Option<&str>) -> Self {
        Self {
            received_at,
            client,
            country: country
                .map(str::trim)
                .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
                .map(str::to_ascii_uppercase),
            cookieless: None,
        }
    }

    /// The same, giving cookieless ids to the events it applies to.
    pub fn with_cookieless(mut self, cookieless: CookielessClient) -> Self {
        self.cookieless = Some(cookieless);
        self
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

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Batch(#[from] BatchError),
}

/// The events of a request body (one event object, or `{"events": [...]}`), read but not yet
/// validated. Strings point into the body.
#[derive(Debug)]
pub struct Batch<'a> {
    items: Vec<Item<'a>>,
}

impl<'a> Batch<'a> {
    /// Reads a body: a JSON syntax error, or a body that is neither an event nor a batch of 1 to 500,
    /// is an error; a wrong field is not (it is the event's own error, see [`Batch::records`]).
    pub fn read(body: &'a [u8]) -> Result<Self, BodyError> {
        let raw::Body(items) = serde_json::from_slice(body)?;
        Ok(Self { items: items? })
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether an event names neither `anonymous_id` nor `user_id` while `cookieless(site)` says it
    /// may get a cookieless id (so the day's salts are needed).
    pub fn wants_cookieless(&self, cookieless: impl Fn(&str) -> bool) -> bool {
        let blank = |s: &Scalar| match s {
            Scalar::Missing => true,
            Scalar::Str(s) => s.is_empty(),
            _ => false,
        };
        self.items.iter().any(|item| match item {
            Item::Event(raw) => {
                blank(&raw.anonymous_id)
                    && blank(&raw.user_id)
                    && cookieless(match &raw.site {
                        Scalar::Str(s) => s,
                        _ => DEFAULT_SITE,
                    })
            }
            Item::NotAnObject => false,
        })
    }

    /// Each event validated and enriched into its record, in order; the error names the field.
    pub fn records<'b>(
        &'b self,
        ctx: &'b RequestContext,
    ) -> impl Iterator<Item = Result<EventRecord, String>> + 'b {
        self.items
            .iter()
            .enumerate()
            .map(move |(index, item)| match item {
                Item::Event(raw) => build(raw, ctx, index),
                Item::NotAnObject => Err(NOT_AN_OBJECT.into()),
            })
    }
}

const NOT_AN_OBJECT: &str = "an event must be a JSON object";

/// Validates one event given as a JSON value and enriches it into a record (what the collector does to
/// each event of a body). The error names the field.
pub fn parse_event(value: &Value, ctx: &RequestContext) -> Result<EventRecord, String> {
    match Item::deserialize(value) {
        Ok(Item::Event(raw)) => build(&raw, ctx, 0),
        Ok(Item::NotAnObject) => Err(NOT_AN_OBJECT.into()),
        // A `Value` is always valid JSON, and every field takes any value.
        Err(err) => Err(err.to_string()),
    }
}

/// `index`: the event's place in its request (it tells apart identical events sent without id or time).
fn build(raw: &RawEvent, ctx: &RequestContext, index: usize) -> Result<EventRecord, String> {
    let event = required_str(&raw.event, "event")?;
    check_event_name(event)?;
    let site = match optional_str(&raw.site, "site")? {
        Some(site) => {
            check_site(site)?;
            site
        }
        None => DEFAULT_SITE,
    };
    let event_id = match optional_str(&raw.event_id, "event_id")? {
        Some(id) => Some(Uuid::parse_str(id).map_err(|_| "`event_id` must be a UUID".to_owned())?),
        None => None,
    };
    let sent_time = parse_timestamp(&raw.timestamp)?;

    let anonymous_id = bounded(&raw.anonymous_id, "anonymous_id", MAX_ID_CHARS)?;
    let user_id = bounded(&raw.user_id, "user_id", MAX_ID_CHARS)?;
    let (anonymous_id, previous_visitor) = if anonymous_id.is_empty() && user_id.is_empty() {
        match ctx.cookieless.as_ref().filter(|c| c.applies(site)) {
            Some(c) => {
                let (today, before) = c.ids(site, ctx.received_at).ok_or(
                    "no cookieless visitor id: the client's address is unknown to the collector",
                )?;
                (Cow::Owned(today), before.unwrap_or_default())
            }
            None => {
                return Err(
                    "one of `anonymous_id` or `user_id` is required (or send the request with \
                     ?cookieless=1 for a cookieless visitor id)"
                        .into(),
                )
            }
        }
    } else {
        (Cow::Borrowed(anonymous_id), String::new())
    };
    let anonymous_id: &str = &anonymous_id;
    let session_id = bounded(&raw.session_id, "session_id", MAX_ID_CHARS)?;
    let url = bounded(&raw.url, "url", MAX_URL_CHARS)?;
    let referrer = bounded(&raw.referrer, "referrer", MAX_URL_CHARS)?;
    let title = bounded(&raw.title, "title", MAX_URL_CHARS)?;
    let properties = parse_properties(&raw.properties)?;

    let event_id = event_id.unwrap_or_else(|| {
        id::derive(
            &id::Content {
                site,
                event,
                anonymous_id,
                user_id,
                session_id,
                timestamp: sent_time,
                url,
                referrer,
                title,
                properties: &properties,
            },
            ctx.received_at,
            index,
        )
    });
    let page = url::page_parts(url);
    let [utm_source, utm_medium, utm_campaign, utm_term, utm_content] = page.utm;

    Ok(EventRecord {
        event_id,
        site: site.to_owned(),
        event: event.to_owned(),
        timestamp: clamp_time(sent_time, ctx.received_at),
        received_at: ctx.received_at,
        anonymous_id: anonymous_id.to_owned(),
        user_id: user_id.to_owned(),
        session_id: session_id.to_owned(),
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        path: page.path,
        referrer_domain: if referrer.is_empty() {
            String::new()
        } else {
            url::referrer_domain(referrer)
        },
        url: url.to_owned(),
        referrer: referrer.to_owned(),
        title: title.to_owned(),
        browser: ctx.client.browser.clone(),
        browser_version: ctx.client.browser_version.clone(),
        os: ctx.client.os.clone(),
        device: ctx.client.device.clone(),
        country: ctx.country.clone().unwrap_or_default(),
        properties,
        previous_visitor,
    })
}

fn required_str<'a>(value: &'a Scalar, field: &str) -> Result<&'a str, String> {
    optional_str(value, field)?.ok_or_else(|| format!("`{field}` is required"))
}

/// A string field; `null` and absent are the same.
fn optional_str<'a>(value: &'a Scalar, field: &str) -> Result<Option<&'a str>, String> {
    match value {
        Scalar::Missing => Ok(None),
        Scalar::Str(s) => Ok(Some(s)),
        Scalar::Int(_) | Scalar::Other => Err(format!("`{field}` must be a string")),
    }
}

/// At most `max` characters: a string of at most `max` bytes is (counting is for the longer ones).
fn longer_than(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().count() > max
}

fn bounded<'a>(value: &'a Scalar, field: &str, max_chars: usize) -> Result<&'a str, String> {
    let s = optional_str(value, field)?.unwrap_or("");
    if longer_than(s, max_chars) {
        return Err(format!("`{field}` is longer than {max_chars} characters"));
    }
    Ok(s)
}

fn check_event_name(name: &str) -> Result<(), String> {
    if name.is_empty() || longer_than(name, 128) {
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

fn parse_timestamp(value: &Scalar) -> Result<Option<OffsetDateTime>, String> {
    const WHY: &str = "`timestamp` must be RFC 3339 or epoch milliseconds";
    match value {
        Scalar::Missing => Ok(None),
        Scalar::Str(s) => OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(Some)
            .map_err(|_| WHY.to_owned()),
        Scalar::Int(ms) => OffsetDateTime::from_unix_timestamp_nanos(i128::from(*ms) * 1_000_000)
            .map(Some)
            .map_err(|_| WHY.to_owned()),
        Scalar::Other => Err(WHY.into()),
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

fn parse_properties(value: &Props) -> Result<BTreeMap<String, String>, String> {
    let entries = match value {
        Props::Missing => return Ok(BTreeMap::new()),
        Props::Object(entries) => entries,
        Props::NotAnObject => return Err("`properties` must be a flat object".into()),
    };
    // As a JSON object reads: a repeated key keeps its last value; checked in key order.
    let mut sorted: Vec<&(Cow<str>, Prop)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut unique: Vec<&(Cow<str>, Prop)> = Vec::with_capacity(sorted.len());
    for entry in sorted {
        match unique.last_mut() {
            // The sort is stable: of equal keys, the one sent last comes last.
            Some(last) if last.0 == entry.0 => *last = entry,
            _ => unique.push(entry),
        }
    }
    if unique.len() > MAX_PROPERTIES {
        return Err(format!("`properties` has more than {MAX_PROPERTIES} keys"));
    }
    unique
        .into_iter()
        .map(|(key, v)| {
            if key.is_empty() || longer_than(key, MAX_PROPERTY_KEY_CHARS) {
                return Err(format!(
                    "property keys must be 1 to {MAX_PROPERTY_KEY_CHARS} characters"
                ));
            }
            let text = match v {
                Prop::Str(s) if longer_than(s, MAX_PROPERTY_VALUE_CHARS) => {
                    return Err(format!(
                        "property `{key}` is longer than {MAX_PROPERTY_VALUE_CHARS} characters"
                    ))
                }
                Prop::Str(s) => s.as_ref().to_owned(),
                Prop::Number(n) => n.to_string(),
                Prop::Bool(b) => b.to_string(),
                Prop::Null => String::new(),
                Prop::Nested => {
                    return Err(format!(
                        "property `{key}` must be a string, number, boolean or null"
                    ))
                }
            };
            Ok((key.as_ref().to_owned(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests;
