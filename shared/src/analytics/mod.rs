//! The analytics domain: questions (range, zone, site, filters), the figures API.md defines, and the
//! parts of funnels and retention that are plain logic. Pure: the store (ClickHouse) does the I/O.

pub mod filter;
pub mod params;
pub mod period;

use serde::Serialize;
use time::OffsetDateTime;

use filter::Filter;
use period::Zone;

/// What a route asks about: events in [from, to), seen in `zone`, of one site or all, that pass
/// every filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub zone: Zone,
    pub site: Option<String>,
    pub filters: Vec<Filter>,
}

/// The export's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

/// Bytes as they come, for answers too large to hold in memory.
pub type ByteStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<bytes::Bytes, crate::error::StoreError>> + Send>,
>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Previous,
    Year,
    None,
}

/// A funnel step: an event by name, or a page view of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Event(String),
    Path(String),
}

impl Step {
    pub fn label(&self) -> String {
        match self {
            Step::Event(name) => name.clone(),
            Step::Path(path) => format!("path:{path}"),
        }
    }
}

/// What the store counts for a set of visits: the sums the figures are made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub visitors: u64,
    pub visits: u64,
    pub pageviews: u64,
    pub events: u64,
    /// Visits with one page view and no other event.
    pub bounces: u64,
    /// The visits' durations (first to last event), added up.
    pub duration_ms: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.visitors += o.visitors;
        self.visits += o.visits;
        self.pageviews += o.pageviews;
        self.events += o.events;
        self.bounces += o.bounces;
        self.duration_ms += o.duration_ms;
    }
}

/// API.md's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub visitors: u64,
    pub visits: u64,
    pub pageviews: u64,
    pub events: u64,
    pub views_per_visit: f64,
    pub bounce_rate: f64,
    /// Seconds, averaged over visits.
    pub visit_duration: f64,
}

impl From<Counts> for Metrics {
    fn from(c: Counts) -> Self {
        let per_visit = |x: f64| {
            if c.visits == 0 {
                0.0
            } else {
                x / c.visits as f64
            }
        };
        Metrics {
            visitors: c.visitors,
            visits: c.visits,
            pageviews: c.pageviews,
            events: c.events,
            views_per_visit: round(per_visit(c.pageviews as f64), 2),
            bounce_rate: round(per_visit(c.bounces as f64), 4),
            visit_duration: round(per_visit(c.duration_ms as f64) / 1000.0, 1),
        }
    }
}

pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// One step of a funnel's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    pub step: String,
    pub visitors: u64,
    /// From the first step, 0..1.
    pub conversion: f64,
    /// The share of the previous step's visitors who did not reach this one, 0..1 (0 on the first).
    pub dropoff: f64,
    pub median_seconds_from_previous: Option<f64>,
}

/// A visitor's way through a funnel: for each step the times (ms) it happened, sorted. Each start
/// (a time of step 1) is followed greedily, every next step at the first time after the previous
/// one and within `window_ms` of the start; the start that gets furthest counts (the earliest of
/// those). Returns the times of the steps reached.
pub fn funnel_chain(times: &[Vec<i64>], window_ms: i64) -> Vec<i64> {
    let mut best: Vec<i64> = Vec::new();
    let Some(starts) = times.first() else {
        return best;
    };
    for &start in starts {
        let mut chain = vec![start];
        for step in &times[1..] {
            let last = *chain.last().expect("never empty");
            match step.iter().find(|&&t| t > last) {
                Some(&t) if t - start <= window_ms => chain.push(t),
                _ => break,
            }
        }
        if chain.len() > best.len() {
            best = chain;
            if best.len() == times.len() {
                break;
            }
        }
    }
    best
}

/// How far the visitors got through a funnel: how many reached each step, and the times (ms) from
/// the previous step of those who did. Filled one visitor at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunnelTally {
    pub reached: Vec<u64>,
    pub gaps: Vec<Vec<i64>>,
}

impl FunnelTally {
    pub fn new(steps: usize) -> Self {
        Self {
            reached: vec![0; steps],
            gaps: vec![Vec::new(); steps],
        }
    }

    /// One visitor's chain (the times of the steps it reached, see `funnel_chain`).
    pub fn add(&mut self, chain: &[i64]) {
        for (i, t) in chain.iter().enumerate().take(self.reached.len()) {
            self.reached[i] += 1;
            if i > 0 {
                self.gaps[i].push(t - chain[i - 1]);
            }
        }
    }
}

/// The steps' answer from the tally.
pub fn funnel_steps(steps: &[Step], tally: &FunnelTally) -> Vec<FunnelStep> {
    let first = tally.reached.first().copied().unwrap_or(0);
    let mut previous = first;
    let ratio = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            round(a as f64 / b as f64, 4)
        }
    };
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let visitors = tally.reached.get(i).copied().unwrap_or(0);
            let median = (i > 0)
                .then(|| {
                    let mut gaps = tally.gaps.get(i).cloned().unwrap_or_default();
                    median_ms(&mut gaps).map(|ms| round(ms / 1000.0, 1))
                })
                .flatten();
            let out = FunnelStep {
                step: step.label(),
                visitors,
                conversion: ratio(visitors, first),
                dropoff: if i == 0 {
                    0.0
                } else {
                    ratio(previous - visitors, previous)
                },
                median_seconds_from_previous: median,
            };
            previous = visitors;
            out
        })
        .collect()
}

fn median_ms(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionPeriod {
    Day,
    Week,
    Month,
}

/// A retention question's own parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    pub start_event: String,
    pub return_event: String,
    pub period: RetentionPeriod,
    pub periods: u32,
}

impl RetentionPeriod {
    /// The first day of the period holding a local date (weeks start on Monday).
    pub fn start(self, d: jiff::civil::Date) -> jiff::civil::Date {
        use jiff::ToSpan;
        match self {
            RetentionPeriod::Day => d,
            RetentionPeriod::Week => d
                .checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
                .unwrap_or(d),
            RetentionPeriod::Month => d.first_of_month(),
        }
    }
}

/// How many visitors of the cohort starting on `cohort` (a local date) came back `offset` periods
/// later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionCell {
    pub cohort: jiff::civil::Date,
    pub offset: u32,
    pub visitors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    /// The cohort's first day (local date).
    pub start: String,
    pub size: u64,
    pub retained: Vec<u64>,
}

/// One cohort per period that starts in [from, to); `retained[k]` for every period k that has begun
/// by `today` (at most `periods`).
pub fn cohorts(
    spec: &Retention,
    first: jiff::civil::Date,
    end: jiff::civil::Date,
    today: jiff::civil::Date,
    sizes: &[(jiff::civil::Date, u64)],
    cells: &[RetentionCell],
) -> Vec<Cohort> {
    use jiff::ToSpan;
    let step = |d: jiff::civil::Date, n: i64| -> Option<jiff::civil::Date> {
        match spec.period {
            RetentionPeriod::Day => d.checked_add(n.days()).ok(),
            RetentionPeriod::Week => d.checked_add((7 * n).days()).ok(),
            RetentionPeriod::Month => d.checked_add(n.months()).ok(),
        }
    };
    let mut out = Vec::new();
    let mut cohort = first;
    while cohort < end {
        let begun = (0..spec.periods)
            .take_while(|&k| step(cohort, i64::from(k)).is_some_and(|d| d <= today))
            .count();
        let retained = (0..begun as u32)
            .map(|k| {
                cells
                    .iter()
                    .find(|c| c.cohort == cohort && c.offset == k)
                    .map_or(0, |c| c.visitors)
            })
            .collect();
        out.push(Cohort {
            start: cohort.to_string(),
            size: sizes
                .iter()
                .find(|(d, _)| *d == cohort)
                .map_or(0, |(_, n)| *n),
            retained,
        });
        match step(cohort, 1) {
            Some(next) => cohort = next,
            None => break,
        }
    }
    out
}

/// The live view's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Live {
    pub window_seconds: u64,
    pub visitors: u64,
    pub events: u64,
    pub pages: Vec<LivePage>,
    pub recent: Vec<RecentEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LivePage {
    pub path: String,
    pub visitors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecentEvent {
    pub event: String,
    pub site: String,
    pub timestamp: String,
    pub path: String,
    pub title: String,
    pub referrer: String,
    pub browser: String,
    pub os: String,
    pub device: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteSummary {
    pub site: String,
    pub events: u64,
    pub visitors_30d: u64,
    pub last_seen: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_from_counts() {
        let m = Metrics::from(Counts {
            visitors: 2,
            visits: 3,
            pageviews: 7,
            events: 9,
            bounces: 1,
            duration_ms: 100_000,
        });
        assert_eq!(
            (m.views_per_visit, m.bounce_rate, m.visit_duration),
            (2.33, 0.3333, 33.3)
        );
        assert_eq!(Metrics::from(Counts::default()).bounce_rate, 0.0);
    }

    #[test]
    fn funnel_chains_follow_order_and_window() {
        let w = 1000;
        // Step 2 before step 1 does not count; the later start completes within the window.
        assert_eq!(
            funnel_chain(&[vec![100, 5000], vec![50, 5500], vec![5600]], w),
            vec![5000, 5500, 5600]
        );
        // Out of the window from the start: stops at step 1.
        assert_eq!(funnel_chain(&[vec![0], vec![1001]], w), vec![0]);
        // The same instant is not "after".
        assert_eq!(funnel_chain(&[vec![10], vec![10]], w), vec![10]);
        assert!(funnel_chain(&[vec![], vec![1]], w).is_empty());
    }

    #[test]
    fn funnel_steps_count_conversion_dropoff_and_median() {
        let steps = [
            Step::Event("a".into()),
            Step::Path("/b".into()),
            Step::Event("c".into()),
        ];
        let chains = vec![
            vec![0, 10_000, 20_000],
            vec![0, 30_000],
            vec![0],
            vec![0, 20_000],
        ];
        let mut tally = FunnelTally::new(steps.len());
        for chain in &chains {
            tally.add(chain);
        }
        let out = funnel_steps(&steps, &tally);
        assert_eq!(
            out.iter().map(|s| s.visitors).collect::<Vec<_>>(),
            vec![4, 3, 1]
        );
        assert_eq!(out[1].step, "path:/b");
        assert_eq!((out[1].conversion, out[1].dropoff), (0.75, 0.25));
        assert_eq!((out[2].conversion, out[2].dropoff), (0.25, 0.6667));
        assert_eq!(out[1].median_seconds_from_previous, Some(20.0));
        assert_eq!(out[2].median_seconds_from_previous, Some(10.0));
        assert_eq!(out[0].median_seconds_from_previous, None);
    }

    #[test]
    fn cohorts_are_cut_at_today() {
        use jiff::civil::date;
        let spec = Retention {
            start_event: "pageview".into(),
            return_event: "pageview".into(),
            period: RetentionPeriod::Week,
            periods: 4,
        };
        let cells = vec![
            RetentionCell {
                cohort: date(2026, 11, 2),
                offset: 0,
                visitors: 5,
            },
            RetentionCell {
                cohort: date(2026, 11, 2),
                offset: 2,
                visitors: 2,
            },
        ];
        let out = cohorts(
            &spec,
            date(2026, 11, 2),
            date(2026, 11, 23),
            date(2026, 11, 18),
            &[(date(2026, 11, 2), 5)],
            &cells,
        );
        assert_eq!(out.len(), 3);
        assert_eq!(
            (out[0].start.as_str(), out[0].size, out[0].retained.clone()),
            ("2026-11-02", 5, vec![5, 0, 2])
        );
        assert_eq!(out[2].retained, vec![0]);
    }
}
