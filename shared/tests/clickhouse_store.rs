//! The ClickHouse adapter against a real ClickHouse (chDB 26.x started by the test command): the
//! migrations, the writer's duplicate check, visits of events without a session id, and hostile
//! values. (Every analytics route is checked on a worked-out data set in functions/analytics.)

mod common;

use common::{env, event, unique};
use shared::adapters::clickhouse::{migrate, ClickHouse, MIGRATIONS};
use shared::analytics::period::Zone;
use shared::analytics::{Counts, Question};
use shared::config::ClickHouseConfig;
use shared::ports::{AnalyticsStore, EventSink};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn config() -> ClickHouseConfig {
    ClickHouseConfig {
        url: env("CLICKHOUSE_URL"),
        user: "default".into(),
        password: String::new(),
        database: unique("test"),
    }
}

fn question(from: OffsetDateTime, to: OffsetDateTime, site: Option<&str>) -> Question {
    Question {
        from,
        to,
        zone: Zone::utc(),
        site: site.map(str::to_owned),
        filters: vec![],
    }
}

#[tokio::test]
async fn migrations_apply_once() {
    let cfg = config();
    let first = migrate(&cfg).await.unwrap();
    assert_eq!(first, MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>());
    assert!(
        migrate(&cfg).await.unwrap().is_empty(),
        "a second run applies nothing"
    );
}

#[tokio::test]
async fn an_event_id_counts_once_however_often_it_arrives() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:00 UTC);

    let mut batch = vec![
        event("pageview", "v1", t),
        event("pageview", "v1", t + Duration::minutes(1)),
        event("signup", "v2", t + Duration::minutes(2)),
    ];
    let mut other_site = event("pageview", "v3", t);
    other_site.site = "blog".into();
    batch.push(other_site);
    // Twice in the same batch.
    batch.push(batch[0].clone());
    store.insert(&batch).await.unwrap();
    // The writer's retry of the same batch, and a client resending one event hours later in
    // another batch: neither counts twice.
    store.insert(&batch).await.unwrap();
    let mut resent = batch[2].clone();
    resent.received_at += Duration::hours(5);
    store.insert(&[resent]).await.unwrap();

    let day = question(t - Duration::hours(10), t + Duration::hours(14), None);
    let all = store.overview(&day).await.unwrap();
    assert_eq!(
        (all.events, all.visitors, all.visits, all.pageviews),
        (4, 3, 3, 3)
    );
    let default_site = store
        .overview(&question(day.from, day.to, Some("default")))
        .await
        .unwrap();
    assert_eq!(
        (
            default_site.events,
            default_site.visitors,
            default_site.pageviews
        ),
        (3, 2, 2)
    );
    let empty = store
        .overview(&question(
            t + Duration::days(1),
            t + Duration::days(2),
            None,
        ))
        .await
        .unwrap();
    assert_eq!(empty, Counts::default());
}

#[tokio::test]
async fn events_without_a_session_form_visits_by_30_minute_gaps() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:00 UTC);
    let without_session = |minutes: i64| {
        let mut e = event("pageview", "server", t + Duration::minutes(minutes));
        e.session_id.clear();
        e
    };
    // 0, 20, 45 are one visit (gaps of 20 and 25 minutes); 80 starts another (35); 100 (20 later,
    // in a later batch) continues it; 200 is a third.
    store
        .insert(&[without_session(0), without_session(45), without_session(20)])
        .await
        .unwrap();
    store.insert(&[without_session(80)]).await.unwrap();
    store
        .insert(&[without_session(100), without_session(200)])
        .await
        .unwrap();
    let c = store
        .overview(&question(t, t + Duration::hours(5), None))
        .await
        .unwrap();
    assert_eq!((c.visitors, c.visits, c.pageviews), (1, 3, 6));
    // Durations: 45 min + 20 min + 0.
    assert_eq!(c.duration_ms, 65 * 60 * 1000);
    assert_eq!(c.bounces, 1);
}

#[tokio::test]
async fn a_cookieless_visit_across_midnight_stays_one_visit_of_one_visitor() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let midnight = datetime!(2026-11-21 00:00 UTC);
    // The same client: `cl_old` under yesterday's salt, `cl_new` under today's.
    let at = |site: &str, minutes: i64, id: &str, previous: &str| {
        let mut e = event("pageview", id, midnight + Duration::minutes(minutes));
        e.site = site.into();
        e.session_id.clear();
        e.previous_visitor = previous.into();
        e
    };
    for (site, previous) in [("cookieless", "cl_old"), ("control", "")] {
        // 23:50 yesterday; then 00:05 and (another batch) 00:20 today; then 01:30, a new visit.
        store.insert(&[at(site, -10, "cl_old", "")]).await.unwrap();
        store
            .insert(&[at(site, 5, "cl_new", previous)])
            .await
            .unwrap();
        store
            .insert(&[
                at(site, 20, "cl_new", previous),
                at(site, 90, "cl_new", previous),
            ])
            .await
            .unwrap();
    }
    let day_before = midnight - Duration::days(1);
    let counts = |site: &'static str, from: OffsetDateTime| {
        let store = &store;
        async move {
            let c = store
                .overview(&question(from, midnight + Duration::days(1), Some(site)))
                .await
                .unwrap();
            (c.visitors, c.visits, c.pageviews)
        }
    };
    // The visit of 23:50-00:20 is one visit, of `cl_old`; 01:30 is `cl_new`'s own.
    assert_eq!(counts("cookieless", day_before).await, (2, 2, 4));
    // Today alone: the continued visit still counts its visitor once, and 01:30 another.
    assert_eq!(counts("cookieless", midnight).await, (2, 2, 3));
    // Without the previous day's id, midnight cuts the visit in two.
    assert_eq!(counts("control", day_before).await, (2, 3, 4));
}

#[tokio::test]
async fn hostile_values_are_data_not_sql() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:00 UTC);
    let mut e = event("pageview", "x'); DROP TABLE raw_events; --", t);
    e.properties.insert("q".into(), "' OR 1=1 --".into());
    e.session_id.clear();
    store.insert(&[e]).await.unwrap();
    let hour = question(
        t - Duration::hours(1),
        t + Duration::hours(1),
        Some("' OR ''='"),
    );
    assert_eq!(store.overview(&hour).await.unwrap().events, 0);
    let hour = question(hour.from, hour.to, None);
    assert_eq!(store.overview(&hour).await.unwrap().events, 1);
}

#[tokio::test]
async fn an_unreachable_server_is_an_error() {
    let cfg = ClickHouseConfig {
        url: "http://127.0.0.1:9".into(),
        ..config()
    };
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:00 UTC);
    assert!(store.insert(&[event("pageview", "v", t)]).await.is_err());
}

#[tokio::test]
async fn a_large_batch_is_checked_and_stored_whole() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:00 UTC);
    let one = event("pageview", "big", t);
    // More ids than one look-up query takes, twice over.
    let batch: Vec<_> = (0..45_000)
        .map(|i| {
            let mut e = one.clone();
            e.event_id = uuid::Uuid::new_v4();
            e.timestamp = t + Duration::milliseconds(i);
            e
        })
        .collect();
    store.insert(&batch).await.unwrap();
    store.insert(&batch[40_000..]).await.unwrap();
    let c = store
        .overview(&question(t, t + Duration::hours(1), None))
        .await
        .unwrap();
    assert_eq!(c.events, 45_000);
}

#[tokio::test]
async fn a_sign_in_during_a_visit_makes_two_visitors_of_one_visit() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:00 UTC);
    let before = event("pageview", "anon-1", t);
    let mut after = event("click", "anon-1", t + Duration::minutes(2));
    after.user_id = "ada".into();
    after.session_id = before.session_id.clone();
    store.insert(&[before]).await.unwrap();
    store.insert(&[after]).await.unwrap();
    // On whole hours the rollup answers; the raw rows must agree.
    let q = question(t, t + Duration::hours(1), None);
    let c = store.overview(&q).await.unwrap();
    assert_eq!((c.visitors, c.visits, c.events), (2, 1, 2));
    let raw = shared::adapters::clickhouse::analytics::raw::overview(&store, &q)
        .await
        .unwrap();
    assert_eq!(raw, c);
}

#[tokio::test]
async fn the_analytics_client_cannot_write() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let reader = ClickHouse::for_reads(
        &cfg,
        &shared::adapters::clickhouse::analytics::ReadLimits::default(),
    );
    let t = datetime!(2026-11-20 10:00 UTC);
    assert!(reader.insert(&[event("pageview", "v", t)]).await.is_err());
    let writer = ClickHouse::new(&cfg);
    let q = question(t, t + Duration::hours(1), None);
    assert_eq!(writer.overview(&q).await.unwrap().events, 0);
}

#[tokio::test]
async fn schema_1_data_is_copied_once_per_event_id() {
    let cfg = config();
    let client = clickhouse::Client::default().with_url(&cfg.url);
    client
        .query(&format!("CREATE DATABASE {}", cfg.database))
        .execute()
        .await
        .unwrap();
    let db = client.with_database(&cfg.database);
    // A database as schema 1 left it: its table, its ledger, and one event stored on two days (the
    // gap schema 1 had).
    db.query(MIGRATIONS[0].2).execute().await.unwrap();
    db.query(
        "CREATE TABLE schema_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) \
         ENGINE = ReplacingMergeTree ORDER BY version",
    )
    .execute()
    .await
    .unwrap();
    db.query("INSERT INTO schema_migrations (version, name) VALUES (1, 'events')")
        .execute()
        .await
        .unwrap();
    db.query(
        "INSERT INTO events (event_id, site, event, timestamp, received_at, anonymous_id, session_id, path) VALUES \
         ('00000000-0000-4000-8000-000000000001', 'shop', 'pageview', '2026-11-20 10:00:00', '2026-11-20 10:00:01', 'a', 's1', '/'), \
         ('00000000-0000-4000-8000-000000000001', 'shop', 'pageview', '2026-11-21 10:00:00', '2026-11-21 10:00:01', 'a', 's1', '/'), \
         ('00000000-0000-4000-8000-000000000002', 'shop', 'click', '2026-11-20 10:05:00', '2026-11-20 10:05:01', 'a', '', '/')",
    )
    .execute()
    .await
    .unwrap();

    assert_eq!(migrate(&cfg).await.unwrap(), vec![2]);
    let store = ClickHouse::new(&cfg);
    let c = store
        .overview(&question(
            datetime!(2026-11-19 0:00 UTC),
            datetime!(2026-11-23 0:00 UTC),
            None,
        ))
        .await
        .unwrap();
    assert_eq!((c.events, c.pageviews, c.visitors), (2, 1, 1));
    // Of the two copies, the newest (the second day's) was kept.
    let day: String = db
        .query("SELECT toString(toDate(timestamp)) FROM raw_events WHERE event = 'pageview'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(day, "2026-11-21");
    // The old table is kept for a writer of the old version that may still run.
    let kept: u64 = db
        .query("SELECT count() FROM events")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(kept, 3);
}

#[tokio::test]
async fn a_visit_across_two_hours_is_one_visit_on_both_sources() {
    use shared::adapters::clickhouse::analytics::raw;
    use shared::analytics::filter::Dimension;
    use shared::analytics::period::Interval;
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:50 UTC);
    let mut landing = event("pageview", "anon-x", t);
    landing.path = "/in".into();
    let mut middle = event("pageview", "anon-x", t + Duration::minutes(8));
    middle.path = "/mid".into();
    // Signed in during the second hour, in a later batch.
    let mut out = event("pageview", "anon-x", t + Duration::minutes(20));
    out.path = "/out".into();
    out.user_id = "ada".into();
    store.insert(&[landing, middle]).await.unwrap();
    store.insert(&[out]).await.unwrap();

    let q = question(
        datetime!(2026-11-20 10:00 UTC),
        datetime!(2026-11-20 12:00 UTC),
        None,
    );
    let c = store.overview(&q).await.unwrap();
    assert_eq!((c.visitors, c.visits, c.pageviews, c.bounces), (2, 1, 3, 0));
    assert_eq!(c.duration_ms, 20 * 60 * 1000);
    assert_eq!(raw::overview(&store, &q).await.unwrap(), c);
    for (d, value) in [(Dimension::EntryPage, "/in"), (Dimension::ExitPage, "/out")] {
        let rows = store.breakdown(&q, &d, 10, 0).await.unwrap();
        assert_eq!(rows.len(), 1, "{d:?}");
        assert_eq!(rows[0].0, value);
        assert_eq!(rows, raw::breakdown(&store, &q, &d, 10).await.unwrap());
    }
    // The visit has events in both hours: it counts in both buckets.
    let buckets = Interval::Hour.buckets(&q.zone, q.from, q.to).unwrap();
    let series = store
        .timeseries(&q, Interval::Hour, &buckets)
        .await
        .unwrap();
    assert_eq!(
        series
            .iter()
            .map(|c| (c.visits, c.pageviews))
            .collect::<Vec<_>>(),
        [(1, 2), (1, 1)]
    );
    assert_eq!(
        series,
        raw::timeseries(&store, &q, Interval::Hour, &buckets)
            .await
            .unwrap()
    );
}
