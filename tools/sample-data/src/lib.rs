//! A realistic, deterministic sample-data generator. Each event is built as the JSON object the browser
//! tracker sends and goes through the collector's own validation and enrichment
//! ([`shared::event::parse_event`]) before it is stored through the [`EventSink`] port.
//!
//! The model: visitors on two sites (`demo`, `shop`), visits of 1–15 events (40% bounce), page views
//! with titles, clicks, a sign-up funnel, purchases on `shop`, referrers and UTM campaigns on landings,
//! a daily and weekly rhythm with growth, returning and signed-in visitors, a few resent (duplicate)
//! and late events. The same [`Options`] give the same events, byte for byte.

pub mod cli;
pub mod model;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};
use shared::adapters::clickhouse::{migrate, ClickHouse};
use shared::config::ClickHouseConfig;
use shared::event::{parse_event, EventRecord, RequestContext};
use shared::ports::EventSink;
use time::OffsetDateTime;

use model::{Page, CAMPAIGNS, CAMPAIGN_LANDINGS, COUNTRIES, PAGES, REFERRERS, SITES, USER_AGENTS};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Share of visits that are a single page view.
const BOUNCE: f64 = 0.40;
/// Share of landings that carry UTM parameters.
const CAMPAIGN_SHARE: f64 = 0.15;
const SIGNED_IN: f64 = 0.10;
/// Visitors who come back on later days or weeks (signed-in ones more often).
const RETURN_SIGNED_IN: f64 = 0.60;
/// (A little over 30%: the later visits of some fall after the end of the range.)
const RETURN_ANONYMOUS: f64 = (0.34 - SIGNED_IN * RETURN_SIGNED_IN) / (1.0 - SIGNED_IN);
/// Mean number of later visits of a returning visitor (some fall after the end and are not made).
const MEAN_RETURNS: f64 = 11.0;
/// Sign-up funnel: share of non-bounced anonymous visits that open /signup, then the share of those that
/// go on to each step (100% -> 60% -> 35% -> 20%).
const FUNNEL: f64 = 0.12;
const FUNNEL_CAMPAIGN: f64 = 0.22;
const FUNNEL_STEPS: [f64; 3] = [0.60, 0.35 / 0.60, 0.20 / 0.35];
/// Non-bounced visits on `shop` that go to checkout, and the share of those that buy.
const CHECKOUT: f64 = 0.07;
const BUY: f64 = 0.7;
const MAX_VISIT_EVENTS: u32 = 15;
const DUPLICATE: f64 = 0.001;
const LATE: f64 = 0.005;
/// The visit count of a day is planned with this many events per visit until real averages are known.
const PLANNED_EVENTS_PER_VISIT: f64 = 5.0;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Distinct events (duplicates are sent on top).
    pub events: u64,
    pub days: u32,
    pub seed: u64,
    /// The last moment of the range; events fall in `[end - days, end]`.
    pub end: OffsetDateTime,
    pub batch_size: usize,
}

impl Options {
    pub fn new(events: u64, days: u32, seed: u64, end: OffsetDateTime) -> Self {
        Self {
            events,
            days,
            seed,
            end,
            batch_size: 50_000,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Distinct events (each with its own event_id).
    pub events: u64,
    /// Resends of an event already sent in an earlier batch (same event_id).
    pub duplicates: u64,
    /// Events received hours after their timestamp.
    pub late: u64,
    pub visits: u64,
    pub visitors: u64,
    /// Visitors with more than one visit.
    pub returning_visitors: u64,
    pub signed_in_visitors: u64,
    /// Visits of a single page view.
    pub bounces: u64,
    pub campaign_visits: u64,
    /// Visits that reached /signup, signup_start, signup_details, signup_complete.
    pub funnel: [u64; 4],
    pub purchases: u64,
}

/// One event as the tracker sends it, with what the server knows of the request.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The JSON body of the event, as the tracker builds it.
    pub json: Value,
    pub received_at: OffsetDateTime,
    user_agent: u8,
    country: u8,
    /// A resend of an event sent in an earlier batch.
    pub duplicate: bool,
}

impl Sent {
    pub fn user_agent(&self) -> &'static str {
        USER_AGENTS[self.user_agent as usize].0
    }

    pub fn country(&self) -> &'static str {
        COUNTRIES[self.country as usize].0
    }

    /// The collector's view of the request.
    pub fn context(&self) -> RequestContext {
        RequestContext::new(
            self.received_at,
            Some(self.user_agent()),
            Some(self.country()),
        )
    }
}

/// Turns sent events into records with the collector's `parse_event`. The request contexts are built
/// once per (User-Agent, country) with `RequestContext::new` and only their `received_at` changes: the
/// same contexts, without parsing the same User-Agent millions of times.
pub struct Enricher {
    contexts: Vec<RequestContext>,
}

impl Default for Enricher {
    fn default() -> Self {
        Self::new()
    }
}

impl Enricher {
    pub fn new() -> Self {
        let epoch = OffsetDateTime::UNIX_EPOCH;
        let contexts = USER_AGENTS
            .iter()
            .flat_map(|(ua, _)| {
                COUNTRIES
                    .iter()
                    .map(move |(country, _)| RequestContext::new(epoch, Some(ua), Some(country)))
            })
            .collect();
        Self { contexts }
    }

    pub fn record(&self, sent: &Sent) -> Result<EventRecord, String> {
        let index = sent.user_agent as usize * COUNTRIES.len() + sent.country as usize;
        let mut ctx = self.contexts[index].clone();
        ctx.received_at = sent.received_at;
        parse_event(&sent.json, &ctx)
    }
}

/// Cumulative weights, for picking an index in proportion to its weight.
struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut sum = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                sum += w;
                sum
            })
            .collect();
        Self { cumulative }
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        let total = *self.cumulative.last().expect("weights");
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }
}

struct Tables {
    sites: Weighted,
    landing_anonymous: Weighted,
    landing_signed_in: Weighted,
    next_anonymous: Weighted,
    next_signed_in: Weighted,
    referrers: Weighted,
    campaigns: Weighted,
    campaign_landings: Weighted,
    user_agents: Weighted,
    countries: Weighted,
    hours: Weighted,
    /// The property values of the sign-up steps.
    funnel_values: [Weighted; 3],
    /// `titles[site][page]`: "Pricing · Acme Analytics"
    titles: Vec<Vec<String>>,
    /// `urls[site][page]`: absolute URL without query
    urls: Vec<Vec<String>>,
}

impl Tables {
    fn new() -> Self {
        let weights = |f: fn(&Page) -> f64| Weighted::new(PAGES.iter().map(f));
        let pairs = |t: &[(&str, f64)]| Weighted::new(t.iter().map(|p| p.1));
        Self {
            sites: Weighted::new(SITES.iter().map(|s| s.1)),
            landing_anonymous: weights(|p| p.landing),
            landing_signed_in: Weighted::new(PAGES.iter().enumerate().map(|(i, p)| match i {
                model::DASHBOARD => 40.0,
                model::LOGIN => 15.0,
                _ => p.landing * 0.3,
            })),
            next_anonymous: weights(|p| p.next_anonymous),
            next_signed_in: weights(|p| p.next_signed_in),
            referrers: Weighted::new(REFERRERS.iter().map(|r| r.1)),
            campaigns: Weighted::new(CAMPAIGNS.iter().map(|c| c.weight)),
            campaign_landings: Weighted::new(CAMPAIGN_LANDINGS.iter().map(|c| c.1)),
            user_agents: pairs(USER_AGENTS),
            countries: pairs(COUNTRIES),
            hours: Weighted::new(model::HOURS),
            funnel_values: [
                pairs(model::SIGNUP_METHODS),
                pairs(model::COMPANY_SIZES),
                pairs(model::SIGNUP_PLANS),
            ],
            titles: SITES
                .iter()
                .map(|(_, _, _, suffix)| {
                    PAGES
                        .iter()
                        .map(|p| format!("{} · {suffix}", p.title))
                        .collect()
                })
                .collect(),
            urls: SITES
                .iter()
                .map(|(_, _, origin, _)| {
                    PAGES
                        .iter()
                        .map(|p| format!("{origin}{}", p.path))
                        .collect()
                })
                .collect(),
        }
    }
}

#[derive(Clone)]
struct Visitor {
    anonymous_id: Value,
    user_id: Option<Value>,
    site: u8,
    user_agent: u8,
    country: u8,
    /// Later visits still to come.
    returns: u32,
    visits: u32,
}

enum Who {
    New(Box<Visitor>),
    /// An index in `Generator::returners`.
    Known(usize),
}

struct Plan {
    start_ms: i64,
    who: Who,
}

/// The state of the visit being generated.
struct Visit {
    visitor: usize,
    site: usize,
    session_id: Value,
    signed_in: bool,
    t: i64,
    page: usize,
    url: Value,
    events: u32,
    ended: bool,
}

/// Generates the events of [`Options`], in batches, visit by visit, day by day.
pub struct Generator {
    opts: Options,
    rng: StdRng,
    tables: Tables,
    start_ms: i64,
    end_ms: i64,
    /// Events the days up to each one should have made, cumulatively.
    targets: Vec<u64>,
    /// Days with an extra traffic spike (a Hacker News front page).
    spike_day: u32,
    /// The day whose visits are in `plans`.
    day: u32,
    planned: bool,
    plans: Vec<Plan>,
    /// Later visits of returning visitors: (day, order, index in `returners`).
    returns: BinaryHeap<Reverse<(u32, u64, usize)>>,
    returners: Vec<Visitor>,
    /// The visitor of the current visit when it is not a returner.
    current: Option<Visitor>,
    order: u64,
    /// Numbers the visitors (user ids).
    serial: u64,
    queue: VecDeque<Sent>,
    /// Resends made during the current batch, sent with the next one.
    resends: Vec<Sent>,
    stats: Stats,
    finished: bool,
}

const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).expect("a time in range")
}

/// SplitMix64 over the values: a well-spread seed from a few numbers.
fn mix(values: &[u64]) -> u64 {
    values.iter().fold(0x9E37_79B9_7F4A_7C15, |acc, &v| {
        let mut z = (acc ^ v).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Generator {
    pub fn new(opts: Options) -> Self {
        let days = opts.days.max(1);
        let end_ms = millis(opts.end);
        // Every option goes into the seed: another --end gives other event ids, not the same ids on
        // other events (which the sink would drop as duplicates of an earlier load).
        let mut rng = StdRng::seed_from_u64(mix(&[
            opts.seed,
            end_ms as u64,
            u64::from(days),
            opts.events,
        ]));
        let start_ms = end_ms - i64::from(days) * DAY_MS;
        let spike_day = (f64::from(days) * 0.62) as u32;
        let weights: Vec<f64> = (0..days)
            .map(|d| {
                let midday = at(start_ms + i64::from(d) * DAY_MS + DAY_MS / 2);
                let weekday = model::WEEKDAYS[midday.weekday().number_days_from_monday() as usize];
                let progress = if days > 1 {
                    f64::from(d) / f64::from(days - 1)
                } else {
                    1.0
                };
                let growth = 1.0 + (model::GROWTH - 1.0) * progress;
                let spike = match d.wrapping_sub(spike_day) {
                    0 => 2.2,
                    1 => 1.4,
                    _ => 1.0,
                };
                weekday * growth * spike * rng.random_range(0.88..1.12)
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let mut sum = 0.0;
        let mut targets: Vec<u64> = weights
            .iter()
            .map(|w| {
                sum += w;
                (opts.events as f64 * sum / total).round() as u64
            })
            .collect();
        *targets.last_mut().expect("one day at least") = opts.events;
        Self {
            rng,
            tables: Tables::new(),
            start_ms,
            end_ms,
            targets,
            spike_day,
            day: 0,
            planned: false,
            plans: Vec::new(),
            returns: BinaryHeap::new(),
            returners: Vec::new(),
            current: None,
            order: 0,
            serial: 0,
            queue: VecDeque::new(),
            resends: Vec::new(),
            stats: Stats::default(),
            finished: opts.events == 0,
            opts: Options { days, ..opts },
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The next batch of about `batch_size` events: the resends of earlier events first, then new
    /// events. `None` when everything was sent.
    pub fn next_batch(&mut self) -> Option<Vec<Sent>> {
        let mut batch = std::mem::take(&mut self.resends);
        let fresh = self.opts.batch_size.max(1);
        batch.reserve(fresh);
        for _ in 0..fresh {
            match self.next_event() {
                Some(sent) => {
                    if self.rng.random_bool(DUPLICATE) {
                        let mut again = sent.clone();
                        again.received_at +=
                            time::Duration::milliseconds(self.rng.random_range(2_000..120_000));
                        again.duplicate = true;
                        self.stats.duplicates += 1;
                        self.resends.push(again);
                    }
                    batch.push(sent);
                }
                None => break,
            }
        }
        (!batch.is_empty()).then_some(batch)
    }

    fn next_event(&mut self) -> Option<Sent> {
        loop {
            if let Some(sent) = self.queue.pop_front() {
                return Some(sent);
            }
            if self.finished || !self.next_visit() {
                self.finished = true;
                return None;
            }
        }
    }

    /// Generates the next visit into the queue; false when every event is made.
    fn next_visit(&mut self) -> bool {
        loop {
            if self.stats.events >= self.opts.events {
                return false;
            }
            if let Some(plan) = self.plans.pop() {
                self.visit(plan);
                return true;
            }
            let last = self.opts.days - 1;
            if self.planned {
                if self.day == last {
                    // The last day made fewer events than planned: more visitors come.
                    self.plan_day(false);
                    continue;
                }
                self.day += 1;
            }
            self.plan_day(true);
            self.planned = true;
        }
    }

    /// A time on the day `self.day`, following the hourly rhythm (UTC).
    fn time_of_day(&mut self) -> i64 {
        let slot = self.start_ms + i64::from(self.day) * DAY_MS;
        let slot_offset = slot.rem_euclid(DAY_MS);
        let hour = self.tables.hours.pick(&mut self.rng) as i64;
        let within = self.rng.random_range(0..HOUR_MS);
        let t = slot + (hour * HOUR_MS + within - slot_offset).rem_euclid(DAY_MS);
        t.min(self.end_ms)
    }

    /// Plans the visits of `self.day`: the returning visitors due that day, and new visitors until the
    /// day's share of the events is planned. Visits run in the order of their start.
    fn plan_day(&mut self, with_returns: bool) {
        let need = self.targets[self.day as usize].saturating_sub(self.stats.events) as f64;
        let per_visit = if self.stats.visits >= 100 {
            self.stats.events as f64 / self.stats.visits as f64
        } else {
            PLANNED_EVENTS_PER_VISIT
        };
        let mut planned = 0.0;
        if with_returns {
            while let Some(&Reverse((day, _, index))) = self.returns.peek() {
                if day > self.day {
                    break;
                }
                self.returns.pop();
                let start_ms = self.time_of_day();
                self.plans.push(Plan {
                    start_ms,
                    who: Who::Known(index),
                });
                planned += per_visit;
            }
        }
        let last = self.day == self.opts.days - 1;
        while planned < need || (last && self.plans.is_empty()) {
            let start_ms = self.time_of_day();
            let visitor = self.new_visitor();
            self.plans.push(Plan {
                start_ms,
                who: Who::New(Box::new(visitor)),
            });
            planned += per_visit;
        }
        // Latest first: visits are popped from the end.
        self.plans.sort_by_key(|p| Reverse(p.start_ms));
    }

    fn uuid(&mut self) -> Value {
        let bytes: [u8; 16] = self.rng.random();
        Value::String(
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string(),
        )
    }

    fn new_visitor(&mut self) -> Visitor {
        let anonymous_id = self.uuid();
        let signed_in = self.rng.random_bool(SIGNED_IN);
        let user_id = signed_in.then(|| Value::String(format!("usr_{:07}", self.serial)));
        self.serial += 1;
        let returning = self.rng.random_bool(if signed_in {
            RETURN_SIGNED_IN
        } else {
            RETURN_ANONYMOUS
        });
        // Geometric, at least 1, mean MEAN_RETURNS.
        let returns = if returning {
            let u: f64 = self.rng.random();
            ((1.0 - u).ln() / (1.0 - 1.0 / MEAN_RETURNS).ln())
                .ceil()
                .max(1.0) as u32
        } else {
            0
        };
        Visitor {
            anonymous_id,
            user_id,
            site: self.tables.sites.pick(&mut self.rng) as u8,
            user_agent: self.tables.user_agents.pick(&mut self.rng) as u8,
            country: self.tables.countries.pick(&mut self.rng) as u8,
            returns,
            visits: 0,
        }
    }

    /// Days until a returning visitor's next visit: a few days, about a week, or weeks.
    fn return_gap(&mut self) -> u32 {
        let u: f64 = self.rng.random();
        if u < 0.45 {
            self.rng.random_range(1..=3)
        } else if u < 0.80 {
            self.rng.random_range(5..=9)
        } else {
            self.rng.random_range(10..=30)
        }
    }

    fn visitor(&self, index: usize) -> &Visitor {
        if index == usize::MAX {
            self.current.as_ref().expect("a current visitor")
        } else {
            &self.returners[index]
        }
    }

    /// Log-uniform between `lo` and `hi` seconds, in milliseconds.
    fn pause(&mut self, lo: f64, hi: f64) -> i64 {
        let u: f64 = self.rng.random();
        (lo * (hi / lo).powf(u) * 1000.0) as i64
    }

    fn visit(&mut self, plan: Plan) {
        let index = match plan.who {
            Who::Known(index) => index,
            Who::New(visitor) => {
                self.stats.visitors += 1;
                if visitor.user_id.is_some() {
                    self.stats.signed_in_visitors += 1;
                }
                if visitor.returns > 0 {
                    self.returners.push(*visitor);
                    self.returners.len() - 1
                } else {
                    self.current = Some(*visitor);
                    usize::MAX
                }
            }
        };
        let (site, signed_in, visits) = {
            let v = self.visitor(index);
            (v.site as usize, v.user_id.is_some(), v.visits)
        };
        if visits == 1 {
            self.stats.returning_visitors += 1;
        }
        self.stats.visits += 1;
        let session_id = self.uuid();

        // The landing: a campaign, or a referrer (or none).
        let campaign = self.rng.random_bool(CAMPAIGN_SHARE);
        let (page, url, referrer) = if campaign {
            self.stats.campaign_visits += 1;
            let c = &CAMPAIGNS[self.tables.campaigns.pick(&mut self.rng)];
            let page = CAMPAIGN_LANDINGS[self.tables.campaign_landings.pick(&mut self.rng)].0;
            let mut url = format!(
                "{}?utm_source={}&utm_medium={}&utm_campaign={}",
                self.tables.urls[site][page], c.source, c.medium, c.campaign
            );
            if !c.term.is_empty() {
                url.push_str("&utm_term=");
                url.push_str(c.term);
            }
            if !c.content.is_empty() {
                url.push_str("&utm_content=");
                url.push_str(c.content[self.rng.random_range(0..c.content.len())]);
            }
            (page, url, c.referrer)
        } else {
            let page = if signed_in {
                self.tables.landing_signed_in.pick(&mut self.rng)
            } else {
                self.tables.landing_anonymous.pick(&mut self.rng)
            };
            let on_hn = self.day.wrapping_sub(self.spike_day) < 2 && self.rng.random_bool(0.4);
            let referrer = if on_hn {
                model::HACKER_NEWS_POST
            } else {
                let group = REFERRERS[self.tables.referrers.pick(&mut self.rng)].0;
                group[self.rng.random_range(0..group.len())]
            };
            (page, self.tables.urls[site][page].clone(), referrer)
        };

        let mut v = Visit {
            visitor: index,
            site,
            session_id,
            signed_in,
            t: plan.start_ms,
            page,
            url: Value::String(url),
            events: 0,
            ended: false,
        };
        self.emit(&mut v, "pageview", Some(referrer), None);

        if self.rng.random_bool(BOUNCE) {
            self.stats.bounces += 1;
        } else {
            // 2..=15 events, most visits short.
            let u: f64 = self.rng.random();
            let length = 2 + (14.0 * u.powf(1.35)) as u32;
            let mut browse = length - 1;
            let funnel = !signed_in
                && self
                    .rng
                    .random_bool(if campaign { FUNNEL_CAMPAIGN } else { FUNNEL });
            let checkout = site == 1
                && self
                    .rng
                    .random_bool(if signed_in { 2.0 * CHECKOUT } else { CHECKOUT });
            // The funnel and the checkout take part of the visit's events.
            if funnel {
                browse = browse.saturating_sub(2);
            }
            if checkout {
                browse = browse.saturating_sub(3);
            }
            let funnel_at = funnel.then(|| self.rng.random_range(0..=browse));
            let checkout_at = checkout.then(|| self.rng.random_range(0..=browse));
            for step in 0..=browse {
                if funnel_at == Some(step) {
                    self.funnel(&mut v);
                }
                if checkout_at == Some(step) {
                    self.checkout(&mut v);
                }
                if step < browse {
                    self.browse(&mut v);
                }
                if v.ended {
                    break;
                }
            }
        }

        // Returning visitors plan their next visit.
        if index != usize::MAX {
            let gap = self.return_gap();
            let next = self.day + gap;
            let order = self.order;
            self.order += 1;
            let visitor = &mut self.returners[index];
            visitor.visits += 1;
            visitor.returns -= 1;
            if visitor.returns > 0 && next < self.opts.days {
                self.returns.push(Reverse((next, order, index)));
            }
        }
    }

    /// A click on the current page, or a page view of another page.
    fn browse(&mut self, v: &mut Visit) {
        let clicks = PAGES[v.page].clicks;
        if self.rng.random_bool(0.35) {
            v.t += self.pause(2.0, 45.0);
            let (element, section) = clicks[self.rng.random_range(0..clicks.len())];
            let mut props = Map::new();
            props.insert("element".into(), Value::from(element));
            props.insert("section".into(), Value::from(section));
            self.emit(v, "click", None, Some(props));
        } else {
            let table = if v.signed_in {
                &self.tables.next_signed_in
            } else {
                &self.tables.next_anonymous
            };
            let mut next = table.pick(&mut self.rng);
            if next == v.page {
                next = table.pick(&mut self.rng);
            }
            self.goto(v, next, 8.0, 240.0);
            self.emit(v, "pageview", None, None);
        }
    }

    fn goto(&mut self, v: &mut Visit, page: usize, lo: f64, hi: f64) {
        v.t += self.pause(lo, hi);
        v.page = page;
        v.url = Value::String(self.tables.urls[v.site][page].clone());
    }

    /// /signup -> signup_start -> signup_details -> signup_complete, with drop-off at each step.
    fn funnel(&mut self, v: &mut Visit) {
        self.goto(v, model::SIGNUP, 5.0, 90.0);
        self.emit(v, "pageview", None, None);
        if v.ended {
            return;
        }
        self.stats.funnel[0] += 1;
        let steps: [(&str, &str, model::Choices, f64, f64); 3] = [
            ("signup_start", "method", model::SIGNUP_METHODS, 3.0, 45.0),
            (
                "signup_details",
                "company_size",
                model::COMPANY_SIZES,
                20.0,
                240.0,
            ),
            ("signup_complete", "plan", model::SIGNUP_PLANS, 10.0, 180.0),
        ];
        for (i, (name, key, values, lo, hi)) in steps.into_iter().enumerate() {
            if v.ended || !self.rng.random_bool(FUNNEL_STEPS[i]) {
                return;
            }
            v.t += self.pause(lo, hi);
            let value = values[self.tables.funnel_values[i].pick(&mut self.rng)].0;
            let mut props = Map::new();
            props.insert(key.into(), Value::from(value));
            self.emit(v, name, None, Some(props));
            if !v.ended {
                self.stats.funnel[i + 1] += 1;
            }
        }
        self.goto(v, model::DASHBOARD, 1.0, 8.0);
        self.emit(v, "pageview", None, None);
    }

    /// shop: /pricing, a plan is picked, /checkout, and most buy.
    fn checkout(&mut self, v: &mut Visit) {
        self.goto(v, model::PRICING, 5.0, 90.0);
        self.emit(v, "pageview", None, None);
        let team = self.rng.random_bool(0.3);
        let yearly = self.rng.random_bool(0.35);
        v.t += self.pause(5.0, 60.0);
        let mut props = Map::new();
        props.insert(
            "element".into(),
            Value::from(if team { "plan_team" } else { "plan_pro" }),
        );
        props.insert("section".into(), Value::from("pricing_table"));
        self.emit(v, "click", None, Some(props));
        self.goto(v, model::CHECKOUT, 3.0, 20.0);
        self.emit(v, "pageview", None, None);
        if self.rng.random_bool(BUY) {
            v.t += self.pause(30.0, 300.0);
            let amount = match (team, yearly) {
                (false, false) => 29,
                (false, true) => 290,
                (true, false) => 99,
                (true, true) => 990,
            };
            let mut props = Map::new();
            props.insert(
                "plan".into(),
                Value::from(if team { "team" } else { "pro" }),
            );
            props.insert("amount".into(), Value::from(amount));
            self.emit(v, "purchase", None, Some(props));
            if !v.ended {
                self.stats.purchases += 1;
            }
        }
    }

    /// Queues one event as the tracker would send it, unless the range or the event count is over.
    fn emit(
        &mut self,
        v: &mut Visit,
        event: &'static str,
        referrer: Option<&str>,
        properties: Option<Map<String, Value>>,
    ) {
        if v.ended
            || v.events >= MAX_VISIT_EVENTS
            || v.t > self.end_ms
            || self.stats.events >= self.opts.events
        {
            v.ended = true;
            return;
        }
        let event_id = self.uuid();
        let timestamp = at(v.t);
        let visitor = self.visitor(v.visitor);
        let mut json = Map::new();
        json.insert("event".into(), Value::from(event));
        json.insert("site".into(), Value::from(SITES[v.site].0));
        json.insert("event_id".into(), event_id);
        json.insert(
            "timestamp".into(),
            Value::String(timestamp.format(TIMESTAMP).expect("a formattable time")),
        );
        json.insert("anonymous_id".into(), visitor.anonymous_id.clone());
        if let Some(user_id) = &visitor.user_id {
            json.insert("user_id".into(), user_id.clone());
        }
        json.insert("session_id".into(), v.session_id.clone());
        json.insert("url".into(), v.url.clone());
        if let Some(referrer) = referrer.filter(|r| !r.is_empty()) {
            json.insert("referrer".into(), Value::from(referrer));
        }
        json.insert(
            "title".into(),
            Value::String(self.tables.titles[v.site][v.page].clone()),
        );
        if let Some(properties) = properties {
            json.insert("properties".into(), Value::Object(properties));
        }
        let (user_agent, country) = (visitor.user_agent, visitor.country);

        // The tracker sends within a second; a few events arrive hours later (an offline queue).
        let mut received = v.t + self.rng.random_range(60..1_200);
        if self.rng.random_bool(LATE) {
            let late = if self.rng.random_bool(0.8) {
                self.rng.random_range(HOUR_MS..12 * HOUR_MS)
            } else {
                self.rng.random_range(12 * HOUR_MS..7 * DAY_MS)
            };
            if v.t + late <= self.end_ms {
                received = v.t + late;
                self.stats.late += 1;
            }
        }
        self.stats.events += 1;
        v.events += 1;
        self.queue.push_back(Sent {
            json: Value::Object(json),
            received_at: at(received),
            user_agent,
            country,
            duplicate: false,
        });
    }
}

/// Counters a progress display can read while a load runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Distinct events stored so far.
    pub events: AtomicU64,
    /// Records sent so far, resends included.
    pub records: AtomicU64,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub stats: Stats,
    pub seconds: f64,
}

impl Summary {
    pub fn events_per_second(&self) -> f64 {
        self.stats.events as f64 / self.seconds.max(1e-9)
    }
}

/// Applies the migrations and loads the generated events into ClickHouse.
pub async fn load(
    cfg: &ClickHouseConfig,
    opts: Options,
    progress: Arc<Progress>,
) -> Result<Summary, String> {
    let started = Instant::now();
    migrate(cfg)
        .await
        .map_err(|e| format!("migrating {}: {e}", cfg.database))?;
    let sink = ClickHouse::new(cfg);
    let mut summary = load_into(&sink, opts, progress).await?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Generates on a thread of its own while the previous batch is being inserted into `sink`.
pub async fn load_into<S: EventSink>(
    sink: &S,
    opts: Options,
    progress: Arc<Progress>,
) -> Result<Summary, String> {
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<EventRecord>, u64)>(1);
    let generator = std::thread::spawn(move || -> Result<Stats, String> {
        let mut generator = Generator::new(opts);
        let enricher = Enricher::new();
        while let Some(batch) = generator.next_batch() {
            let fresh = batch.iter().filter(|s| !s.duplicate).count() as u64;
            let records = batch
                .iter()
                .map(|sent| {
                    enricher.record(sent).map_err(|e| {
                        format!(
                            "the collector refused a generated event: {e}: {}",
                            sent.json
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if tx.blocking_send((records, fresh)).is_err() {
                break; // the inserter stopped; it reports why
            }
        }
        Ok(generator.stats().clone())
    });
    let mut failure = None;
    while let Some((records, fresh)) = rx.recv().await {
        if let Err(e) = sink.insert(&records).await {
            failure = Some(format!("inserting a batch of {}: {e}", records.len()));
            break;
        }
        progress.events.fetch_add(fresh, Ordering::Relaxed);
        progress
            .records
            .fetch_add(records.len() as u64, Ordering::Relaxed);
    }
    drop(rx);
    let stats = generator
        .join()
        .map_err(|_| "the generator panicked".to_owned())?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    Ok(Summary {
        stats: stats?,
        seconds: started.elapsed().as_secs_f64(),
    })
}
