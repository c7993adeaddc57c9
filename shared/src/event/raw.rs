//! A request body read in one pass into borrowed pieces: the events' fields as the client sent them,
//! strings pointing into the body (copied only when they hold escapes), nothing validated yet.
//!
//! Every field takes any JSON value (a wrong type is found later, per event, with its own reason), so
//! the only errors of this pass are JSON syntax errors. Repeated keys keep the last value, as a
//! `serde_json::Value` does.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::{BatchError, MAX_EVENTS_PER_REQUEST};

/// One top-level field of an event, as sent. `null` and absent are the same.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) enum Scalar<'a> {
    #[default]
    Missing,
    Str(Cow<'a, str>),
    /// A number that is an integer in the range of i64 (what epoch milliseconds may be).
    Int(i64),
    /// Any other number, a boolean, an array or an object.
    Other,
}

/// One property value, as sent.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Prop<'a> {
    Str(Cow<'a, str>),
    Number(Number),
    Bool(bool),
    Null,
    /// An array or an object (refused).
    Nested,
}

/// The `properties` field, as sent.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) enum Props<'a> {
    #[default]
    Missing,
    /// The entries in the order sent (repeats included: the last one counts).
    Object(Vec<(Cow<'a, str>, Prop<'a>)>),
    NotAnObject,
}

/// One event object, as sent.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct RawEvent<'a> {
    pub event: Scalar<'a>,
    pub site: Scalar<'a>,
    pub event_id: Scalar<'a>,
    pub timestamp: Scalar<'a>,
    pub anonymous_id: Scalar<'a>,
    pub user_id: Scalar<'a>,
    pub session_id: Scalar<'a>,
    pub url: Scalar<'a>,
    pub referrer: Scalar<'a>,
    pub title: Scalar<'a>,
    pub properties: Props<'a>,
}

/// One element of a batch: an event object, or anything else (refused with its index).
// Nearly every item is an event: boxing it would cost an allocation each to save space on the rare rest.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item<'a> {
    Event(RawEvent<'a>),
    NotAnObject,
}

/// The body's shape: its events, or why it is not an event nor a batch.
pub(super) struct Body<'a>(pub Result<Vec<Item<'a>>, BatchError>);

/// A value nobody needs, read and dropped. Unlike serde's `IgnoredAny` (which serde_json skips without
/// a depth limit), every level goes through `deserialize_any`, so nesting deeper than serde_json's
/// limit of 128 is refused as it is when reading a `serde_json::Value`: the same bodies are malformed.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_none<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
                drain_seq(seq).map(|()| Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
                drain_map(map).map(|()| Skip)
            }
        }
        d.deserialize_any(V)
    }
}

/// Empties an array or object nobody needs, keeping the parser in step.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Skip>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<Skip, Skip>()?.is_some() {}
    Ok(())
}

/// A string that borrows from the input when it can (serde's own `Cow<str>` always copies).
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Missing)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Missing)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map).map(|()| Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Prop<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Prop<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Prop::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Prop::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Prop::Str(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Prop::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Prop::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // What serde_json::Value does: a float it can't hold becomes null.
                Ok(Number::from_f64(v).map_or(Prop::Null, Prop::Number))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Prop::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Prop::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Prop::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| Prop::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map).map(|()| Prop::Nested)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Props<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Props<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
                while let Some((Text(key), value)) = map.next_entry::<Text, Prop>()? {
                    entries.push((key, value));
                }
                Ok(Props::Object(entries))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Props::Missing)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Props::Missing)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| Props::NotAnObject)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Props::NotAnObject)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Props::NotAnObject)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Props::NotAnObject)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Props::NotAnObject)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Props::NotAnObject)
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys an event (or the body around a batch) may have; others are ignored.
enum Key {
    Event,
    Site,
    EventId,
    Timestamp,
    AnonymousId,
    UserId,
    SessionId,
    Url,
    Referrer,
    Title,
    Properties,
    Events,
    Unknown,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "event" => Key::Event,
                    "site" => Key::Site,
                    "event_id" => Key::EventId,
                    "timestamp" => Key::Timestamp,
                    "anonymous_id" => Key::AnonymousId,
                    "user_id" => Key::UserId,
                    "session_id" => Key::SessionId,
                    "url" => Key::Url,
                    "referrer" => Key::Referrer,
                    "title" => Key::Title,
                    "properties" => Key::Properties,
                    "events" => Key::Events,
                    _ => Key::Unknown,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The fields of an object read as an event; at the top of a body, also its `events` (when there).
struct EventObject<'a> {
    event: RawEvent<'a>,
    /// Whether the key `event` is there at all (even as null): it makes the body one event.
    has_event_key: bool,
    events: Option<Events<'a>>,
}

fn read_event_object<'de, A: MapAccess<'de>>(
    mut map: A,
    top: bool,
) -> Result<EventObject<'de>, A::Error> {
    let mut out = EventObject {
        event: RawEvent::default(),
        has_event_key: false,
        events: None,
    };
    let e = &mut out.event;
    while let Some(key) = map.next_key::<Key>()? {
        match key {
            Key::Event => {
                out.has_event_key = true;
                e.event = map.next_value()?;
            }
            Key::Site => e.site = map.next_value()?,
            Key::EventId => e.event_id = map.next_value()?,
            Key::Timestamp => e.timestamp = map.next_value()?,
            Key::AnonymousId => e.anonymous_id = map.next_value()?,
            Key::UserId => e.user_id = map.next_value()?,
            Key::SessionId => e.session_id = map.next_value()?,
            Key::Url => e.url = map.next_value()?,
            Key::Referrer => e.referrer = map.next_value()?,
            Key::Title => e.title = map.next_value()?,
            Key::Properties => e.properties = map.next_value()?,
            Key::Events if top => out.events = Some(map.next_value()?),
            Key::Events | Key::Unknown => {
                map.next_value::<Skip>()?;
            }
        }
    }
    Ok(out)
}

impl<'de> Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                read_event_object(map, false).map(|o| Item::Event(o.event))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| Item::NotAnObject)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Item::NotAnObject)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Item::NotAnObject)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Item::NotAnObject)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Item::NotAnObject)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Item::NotAnObject)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Item::NotAnObject)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Item::NotAnObject)
            }
        }
        d.deserialize_any(V)
    }
}

/// The value of a body's `events`: the first 500 items and how many there are in all (a longer list is
/// refused with its length, so the rest is only counted).
enum Events<'a> {
    List(Vec<Item<'a>>, usize),
    NotAnArray,
}

impl<'de> Deserialize<'de> for Events<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Events<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while items.len() < MAX_EVENTS_PER_REQUEST {
                    match seq.next_element::<Item>()? {
                        Some(item) => items.push(item),
                        None => {
                            let n = items.len();
                            return Ok(Events::List(items, n));
                        }
                    }
                }
                let mut n = items.len();
                while seq.next_element::<Skip>()?.is_some() {
                    n += 1;
                }
                Ok(Events::List(items, n))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map).map(|()| Events::NotAnArray)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Events::NotAnArray)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Events::NotAnArray)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Events::NotAnArray)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Events::NotAnArray)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Events::NotAnArray)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Events::NotAnArray)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Events::NotAnArray)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Body<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let top = read_event_object(map, true)?;
                // A batch is an object with `events` and without `event`; any other object is one event.
                Ok(Body(match top.events {
                    Some(events) if !top.has_event_key => match events {
                        Events::List(_, 0) => Err(BatchError::Empty),
                        Events::List(_, n) if n > MAX_EVENTS_PER_REQUEST => {
                            Err(BatchError::TooManyEvents(n))
                        }
                        Events::List(items, _) => Ok(items),
                        Events::NotAnArray => Err(BatchError::NotAnEventOrBatch),
                    },
                    _ => Ok(vec![Item::Event(top.event)]),
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| Body(Err(BatchError::NotAnEventOrBatch)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Body(Err(BatchError::NotAnEventOrBatch)))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Body(Err(BatchError::NotAnEventOrBatch)))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Body(Err(BatchError::NotAnEventOrBatch)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Body(Err(BatchError::NotAnEventOrBatch)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Body(Err(BatchError::NotAnEventOrBatch)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Body(Err(BatchError::NotAnEventOrBatch)))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Body(Err(BatchError::NotAnEventOrBatch)))
            }
        }
        d.deserialize_any(V)
    }
}
