//! Ids for events sent without one, derived from what the client sent, so that a retried request
//! (the same body again) gives the same ids and its events count once.
//!
//! The id is the xxh3-128 hash of a canonical serialisation of the client's fields (site, event, both
//! visitor ids, session, timestamp, url, referrer, title, properties), as a version-8 ("custom") UUID.
//! Nothing the server adds goes in (received_at, the User-Agent's parts, the country), with one
//! exception: an event without a timestamp hashes the request's `received_at` and its place in the
//! request instead. Nothing in such an event tells a retry from a new event, and merging every identical
//! timestamp-less event ever sent (the same purchase of the same user, twice) would lose real events;
//! so identical events without id nor timestamp each count, and a retry of them counts again.
//! The hash is not a secret and need not be: a client who wants two events merged can send one id.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use twox_hash::XxHash3_128;
use uuid::{Builder, Uuid};

/// Changes if the canonical form ever does, so that old and new ids never collide by accident.
const DOMAIN: &[u8] = b"pulse.event-id.v1\0";

/// The client's fields as validated (before the server's enrichment).
pub(super) struct Content<'a> {
    pub site: &'a str,
    pub event: &'a str,
    pub anonymous_id: &'a str,
    pub user_id: &'a str,
    pub session_id: &'a str,
    /// The time the client sent, or None.
    pub timestamp: Option<OffsetDateTime>,
    pub url: &'a str,
    pub referrer: &'a str,
    pub title: &'a str,
    pub properties: &'a BTreeMap<String, String>,
}

/// The id of an event sent without `event_id`; `received_at` counts only when it has no timestamp.
pub(super) fn derive(c: &Content, received_at: OffsetDateTime, index: usize) -> Uuid {
    let strings = [
        c.site,
        c.event,
        c.anonymous_id,
        c.user_id,
        c.session_id,
        c.url,
        c.referrer,
        c.title,
    ];
    let props: usize = c
        .properties
        .iter()
        .map(|(k, v)| k.len() + v.len() + 8)
        .sum();
    let mut buf = Vec::with_capacity(
        DOMAIN.len() + 17 + strings.iter().map(|s| s.len() + 4).sum::<usize>() + 4 + props,
    );
    buf.extend_from_slice(DOMAIN);
    // Every piece is length-prefixed, so no two different contents serialise the same.
    let put = |buf: &mut Vec<u8>, s: &str| {
        buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
        buf.extend_from_slice(s.as_bytes());
    };
    for s in strings {
        put(&mut buf, s);
    }
    match c.timestamp {
        Some(t) => {
            buf.push(1);
            buf.extend_from_slice(&t.unix_timestamp_nanos().to_le_bytes());
        }
        None => {
            // With no time of its own, its place in the request tells two identical events apart; a
            // retry of the same body keeps both.
            buf.push(0);
            buf.extend_from_slice(&received_at.unix_timestamp_nanos().to_le_bytes());
            buf.extend_from_slice(&(index as u64).to_le_bytes());
        }
    }
    buf.extend_from_slice(&(c.properties.len() as u32).to_le_bytes());
    for (k, v) in c.properties {
        put(&mut buf, k);
        put(&mut buf, v);
    }
    let hash = XxHash3_128::oneshot(&buf);
    Builder::from_custom_bytes(hash.to_le_bytes()).into_uuid()
}
