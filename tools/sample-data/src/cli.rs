//! The command line: `--flag value` or `--flag=value`; defaults from the environment where it says so.

use shared::config::ClickHouseConfig;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::Options;

pub const USAGE: &str = "\
Usage: sample-data [OPTIONS]

Generates realistic tracker events (two sites, visits, funnels, campaigns, returning visitors),
runs each through the collector's validation and enrichment, and loads them into ClickHouse.

Options:
  --events N        distinct events to generate (default 100000; ~0.1% more are sent as duplicates)
  --days D          days the events span, ending at --end (default 180)
  --seed S          random seed: the same seed, --events, --days and --end give the same events (default 1)
  --end RFC3339     the end of the range (default now)
  --url URL         ClickHouse HTTP URL (default $CLICKHOUSE_URL, else http://127.0.0.1:8123)
  --database DB     database, created and migrated if needed (default $CLICKHOUSE_DATABASE, else analytics)
  --user USER       (default $CLICKHOUSE_USER, else default)
  --password PASS   (default $CLICKHOUSE_PASSWORD, else empty)
  --batch-size N    events per insert (default 50000)
  -h, --help        this help
";

#[derive(Debug, Clone)]
pub struct Cli {
    pub options: Options,
    pub clickhouse: ClickHouseConfig,
}

#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run,
    Help,
}

/// Parses the arguments (without the program name); `env` reads the environment.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
    now: OffsetDateTime,
) -> Result<(Parsed, Cli), String> {
    let env_or = |name: &str, default: &str| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let mut options = Options::new(100_000, 180, 1, now.replace_nanosecond(0).unwrap_or(now));
    let mut clickhouse = ClickHouseConfig {
        url: env_or("CLICKHOUSE_URL", "http://127.0.0.1:8123"),
        user: env_or("CLICKHOUSE_USER", "default"),
        password: env("CLICKHOUSE_PASSWORD").unwrap_or_default(),
        database: env_or("CLICKHOUSE_DATABASE", "analytics"),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok((
                Parsed::Help,
                Cli {
                    options,
                    clickhouse,
                },
            ));
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if arg.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let known = [
            "--events",
            "--days",
            "--seed",
            "--end",
            "--url",
            "--database",
            "--user",
            "--password",
            "--batch-size",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown argument {arg:?} (see --help)"));
        }
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))?,
        };
        let number = |what: &str| -> Result<u64, String> {
            value
                .trim()
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{flag}: expected {what}, got {value:?}"))
        };
        match flag.as_str() {
            "--events" => options.events = number("a number of events")?,
            "--days" => {
                options.days = u32::try_from(number("a number of days")?)
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .ok_or_else(|| format!("--days: expected 1 to 3650, got {value:?}"))?
            }
            "--seed" => options.seed = number("a number")?,
            "--end" => {
                options.end = OffsetDateTime::parse(value.trim(), &Rfc3339)
                    .map_err(|_| format!("--end: expected an RFC 3339 time, got {value:?}"))?
            }
            "--url" => clickhouse.url = value,
            "--database" => clickhouse.database = value,
            "--user" => clickhouse.user = value,
            "--password" => clickhouse.password = value,
            "--batch-size" => {
                options.batch_size = usize::try_from(number("a number of events")?)
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("--batch-size: expected at least 1, got {value:?}"))?
            }
            _ => unreachable!("checked above"),
        }
    }
    if options.events == 0 {
        return Err("--events must be at least 1".into());
    }
    Ok((
        Parsed::Run,
        Cli {
            options,
            clickhouse,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const NOW: OffsetDateTime = datetime!(2026-05-01 10:00:00.5 UTC);

    #[test]
    fn defaults_come_from_the_environment() {
        let (parsed, cli) = parse(args(&[]), |_| None, NOW).unwrap();
        assert_eq!(parsed, Parsed::Run);
        assert_eq!(cli.options.events, 100_000);
        assert_eq!(cli.options.days, 180);
        assert_eq!(cli.options.seed, 1);
        assert_eq!(cli.options.end, datetime!(2026-05-01 10:00:00 UTC));
        assert_eq!(cli.clickhouse.url, "http://127.0.0.1:8123");
        assert_eq!(cli.clickhouse.database, "analytics");
        assert_eq!(cli.clickhouse.user, "default");
        assert_eq!(cli.clickhouse.password, "");

        let env = |name: &str| Some(format!("env-{name}"));
        let (_, cli) = parse(args(&[]), env, NOW).unwrap();
        assert_eq!(cli.clickhouse.url, "env-CLICKHOUSE_URL");
        assert_eq!(cli.clickhouse.database, "env-CLICKHOUSE_DATABASE");
        assert_eq!(cli.clickhouse.user, "env-CLICKHOUSE_USER");
        assert_eq!(cli.clickhouse.password, "env-CLICKHOUSE_PASSWORD");
    }

    #[test]
    fn flags_take_a_value_either_way() {
        let (_, cli) = parse(
            args(&[
                "--events",
                "10_000_000",
                "--days=30",
                "--seed",
                "7",
                "--end",
                "2026-01-01T00:00:00Z",
                "--url",
                "http://h:1",
                "--database",
                "gen_x",
                "--user",
                "u",
                "--password=p",
                "--batch-size",
                "10",
            ]),
            |_| None,
            NOW,
        )
        .unwrap();
        assert_eq!(cli.options.events, 10_000_000);
        assert_eq!(cli.options.days, 30);
        assert_eq!(cli.options.seed, 7);
        assert_eq!(cli.options.end, datetime!(2026-01-01 00:00 UTC));
        assert_eq!(cli.options.batch_size, 10);
        assert_eq!(cli.clickhouse.url, "http://h:1");
        assert_eq!(cli.clickhouse.database, "gen_x");
        assert_eq!(cli.clickhouse.user, "u");
        assert_eq!(cli.clickhouse.password, "p");
    }

    #[test]
    fn mistakes_are_named() {
        for (list, want) in [
            (&["--evnets", "5"][..], "unknown argument \"--evnets\""),
            (&["extra"][..], "unknown argument \"extra\""),
            (&["--events"][..], "--events needs a value"),
            (&["--events", "many"][..], "--events: expected"),
            (&["--events", "0"][..], "at least 1"),
            (&["--days", "0"][..], "--days"),
            (&["--end", "yesterday"][..], "--end"),
        ] {
            let err = parse(args(list), |_| None, NOW).unwrap_err();
            assert!(err.contains(want), "{list:?}: {err}");
        }
        assert_eq!(
            parse(args(&["--help"]), |_| None, NOW).unwrap().0,
            Parsed::Help
        );
    }
}
