//! Every analytics route through the handler, against a real ClickHouse (chDB, started by the test
//! command), on a small data set whose answers are worked out by hand below.
//!
//! The data (site `shop` unless said; times UTC; Berlin is UTC+1 until 2026-03-29 01:00 UTC, then +2):
//! - a (Firefox), visit s0: pageview / at 03-27 10:00 (the compared period only)
//! - a, visit s1: pageview / 03-28 10:00 (from google.com, utm_source=news), pageview /pricing 10:01,
//!   click on /pricing 10:02:30 {plan: pro} (sent twice: the copy must not count)
//!   -> 3 events, 2 page views, 150 s, entry /, exit /pricing
//! - b (Safari), visit s2: pageview /pricing 03-28 23:30 (00:30 on the 29th in Berlin) -> bounce
//! - b, visit s3: pageview / 03-29 09:00, signup_start on /signup 09:00:20, signup_complete 09:05:20
//!   -> 3 events, 1 page view, 320 s, not a bounce (it has other events)
//! - user u-c (Chrome), no session id: pageview /docs 03-29 12:00, /docs/x 12:20 (same visit, 20 min),
//!   /docs 13:00 (40 min later: a new visit) -> visits c1 (2 page views, 1200 s) and c2 (bounce)
//! - d, site `blog`: pageview /post 03-29 12:00
//!
//! In Berlin, 2026-03-28..29 holds s1, s2, s3, c1, c2: 3 visitors, 5 visits, 7 page views, 10
//! events, 2 bounces (0.4), 1670 s in all (334 s a visit), 1.4 views a visit.

use std::sync::OnceLock;

use analytics::App;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Value};
use shared::adapters::clickhouse::analytics::{raw, ReadLimits};
use shared::adapters::clickhouse::{migrate, ClickHouse};
use shared::adapters::memory::{MemorySigningKeys, MemoryUsers};
use shared::analytics::filter::Dimension;
use shared::analytics::params::Params;
use shared::auth::jwt::{Claims, Signer, TokenSettings, Tokens, REFRESH_EVERY};
use shared::auth::keys::KeySet;
use shared::auth::Role;
use shared::config::ClickHouseConfig;
use shared::event::{parse_event, EventRecord, RequestContext};
use shared::ports::{AnalyticsStore, EventSink, SigningKeys, UserStore};
use shared::users::{Email, User, Username};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tokio::sync::OnceCell;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
/// "Now" for the routes that depend on it.
const NOW: OffsetDateTime = datetime!(2026-03-30 12:00 UTC);

fn ev(body: Value, ua: &str) -> EventRecord {
    let at = OffsetDateTime::parse(body["timestamp"].as_str().unwrap(), &Rfc3339).unwrap();
    let ctx = RequestContext::new(at + Duration::seconds(1), Some(ua), None);
    parse_event(&body, &ctx).expect("a valid event")
}

fn pageview(visitor: &str, session: &str, at: &str, path: &str, ua: &str) -> EventRecord {
    ev(
        json!({"event": "pageview", "site": "shop", "anonymous_id": visitor, "session_id": session,
               "timestamp": at, "url": format!("https://shop.test{path}"), "title": format!("Page {path}")}),
        ua,
    )
}

fn fixture() -> (Vec<EventRecord>, Vec<EventRecord>) {
    let mut landing = pageview("a", "s1", "2026-03-28T10:00:00Z", "/", FIREFOX);
    landing = ev(
        json!({"event": "pageview", "site": "shop", "anonymous_id": "a", "session_id": "s1",
               "timestamp": "2026-03-28T10:00:00Z", "url": "https://shop.test/?utm_source=news",
               "referrer": "https://www.google.com/search?q=x", "title": landing.title}),
        FIREFOX,
    );
    let click = ev(
        json!({"event": "click", "site": "shop", "anonymous_id": "a", "session_id": "s1",
               "timestamp": "2026-03-28T10:02:30Z", "url": "https://shop.test/pricing",
               "event_id": "0190f5b0-0000-7000-8000-000000000001", "properties": {"plan": "pro"}}),
        FIREFOX,
    );
    let c = |at: &str, path: &str| {
        ev(
            json!({"event": "pageview", "site": "shop", "user_id": "u-c", "anonymous_id": "c",
                   "timestamp": at, "url": format!("https://shop.test{path}")}),
            CHROME,
        )
    };
    let b_event = |name: &str, at: &str| {
        ev(
            json!({"event": name, "site": "shop", "anonymous_id": "b", "session_id": "s3",
                   "timestamp": at, "url": "https://shop.test/signup"}),
            SAFARI,
        )
    };
    let mut blog = pageview("d", "s5", "2026-03-29T12:00:00Z", "/post", FIREFOX);
    blog.site = "blog".into();
    let first = vec![
        pageview("a", "s0", "2026-03-27T10:00:00Z", "/", FIREFOX),
        landing,
        pageview("a", "s1", "2026-03-28T10:01:00Z", "/pricing", FIREFOX),
        click.clone(),
        pageview("b", "s2", "2026-03-28T23:30:00Z", "/pricing", SAFARI),
        pageview("b", "s3", "2026-03-29T09:00:00Z", "/", SAFARI),
        b_event("signup_start", "2026-03-29T09:00:20Z"),
        b_event("signup_complete", "2026-03-29T09:05:20Z"),
        c("2026-03-29T12:00:00Z", "/docs"),
        blog,
    ];
    // A later batch: the rest of c's events, and the click again, three hours later.
    let mut again = click;
    again.received_at += Duration::hours(3);
    let second = vec![
        c("2026-03-29T12:20:00Z", "/docs/x"),
        c("2026-03-29T13:00:00Z", "/docs"),
        again,
    ];
    (first, second)
}

/// One database with the fixture for every test of this file. Each test gets its own clients: a
/// client belongs to the runtime of the test that made it.
async fn app() -> App<ClickHouse, MemoryUsers> {
    app_with(&ReadLimits::default()).await
}

/// The fixture's database, loaded once for every test of this file.
async fn database() -> &'static ClickHouseConfig {
    static DB: OnceCell<ClickHouseConfig> = OnceCell::const_new();
    DB.get_or_init(|| async {
        shared::config::init_tracing();
        let cfg = ClickHouseConfig {
            url: std::env::var("CLICKHOUSE_URL")
                .expect("CLICKHOUSE_URL is not set: run the tests through ./test.sh"),
            user: "default".into(),
            password: String::new(),
            database: format!("analytics_{}", uuid::Uuid::new_v4().simple()),
        };
        migrate(&cfg).await.unwrap();
        let writer = ClickHouse::new(&cfg);
        let (first, second) = fixture();
        writer.insert(&first).await.unwrap();
        writer.insert(&second).await.unwrap();
        cfg
    })
    .await
}

/// Each test gets its own clients: a client belongs to the runtime of the test that made it.
async fn app_with(limits: &ReadLimits) -> App<ClickHouse, MemoryUsers> {
    let cfg = database().await;
    let users = MemoryUsers::default();
    for (name, role) in [
        ("ada", Role::Admin),
        ("vic", Role::Viewer),
        ("demoted", Role::Viewer),
    ] {
        users.create(&user(name, role)).await.unwrap();
    }
    App {
        store: ClickHouse::for_reads(cfg, limits),
        users,
        tokens: tokens().clone(),
    }
}

fn user(name: &str, role: Role) -> User {
    let now = OffsetDateTime::now_utc();
    User {
        username: Username::parse(name).unwrap(),
        email: Email::parse(&format!("{name}@example.com")).unwrap(),
        role,
        password_hash: String::new(),
        token_version: 0,
        created_at: now,
        updated_at: now,
    }
}

fn token_settings() -> TokenSettings {
    TokenSettings {
        issuer: "analytics".into(),
        audience: "analytics-api".into(),
        ttl_seconds: 900,
    }
}

/// Auth's signing key (only auth has one; here it mints the tests' tokens).
fn signer() -> &'static Signer {
    static S: OnceLock<Signer> = OnceLock::new();
    S.get_or_init(|| {
        Signer::new(b"test-secret-test-secret-test-secret!", &token_settings()).unwrap()
    })
}

/// The keys auth published (its own), in a store of their own.
fn published() -> (MemorySigningKeys, KeySet) {
    let mut keys = KeySet::default();
    keys.publish(
        signer().public_key(),
        OffsetDateTime::now_utc(),
        signer().retire_grace(),
    );
    (MemorySigningKeys::new(keys.clone()), keys)
}

/// The verifier of the function: the published keys, re-read on an unknown key id.
fn tokens() -> &'static Tokens {
    static T: OnceLock<Tokens> = OnceLock::new();
    T.get_or_init(|| {
        let (store, keys) = published();
        Tokens::refreshing(&token_settings(), store, &keys, REFRESH_EVERY)
    })
}

fn request(path: &str, query: &[(&str, &str)], token: bool) -> Request {
    request_as(path, query, token.then_some(("vic", Role::Viewer)))
}

/// A request with a token for `who` (the role the token claims).
fn request_as(path: &str, query: &[(&str, &str)], who: Option<(&str, Role)>) -> Request {
    let token = who.map(|(name, role)| signer().issue(name, role, 0, OffsetDateTime::now_utc()));
    request_with(path, query, token.as_deref())
}

fn request_with(path: &str, query: &[(&str, &str)], token: Option<&str>) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method("GET")
        .uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let mut params: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (k, v) in query {
        params.entry(k.to_string()).or_default().push(v.to_string());
    }
    b.body(Body::Empty)
        .unwrap()
        .with_query_string_parameters(params)
}

async fn get(path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    call(request(path, query, true)).await
}

async fn call(r: Request) -> (u16, Value) {
    call_on(&app().await, r).await
}

async fn call_on(app: &App<ClickHouse, MemoryUsers>, r: Request) -> (u16, Value) {
    let resp = analytics::handle_at(app, r, NOW).await;
    let status = resp.status().as_u16();
    let Body::Text(t) = resp.body() else {
        panic!("no body")
    };
    (status, serde_json::from_str(t).unwrap())
}

const BERLIN: [(&str, &str); 4] = [
    ("from", "2026-03-28"),
    ("to", "2026-03-29"),
    ("tz", "Europe/Berlin"),
    ("site", "shop"),
];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    BERLIN
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

/// (visitors, visits, pageviews, events, bounce_rate, visit_duration) of an answer.
fn figures(v: &Value) -> (u64, u64, u64, u64, f64, f64) {
    (
        v["visitors"].as_u64().unwrap(),
        v["visits"].as_u64().unwrap(),
        v["pageviews"].as_u64().unwrap(),
        v["events"].as_u64().unwrap(),
        v["bounce_rate"].as_f64().unwrap(),
        v["visit_duration"].as_f64().unwrap(),
    )
}

#[tokio::test]
async fn overview_counts_visits_bounces_and_durations_once_each() {
    let (status, body) = get("/api/analytics/overview", &BERLIN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(figures(&body), (3, 5, 7, 10, 0.4, 334.0));
    assert_eq!(body["views_per_visit"], 1.4);
    assert_eq!(body["approximate"], false);
    assert_eq!(body["from"], "2026-03-28T00:00:00+01:00");
    assert_eq!(body["to"], "2026-03-30T00:00:00+02:00");
    // The two days before (26 and 27 March in Berlin) hold a's first visit only.
    assert_eq!(figures(&body["compare"]), (1, 1, 1, 1, 1.0, 0.0));
    let (_, none) = get("/api/analytics/overview", &with(&[("compare", "none")])).await;
    assert_eq!(none["compare"], Value::Null);
    let (_, year) = get("/api/analytics/overview", &with(&[("compare", "year")])).await;
    assert_eq!(year["compare"]["from"], "2025-03-28T00:00:00+01:00");
    assert_eq!(year["compare"]["visits"], 0);
    // Every site: d's visit on the blog too.
    let (_, all) = get("/api/analytics/overview", &BERLIN[..3]).await;
    assert_eq!(figures(&all), (4, 6, 8, 11, 0.5, 278.3));
    // An empty range.
    let (_, empty) = get(
        "/api/analytics/overview",
        &[("from", "2026-01-01"), ("to", "2026-01-02")],
    )
    .await;
    assert_eq!(figures(&empty), (0, 0, 0, 0, 0.0, 0.0));
}

#[tokio::test]
async fn timeseries_buckets_follow_the_zone_across_dst() {
    let (status, body) = get("/api/analytics/timeseries", &with(&[("interval", "day")])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["points"],
        json!([
            {"t": "2026-03-28T00:00:00+01:00", "visitors": 1, "visits": 1, "pageviews": 2, "events": 3},
            {"t": "2026-03-29T00:00:00+01:00", "visitors": 2, "visits": 4, "pageviews": 5, "events": 7},
        ])
    );
    // In UTC b's 23:30 visit is on the 28th.
    let utc = [
        ("from", "2026-03-28"),
        ("to", "2026-03-29"),
        ("site", "shop"),
        ("interval", "day"),
    ];
    let (_, body) = get("/api/analytics/timeseries", &utc).await;
    assert_eq!(body["points"][0]["visits"], 2);
    assert_eq!(body["points"][0]["t"], "2026-03-28T00:00:00+00:00");
    // The 29th in Berlin has 23 hours; every one is there, empty ones zero.
    let day = [
        ("from", "2026-03-29"),
        ("to", "2026-03-29"),
        ("tz", "Europe/Berlin"),
        ("site", "shop"),
        ("interval", "hour"),
    ];
    let (_, body) = get("/api/analytics/timeseries", &day).await;
    let points = body["points"].as_array().unwrap();
    assert_eq!(points.len(), 23);
    assert_eq!(points[0]["t"], "2026-03-29T00:00:00+01:00");
    assert_eq!(points[1]["t"], "2026-03-29T01:00:00+01:00");
    assert_eq!(points[2]["t"], "2026-03-29T03:00:00+02:00");
    assert_eq!(points[0]["visits"], 1);
    assert_eq!(
        points
            .iter()
            .map(|p| p["events"].as_u64().unwrap())
            .sum::<u64>(),
        7
    );
    // 11:00 Berlin: b's 3 events; 14:00: c's 2; 15:00: c's new visit.
    assert_eq!(points[10]["events"], 3);
    assert_eq!(
        (points[13]["events"].as_u64(), points[14]["visits"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        points[5],
        json!({"t": "2026-03-29T06:00:00+02:00", "visitors": 0, "visits": 0, "pageviews": 0, "events": 0})
    );
    // Weeks and months start on local Mondays and first days.
    let (_, weeks) = get("/api/analytics/timeseries", &with(&[("interval", "week")])).await;
    assert_eq!(
        weeks["points"],
        json!([{"t": "2026-03-23T00:00:00+01:00", "visitors": 3, "visits": 5, "pageviews": 7, "events": 10}])
    );
    let (_, minutes) = get(
        "/api/analytics/timeseries",
        &[
            ("from", "2026-03-29T12:00:00Z"),
            ("to", "2026-03-29T12:30:00Z"),
            ("site", "shop"),
        ],
    )
    .await;
    assert_eq!(minutes["interval"], "minute");
    assert_eq!(minutes["points"].as_array().unwrap().len(), 30);
    assert_eq!(
        (
            minutes["points"][0]["events"].as_u64(),
            minutes["points"][20]["events"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn breakdowns_by_visit_and_event_dimensions() {
    let (status, body) = get(
        "/api/analytics/breakdown",
        &with(&[("dimension", "entry_page")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_visitors"], 3);
    let rows = body["rows"].as_array().unwrap();
    let values: Vec<&str> = rows.iter().map(|r| r["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["/", "/docs", "/pricing"]);
    assert_eq!(figures(&rows[0]), (2, 2, 3, 6, 0.0, 235.0));
    assert_eq!(figures(&rows[1]), (1, 2, 3, 3, 0.5, 600.0));

    let (_, body) = get("/api/analytics/breakdown", &with(&[("dimension", "path")])).await;
    let rows = body["rows"].as_array().unwrap();
    let values: Vec<&str> = rows.iter().map(|r| r["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["/pricing", "/", "/docs", "/signup", "/docs/x"]);
    assert_eq!(figures(&rows[0]), (2, 2, 2, 3, 0.5, 75.0));
    assert_eq!(figures(&rows[3]), (1, 1, 0, 2, 0.0, 320.0));

    let (_, body) = get(
        "/api/analytics/breakdown",
        &with(&[("dimension", "prop:plan")]),
    )
    .await;
    assert_eq!(
        body["rows"],
        json!([{"value": "pro", "visitors": 1, "visits": 1, "pageviews": 0, "events": 1, "bounce_rate": 0.0, "visit_duration": 150.0}])
    );

    let (_, body) = get(
        "/api/analytics/breakdown",
        &with(&[("dimension", "referrer")]),
    )
    .await;
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(
        (rows[0]["value"].as_str(), rows[0]["visits"].as_u64()),
        (Some(""), Some(4))
    );
    assert_eq!(
        (rows[1]["value"].as_str(), rows[1]["visits"].as_u64()),
        (Some("google.com"), Some(1))
    );

    let (_, body) = get(
        "/api/analytics/breakdown",
        &with(&[("dimension", "browser"), ("limit", "1"), ("offset", "1")]),
    )
    .await;
    assert_eq!(body["rows"].as_array().unwrap().len(), 1);
    let (_, body) = get(
        "/api/analytics/breakdown",
        &with(&[("dimension", "utm_source")]),
    )
    .await;
    assert_eq!(body["rows"][1]["value"], "news");
}

#[tokio::test]
async fn every_filter_operator_alone_and_combined() {
    for (filter, expected) in [
        (
            vec![("filter", "path:is:/pricing")],
            (2, 2, 2, 3, 0.5, 75.0),
        ),
        (vec![("browser", "Safari")], (1, 2, 2, 4, 0.5, 160.0)),
        (
            vec![("filter", "path:matches:^/docs")],
            (1, 2, 3, 3, 0.5, 600.0),
        ),
        (
            vec![("filter", "path:contains:DOC")],
            (1, 2, 3, 3, 0.5, 600.0),
        ),
        (
            vec![("filter", "path:not_contains:doc")],
            (2, 3, 4, 7, 0.3333, 156.7),
        ),
        (
            vec![("filter", "path:not_matches:^/docs|^/signup")],
            (2, 3, 4, 5, 0.3333, 156.7),
        ),
        (
            vec![("filter", "entry_page:is_not:/")],
            (2, 3, 4, 4, 0.6667, 400.0),
        ),
        (
            vec![("filter", "path:is:/pricing|/docs")],
            (3, 4, 4, 5, 0.5, 337.5),
        ),
        (
            vec![("browser", "Safari"), ("filter", "path:is:/pricing")],
            (1, 1, 1, 1, 1.0, 0.0),
        ),
        (vec![("prop.plan", "pro")], (1, 1, 0, 1, 0.0, 150.0)),
        (
            vec![("filter", "event:is:signup_start|signup_complete")],
            (1, 1, 0, 2, 0.0, 320.0),
        ),
        (
            vec![("filter", "referrer:is:google.com")],
            (1, 1, 2, 3, 0.0, 150.0),
        ),
        (
            vec![("filter", "title:is:Page a\\|b")],
            (0, 0, 0, 0, 0.0, 0.0),
        ),
    ] {
        let (status, body) = get("/api/analytics/overview", &with(&filter)).await;
        assert_eq!(status, 200, "{filter:?}: {body}");
        assert_eq!(figures(&body), expected, "{filter:?}");
    }
}

#[tokio::test]
async fn the_rollup_answers_as_the_raw_rows_do() {
    let app = app().await;
    for filters in [
        vec![],
        vec![("browser", "Safari")],
        vec![("filter", "entry_page:is_not:/")],
    ] {
        let pairs = with(&filters);
        let (q, _) = Params::new(pairs.iter().copied(), &[], true)
            .unwrap()
            .question(NOW)
            .unwrap();
        assert!(raw::uses_rollup(&q, &[], None), "{filters:?}");
        assert_eq!(
            app.store.overview(&q).await.unwrap(),
            raw::overview(&app.store, &q).await.unwrap()
        );
        let interval = shared::analytics::period::Interval::Hour;
        let buckets = interval.buckets(&q.zone, q.from, q.to).unwrap();
        assert_eq!(
            app.store.timeseries(&q, interval, &buckets).await.unwrap(),
            raw::timeseries(&app.store, &q, interval, &buckets)
                .await
                .unwrap()
        );
        for d in [
            Dimension::EntryPage,
            Dimension::ExitPage,
            Dimension::Browser,
            Dimension::Referrer,
            Dimension::UtmSource,
        ] {
            assert_eq!(
                app.store.breakdown(&q, &d, 100, 0).await.unwrap(),
                raw::breakdown(&app.store, &q, &d, 100).await.unwrap(),
                "{d:?}"
            );
        }
    }
}

#[tokio::test]
async fn funnels_keep_order_and_window() {
    let steps = [("steps", "pageview,signup_start,signup_complete")];
    let (status, body) = get("/api/analytics/funnel", &with(&steps)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["steps"],
        json!([
            {"step": "pageview", "visitors": 3, "conversion": 1.0, "dropoff": 0.0, "median_seconds_from_previous": null},
            {"step": "signup_start", "visitors": 1, "conversion": 0.3333, "dropoff": 0.6667, "median_seconds_from_previous": 34220.0},
            {"step": "signup_complete", "visitors": 1, "conversion": 0.3333, "dropoff": 0.0, "median_seconds_from_previous": 300.0},
        ])
    );
    // Within an hour only b's morning start completes.
    let (_, body) = get(
        "/api/analytics/funnel",
        &with(&[steps[0], ("window", "3600")]),
    )
    .await;
    assert_eq!(body["steps"][1]["median_seconds_from_previous"], 20.0);
    // A visit-level filter selects visits: the click has no utm_source, its visit has.
    let (_, body) = get(
        "/api/analytics/funnel",
        &with(&[("steps", "pageview,click"), ("utm_source", "news")]),
    )
    .await;
    assert_eq!(
        body["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["visitors"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 1]
    );
    let (_, body) = get(
        "/api/analytics/funnel",
        &with(&[
            ("steps", "pageview,signup_start"),
            ("filter", "entry_page:is:/"),
        ]),
    )
    .await;
    assert_eq!(body["steps"][0]["visitors"], 2);
    assert_eq!(body["steps"][1]["visitors"], 1);
    // Page steps, in order: b saw /pricing before /.
    let (_, body) = get(
        "/api/analytics/funnel",
        &with(&[("steps", "path:/,path:/pricing")]),
    )
    .await;
    assert_eq!(
        body["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["visitors"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(body["steps"][1]["median_seconds_from_previous"], 60.0);
}

#[tokio::test]
async fn retention_cohorts_by_first_visit() {
    let q = [
        ("from", "2026-03-27"),
        ("to", "2026-03-29"),
        ("site", "shop"),
        ("period", "day"),
    ];
    let (status, body) = get("/api/analytics/retention", &q).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["cohorts"],
        json!([
            {"start": "2026-03-27", "size": 1, "retained": [1, 1, 0, 0]},
            {"start": "2026-03-28", "size": 1, "retained": [1, 1, 0]},
            {"start": "2026-03-29", "size": 1, "retained": [1, 0]},
        ])
    );
    let (_, weeks) = get(
        "/api/analytics/retention",
        &[
            ("from", "2026-03-23"),
            ("to", "2026-03-29"),
            ("site", "shop"),
        ],
    )
    .await;
    assert_eq!(
        weeks["cohorts"],
        json!([{"start": "2026-03-23", "size": 3, "retained": [3, 0]}])
    );
    // A filter narrows a cohort and never adds to it: a (Firefox) first came on the 27th, so the
    // 28th's Firefox cohort is empty; without the filter it holds b.
    let day = [
        ("from", "2026-03-28"),
        ("to", "2026-03-28"),
        ("site", "shop"),
        ("period", "day"),
    ];
    let (_, all) = get("/api/analytics/retention", &day).await;
    assert_eq!(all["cohorts"][0]["size"], 1);
    let firefox: Vec<_> = day
        .iter()
        .copied()
        .chain([("browser", "Firefox")])
        .collect();
    let (_, body) = get("/api/analytics/retention", &firefox).await;
    assert_eq!(body["cohorts"][0]["size"], 0);
    // a's cohort (the 27th) keeps its returns, also those after the range.
    let firefox: Vec<_> = [
        ("from", "2026-03-27"),
        ("to", "2026-03-27"),
        ("site", "shop"),
        ("period", "day"),
        ("browser", "Firefox"),
    ]
    .to_vec();
    let (_, body) = get("/api/analytics/retention", &firefox).await;
    assert_eq!(
        body["cohorts"],
        json!([{"start": "2026-03-27", "size": 1, "retained": [1, 1, 0, 0]}])
    );
    // A range starting on a Sunday: the week's cohort counts its visitors' returns from Monday on.
    let (_, sunday) = get(
        "/api/analytics/retention",
        &[
            ("from", "2026-03-29"),
            ("to", "2026-03-29"),
            ("site", "shop"),
        ],
    )
    .await;
    assert_eq!(
        sunday["cohorts"],
        json!([{"start": "2026-03-23", "size": 3, "retained": [3, 0]}])
    );
    let (_, signups) = get(
        "/api/analytics/retention",
        &[
            ("from", "2026-03-23"),
            ("to", "2026-03-29"),
            ("start_event", "signup_complete"),
        ],
    )
    .await;
    assert_eq!(signups["cohorts"][0]["size"], 1);
}

#[tokio::test]
async fn live_sites_and_recent_events() {
    // The live window is the 5 minutes before "now" (NOW is the 30th): nothing there.
    let (status, body) = get("/api/analytics/live", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["window_seconds"].as_u64(), body["events"].as_u64()),
        (Some(300), Some(0))
    );
    let app = app().await;
    let live = app
        .store
        .live(
            None,
            datetime!(2026-03-29 12:04 UTC),
            analytics::LIVE_WINDOW,
        )
        .await
        .unwrap();
    assert_eq!((live.visitors, live.events), (2, 2));
    assert_eq!(
        live.pages
            .iter()
            .map(|p| p.path.as_str())
            .collect::<Vec<_>>(),
        ["/docs", "/post"]
    );
    assert_eq!(live.recent[0].timestamp, "2026-03-29T12:00:00Z");
    let shop = app
        .store
        .live(
            Some("shop"),
            datetime!(2026-03-29 12:04 UTC),
            analytics::LIVE_WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(shop.events, 1);

    let (_, body) = get("/api/analytics/sites", &[]).await;
    assert_eq!(
        body["sites"],
        json!([
            {"site": "blog", "events": 1, "visitors_30d": 1, "last_seen": "2026-03-29T12:00:00Z"},
            {"site": "shop", "events": 11, "visitors_30d": 3, "last_seen": "2026-03-29T13:00:00Z"},
        ])
    );
}

#[tokio::test]
async fn bad_parameters_are_400s_that_name_them() {
    for (path, query, name) in [
        ("/api/analytics/overview", vec![("to", "soon")], "`to`"),
        ("/api/analytics/overview", vec![("pth", "/x")], "`pth`"),
        (
            "/api/analytics/overview",
            vec![("filter", "path:like:/x")],
            "`filter`",
        ),
        (
            "/api/analytics/overview",
            vec![("filter", "path:matches:(")],
            "`filter`",
        ),
        // Valid for the check before the query, refused by RE2 itself (repeats above 1000).
        (
            "/api/analytics/overview",
            vec![("filter", "path:matches:a{1001}")],
            "`filter`",
        ),
        ("/api/analytics/overview", vec![("tz", "Berlin")], "`tz`"),
        (
            "/api/analytics/timeseries",
            vec![("interval", "fortnight")],
            "`interval`",
        ),
        (
            "/api/analytics/timeseries",
            vec![("interval", "minute"), ("from", "2026-01-01")],
            "`interval`",
        ),
        ("/api/analytics/breakdown", vec![], "`dimension`"),
        (
            "/api/analytics/breakdown",
            vec![("dimension", "colour")],
            "`dimension`",
        ),
        (
            "/api/analytics/breakdown",
            vec![("dimension", "path"), ("limit", "1001")],
            "`limit`",
        ),
        ("/api/analytics/funnel", vec![("steps", "a")], "`steps`"),
        (
            "/api/analytics/funnel",
            vec![("steps", "a,b"), ("window", "0")],
            "`window`",
        ),
        (
            "/api/analytics/retention",
            vec![("periods", "13")],
            "`periods`",
        ),
        (
            "/api/analytics/retention",
            vec![("period", "year")],
            "`period`",
        ),
        (
            "/api/analytics/live",
            vec![("from", "2026-01-01")],
            "`from`",
        ),
        ("/api/analytics/sites", vec![("site", "shop")], "`site`"),
    ] {
        let (status, body) = get(path, &query).await;
        assert_eq!(status, 400, "{path} {query:?}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(name), "{path} {query:?}: {message}");
    }
}

#[tokio::test]
async fn sql_in_parameters_is_inert() {
    let hostile = "x' OR 1=1 --";
    for query in [
        vec![("filter", "path:is:'; DROP TABLE raw_events; --")],
        vec![("filter", "prop:a'b:is:x")],
        vec![("referrer", hostile)],
        vec![("filter", "title:contains:') OR ('1'='1")],
        vec![("filter", "path:matches:^x'.*--$")],
    ] {
        let (status, body) = get("/api/analytics/overview", &with(&query)).await;
        assert_eq!(status, 200, "{query:?}: {body}");
        assert_eq!(body["events"], 0, "{query:?}");
    }
    let (status, _) = get(
        "/api/analytics/breakdown",
        &with(&[("dimension", "prop:'; DROP TABLE x; --")]),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = get("/api/analytics/funnel", &with(&[("steps", "a,b")])).await;
    assert_eq!(status, 200);
    // Still all there.
    let (_, body) = get("/api/analytics/overview", &BERLIN).await;
    assert_eq!(body["events"], 10);
}

#[tokio::test]
async fn authentication_and_routing() {
    let (status, body) = call(request("/api/analytics/overview", &[], false)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = call(request("/api/analytics/nope", &[], true)).await;
    assert_eq!(status, 404);
    let mut post = request("/api/analytics/overview", &[], true);
    *post.method_mut() = lambda_http::http::Method::POST;
    let resp = analytics::handle_at(&app().await, post, NOW).await;
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers()["allow"], "GET");
    let (status, body) = call(request("/api/health", &[], false)).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
}

/// Only a key auth published verifies: this function holds no key that could sign, and a token from
/// any other key is 401, whatever key id or algorithm it names.
#[tokio::test]
async fn a_token_from_a_key_not_published_is_401() {
    let mut app = app().await;
    let (store, keys) = published();
    app.tokens = Tokens::refreshing(&token_settings(), store.clone(), &keys, REFRESH_EVERY);
    let control = signer().issue("ada", Role::Admin, 0, OffsetDateTime::now_utc());
    let overview = "/api/analytics/overview";
    let export = "/api/analytics/export";
    let range = [("from", "2026-03-28"), ("to", "2026-03-29")];
    for path in [overview, export] {
        let resp =
            analytics::handle_at(&app, request_with(path, &range, Some(&control)), NOW).await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }

    let stranger = Signer::new(b"not-auths-secret-not-auths-secret!", &token_settings()).unwrap();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        sub: "ada".into(),
        role: Role::Admin,
        iat: now,
        nbf: now,
        exp: now + 600,
        iss: "analytics".into(),
        aud: "analytics-api".into(),
        ver: 0,
    };
    let mut hs256 = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs256.kid = Some(signer().kid().to_owned());
    let public = signer().public_key();
    let forged = [
        (
            "its own key id",
            stranger.issue("ada", Role::Admin, 0, OffsetDateTime::now_utc()),
        ),
        (
            "auth's key id",
            jsonwebtoken::encode(signer().header(), &claims, stranger.encoding_key()).unwrap(),
        ),
        (
            "HS256 keyed with the public key",
            jsonwebtoken::encode(
                &hs256,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
            )
            .unwrap(),
        ),
        (
            "HS256 keyed with the public key in base64url",
            jsonwebtoken::encode(
                &hs256,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(public.to_base64url().as_bytes()),
            )
            .unwrap(),
        ),
    ];
    for (what, token) in &forged {
        for path in [overview, export] {
            let (status, body) = call_on(&app, request_with(path, &range, Some(token))).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (401, Some("unauthorized")),
                "{what} on {path}"
            );
        }
    }
    // The unknown key id made the function look for it in the table, once (then not for 30 s).
    assert_eq!(store.loads(), 1);
}

/// Auth starts with a new secret: its new key is published, and the next token signed with it is
/// verified here without a restart; tokens of the old key still are until they expire.
#[tokio::test]
async fn a_rotated_key_is_picked_up_without_a_restart() {
    let mut app = app().await;
    let (store, keys) = published();
    app.tokens = Tokens::refreshing(&token_settings(), store.clone(), &keys, REFRESH_EVERY);
    let new = Signer::new(b"the-next-secret-the-next-secret!!", &token_settings()).unwrap();
    store
        .publish(
            &new.public_key(),
            OffsetDateTime::now_utc(),
            new.retire_grace(),
        )
        .await
        .unwrap();
    for s in [&new, signer()] {
        let token = s.issue("vic", Role::Viewer, 0, OffsetDateTime::now_utc());
        let (status, _) = call_on(
            &app,
            request_with("/api/analytics/overview", &BERLIN, Some(&token)),
        )
        .await;
        assert_eq!(status, 200, "{}", s.kid());
    }
    assert_eq!(store.loads(), 1);
}

#[tokio::test]
async fn export_streams_raw_events_to_admins_only() {
    let app = app().await;
    let range = [
        ("from", "2026-03-28"),
        ("to", "2026-03-29"),
        ("tz", "Europe/Berlin"),
        ("site", "shop"),
    ];
    let resp = analytics::handle_at(
        &app,
        request_as("/api/analytics/export", &range, Some(("ada", Role::Admin))),
        NOW,
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let Body::Text(text) = resp.body() else {
        panic!("a text body")
    };
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The 10 events of the range, the resent click once.
    assert_eq!(rows.len(), 10);
    let click = rows.iter().find(|r| r["event"] == "click").unwrap();
    assert_eq!(click["event_id"], "0190f5b0-0000-7000-8000-000000000001");
    assert_eq!(click["properties"], json!({"plan": "pro"}));
    assert_eq!(click["timestamp"], "2026-03-28T10:02:30.000Z");
    assert_eq!(
        rows.iter()
            .filter(|r| r["visit_id"].as_str().unwrap().starts_with('~'))
            .count(),
        3
    );

    let csv = [("format", "csv"), ("filter", "path:is:/pricing")];
    let resp = analytics::handle_at(
        &app,
        request_as("/api/analytics/export", &csv, Some(("ada", Role::Admin))),
        NOW,
    )
    .await;
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let Body::Text(text) = resp.body() else {
        panic!("a text body")
    };
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("\"event_id\",\"site\",\"event\""));
    assert_eq!(lines.count(), 3, "{text}");

    // A viewer, a viewer whose token claims admin, and an unknown user.
    for (who, status) in [
        (("vic", Role::Viewer), 403),
        (("demoted", Role::Admin), 403),
        (("ghost", Role::Admin), 401),
    ] {
        let resp = analytics::handle_at(
            &app,
            request_as("/api/analytics/export", &[], Some(who)),
            NOW,
        )
        .await;
        assert_eq!(resp.status().as_u16(), status, "{who:?}");
    }
    let resp = analytics::handle_at(
        &app,
        request_as(
            "/api/analytics/export",
            &[("format", "xml")],
            Some(("ada", Role::Admin)),
        ),
        NOW,
    )
    .await;
    assert_eq!(resp.status().as_u16(), 400);
}

#[tokio::test]
async fn a_query_over_a_limit_is_stopped_and_answered_503() {
    let app = app_with(&ReadLimits {
        max_rows_to_read: 1,
        ..ReadLimits::default()
    })
    .await;
    let resp =
        analytics::handle_at(&app, request("/api/analytics/overview", &BERLIN, true), NOW).await;
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.headers()["retry-after"], "5");
    let Body::Text(text) = resp.body() else {
        panic!("a JSON body")
    };
    let body: Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["error"]["code"], "query_timeout");
    // The streaming entry point too: an error answer, not a 200 that breaks off.
    let req = request_as("/api/analytics/export", &BERLIN, Some(("ada", Role::Admin)));
    match analytics::answer(&app, &req, NOW).await {
        analytics::Answer::Json(resp) => assert_eq!(resp.status().as_u16(), 503),
        analytics::Answer::Stream(_) => panic!("a refused export must not start a stream"),
    }
    // The zone's own spelling is accepted whatever its case.
    let (status, body) = get(
        "/api/analytics/overview",
        &[("from", "2026-03-28"), ("tz", "europe/berlin")],
    )
    .await;
    assert_eq!(
        (status, body["from"].as_str()),
        (200, Some("2026-03-28T00:00:00+01:00"))
    );
}
