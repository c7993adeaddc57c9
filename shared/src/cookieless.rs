//! Cookieless visitors: when an event carries neither `anonymous_id` nor `user_id` and the site (or
//! the request) opts in, the visitor is a keyed hash of the client's address and user agent under a
//! random salt that rotates every UTC day — as Plausible does. The address is hashed, never stored;
//! once a salt is deleted (after 48 h) nobody, us included, can tell whose hash it was. The same person
//! is a new visitor each UTC day, so a range of n days counts a daily returning visitor n times.
//!
//! This module has no I/O: the salts come from a `SaltStore` (ports.rs).

use std::collections::HashSet;
use std::hash::Hasher;
use std::sync::Arc;

use siphasher::sip128::{Hasher128, SipHasher24};
use time::{Date, OffsetDateTime};

/// A salt's length in bytes (SipHash's key).
pub const SALT_BYTES: usize = 16;

/// How long a salt is kept: its own day and the next (for visits that cross midnight).
pub const SALT_LIFETIME_HOURS: i64 = 48;

/// How long after UTC midnight an event also carries its client's id under the previous day's salt,
/// so that a visit begun before midnight goes on under it. Only then: the pair links a client's ids
/// of two days, and it travels in the queue.
pub const CONTINUATION_HOURS: i64 = 2;

/// Cookieless visitor ids start with this, so they never collide with a tracker's ids.
pub const PREFIX: &str = "cl_";

#[derive(Clone, PartialEq, Eq)]
pub struct Salt(pub [u8; SALT_BYTES]);

impl std::fmt::Debug for Salt {
    // A salt is a secret: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(..)")
    }
}

impl Salt {
    /// A fresh random salt from the operating system's generator.
    pub fn random() -> Self {
        let mut bytes = [0u8; SALT_BYTES];
        getrandom::fill(&mut bytes).expect("the OS random generator works");
        Salt(bytes)
    }
}

/// The salts in use at one moment: the UTC day's, and the previous day's when it still exists.
#[derive(Debug, Clone)]
pub struct DailySalts {
    pub day: Date,
    pub today: Salt,
    pub yesterday: Option<Salt>,
}

/// The UTC day a salt belongs to.
pub fn salt_day(now: OffsetDateTime) -> Date {
    now.to_offset(time::UtcOffset::UTC).date()
}

/// The visitor id of a client on a site under one salt: `cl_` + 32 hex digits of SipHash-2-4-128
/// over site, address and user agent (each length-prefixed, so no two inputs run together).
pub fn visitor_id(salt: &Salt, site: &str, address: &str, user_agent: &str) -> String {
    let mut h = SipHasher24::new_with_key(&salt.0);
    for part in [site, address, user_agent] {
        h.write_u64(part.len() as u64);
        h.write(part.as_bytes());
    }
    let hash = h.finish128().as_u128();
    format!("{PREFIX}{hash:032x}")
}

/// Today's visitor id and, in the first hours of the day while the previous day's salt exists, the id
/// the same client had under it: a visit that began before midnight continues under that one (the
/// writer looks it up).
pub fn visitor_ids(
    salts: &DailySalts,
    now: OffsetDateTime,
    site: &str,
    address: &str,
    user_agent: &str,
) -> (String, Option<String>) {
    let today = visitor_id(&salts.today, site, address, user_agent);
    let since_midnight = now.to_offset(time::UtcOffset::UTC) - salts.day.midnight().assume_utc();
    let before = salts
        .yesterday
        .as_ref()
        .filter(|_| since_midnight < time::Duration::hours(CONTINUATION_HOURS))
        .map(|s| visitor_id(s, site, address, user_agent));
    (today, before)
}

/// The sites whose events get cookieless ids without asking (`COOKIELESS_SITES`: names separated by
/// commas, `*` for every site, empty for none). A request may opt in for itself (`?cookieless=1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sites {
    every: bool,
    names: HashSet<String>,
}

impl Sites {
    pub fn parse(list: &str) -> Self {
        let names: HashSet<String> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Self {
            every: names.contains("*"),
            names,
        }
    }

    pub fn contains(&self, site: &str) -> bool {
        self.every || self.names.contains(site)
    }

    pub fn is_empty(&self) -> bool {
        !self.every && self.names.is_empty()
    }
}

/// What the collector knows to give a request's events cookieless ids: the salts, the client's
/// address and User-Agent, and which events may have them.
#[derive(Clone)]
pub struct CookielessClient {
    pub salts: DailySalts,
    /// None when the deployment cannot tell it (then no cookieless id can be made).
    pub address: Option<String>,
    pub user_agent: String,
    /// The request asked for cookieless ids (for every site it sends events of).
    pub requested: bool,
    pub sites: Arc<Sites>,
}

impl std::fmt::Debug for CookielessClient {
    // The address is personal data: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookielessClient")
            .field("requested", &self.requested)
            .finish_non_exhaustive()
    }
}

impl CookielessClient {
    /// Whether events of `site` sent without `anonymous_id` and `user_id` get a cookieless id.
    pub fn applies(&self, site: &str) -> bool {
        self.requested || self.sites.contains(site)
    }

    /// Today's id of this client on `site`, and the previous day's (see [`visitor_ids`]); None
    /// without an address.
    pub fn ids(&self, site: &str, now: OffsetDateTime) -> Option<(String, Option<String>)> {
        let address = self.address.as_deref()?;
        Some(visitor_ids(
            &self.salts,
            now,
            site,
            address,
            &self.user_agent,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn salt(n: u8) -> Salt {
        Salt([n; SALT_BYTES])
    }

    #[test]
    fn the_same_client_is_the_same_visitor_under_one_salt_only() {
        let a = visitor_id(&salt(1), "shop", "203.0.113.7", "Mozilla/5.0 (X11)");
        assert_eq!(
            a,
            visitor_id(&salt(1), "shop", "203.0.113.7", "Mozilla/5.0 (X11)")
        );
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 32);
        // Another day's salt, site, address or browser: another visitor.
        assert_ne!(
            a,
            visitor_id(&salt(2), "shop", "203.0.113.7", "Mozilla/5.0 (X11)")
        );
        assert_ne!(
            a,
            visitor_id(&salt(1), "blog", "203.0.113.7", "Mozilla/5.0 (X11)")
        );
        assert_ne!(
            a,
            visitor_id(&salt(1), "shop", "203.0.113.8", "Mozilla/5.0 (X11)")
        );
        assert_ne!(
            a,
            visitor_id(&salt(1), "shop", "203.0.113.7", "Mozilla/5.0 (Mac)")
        );
    }

    #[test]
    fn parts_do_not_run_together() {
        // "ab" + "c" and "a" + "bc" are different inputs.
        assert_ne!(
            visitor_id(&salt(1), "ab", "c", "ua"),
            visitor_id(&salt(1), "a", "bc", "ua")
        );
    }

    #[test]
    fn the_previous_days_id_comes_with_its_salt() {
        let early = datetime!(2026-11-29 00:10 UTC);
        let salts = DailySalts {
            day: salt_day(early),
            today: salt(2),
            yesterday: Some(salt(1)),
        };
        let (today, before) = visitor_ids(&salts, early, "shop", "198.51.100.1", "ua");
        assert_eq!(today, visitor_id(&salt(2), "shop", "198.51.100.1", "ua"));
        assert_eq!(
            before.as_deref(),
            Some(visitor_id(&salt(1), "shop", "198.51.100.1", "ua").as_str())
        );
        // Past the first hours of the day, today's id goes alone.
        let later = datetime!(2026-11-29 02:00 UTC);
        assert_eq!(
            visitor_ids(&salts, later, "shop", "198.51.100.1", "ua").1,
            None
        );
        let none = DailySalts {
            yesterday: None,
            ..salts
        };
        assert_eq!(
            visitor_ids(&none, early, "shop", "198.51.100.1", "ua").1,
            None
        );
    }

    #[test]
    fn salts_are_random_and_never_printed() {
        assert_ne!(Salt::random(), Salt::random());
        assert_eq!(format!("{:?}", salt(7)), "Salt(..)");
    }

    #[test]
    fn sites_are_a_list_or_every_one() {
        let some = Sites::parse(" shop, blog ,,");
        assert!(some.contains("shop") && some.contains("blog") && !some.contains("docs"));
        assert!(!some.is_empty());
        let every = Sites::parse("*");
        assert!(every.contains("anything"));
        let none = Sites::parse("");
        assert!(none.is_empty() && !none.contains("shop"));
    }

    #[test]
    fn a_client_applies_where_asked_or_configured() {
        let client = CookielessClient {
            salts: DailySalts {
                day: salt_day(datetime!(2026-11-29 12:00 UTC)),
                today: salt(3),
                yesterday: None,
            },
            address: Some("203.0.113.9".into()),
            user_agent: "ua".into(),
            requested: false,
            sites: Arc::new(Sites::parse("shop")),
        };
        assert!(client.applies("shop") && !client.applies("blog"));
        let asked = CookielessClient {
            requested: true,
            ..client.clone()
        };
        assert!(asked.applies("blog"));
        let noon = datetime!(2026-11-29 12:00 UTC);
        assert_eq!(
            client.ids("shop", noon).unwrap().0,
            visitor_id(&salt(3), "shop", "203.0.113.9", "ua")
        );
        assert!(!format!("{client:?}").contains("203.0.113.9"));
        let nowhere = CookielessClient {
            address: None,
            ..client
        };
        assert_eq!(nowhere.ids("shop", noon), None);
    }

    #[test]
    fn the_salt_day_is_the_utc_day() {
        let late = datetime!(2026-11-29 23:30 -05:00);
        assert_eq!(salt_day(late).to_string(), "2026-11-30");
    }
}
