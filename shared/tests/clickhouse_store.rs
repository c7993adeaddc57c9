//! The ClickHouse adapter against a real ClickHouse (chDB 26.x started by the test command).

mod common;

use common::{env, event, unique};
use shared::adapters::clickhouse::{migrate, ClickHouse, MIGRATIONS};
use shared::config::ClickHouseConfig;
use shared::ports::{AnalyticsStore, EventSink, Scope};
use time::macros::datetime;
use time::Duration;

fn config() -> ClickHouseConfig {
    ClickHouseConfig {
        url: env("CLICKHOUSE_URL"),
        user: "default".into(),
        password: String::new(),
        database: unique("test"),
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
async fn inserted_events_are_counted_once_each() {
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
    let mut old = event("pageview", "v4", t - Duration::days(30));
    old.timestamp = t - Duration::days(30);
    batch.push(old);
    store.insert(&batch).await.unwrap();
    // The writer's retry of the same batch, and a client resending one event: neither counts twice.
    store.insert(&batch).await.unwrap();
    let mut resent = batch[2].clone();
    resent.received_at += Duration::seconds(5);
    store.insert(&[resent]).await.unwrap();

    let week = Scope {
        from: t - Duration::days(7),
        to: t + Duration::days(1),
        site: None,
    };
    let all = store.totals(&week).await.unwrap();
    assert_eq!(
        (all.events, all.visitors, all.sessions, all.pageviews),
        (4, 3, 3, 3)
    );

    let shop = store
        .totals(&Scope {
            site: Some("default".into()),
            ..week.clone()
        })
        .await
        .unwrap();
    assert_eq!((shop.events, shop.visitors, shop.pageviews), (3, 2, 2));

    let empty = store
        .totals(&Scope {
            from: t + Duration::days(1),
            to: t + Duration::days(2),
            site: None,
        })
        .await
        .unwrap();
    assert_eq!(empty.events, 0);
}

#[tokio::test]
async fn hostile_values_are_data_not_sql() {
    let cfg = config();
    migrate(&cfg).await.unwrap();
    let store = ClickHouse::new(&cfg);
    let t = datetime!(2026-11-20 10:00 UTC);
    let mut e = event("pageview", "x'); DROP TABLE events; --", t);
    e.properties.insert("q".into(), "' OR 1=1 --".into());
    store.insert(&[e]).await.unwrap();
    let scope = Scope {
        from: t - Duration::hours(1),
        to: t + Duration::hours(1),
        site: Some("' OR ''='".into()),
    };
    assert_eq!(store.totals(&scope).await.unwrap().events, 0);
    let scope = Scope {
        site: None,
        ..scope
    };
    assert_eq!(store.totals(&scope).await.unwrap().events, 1);
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
