//! Dimensions and filters of API.md: `filter=<dimension>:<op>:<value>` and the short form
//! `<dimension>=<value>`, with `|` between alternatives (`\|` is a literal bar).

use crate::error::ApiError;

/// What events and visits can be broken down and filtered by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dimension {
    Event,
    Path,
    Title,
    EntryPage,
    ExitPage,
    Referrer,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    Browser,
    BrowserVersion,
    Os,
    Device,
    Country,
    Prop(String),
}

/// The dimensions with a fixed name, as API.md spells them.
const NAMED: &[(&str, Dimension)] = &[
    ("event", Dimension::Event),
    ("path", Dimension::Path),
    ("title", Dimension::Title),
    ("entry_page", Dimension::EntryPage),
    ("exit_page", Dimension::ExitPage),
    ("referrer", Dimension::Referrer),
    ("utm_source", Dimension::UtmSource),
    ("utm_medium", Dimension::UtmMedium),
    ("utm_campaign", Dimension::UtmCampaign),
    ("utm_term", Dimension::UtmTerm),
    ("utm_content", Dimension::UtmContent),
    ("browser", Dimension::Browser),
    ("browser_version", Dimension::BrowserVersion),
    ("os", Dimension::Os),
    ("device", Dimension::Device),
    ("country", Dimension::Country),
];

pub const MAX_PROP_KEY_CHARS: usize = 128;

impl Dimension {
    /// `path`, `prop:plan`, ... (`prop.plan` too when `dotted_prop`, the short filter form).
    pub fn parse(name: &str, dotted_prop: bool) -> Option<Self> {
        if let Some((_, d)) = NAMED.iter().find(|(n, _)| *n == name) {
            return Some(d.clone());
        }
        let key = name
            .strip_prefix("prop:")
            .or_else(|| name.strip_prefix("prop.").filter(|_| dotted_prop))?;
        (!key.is_empty() && key.chars().count() <= MAX_PROP_KEY_CHARS)
            .then(|| Dimension::Prop(key.to_owned()))
    }

    pub fn name(&self) -> String {
        match self {
            Dimension::Prop(key) => format!("prop:{key}"),
            d => NAMED
                .iter()
                .find(|(_, n)| n == d)
                .map(|(name, _)| (*name).to_owned())
                .unwrap_or_default(),
        }
    }

    /// A property of the whole visit (its first event's value, or its first / last page view),
    /// rather than of each event.
    pub fn is_visit_level(&self) -> bool {
        !matches!(
            self,
            Dimension::Event | Dimension::Path | Dimension::Title | Dimension::Prop(_)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Is,
    IsNot,
    Contains,
    NotContains,
    Matches,
    NotMatches,
}

impl Op {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "is" => Op::Is,
            "is_not" => Op::IsNot,
            "contains" => Op::Contains,
            "not_contains" => Op::NotContains,
            "matches" => Op::Matches,
            "not_matches" => Op::NotMatches,
            _ => return None,
        })
    }

    pub fn negated(self) -> bool {
        matches!(self, Op::IsNot | Op::NotContains | Op::NotMatches)
    }
}

/// One filter: the dimension's value must (or, negated, must not) match one of `values`.
/// For `matches` the alternatives are joined into one RE2 expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub dimension: Dimension,
    pub op: Op,
    pub values: Vec<String>,
}

pub const MAX_FILTERS: usize = 20;
pub const MAX_VALUE_CHARS: usize = 1024;
const MAX_ALTERNATIVES: usize = 100;

impl Filter {
    /// `filter=<dimension>:<op>:<value>`; a property dimension is `prop:<key>` (a key without `:`).
    pub fn parse_long(raw: &str) -> Result<Self, ApiError> {
        let bad = |why: &str| ApiError::invalid_parameter("filter", format!("{raw:?}: {why}"));
        let (dimension, rest) = if let Some(after) = raw.strip_prefix("prop:") {
            let (key, rest) = after
                .split_once(':')
                .ok_or_else(|| bad("expected prop:<key>:<op>:<value>"))?;
            (format!("prop:{key}"), rest)
        } else {
            let (d, rest) = raw
                .split_once(':')
                .ok_or_else(|| bad("expected <dimension>:<op>:<value>"))?;
            (d.to_owned(), rest)
        };
        let dimension = Dimension::parse(&dimension, false)
            .ok_or_else(|| bad(&format!("unknown dimension {dimension:?}")))?;
        let (op, value) = rest
            .split_once(':')
            .ok_or_else(|| bad("expected <dimension>:<op>:<value>"))?;
        let op = Op::parse(op).ok_or_else(|| {
            bad(&format!(
                "unknown operator {op:?}; use is, is_not, contains, not_contains, matches or not_matches"
            ))
        })?;
        Self::new(dimension, op, value, "filter")
    }

    /// `<dimension>=<value>`: `is`.
    pub fn parse_short(dimension: Dimension, value: &str, param: &str) -> Result<Self, ApiError> {
        Self::new(dimension, Op::Is, value, param)
    }

    fn new(dimension: Dimension, op: Op, value: &str, param: &str) -> Result<Self, ApiError> {
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(ApiError::invalid_parameter(
                param,
                format!("values are at most {MAX_VALUE_CHARS} characters"),
            ));
        }
        let values = alternatives(value);
        if values.len() > MAX_ALTERNATIVES {
            return Err(ApiError::invalid_parameter(
                param,
                format!("at most {MAX_ALTERNATIVES} alternatives"),
            ));
        }
        if matches!(op, Op::Matches | Op::NotMatches) {
            for re in &values {
                check_regex(re).map_err(|why| {
                    ApiError::invalid_parameter(
                        param,
                        format!("{re:?} is not a valid RE2 expression: {why}"),
                    )
                })?;
            }
        }
        Ok(Self {
            dimension,
            op,
            values,
        })
    }

    /// The alternatives of `matches` as one RE2 expression. A bar left in a value was written `\|`:
    /// a literal bar, escaped again for RE2.
    pub fn regex(&self) -> String {
        self.values
            .iter()
            .map(|v| format!("(?:{})", v.replace('|', "\\|")))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// Splits on `|`; `\|` is a literal bar (other backslashes are kept, for regular expressions).
fn alternatives(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                out.last_mut().expect("never empty").push('|');
            }
            '|' => out.push(String::new()),
            c => out.last_mut().expect("never empty").push(c),
        }
    }
    out
}

/// RE2's syntax is (nearly) that of Rust's regex crate: no look-around, no back-references.
fn check_regex(re: &str) -> Result<(), String> {
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(re)
        .map(|_| ())
        .map_err(|e| e.to_string().lines().last().unwrap_or("").trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_form_with_every_operator() {
        for (raw, op) in [
            ("path:is:/a", Op::Is),
            ("path:is_not:/a", Op::IsNot),
            ("path:contains:/a", Op::Contains),
            ("path:not_contains:/a", Op::NotContains),
            ("path:matches:/a", Op::Matches),
            ("path:not_matches:/a", Op::NotMatches),
        ] {
            let f = Filter::parse_long(raw).unwrap();
            assert_eq!(
                (f.dimension, f.op, f.values),
                (Dimension::Path, op, vec!["/a".to_owned()])
            );
        }
    }

    #[test]
    fn values_keep_colons_and_split_on_unescaped_bars() {
        let f = Filter::parse_long("referrer:is:a.com|b:c\\|d|").unwrap();
        assert_eq!(f.values, vec!["a.com", "b:c|d", ""]);
        let f = Filter::parse_long("prop:plan:is:pro|team").unwrap();
        assert_eq!(f.dimension, Dimension::Prop("plan".into()));
        assert_eq!(f.values, vec!["pro", "team"]);
    }

    #[test]
    fn regexes_are_checked_and_joined() {
        let f = Filter::parse_long("path:matches:^/blog/\\d+$|^/docs").unwrap();
        assert_eq!(f.regex(), "(?:^/blog/\\d+$)|(?:^/docs)");
        let f = Filter::parse_long("title:matches:a\\|b").unwrap();
        assert_eq!(f.regex(), "(?:a\\|b)");
        let err = Filter::parse_long("path:matches:(unclosed").unwrap_err();
        assert!(err.message.contains("`filter`"), "{}", err.message);
        // Look-around is not RE2.
        assert!(Filter::parse_long("path:matches:a(?=b)").is_err());
    }

    #[test]
    fn bad_filters_are_named() {
        for raw in [
            "path",
            "path:is",
            "nope:is:x",
            "path:like:x",
            "prop::is:x",
            "prop:plan",
        ] {
            let err = Filter::parse_long(raw).unwrap_err();
            assert_eq!(err.status, 400, "{raw}");
            assert!(err.message.contains("`filter`"), "{}", err.message);
        }
    }

    #[test]
    fn dimensions_round_trip() {
        for (name, _) in NAMED {
            assert_eq!(Dimension::parse(name, false).unwrap().name(), *name);
        }
        assert_eq!(
            Dimension::parse("prop.plan", true),
            Some(Dimension::Prop("plan".into()))
        );
        assert_eq!(Dimension::parse("prop.plan", false), None);
        assert!(Dimension::Browser.is_visit_level() && !Dimension::Path.is_visit_level());
    }
}
