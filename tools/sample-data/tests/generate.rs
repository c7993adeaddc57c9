//! The generator without a database: deterministic, shaped like the model, and every event accepted by
//! the collector's own validation, unclamped.

use std::collections::{HashMap, HashSet};

use sample_data::{Enricher, Generator, Options, Sent, Stats};
use shared::event::{parse_event, MAX_EVENT_AGE};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const END: OffsetDateTime = datetime!(2026-03-15 18:30:00 UTC);

fn generate(events: u64, days: u32, seed: u64) -> (Vec<Vec<Sent>>, Stats) {
    let mut opts = Options::new(events, days, seed, END);
    opts.batch_size = 5_000;
    let mut generator = Generator::new(opts);
    let mut batches = Vec::new();
    while let Some(batch) = generator.next_batch() {
        batches.push(batch);
    }
    (batches, generator.stats().clone())
}

fn field<'a>(sent: &'a Sent, name: &str) -> &'a str {
    sent.json.get(name).and_then(|v| v.as_str()).unwrap_or("")
}

#[test]
fn the_same_seed_gives_the_same_events() {
    let render = |batches: &[Vec<Sent>]| -> Vec<String> {
        batches
            .iter()
            .flatten()
            .map(|s| {
                format!(
                    "{} {} {} {}",
                    s.json,
                    s.received_at,
                    s.user_agent(),
                    s.country()
                )
            })
            .collect()
    };
    let (a, stats_a) = generate(8_000, 30, 42);
    let (b, stats_b) = generate(8_000, 30, 42);
    assert_eq!(render(&a), render(&b));
    assert_eq!(stats_a, stats_b);
    let (c, _) = generate(8_000, 30, 43);
    assert_ne!(render(&a), render(&c), "another seed, other events");
    // Another end: other event ids too (a second load adds events instead of repeating ids).
    let mut opts = Options::new(8_000, 30, 42, END + Duration::days(1));
    opts.batch_size = 5_000;
    let other = Generator::new(opts).next_batch().unwrap();
    let ids: HashSet<&str> = a.iter().flatten().map(|s| field(s, "event_id")).collect();
    assert!(other.iter().all(|s| !ids.contains(field(s, "event_id"))));
}

#[test]
fn every_event_passes_the_collector_unclamped() {
    let (batches, stats) = generate(30_000, 45, 3);
    let enricher = Enricher::new();
    let start = END - Duration::days(45);
    let mut n = 0;
    for sent in batches.iter().flatten() {
        let ctx = sent.context();
        let record =
            parse_event(&sent.json, &ctx).unwrap_or_else(|e| panic!("refused: {e}: {}", sent.json));
        // The cached contexts give exactly what RequestContext::new gives.
        assert_eq!(enricher.record(sent).unwrap(), record);
        // The client's time is kept, not clamped to received_at.
        let client = OffsetDateTime::parse(field(sent, "timestamp"), &Rfc3339).unwrap();
        assert_eq!(record.timestamp, client, "{}", sent.json);
        assert!(record.received_at >= record.timestamp);
        assert!(record.received_at - record.timestamp <= MAX_EVENT_AGE);
        assert!(
            record.timestamp >= start && record.timestamp <= END,
            "{}",
            record.timestamp
        );
        assert_eq!(record.event_id.get_version_num(), 4);
        assert!(!record.session_id.is_empty() && !record.anonymous_id.is_empty());
        assert!(record.url.starts_with("https://") && !record.title.is_empty());
        assert!(!record.browser.is_empty() && !record.os.is_empty() && record.country.len() == 2);
        assert!(["desktop", "mobile", "tablet"].contains(&record.device.as_str()));
        if !record.utm_campaign.is_empty() {
            assert!(!record.utm_source.is_empty() && !record.utm_medium.is_empty());
        }
        match record.event.as_str() {
            "click" => assert!(
                record.properties.contains_key("element")
                    && record.properties.contains_key("section")
            ),
            "purchase" => {
                assert_eq!(record.site, "shop");
                assert!(["pro", "team"].contains(&record.properties["plan"].as_str()));
                assert!(record.properties["amount"].parse::<f64>().unwrap() > 0.0);
            }
            _ => {}
        }
        n += 1;
    }
    assert_eq!(n, stats.events + stats.duplicates);
}

#[test]
fn the_data_is_shaped_like_the_model() {
    let events = 150_000;
    let (batches, stats) = generate(events, 120, 1);

    // Exactly the events asked for, each event_id once, plus resends of earlier batches' events.
    let mut first_batch: HashMap<String, usize> = HashMap::new();
    let mut resends = 0;
    for (i, batch) in batches.iter().enumerate() {
        for sent in batch {
            let id = field(sent, "event_id").to_owned();
            if sent.duplicate {
                let original = first_batch
                    .get(&id)
                    .expect("a resend of an event already sent");
                assert!(*original < i, "a resend comes in a later batch");
                resends += 1;
            } else {
                assert!(first_batch.insert(id, i).is_none(), "event ids are unique");
            }
        }
    }
    assert_eq!(first_batch.len() as u64, events);
    assert_eq!(stats.events, events);
    assert_eq!(resends, stats.duplicates);
    let share = |n: u64, of: u64| n as f64 / of as f64;
    assert!(
        (0.0005..0.002).contains(&share(stats.duplicates, events)),
        "{stats:?}"
    );
    assert!(
        (0.003..0.007).contains(&share(stats.late, events)),
        "{stats:?}"
    );

    // Visits and visitors, computed from the events themselves.
    let originals: Vec<&Sent> = batches.iter().flatten().filter(|s| !s.duplicate).collect();
    let mut visits: HashMap<&str, Vec<&Sent>> = HashMap::new();
    let mut visitors: HashSet<&str> = HashSet::new();
    let mut signed_in: HashSet<&str> = HashSet::new();
    for sent in &originals {
        visits
            .entry(field(sent, "session_id"))
            .or_default()
            .push(sent);
        visitors.insert(field(sent, "anonymous_id"));
        if !field(sent, "user_id").is_empty() {
            signed_in.insert(field(sent, "anonymous_id"));
        }
    }
    assert_eq!(visits.len() as u64, stats.visits);
    assert_eq!(visitors.len() as u64, stats.visitors);
    let per_visit = share(events, stats.visits);
    assert!(
        (4.0..6.0).contains(&per_visit),
        "events per visit {per_visit}"
    );
    let per_visitor = share(stats.visits, stats.visitors);
    assert!(
        (2.3..3.7).contains(&per_visitor),
        "visits per visitor {per_visitor}"
    );
    let returning = share(stats.returning_visitors, stats.visitors);
    assert!(
        (0.2..0.4).contains(&returning),
        "returning share {returning}"
    );
    let signed = share(signed_in.len() as u64, stats.visitors);
    assert!((0.07..0.13).contains(&signed), "signed-in share {signed}");

    // Bounces: a single page view and nothing else.
    let bounces = visits
        .values()
        .filter(|events| events.len() == 1 && field(events[0], "event") == "pageview")
        .count() as u64;
    let bounce_rate = share(bounces, stats.visits);
    assert!(
        (0.35..0.45).contains(&bounce_rate),
        "bounce rate {bounce_rate}"
    );
    assert!(visits.values().all(|e| (1..=15).contains(&e.len())));

    // The first page view of a visit carries the referrer, and ~15% of landings a campaign.
    let mut campaigns = 0;
    let mut referred = 0;
    for events in visits.values() {
        let first = events[0];
        assert_eq!(field(first, "event"), "pageview");
        if field(first, "url").contains("utm_source=") {
            campaigns += 1;
        }
        if !field(first, "referrer").is_empty() {
            referred += 1;
        }
        assert!(events[1..].iter().all(|e| field(e, "referrer").is_empty()));
        assert!(events
            .windows(2)
            .all(|w| field(w[0], "timestamp") <= field(w[1], "timestamp")));
    }
    let campaign_share = share(campaigns, stats.visits);
    assert!(
        (0.12..0.18).contains(&campaign_share),
        "campaign share {campaign_share}"
    );
    assert!((0.55..0.8).contains(&share(referred, stats.visits)));

    // Sites, events, funnel.
    let mut by_site: HashMap<&str, u64> = HashMap::new();
    let mut by_event: HashMap<&str, u64> = HashMap::new();
    let mut funnel_visitors: [HashSet<&str>; 4] = Default::default();
    for sent in &originals {
        *by_site.entry(field(sent, "site")).or_default() += 1;
        let event = field(sent, "event");
        *by_event.entry(event).or_default() += 1;
        let step = match (event, field(sent, "url")) {
            ("pageview", url) if url.ends_with("/signup") => Some(0),
            ("signup_start", _) => Some(1),
            ("signup_details", _) => Some(2),
            ("signup_complete", _) => Some(3),
            _ => None,
        };
        if let Some(step) = step {
            funnel_visitors[step].insert(field(sent, "anonymous_id"));
        }
    }
    let demo = share(by_site["demo"], events);
    assert!((0.8..0.9).contains(&demo), "demo share {demo}");
    assert!(by_event["click"] > events / 10 && by_event["pageview"] > events / 2);
    assert!(by_event["purchase"] > 0 && by_event["purchase"] == stats.purchases);
    let steps: Vec<u64> = (1..4).map(|i| stats.funnel[i]).collect();
    assert!(stats.funnel.windows(2).all(|w| w[0] >= w[1]), "{stats:?}");
    let start = stats.funnel[1] as f64;
    assert!(
        (0.5..0.7).contains(&(start / stats.funnel[0] as f64)),
        "{stats:?}"
    );
    assert!(
        (0.28..0.42).contains(&(steps[1] as f64 / stats.funnel[0] as f64)),
        "{stats:?}"
    );
    assert!(
        (0.14..0.26).contains(&(steps[2] as f64 / stats.funnel[0] as f64)),
        "{stats:?}"
    );
    for step in 1..4 {
        assert!(funnel_visitors[step].len() <= funnel_visitors[step - 1].len());
    }
}

#[test]
fn traffic_follows_the_clock() {
    let (batches, _) = generate(100_000, 84, 5);
    let mut hours = [0u64; 24];
    let mut weekdays = [0u64; 7];
    let mut first_weeks = 0u64;
    let mut last_weeks = 0u64;
    for sent in batches.iter().flatten().filter(|s| !s.duplicate) {
        let t = OffsetDateTime::parse(field(sent, "timestamp"), &Rfc3339).unwrap();
        hours[t.hour() as usize] += 1;
        weekdays[t.weekday().number_days_from_monday() as usize] += 1;
        if t < END - Duration::days(70) {
            first_weeks += 1;
        } else if t >= END - Duration::days(14) {
            last_weeks += 1;
        }
    }
    let night: u64 = hours[1..5].iter().sum();
    let afternoon: u64 = hours[12..16].iter().sum();
    assert!(afternoon > 3 * night, "{hours:?}");
    let weekend = (weekdays[5] + weekdays[6]) as f64 / 2.0;
    let midweek = (weekdays[1] + weekdays[2]) as f64 / 2.0;
    assert!(weekend < 0.75 * midweek, "{weekdays:?}");
    assert!(
        last_weeks as f64 > 1.2 * first_weeks as f64,
        "growth: {first_weeks} -> {last_weeks}"
    );
}

#[test]
fn small_and_odd_sizes_work() {
    for (events, days) in [(1, 1), (7, 3), (100, 365), (2_000, 1)] {
        let (batches, stats) = generate(events, days, 9);
        let n = batches.iter().flatten().filter(|s| !s.duplicate).count() as u64;
        assert_eq!(n, events, "{events} events over {days} days");
        assert_eq!(stats.events, events);
    }
}
