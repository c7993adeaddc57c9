//! Time: the range of a question, its time zone, the compared period and the buckets of a time
//! series, all in the asked-for IANA zone (days are 23 or 25 hours long across DST changes).

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use time::OffsetDateTime;

use crate::error::ApiError;

/// An IANA time zone, by the name the client gave.
#[derive(Clone, Debug)]
pub struct Zone {
    pub name: String,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Zone {
    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    pub fn parse(name: &str) -> Result<Self, ApiError> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        let bad =
            || ApiError::invalid_parameter("tz", format!("{name:?} is not an IANA time zone"));
        let tz = ok
            .then(|| TimeZone::get(name).ok())
            .flatten()
            .ok_or_else(bad)?;
        // The database's own spelling (the look-up ignores case) is what ClickHouse is given;
        // jiff answers every unknown `Etc/...` name with `Etc/Unknown`.
        let canonical = tz
            .iana_name()
            .filter(|n| *n != "Etc/Unknown")
            .ok_or_else(bad)?
            .to_owned();
        Ok(Self {
            name: canonical,
            tz,
        })
    }

    fn zoned(&self, t: OffsetDateTime) -> Zoned {
        to_jiff(t).to_zoned(self.tz.clone())
    }

    /// The instant a local date starts in this zone.
    pub fn start_of(&self, date: jiff::civil::Date) -> Result<OffsetDateTime, ApiError> {
        date.to_zoned(self.tz.clone())
            .and_then(|z| z.start_of_day())
            .map(|z| from_jiff(z.timestamp()))
            .map_err(|e| ApiError::invalid_parameter("tz", e))
    }

    /// The local date of an instant.
    pub fn date_of(&self, t: OffsetDateTime) -> jiff::civil::Date {
        self.zoned(t).date()
    }

    /// RFC 3339 with this zone's offset at `t`.
    pub fn format(&self, t: OffsetDateTime) -> String {
        let z = self.zoned(t);
        let off = z.offset().seconds();
        let sign = if off < 0 { '-' } else { '+' };
        let off = off.abs();
        format!(
            "{}{}{:02}:{:02}",
            z.datetime().strftime("%Y-%m-%dT%H:%M:%S"),
            sign,
            off / 3600,
            off % 3600 / 60
        )
    }
}

pub fn to_jiff(t: OffsetDateTime) -> Timestamp {
    Timestamp::from_nanosecond(t.unix_timestamp_nanos()).expect("years 1970..=9000 fit")
}

pub fn from_jiff(t: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond()).expect("in range")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

/// A time series has at most this many buckets.
pub const MAX_BUCKETS: usize = 1500;

impl Interval {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        Ok(match raw {
            "minute" => Interval::Minute,
            "hour" => Interval::Hour,
            "day" => Interval::Day,
            "week" => Interval::Week,
            "month" => Interval::Month,
            _ => {
                return Err(ApiError::invalid_parameter(
                    "interval",
                    "one of minute, hour, day, week, month",
                ))
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Interval::Minute => "minute",
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    /// The interval a range is shown in when none is asked for.
    pub fn for_range(from: OffsetDateTime, to: OffsetDateTime) -> Self {
        let hours = (to - from).whole_hours();
        match hours {
            h if h <= 3 => Interval::Minute,
            h if h <= 48 => Interval::Hour,
            h if h <= 95 * 24 => Interval::Day,
            h if h <= 366 * 24 => Interval::Week,
            _ => Interval::Month,
        }
    }

    /// The start of the bucket holding `t` (weeks start on Monday).
    pub fn floor(self, zone: &Zone, t: OffsetDateTime) -> OffsetDateTime {
        let z = zone.zoned(t);
        let floored = match self {
            Interval::Minute => z.with().second(0).subsec_nanosecond(0).build(),
            Interval::Hour => z.with().minute(0).second(0).subsec_nanosecond(0).build(),
            Interval::Day => z.start_of_day(),
            Interval::Week => {
                let back = i64::from(z.date().weekday().to_monday_zero_offset());
                z.date()
                    .checked_sub(back.days())
                    .and_then(|d| d.to_zoned(zone.tz.clone()))
                    .and_then(|z| z.start_of_day())
            }
            Interval::Month => z.first_of_month().and_then(|z| z.start_of_day()),
        };
        from_jiff(floored.expect("in range").timestamp())
    }

    fn next(self, zone: &Zone, start: OffsetDateTime) -> OffsetDateTime {
        let z = zone.zoned(start);
        let later = match self {
            Interval::Minute => z.checked_add(1.minute()),
            Interval::Hour => z.checked_add(1.hour()),
            // Calendar arithmetic: a day is 23 or 25 hours across a DST change.
            Interval::Day => z
                .date()
                .tomorrow()
                .and_then(|d| d.to_zoned(zone.tz.clone())),
            Interval::Week => z
                .date()
                .checked_add(7.days())
                .and_then(|d| d.to_zoned(zone.tz.clone())),
            Interval::Month => z
                .date()
                .checked_add(1.month())
                .and_then(|d| d.to_zoned(zone.tz.clone())),
        };
        let later = later.expect("in range");
        let later = match self {
            Interval::Minute | Interval::Hour => later,
            _ => later.start_of_day().expect("in range"),
        };
        from_jiff(later.timestamp())
    }

    /// The start of every bucket that overlaps [from, to), the first one floored.
    pub fn buckets(
        self,
        zone: &Zone,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OffsetDateTime>, ApiError> {
        let mut out = Vec::new();
        let mut t = self.floor(zone, from);
        while t < to {
            if out.len() == MAX_BUCKETS {
                return Err(ApiError::invalid_parameter(
                    "interval",
                    format!(
                        "the range has more than {MAX_BUCKETS} {}s: choose a longer interval",
                        self.name()
                    ),
                ));
            }
            out.push(t);
            t = self.next(zone, t);
        }
        Ok(out)
    }
}

/// One year earlier on the local calendar (29 February becomes 28 February).
pub fn year_before(zone: &Zone, t: OffsetDateTime) -> OffsetDateTime {
    let z = zone.zoned(t);
    from_jiff(
        z.checked_sub(1.year())
            .expect("years from 1970 on have a year before")
            .timestamp(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn days_across_a_dst_change_are_23_and_25_hours() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let spring = Interval::Day
            .buckets(
                &berlin,
                datetime!(2026-03-28 12:00 UTC),
                datetime!(2026-03-30 12:00 UTC),
            )
            .unwrap();
        assert_eq!(
            spring,
            vec![
                datetime!(2026-03-27 23:00 UTC),
                datetime!(2026-03-28 23:00 UTC),
                datetime!(2026-03-29 22:00 UTC),
            ]
        );
        let autumn = Interval::Day
            .buckets(
                &berlin,
                datetime!(2026-10-25 00:00 UTC),
                datetime!(2026-10-26 00:00 UTC),
            )
            .unwrap();
        assert_eq!(
            autumn,
            vec![
                datetime!(2026-10-24 22:00 UTC),
                datetime!(2026-10-25 23:00 UTC)
            ]
        );
        assert_eq!(berlin.format(autumn[1]), "2026-10-26T00:00:00+01:00");
    }

    #[test]
    fn hours_weeks_and_months_in_a_zone() {
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        let hours = Interval::Hour
            .buckets(
                &kolkata,
                datetime!(2026-01-01 00:00 UTC),
                datetime!(2026-01-01 02:00 UTC),
            )
            .unwrap();
        assert_eq!(hours[0], datetime!(2025-12-31 23:30 UTC));
        assert_eq!(hours.len(), 3);
        let utc = Zone::utc();
        // 2026-11-25 is a Wednesday: its week starts on Monday the 23rd.
        let weeks = Interval::Week
            .buckets(
                &utc,
                datetime!(2026-11-25 10:00 UTC),
                datetime!(2026-12-01 00:00 UTC),
            )
            .unwrap();
        assert_eq!(
            weeks,
            vec![
                datetime!(2026-11-23 0:00 UTC),
                datetime!(2026-11-30 0:00 UTC)
            ]
        );
        let months = Interval::Month
            .buckets(
                &utc,
                datetime!(2026-01-31 10:00 UTC),
                datetime!(2026-03-01 00:00 UTC),
            )
            .unwrap();
        assert_eq!(
            months,
            vec![
                datetime!(2026-01-01 0:00 UTC),
                datetime!(2026-02-01 0:00 UTC)
            ]
        );
    }

    #[test]
    fn too_many_buckets_and_bad_zones_are_400s() {
        let err = Interval::Minute
            .buckets(
                &Zone::utc(),
                datetime!(2026-01-01 0:00 UTC),
                datetime!(2026-02-01 0:00 UTC),
            )
            .unwrap_err();
        assert!(err.message.contains("`interval`"));
        for bad in ["Mars/Olympus", "", "../etc/passwd", "Europe/Berlin'"] {
            assert!(
                Zone::parse(bad).unwrap_err().message.contains("`tz`"),
                "{bad}"
            );
        }
        assert_eq!(
            Zone::parse("America/New_York").unwrap().name,
            "America/New_York"
        );
    }

    #[test]
    fn a_year_before_on_the_calendar() {
        let utc = Zone::utc();
        assert_eq!(
            year_before(&utc, datetime!(2028-02-29 10:00 UTC)),
            datetime!(2027-02-28 10:00 UTC)
        );
    }
}
