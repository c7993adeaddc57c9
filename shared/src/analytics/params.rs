//! The query parameters of the analytics routes, validated into questions. Pure: no I/O.
//! Unknown parameters are refused by name: a misspelt filter must never be silently ignored.

use time::{Duration, OffsetDateTime};

use super::filter::{Dimension, Filter, MAX_FILTERS};
use super::period::{year_before, Interval, Zone};
use super::{Compare, Question, Step};
use crate::error::ApiError;

/// Parameters every route with a time range takes (plus the short-form filters).
const COMMON: &[&str] = &["from", "to", "tz", "site", "filter", "compare"];
/// Dates outside these years are refused (and the arithmetic on them can never overflow).
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9000;
pub const MAX_RANGE: Duration = Duration::days(3 * 366);

/// The query string of one request, checked against what the route takes.
pub struct Params<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Params<'a> {
    /// `route` lists the route's own parameters; `common` says whether it takes the common ones.
    pub fn new(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        route: &[&str],
        common: bool,
    ) -> Result<Self, ApiError> {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        for (i, (name, _)) in pairs.iter().enumerate() {
            let known = route.contains(name)
                || (common && (COMMON.contains(name) || Dimension::parse(name, true).is_some()));
            if !known {
                return Err(ApiError::invalid_parameter(name, "unknown parameter"));
            }
            let repeatable =
                *name == "filter" || (common && Dimension::parse(name, true).is_some());
            if !repeatable && pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(ApiError::invalid_parameter(name, "given more than once"));
            }
        }
        Ok(Self { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// A whole number in `range`, or `default`.
    pub fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
        default: u64,
    ) -> Result<u64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_parameter(
                        name,
                        format!("a whole number from {} to {}", range.start(), range.end()),
                    )
                }),
        }
    }

    /// The common parameters: range, zone, site, filters and the compared period.
    pub fn question(&self, now: OffsetDateTime) -> Result<(Question, Compare), ApiError> {
        let zone = match self.get("tz") {
            Some(name) => Zone::parse(name)?,
            None => Zone::utc(),
        };
        let today = zone.date_of(now);
        let to = match self.get("to") {
            Some(raw) => instant(&zone, "to", raw, true)?,
            // The last 7 days: today and the 6 before, whole days.
            None => zone.start_of(
                today
                    .tomorrow()
                    .map_err(|e| ApiError::invalid_parameter("to", e))?,
            )?,
        };
        let from = match self.get("from") {
            Some(raw) => instant(&zone, "from", raw, false)?,
            None => zone.start_of(
                zone.date_of(to - Duration::nanoseconds(1))
                    .checked_sub(jiff::Span::new().days(6))
                    .map_err(|e| ApiError::invalid_parameter("to", e))?,
            )?,
        };
        if from >= to {
            return Err(ApiError::invalid_parameter("from", "must be before `to`"));
        }
        if to - from > MAX_RANGE {
            return Err(ApiError::invalid_parameter(
                "from",
                "the range may span at most 3 years",
            ));
        }
        let site = match self.get("site") {
            None | Some("") => None,
            Some(site) => Some(check_site(site)?),
        };
        let mut filters = Vec::new();
        for (name, value) in &self.pairs {
            if *name == "filter" {
                filters.push(Filter::parse_long(value)?);
            } else if let Some(d) = Dimension::parse(name, true) {
                filters.push(Filter::parse_short(d, value, name)?);
            }
        }
        if filters.len() > MAX_FILTERS {
            return Err(ApiError::invalid_parameter(
                "filter",
                format!("at most {MAX_FILTERS} filters"),
            ));
        }
        let compare = match self.get("compare").unwrap_or("previous") {
            "previous" => Compare::Previous,
            "year" => Compare::Year,
            "none" => Compare::None,
            _ => {
                return Err(ApiError::invalid_parameter(
                    "compare",
                    "one of previous, year, none",
                ))
            }
        };
        Ok((
            Question {
                from,
                to,
                zone,
                site,
                filters,
            },
            compare,
        ))
    }

    pub fn interval(&self, q: &Question) -> Result<Interval, ApiError> {
        match self.get("interval") {
            Some(raw) => Interval::parse(raw),
            None => Ok(Interval::for_range(q.from, q.to)),
        }
    }

    /// A required parameter.
    pub fn required(&self, name: &str) -> Result<&'a str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid_parameter(name, "is required"))
    }

    /// `steps=a,b,c`: 2 to 10 event names, or `path:/x` for a page view of that path.
    pub fn steps(&self) -> Result<Vec<Step>, ApiError> {
        let raw = self.required("steps")?;
        let steps: Vec<Step> = raw
            .split(',')
            .map(|s| match s.strip_prefix("path:") {
                Some(path) if !path.is_empty() && path.len() <= 2048 => Ok(Step::Path(path.into())),
                Some(_) => Err(ApiError::invalid_parameter(
                    "steps",
                    format!("{s:?}: path:<path> needs a path"),
                )),
                None => check_event(s)
                    .map(|_| Step::Event(s.into()))
                    .map_err(|why| ApiError::invalid_parameter("steps", format!("{s:?}: {why}"))),
            })
            .collect::<Result<_, _>>()?;
        if !(2..=10).contains(&steps.len()) {
            return Err(ApiError::invalid_parameter("steps", "2 to 10 steps"));
        }
        Ok(steps)
    }

    /// An event name (`start_event`, `return_event`), or `default`.
    pub fn event(&self, name: &str, default: &str) -> Result<String, ApiError> {
        let value = self.get(name).unwrap_or(default);
        check_event(value).map_err(|why| ApiError::invalid_parameter(name, why))?;
        Ok(value.to_owned())
    }
}

/// The compared period of a question.
pub fn compared(q: &Question, compare: Compare) -> Option<Question> {
    let (from, to) = match compare {
        Compare::None => return None,
        Compare::Previous => (previous_start(q), q.from),
        Compare::Year => (year_before(&q.zone, q.from), year_before(&q.zone, q.to)),
    };
    (from.year() >= *YEARS.start()).then(|| Question {
        from,
        to,
        ..q.clone()
    })
}

/// The start of the period just before: as many local days earlier when the range is whole local
/// days (a day across a DST change is 23 or 25 hours), else as much time earlier.
fn previous_start(q: &Question) -> OffsetDateTime {
    let (from_day, to_day) = (q.zone.date_of(q.from), q.zone.date_of(q.to));
    let whole_days = q.zone.start_of(from_day).ok() == Some(q.from)
        && q.zone.start_of(to_day).ok() == Some(q.to);
    let earlier = whole_days
        .then(|| {
            let days = from_day.until(to_day).ok()?.get_days();
            let start = from_day
                .checked_sub(jiff::Span::new().days(i64::from(days)))
                .ok()?;
            q.zone.start_of(start).ok()
        })
        .flatten();
    earlier.unwrap_or(q.from - (q.to - q.from))
}

fn check_event(name: &str) -> Result<(), &'static str> {
    let ok = (1..=128).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | ':' | '/' | '-'));
    if ok {
        Ok(())
    } else {
        Err("an event name: 1 to 128 letters, digits, space and _ . : / -")
    }
}

fn check_site(site: &str) -> Result<String, ApiError> {
    let ok = site.len() <= 64
        && site
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(site.to_owned())
    } else {
        Err(ApiError::invalid_parameter(
            "site",
            "1 to 64 characters of letters, digits and _ . -",
        ))
    }
}

/// RFC 3339, or `YYYY-MM-DD`: a day in the zone (`end_of_day`: the start of the next one).
fn instant(
    zone: &Zone,
    name: &str,
    raw: &str,
    end_of_day: bool,
) -> Result<OffsetDateTime, ApiError> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        // Checked before the offset is applied: a far year must not overflow on the way.
        in_years(name, t.year())?;
        let t = t.to_offset(time::UtcOffset::UTC);
        in_years(name, t.year())?;
        return Ok(t);
    }
    let date: jiff::civil::Date = raw
        .parse()
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| ApiError::invalid_parameter(name, "expected RFC 3339 or YYYY-MM-DD"))?;
    in_years(name, i32::from(date.year()))?;
    let date = if end_of_day {
        date.tomorrow()
            .map_err(|e| ApiError::invalid_parameter(name, e))?
    } else {
        date
    };
    zone.start_of(date)
}

fn in_years(name: &str, year: i32) -> Result<(), ApiError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(
            name,
            format!("years from {} to {} only", YEARS.start(), YEARS.end()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::filter::Op;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);

    fn question(pairs: &[(&str, &str)]) -> Result<(Question, Compare), ApiError> {
        Params::new(pairs.iter().copied(), &[], true)?.question(NOW)
    }

    #[test]
    fn defaults_to_the_last_seven_whole_days() {
        let (q, c) = question(&[]).unwrap();
        assert_eq!(
            (q.from, q.to, q.site, c),
            (
                datetime!(2026-11-23 0:00 UTC),
                datetime!(2026-11-30 0:00 UTC),
                None,
                Compare::Previous
            )
        );
        let (q, _) = question(&[("tz", "America/New_York")]).unwrap();
        assert_eq!(
            (q.from, q.to),
            (
                datetime!(2026-11-23 5:00 UTC),
                datetime!(2026-11-30 5:00 UTC)
            )
        );
    }

    #[test]
    fn dates_are_days_in_the_zone_and_periods_compare() {
        let (q, _) = question(&[
            ("from", "2026-03-29"),
            ("to", "2026-03-29"),
            ("tz", "Europe/Berlin"),
        ])
        .unwrap();
        assert_eq!(
            (q.from, q.to),
            (
                datetime!(2026-03-28 23:00 UTC),
                datetime!(2026-03-29 22:00 UTC)
            )
        );
        let p = compared(&q, Compare::Previous).unwrap();
        // The day before, in Berlin: 24 hours, where the 29th had 23.
        assert_eq!((p.from, p.to), (datetime!(2026-03-27 23:00 UTC), q.from));
        let (q2, _) = question(&[
            ("from", "2026-03-28T06:00:00Z"),
            ("to", "2026-03-28T08:00:00Z"),
        ])
        .unwrap();
        let p2 = compared(&q2, Compare::Previous).unwrap();
        assert_eq!((p2.from, p2.to), (datetime!(2026-03-28 4:00 UTC), q2.from));
        let y = compared(&q, Compare::Year).unwrap();
        assert_eq!(
            (y.from, y.to),
            (
                datetime!(2025-03-28 23:00 UTC),
                datetime!(2025-03-29 23:00 UTC)
            )
        );
        assert!(compared(&q, Compare::None).is_none());
    }

    #[test]
    fn filters_long_and_short() {
        let (q, _) = question(&[
            ("filter", "path:contains:/blog"),
            ("browser", "Firefox|Safari"),
            ("prop.plan", "pro"),
        ])
        .unwrap();
        assert_eq!(q.filters.len(), 3);
        assert_eq!(q.filters[1].op, Op::Is);
        assert_eq!(q.filters[1].values, vec!["Firefox", "Safari"]);
        assert_eq!(q.filters[2].dimension, Dimension::Prop("plan".into()));
    }

    #[test]
    fn bad_and_unknown_parameters_are_named() {
        for (pairs, name) in [
            (vec![("from", "yesterday")], "`from`"),
            (vec![("to", "2026-13-01")], "`to`"),
            (vec![("from", "2026-11-02"), ("to", "2026-11-01")], "`from`"),
            (vec![("site", "a'b")], "`site`"),
            (vec![("tz", "Mars/Olympus")], "`tz`"),
            (vec![("to", "9999-12-31")], "`to`"),
            (vec![("to", "9999-12-31T23:59:59+14:00")], "`to`"),
            (vec![("from", "0001-01-01")], "`from`"),
            (vec![("from", "1969-12-31")], "`from`"),
            (vec![("compare", "last")], "`compare`"),
            (vec![("pth", "/x")], "`pth`"),
            (vec![("site", "a"), ("site", "b")], "`site`"),
            (vec![("filter", "pth:is:/x")], "`filter`"),
        ] {
            let err = question(&pairs).unwrap_err();
            assert_eq!(err.status, 400);
            assert!(err.message.contains(name), "{pairs:?}: {}", err.message);
        }
    }

    #[test]
    fn route_parameters() {
        let p = Params::new(
            [("steps", "pageview,path:/signup,signup_complete")],
            &["steps", "window"],
            true,
        )
        .unwrap();
        assert_eq!(
            p.steps().unwrap(),
            vec![
                Step::Event("pageview".into()),
                Step::Path("/signup".into()),
                Step::Event("signup_complete".into())
            ]
        );
        for bad in ["a", "a,b'c", "a,path:", &["a"; 11].join(",")] {
            let p = Params::new([("steps", bad)], &["steps"], true).unwrap();
            assert!(p.steps().unwrap_err().message.contains("`steps`"), "{bad}");
        }
        let p = Params::new([("limit", "0")], &["limit"], true).unwrap();
        assert!(p
            .number("limit", 1..=1000, 10)
            .unwrap_err()
            .message
            .contains("`limit`"));
        assert!(Params::new([("limit", "5")], &[], false).is_err());
    }
}
