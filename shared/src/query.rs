//! The common query parameters of the analytics routes, validated into a `Scope`. Pure: no I/O.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::error::ApiError;
use crate::ports::Scope;

pub const DEFAULT_RANGE: Duration = Duration::days(7);
/// Dates outside these years are refused (and the arithmetic on them can never overflow).
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9000;
/// API.md's filters. Until they are implemented they are refused: ignoring one would answer with
/// unfiltered numbers that look filtered.
const FILTERS: &[&str] = &[
    "event", "path", "referrer", "browser", "os", "device", "country",
];

/// 400 for a filter parameter that is not supported yet.
pub fn refuse_unsupported_filters<'a>(
    mut names: impl Iterator<Item = &'a str>,
) -> Result<(), ApiError> {
    match names.find(|n| FILTERS.contains(n) || n.starts_with("prop.")) {
        Some(name) => Err(ApiError::invalid_parameter(
            name,
            "this filter is not supported yet",
        )),
        None => Ok(()),
    }
}
pub const MAX_RANGE: Duration = Duration::days(3 * 366);

/// Reads `from`, `to`, `tz` and `site`. A date (`YYYY-MM-DD`) in `to` means the end of that day.
pub fn scope(
    param: impl Fn(&str) -> Option<String>,
    now: OffsetDateTime,
) -> Result<Scope, ApiError> {
    if let Some(tz) = param("tz").filter(|tz| tz != "UTC" && tz != "Etc/UTC") {
        return Err(ApiError::invalid_parameter(
            "tz",
            format!("{tz:?} is not supported yet; use UTC"),
        ));
    }
    let to = match param("to") {
        Some(raw) => parse_instant("to", &raw, true)?,
        None => now,
    };
    let from = match param("from") {
        Some(raw) => parse_instant("from", &raw, false)?,
        None => to - DEFAULT_RANGE,
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
    let site = param("site").filter(|s| !s.is_empty());
    if let Some(site) = &site {
        let ok = site.len() <= 64
            && site
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(ApiError::invalid_parameter(
                "site",
                "1 to 64 characters of letters, digits and _ . -",
            ));
        }
    }
    Ok(Scope { from, to, site })
}

/// The period of the same length just before.
pub fn previous(scope: &Scope) -> Scope {
    let len = scope.to - scope.from;
    Scope {
        from: scope.from - len,
        to: scope.from,
        site: scope.site.clone(),
    }
}

fn parse_instant(name: &str, raw: &str, end_of_day: bool) -> Result<OffsetDateTime, ApiError> {
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        // Checked before the offset is applied: a far year must not overflow on the way.
        return in_years(name, t).map(|t| t.to_offset(time::UtcOffset::UTC));
    }
    let date = Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::invalid_parameter(name, "expected RFC 3339 or YYYY-MM-DD"))?;
    let day = in_years(name, date.with_time(Time::MIDNIGHT).assume_utc())?;
    Ok(if end_of_day {
        day + Duration::days(1)
    } else {
        day
    })
}

fn in_years(name: &str, t: OffsetDateTime) -> Result<OffsetDateTime, ApiError> {
    if YEARS.contains(&t.year()) {
        Ok(t)
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
    use time::macros::datetime;

    fn parse(pairs: &[(&str, &str)]) -> Result<Scope, ApiError> {
        let now = datetime!(2026-11-29 12:00 UTC);
        scope(
            |k| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            },
            now,
        )
    }

    #[test]
    fn defaults_to_the_last_seven_days() {
        let s = parse(&[]).unwrap();
        assert_eq!(
            (s.from, s.to, s.site),
            (
                datetime!(2026-11-22 12:00 UTC),
                datetime!(2026-11-29 12:00 UTC),
                None
            )
        );
    }

    #[test]
    fn dates_cover_whole_days_and_previous_is_adjacent() {
        let s = parse(&[
            ("from", "2026-11-01"),
            ("to", "2026-11-01"),
            ("site", "shop"),
        ])
        .unwrap();
        assert_eq!(
            (s.from, s.to),
            (
                datetime!(2026-11-01 0:00 UTC),
                datetime!(2026-11-02 0:00 UTC)
            )
        );
        let p = previous(&s);
        assert_eq!(
            (p.from, p.to, p.site.as_deref()),
            (datetime!(2026-10-31 0:00 UTC), s.from, Some("shop"))
        );
    }

    #[test]
    fn unsupported_filters_are_refused_by_name() {
        assert!(refuse_unsupported_filters(["from", "site", "tz"].into_iter()).is_ok());
        for name in ["event", "country", "prop.plan"] {
            let err = refuse_unsupported_filters(["from", name].into_iter()).unwrap_err();
            assert_eq!(err.status, 400);
            assert!(
                err.message.contains(&format!("`{name}`")),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        for (pairs, name) in [
            (vec![("from", "yesterday")], "`from`"),
            (vec![("to", "2026-13-01")], "`to`"),
            (vec![("from", "2026-11-02"), ("to", "2026-11-01")], "`from`"),
            (vec![("from", "2000-01-01")], "`from`"),
            (vec![("site", "a'b")], "`site`"),
            (vec![("tz", "Mars/Olympus")], "`tz`"),
            (vec![("to", "9999-12-31")], "`to`"),
            (vec![("to", "9999-12-31T23:59:59+14:00")], "`to`"),
            (vec![("from", "0001-01-01")], "`from`"),
        ] {
            let err = parse(&pairs).unwrap_err();
            assert_eq!(err.status, 400);
            assert!(err.message.contains(name), "{}", err.message);
        }
    }
}
