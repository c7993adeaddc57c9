//! The common query parameters of the analytics routes, validated into a `Scope`. Pure: no I/O.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::error::ApiError;
use crate::ports::Scope;

pub const DEFAULT_RANGE: Duration = Duration::days(7);
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
        return Ok(t.to_offset(time::UtcOffset::UTC));
    }
    let date = Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::invalid_parameter(name, "expected RFC 3339 or YYYY-MM-DD"))?;
    let day = date.with_time(Time::MIDNIGHT).assume_utc();
    Ok(if end_of_day {
        day + Duration::days(1)
    } else {
        day
    })
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
    fn bad_parameters_are_named() {
        for (pairs, name) in [
            (vec![("from", "yesterday")], "`from`"),
            (vec![("to", "2026-13-01")], "`to`"),
            (vec![("from", "2026-11-02"), ("to", "2026-11-01")], "`from`"),
            (vec![("from", "2000-01-01")], "`from`"),
            (vec![("site", "a'b")], "`site`"),
            (vec![("tz", "Mars/Olympus")], "`tz`"),
        ] {
            let err = parse(&pairs).unwrap_err();
            assert_eq!(err.status, 400);
            assert!(err.message.contains(name), "{}", err.message);
        }
    }
}
