//! Tests of the event model: reading bodies, validation, enrichment and ids. Today's answers are
//! compared with those of the code before the one-pass reading, kept below as `reference`.

use serde_json::{json, Map};

use super::*;

fn ctx() -> RequestContext {
    RequestContext::new(
        time::macros::datetime!(2026-11-29 12:00:00 UTC),
        Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
        Some("de"),
    )
}

/// Every record of a body, as the collector makes them.
fn read(body: &str, ctx: &RequestContext) -> Result<Vec<Result<EventRecord, String>>, String> {
    let batch = Batch::read(body.as_bytes()).map_err(|e| e.to_string())?;
    Ok(batch.records(ctx).collect())
}

#[test]
fn a_full_event_is_enriched() {
    let rec = parse_event(
        &json!({
            "event": "pageview", "site": "shop", "anonymous_id": "a1", "session_id": "s1",
            "url": "https://shop.example/pricing?utm_source=news&utm_campaign=winter",
            "referrer": "https://www.Google.com/search?q=x", "title": "Pricing",
            "timestamp": "2026-11-29T11:59:00.123456Z",
            "properties": {"plan": "pro", "seats": 3, "trial": true, "coupon": null}
        }),
        &ctx(),
    )
    .unwrap();
    assert_eq!(rec.site, "shop");
    assert_eq!(rec.path, "/pricing");
    assert_eq!(rec.utm_source, "news");
    assert_eq!(rec.utm_campaign, "winter");
    assert_eq!(rec.referrer_domain, "google.com");
    assert_eq!(rec.browser, "Chrome");
    assert_eq!(rec.os, "Windows 10");
    assert_eq!(rec.device, "desktop");
    assert_eq!(rec.country, "DE");
    assert_eq!(
        rec.timestamp,
        time::macros::datetime!(2026-11-29 11:59:00.123 UTC)
    );
    assert_eq!(rec.properties["seats"], "3");
    assert_eq!(rec.properties["trial"], "true");
    assert_eq!(rec.properties["coupon"], "");
    assert_eq!(rec.visitor(), "a1");
}

#[test]
fn defaults_and_relative_urls() {
    let rec = parse_event(
        &json!({"event": "signup", "user_id": "u1", "url": "/welcome?utm_medium=email", "timestamp": 1795953540000_i64}),
        &ctx(),
    )
    .unwrap();
    assert_eq!(rec.site, DEFAULT_SITE);
    assert_eq!(rec.path, "/welcome");
    assert_eq!(rec.utm_medium, "email");
    assert_eq!(rec.visitor(), "u1");
    assert_eq!(rec.event_id.get_version_num(), 8);
    assert_eq!(
        rec.timestamp,
        time::macros::datetime!(2026-11-29 11:59:00 UTC)
    );
}

#[test]
fn absurd_client_times_are_clamped() {
    for ts in [
        json!("2030-01-01T00:00:00Z"),
        json!("1999-01-01T00:00:00Z"),
        json!(0),
    ] {
        let rec = parse_event(
            &json!({"event": "x", "anonymous_id": "a", "timestamp": ts}),
            &ctx(),
        )
        .unwrap();
        assert_eq!(rec.timestamp, ctx().received_at);
    }
}

#[test]
fn invalid_events_name_the_field() {
    let cases = [
        (json!("nope"), "object"),
        (json!({"anonymous_id": "a"}), "`event` is required"),
        (json!({"event": "", "anonymous_id": "a"}), "`event`"),
        (
            json!({"event": "a;drop table", "anonymous_id": "a"}),
            "`event` may contain",
        ),
        (
            json!({"event": "x".repeat(129), "anonymous_id": "a"}),
            "`event`",
        ),
        (json!({"event": "x"}), "anonymous_id"),
        (
            json!({"event": "x", "anonymous_id": 5}),
            "`anonymous_id` must be a string",
        ),
        (
            json!({"event": "x", "anonymous_id": "a".repeat(129)}),
            "`anonymous_id` is longer",
        ),
        (
            json!({"event": "x", "anonymous_id": "a", "site": "a b"}),
            "`site`",
        ),
        (
            json!({"event": "x", "anonymous_id": "a", "event_id": "42"}),
            "`event_id`",
        ),
        (
            json!({"event": "x", "anonymous_id": "a", "timestamp": "yesterday"}),
            "`timestamp`",
        ),
        (
            json!({"event": "x", "anonymous_id": "a", "url": "h".repeat(2049)}),
            "`url`",
        ),
        (
            json!({"event": "x", "anonymous_id": "a", "properties": [1]}),
            "`properties`",
        ),
        (
            json!({"event": "x", "anonymous_id": "a", "properties": {"a": {"b": 1}}}),
            "property `a`",
        ),
        (
            json!({"event": "x", "anonymous_id": "a", "properties": {"a": "v".repeat(1025)}}),
            "property `a`",
        ),
    ];
    for (input, want) in cases {
        let err = parse_event(&input, &ctx()).unwrap_err();
        assert!(err.contains(want), "{input}: {err}");
    }
    let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    let err = parse_event(
        &json!({"event": "x", "anonymous_id": "a", "properties": many}),
        &ctx(),
    )
    .unwrap_err();
    assert!(err.contains("more than 50"), "{err}");
}

#[test]
fn bodies_are_split_and_bounded() {
    let shape = |body: &str| Batch::read(body.as_bytes()).map(|b| b.len());
    assert_eq!(shape(r#"{"event": "x"}"#).unwrap(), 1);
    assert_eq!(shape(r#"{"events": [{}, {}]}"#).unwrap(), 2);
    // With `event`, an object is one event, whatever its `events`.
    assert_eq!(shape(r#"{"event": null, "events": [{}, {}]}"#).unwrap(), 1);
    let batch_err = |body: &str| match Batch::read(body.as_bytes()) {
        Err(BodyError::Batch(e)) => e,
        other => panic!("{body}: {other:?}"),
    };
    assert_eq!(batch_err(r#"{"events": []}"#), BatchError::Empty);
    assert_eq!(batch_err("[1]"), BatchError::NotAnEventOrBatch);
    assert_eq!(batch_err(r#"{"events": 1}"#), BatchError::NotAnEventOrBatch);
    let big = json!({ "events": vec![json!({}); 501] }).to_string();
    assert_eq!(batch_err(&big), BatchError::TooManyEvents(501));
    assert!(matches!(
        Batch::read(b"{\"events\": [}"),
        Err(BodyError::Json(_))
    ));
}

#[test]
fn records_round_trip_through_json() {
    let rec = parse_event(&json!({"event": "x", "anonymous_id": "a"}), &ctx()).unwrap();
    let back: EventRecord = serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
    assert_eq!(back, rec);
}

/// Variants of every field: right, wrong, null, absent, at and over the limits.
fn variants() -> Vec<Value> {
    let base = json!({
        "event": "pageview", "site": "shop", "anonymous_id": "a1", "user_id": "u1", "session_id": "s1",
        "url": "https://shop.example/pricing?utm_source=news&utm_campaign=winter#top",
        "referrer": "https://www.Google.com/search?q=x", "title": "Pricing",
        "timestamp": "2026-11-29T11:59:00.123456Z",
        "properties": {"plan": "pro", "seats": 3, "trial": true, "coupon": null, "ratio": 0.25}
    });
    let wrong = [
        json!(null),
        json!(5),
        json!(-5),
        json!(1.5),
        json!(true),
        json!([]),
        json!(["x"]),
        json!({}),
        json!({"a": 1}),
        json!(""),
        json!(" "),
        json!(18446744073709551615_u64),
    ];
    let mut per_field: Vec<(&str, Vec<Value>)> = vec![
        (
            "event",
            vec![
                json!("x".repeat(128)),
                json!("x".repeat(129)),
                json!("é".repeat(128)),
                json!("é".repeat(129)),
                json!("a:b/c-d e.f_g"),
                json!("a;b"),
                json!("日本語"),
                json!("tab\there"),
            ],
        ),
        (
            "site",
            vec![
                json!("a".repeat(64)),
                json!("a".repeat(65)),
                json!("é"),
                json!("a_b.c-d"),
                json!("default"),
            ],
        ),
        (
            "event_id",
            vec![
                json!("0190f5b0-0000-7000-8000-000000000001"),
                json!("0190F5B0000070008000000000000001"),
                json!("{0190f5b0-0000-7000-8000-000000000001}"),
                json!("nope"),
            ],
        ),
        (
            "timestamp",
            vec![
                json!("2026-11-29T12:00:00+01:00"),
                json!("2026-11-29T12:04:59Z"),
                json!("2026-11-29T12:05:01Z"),
                json!("2026-10-29T11:00:00Z"),
                json!("2026-11-29 11:00:00Z"),
                json!(1795953540000_i64),
                json!(1795953540000.0),
                json!(-1),
                json!(i64::MAX),
                json!(i64::MIN),
            ],
        ),
        (
            "anonymous_id",
            vec![
                json!("a".repeat(128)),
                json!("a".repeat(129)),
                json!("ü".repeat(128)),
                json!("ü".repeat(129)),
            ],
        ),
        ("user_id", vec![json!("u".repeat(129))]),
        ("session_id", vec![json!("s".repeat(129))]),
        (
            "url",
            vec![
                json!("/welcome?utm_medium=email"),
                json!("https://x.test"),
                json!("https://x.test/a/../b?utm_term=a+b"),
                json!("HTTPS://X.TEST/Ünï?utm_source=%C3%A9"),
                json!("not a url"),
                json!("h".repeat(2049)),
                json!(format!("https://x.test/?utm_content={}", "v".repeat(300))),
            ],
        ),
        (
            "referrer",
            vec![
                json!("android-app://com.google.android.gm/"),
                json!("https://Bücher.de/x"),
                json!("/relative"),
                json!("http://127.0.0.1:8080/"),
                json!("https://www.www.example.com"),
            ],
        ),
        (
            "title",
            vec![json!("t".repeat(2048)), json!("t".repeat(2049))],
        ),
        (
            "properties",
            vec![
                json!({"k": "v".repeat(1024)}),
                json!({"k": "v".repeat(1025)}),
                json!({"": 1}),
                json!({"k".repeat(128): 1}),
                json!({"k".repeat(129): 1}),
                json!({"b": [1], "a": {"x": 1}}),
                json!({"big": 18446744073709551615_u64, "neg": -3, "float": 1e300, "small": 1.0e-7, "exp": 1e3}),
                Value::Object((0..50).map(|i| (format!("k{i}"), json!(i))).collect()),
                Value::Object((0..51).map(|i| (format!("k{i}"), json!(i))).collect()),
            ],
        ),
    ];
    for (_, values) in &mut per_field {
        values.extend(wrong.iter().cloned());
    }
    let mut out = vec![
        base.clone(),
        json!("nope"),
        json!(null),
        json!([base.clone()]),
    ];
    for (field, values) in &per_field {
        for v in values {
            let mut e = base.clone();
            e[*field] = v.clone();
            out.push(e.clone());
            e.as_object_mut().unwrap().remove("user_id");
            out.push(e.clone());
            e.as_object_mut().unwrap().remove(*field);
            out.push(e);
        }
    }
    out
}

/// The same record or the same reason as before, for every variant: through `parse_event` (a
/// `Value`) and through a body read in one pass, alone and in a batch.
#[test]
fn the_same_answers_as_before() {
    let ctx = ctx();
    let same = |new: &Result<EventRecord, String>,
                old: &Result<EventRecord, String>,
                input: &Value| {
        match (new, old) {
            (Ok(new), Ok(old)) => {
                let sent_id = input.get("event_id").and_then(Value::as_str).is_some();
                if sent_id {
                    assert_eq!(new, old, "{input}");
                } else {
                    assert_eq!(
                        EventRecord {
                            event_id: old.event_id,
                            ..new.clone()
                        },
                        *old,
                        "{input}"
                    );
                }
            }
            (new, old) => assert_eq!(new, old, "{input}"),
        }
    };
    let events = variants();
    let mut valid = 0;
    for input in &events {
        let old = reference::parse_event(input, &ctx);
        valid += usize::from(old.is_ok());
        same(&parse_event(input, &ctx), &old, input);
        if input.is_object() {
            let one = read(&input.to_string(), &ctx).unwrap();
            assert_eq!(one.len(), 1);
            same(&one[0], &old, input);
        }
    }
    assert!(
        valid > 50 && valid < events.len() - 50,
        "{valid} of {}",
        events.len()
    );
    for chunk in events.chunks(37) {
        let body = json!({ "events": chunk }).to_string();
        let got = read(&body, &ctx).unwrap();
        assert_eq!(got.len(), chunk.len());
        for (input, new) in chunk.iter().zip(&got) {
            same(new, &reference::parse_event(input, &ctx), input);
        }
    }
}

/// Bodies with escapes, repeated keys and odd shapes: split and read as before.
#[test]
fn the_same_bodies_as_before() {
    let ctx = ctx();
    let bodies = [
        r#"{"ev\u0065nt": "p\u0061geview", "anonymous_id": "\u00e9t\u00e9", "url": "https:\/\/x.test\/a?utm_source=s\u0020t"}"#,
        r#"{"event": "x", "event": "y", "anonymous_id": "a", "anonymous_id": 5}"#,
        r#"{"event": "x", "anonymous_id": 5, "anonymous_id": "a"}"#,
        r#"{"event": "x", "anonymous_id": "a", "properties": {"k": {"x": 1}, "k": "fine", "j": 1, "j": [2]}}"#,
        r#"{"event": "x", "anonymous_id": "a", "properties": {"b": 1, "a": 2, "b": 3, "\u0061": 4}}"#,
        r#"{"event": "x", "anonymous_id": "a", "properties": {"z": [1], "a": {"b": 2}}}"#,
        r#"{"events": [{"event": "a", "user_id": "u"}, 5, "x", null, [], {"event": "b"}], "site": 5}"#,
        r#"{"events": [{"event": "a", "user_id": "u"}], "events": [{"event": "b", "user_id": "u"}]}"#,
        r#"{"events": [{"event": "a", "user_id": "u"}], "events": {}}"#,
        r#"{"events": [{"event": "a", "user_id": "u", "events": 7}]}"#,
        r#"{"events": null}"#,
        r#"{"events": [], "event": "x", "user_id": "u"}"#,
        r#"{}"#,
        r#"{"event": "x", "user_id": "u", "timestamp": 1795953540000, "properties": {"n": 12345678901234567890123}}"#,
        r#"{"event": "x", "user_id": "u", "properties": {"a": 1.0, "b": 1e2, "c": -0, "d": -0.0, "e": 2.5E-3}}"#,
        r#"  {"event": "x", "user_id": "u"}  "#,
        r#"{"event": "x", "user_id": "u"} x"#,
        r#"{"event": "x", "user_id": "u"#,
        r#""just a string""#,
        r#"42"#,
        r#"{"event": "\ud800", "user_id": "u"}"#,
    ];
    for body in bodies {
        let old = serde_json::from_str::<Value>(body)
            .map_err(|e| e.to_string())
            .and_then(|v| reference::split_batch(v).map_err(|e| e.to_string()));
        let new = Batch::read(body.as_bytes()).map_err(|e| e.to_string());
        match (old, new) {
            (Ok(items), Ok(batch)) => {
                let got: Vec<_> = batch.records(&ctx).collect();
                assert_eq!(got.len(), items.len(), "{body}");
                for (item, new) in items.iter().zip(&got) {
                    let old = reference::parse_event(item, &ctx);
                    match (new, &old) {
                        (Ok(n), Ok(o)) => assert_eq!(
                            EventRecord {
                                event_id: o.event_id,
                                ..n.clone()
                            },
                            *o,
                            "{body}"
                        ),
                        _ => assert_eq!(new, &old, "{body}"),
                    }
                }
            }
            (old, new) => assert_eq!(old.map(|v| v.len()), new.map(|b| b.len()), "{body}"),
        }
    }
    // Nesting: the same depth limit as before, in ignored fields, property values and batch items.
    for depth in [100, 126, 127, 128, 129, 200, 5000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        for body in [
            format!(r#"{{"event": "x", "user_id": "u", "junk": {deep}}}"#),
            format!(r#"{{"event": "x", "user_id": "u", "properties": {{"p": {deep}}}}}"#),
            format!(r#"{{"events": [{deep}, {{"event": "x", "user_id": "u"}}]}}"#),
            format!(r#"{{"events": {deep}}}"#),
        ] {
            let old = serde_json::from_str::<Value>(&body)
                .map_err(|e| e.to_string())
                .and_then(|v| reference::split_batch(v).map_err(|e| e.to_string()))
                .map(|items| items.len());
            let new = Batch::read(body.as_bytes())
                .map_err(|e| e.to_string())
                .map(|b| b.len());
            assert_eq!(new, old, "depth {depth}: {}", &body[..60]);
        }
    }
    // Too many events: counted to the end, as before.
    let many = json!({ "events": vec![json!(1); 777] }).to_string();
    assert_eq!(
        Batch::read(many.as_bytes()).unwrap_err().to_string(),
        BatchError::TooManyEvents(777).to_string()
    );
}

#[test]
fn ids_are_derived_from_what_the_client_sent() {
    let sent = json!({
        "event": "signup", "site": "shop", "anonymous_id": "a1", "session_id": "s1",
        "timestamp": "2026-11-29T11:59:00.123Z", "url": "https://shop.example/?utm_source=x",
        "properties": {"plan": "pro"}
    });
    let first = parse_event(&sent, &ctx()).unwrap();
    // A retry: later, from another browser and country (a proxy), the same body.
    let retry_ctx = RequestContext::new(
        ctx().received_at + Duration::seconds(30),
        Some("curl/8.5.0"),
        Some("fr"),
    );
    let retry = parse_event(&sent, &retry_ctx).unwrap();
    assert_eq!(retry.event_id, first.event_id);
    assert_eq!(first.event_id.get_version_num(), 8);
    // The same instant written otherwise is the same time.
    let mut same_instant = sent.clone();
    same_instant["timestamp"] = json!(1795953540123_i64);
    assert_eq!(
        parse_event(&same_instant, &ctx()).unwrap().event_id,
        first.event_id
    );
    // Any difference in what the client sent is another event.
    for (field, value) in [
        ("event", json!("signup2")),
        ("site", json!("blog")),
        ("anonymous_id", json!("a2")),
        ("user_id", json!("u")),
        ("session_id", json!("s2")),
        ("timestamp", json!("2026-11-29T11:59:00.124Z")),
        ("url", json!("https://shop.example/?utm_source=y")),
        ("referrer", json!("https://t.co/")),
        ("title", json!("Sign up")),
        ("properties", json!({"plan": "team"})),
        ("properties", json!({"plan": "pro", "x": null})),
    ] {
        let mut other = sent.clone();
        other[field] = value;
        assert_ne!(
            parse_event(&other, &ctx()).unwrap().event_id,
            first.event_id,
            "{field}"
        );
    }
    // Field boundaries count: "ab" + "c" is not "a" + "bc".
    let a = json!({"event": "x", "anonymous_id": "ab", "session_id": "c", "timestamp": 1});
    let b = json!({"event": "x", "anonymous_id": "a", "session_id": "bc", "timestamp": 1});
    assert_ne!(
        parse_event(&a, &ctx()).unwrap().event_id,
        parse_event(&b, &ctx()).unwrap().event_id
    );
    // A sent id is kept as it is.
    let mut with_id = sent.clone();
    with_id["event_id"] = json!("0190f5b0-0000-7000-8000-000000000001");
    assert_eq!(
        parse_event(&with_id, &ctx()).unwrap().event_id.to_string(),
        "0190f5b0-0000-7000-8000-000000000001"
    );
}

#[test]
fn without_a_timestamp_each_event_of_a_request_counts() {
    let sent = json!({"event": "purchase", "user_id": "u1", "properties": {"total": 10}});
    let body = json!({ "events": [sent, sent] }).to_string();
    let ctx = ctx();
    let twice: Vec<_> = read(&body, &ctx)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // Identical, without id nor time, in one request: two purchases, two ids.
    assert_ne!(twice[0].event_id, twice[1].event_id);
    // The same body again in the same instant (what a retry would be, were the clock to stand still):
    // the same ids.
    let same = read(&body, &ctx).unwrap();
    assert_eq!(same[1].as_ref().unwrap().event_id, twice[1].event_id);
    // The same purchase a moment later is another one (and so is a retry: nothing tells them apart).
    let later = RequestContext {
        received_at: ctx.received_at + Duration::milliseconds(1),
        ..ctx.clone()
    };
    let again = read(&body, &later).unwrap();
    assert_ne!(again[0].as_ref().unwrap().event_id, twice[0].event_id);
}

fn cookieless(requested: bool, sites: &str, yesterday: bool) -> RequestContext {
    use crate::cookieless::{salt_day, CookielessClient, DailySalts, Salt, Sites};
    // Ten minutes past midnight: the previous day's id goes along.
    let mut c = ctx();
    c.received_at = time::macros::datetime!(2026-11-29 00:10:00 UTC);
    let salts = DailySalts {
        day: salt_day(c.received_at),
        today: Salt([2; 16]),
        yesterday: yesterday.then_some(Salt([1; 16])),
    };
    c.with_cookieless(CookielessClient {
        salts,
        address: Some("203.0.113.7".into()),
        user_agent: "Mozilla/5.0 (X11)".into(),
        requested,
        sites: std::sync::Arc::new(Sites::parse(sites)),
    })
}

#[test]
fn events_without_ids_get_cookieless_ones_where_they_apply() {
    use crate::cookieless::{visitor_id, Salt};
    let body = r#"{"events":[
        {"event":"pageview","site":"shop","url":"https://shop.test/a"},
        {"event":"pageview","site":"blog","url":"https://blog.test/a"},
        {"event":"pageview","site":"blog","anonymous_id":"a1"}]}"#;
    let batch = Batch::read(body.as_bytes()).unwrap();
    assert!(batch.wants_cookieless(|s| s == "shop"));
    assert!(!batch.wants_cookieless(|s| s == "docs"));

    // Only `shop` is configured: the `blog` event without ids is refused, the one with an id kept.
    let got: Vec<_> = batch.records(&cookieless(false, "shop", true)).collect();
    let shop = got[0].as_ref().unwrap();
    assert_eq!(
        shop.anonymous_id,
        visitor_id(&Salt([2; 16]), "shop", "203.0.113.7", "Mozilla/5.0 (X11)")
    );
    assert_eq!(
        shop.previous_visitor,
        visitor_id(&Salt([1; 16]), "shop", "203.0.113.7", "Mozilla/5.0 (X11)")
    );
    assert!(got[1].as_ref().unwrap_err().contains("cookieless=1"));
    let kept = got[2].as_ref().unwrap();
    assert_eq!(
        (kept.anonymous_id.as_str(), kept.previous_visitor.as_str()),
        ("a1", "")
    );

    // A request that asks gets them for every site; without yesterday's salt, no previous id.
    let got: Vec<_> = batch.records(&cookieless(true, "", false)).collect();
    let blog = got[1].as_ref().unwrap();
    assert!(blog.anonymous_id.starts_with("cl_") && blog.anonymous_id != shop.anonymous_id);
    assert_eq!(blog.previous_visitor, "");
    // Two visitors' identical events sent without id or time are two events.
    let other = {
        let mut c = cookieless(true, "", false);
        c.cookieless.as_mut().unwrap().address = Some("203.0.113.8".into());
        c
    };
    let mine = &batch
        .records(&cookieless(true, "", false))
        .next()
        .unwrap()
        .unwrap();
    let theirs = &batch.records(&other).next().unwrap().unwrap();
    assert_ne!(mine.event_id, theirs.event_id);
    // The previous id travels in the queue only when there is one.
    assert!(!serde_json::to_string(blog)
        .unwrap()
        .contains("previous_visitor"));
}

#[test]
fn ids_are_stable_across_releases() {
    // Pinned: a change of the canonical form would count retries across a deployment twice.
    let rec = parse_event(
        &json!({"event": "pageview", "anonymous_id": "a", "timestamp": "2026-11-29T11:59:00Z",
                "url": "/", "properties": {"k": "v"}}),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        rec.event_id.to_string(),
        "6ca12f80-23b1-8650-b639-c84175d04b9c"
    );
}

/// The code before the one-pass reading (commit 17bedce), verbatim but for its ids (v7, random): the
/// answers of today's code are compared with it.
#[allow(clippy::all)]
mod reference {
    use std::collections::BTreeMap;

    use serde_json::{Map, Value};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::super::{
        BatchError, EventRecord, RequestContext, DEFAULT_SITE, MAX_CLOCK_AHEAD,
        MAX_EVENTS_PER_REQUEST, MAX_EVENT_AGE, MAX_ID_CHARS, MAX_PROPERTIES,
        MAX_PROPERTY_KEY_CHARS, MAX_PROPERTY_VALUE_CHARS, MAX_URL_CHARS,
    };

    /// Splits a body into its events: one event object, or `{"events": [...]}`.
    pub fn split_batch(body: Value) -> Result<Vec<Value>, BatchError> {
        match body {
            Value::Object(mut obj) if obj.contains_key("events") && !obj.contains_key("event") => {
                match obj.remove("events") {
                    Some(Value::Array(events)) if events.is_empty() => Err(BatchError::Empty),
                    Some(Value::Array(events)) if events.len() > MAX_EVENTS_PER_REQUEST => {
                        Err(BatchError::TooManyEvents(events.len()))
                    }
                    Some(Value::Array(events)) => Ok(events),
                    _ => Err(BatchError::NotAnEventOrBatch),
                }
            }
            Value::Object(obj) => Ok(vec![Value::Object(obj)]),
            _ => Err(BatchError::NotAnEventOrBatch),
        }
    }

    /// Validates one event of a request and enriches it into a record. The error names the field.
    pub fn parse_event(value: &Value, ctx: &RequestContext) -> Result<EventRecord, String> {
        let obj = value.as_object().ok_or("an event must be a JSON object")?;

        let event = required_str(obj, "event")?;
        check_event_name(event)?;
        let site = match optional_str(obj, "site")? {
            Some(site) => {
                check_site(site)?;
                site.to_owned()
            }
            None => DEFAULT_SITE.to_owned(),
        };
        let event_id = match optional_str(obj, "event_id")? {
            Some(id) => Uuid::parse_str(id).map_err(|_| "`event_id` must be a UUID".to_owned())?,
            None => Uuid::now_v7(),
        };
        let timestamp = clamp_time(parse_timestamp(obj.get("timestamp"))?, ctx.received_at);

        let anonymous_id = bounded(obj, "anonymous_id", MAX_ID_CHARS)?;
        let user_id = bounded(obj, "user_id", MAX_ID_CHARS)?;
        if anonymous_id.is_empty() && user_id.is_empty() {
            return Err(
                "one of `anonymous_id` or `user_id` is required (or send the request with \
                 ?cookieless=1 for a cookieless visitor id)"
                    .into(),
            );
        }
        let session_id = bounded(obj, "session_id", MAX_ID_CHARS)?;
        let url = bounded(obj, "url", MAX_URL_CHARS)?;
        let referrer = bounded(obj, "referrer", MAX_URL_CHARS)?;
        let title = bounded(obj, "title", MAX_URL_CHARS)?;
        let properties = parse_properties(obj.get("properties"))?;

        let parsed_url = parse_url(&url);
        let query = |key: &str| -> String {
            parsed_url
                .as_ref()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.into_owned())
                })
                .map(|v| v.chars().take(256).collect())
                .unwrap_or_default()
        };
        let path = parsed_url
            .as_ref()
            .map(|u| u.path().to_owned())
            .unwrap_or_default();

        Ok(EventRecord {
            event_id,
            site,
            event: event.to_owned(),
            timestamp,
            received_at: ctx.received_at,
            anonymous_id,
            user_id,
            session_id,
            utm_source: query("utm_source"),
            utm_medium: query("utm_medium"),
            utm_campaign: query("utm_campaign"),
            utm_term: query("utm_term"),
            utm_content: query("utm_content"),
            path,
            referrer_domain: referrer_domain(&referrer),
            url,
            referrer,
            title,
            browser: ctx.client.browser.clone(),
            browser_version: ctx.client.browser_version.clone(),
            os: ctx.client.os.clone(),
            device: ctx.client.device.clone(),
            country: ctx.country.clone().unwrap_or_default(),
            properties,
            previous_visitor: String::new(),
        })
    }

    fn required_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, String> {
        optional_str(obj, field)?.ok_or_else(|| format!("`{field}` is required"))
    }

    /// A string field; `null` and absent are the same.
    fn optional_str<'a>(
        obj: &'a Map<String, Value>,
        field: &str,
    ) -> Result<Option<&'a str>, String> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("`{field}` must be a string")),
        }
    }

    fn bounded(obj: &Map<String, Value>, field: &str, max_chars: usize) -> Result<String, String> {
        let s = optional_str(obj, field)?.unwrap_or("");
        if s.chars().count() > max_chars {
            return Err(format!("`{field}` is longer than {max_chars} characters"));
        }
        Ok(s.to_owned())
    }

    fn check_event_name(name: &str) -> Result<(), String> {
        let len = name.chars().count();
        if !(1..=128).contains(&len) {
            return Err("`event` must be 1 to 128 characters".into());
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | ':' | '/' | '-'))
        {
            return Err("`event` may contain only letters, digits, space and _ . : / -".into());
        }
        Ok(())
    }

    fn check_site(site: &str) -> Result<(), String> {
        if !(1..=64).contains(&site.len())
            || !site
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err("`site` must be 1 to 64 characters of letters, digits and _ . -".into());
        }
        Ok(())
    }

    fn parse_timestamp(value: Option<&Value>) -> Result<Option<OffsetDateTime>, String> {
        const WHY: &str = "`timestamp` must be RFC 3339 or epoch milliseconds";
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .map(Some)
                    .map_err(|_| WHY.to_owned())
            }
            Some(Value::Number(n)) => {
                let ms = n.as_i64().ok_or(WHY)?;
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .map(Some)
                    .map_err(|_| WHY.to_owned())
            }
            Some(_) => Err(WHY.into()),
        }
    }

    /// The client's time when it is believable, else the server's; always UTC, millisecond precision.
    fn clamp_time(client: Option<OffsetDateTime>, received_at: OffsetDateTime) -> OffsetDateTime {
        let t = match client {
            Some(t) if t <= received_at + MAX_CLOCK_AHEAD && t >= received_at - MAX_EVENT_AGE => t,
            _ => received_at,
        };
        truncate_to_millis(t.to_offset(time::UtcOffset::UTC))
    }

    fn truncate_to_millis(t: OffsetDateTime) -> OffsetDateTime {
        t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
            .expect("a truncated nanosecond is in range")
    }

    fn parse_properties(value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
        let obj = match value {
            None | Some(Value::Null) => return Ok(BTreeMap::new()),
            Some(Value::Object(obj)) => obj,
            Some(_) => return Err("`properties` must be a flat object".into()),
        };
        if obj.len() > MAX_PROPERTIES {
            return Err(format!("`properties` has more than {MAX_PROPERTIES} keys"));
        }
        obj.iter()
            .map(|(key, v)| {
                if key.is_empty() || key.chars().count() > MAX_PROPERTY_KEY_CHARS {
                    return Err(format!(
                        "property keys must be 1 to {MAX_PROPERTY_KEY_CHARS} characters"
                    ));
                }
                let text = match v {
                    Value::String(s) if s.chars().count() > MAX_PROPERTY_VALUE_CHARS => {
                        return Err(format!(
                            "property `{key}` is longer than {MAX_PROPERTY_VALUE_CHARS} characters"
                        ))
                    }
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => String::new(),
                    Value::Array(_) | Value::Object(_) => {
                        return Err(format!(
                            "property `{key}` must be a string, number, boolean or null"
                        ))
                    }
                };
                Ok((key.clone(), text))
            })
            .collect()
    }

    /// Absolute URLs parse as they are; a bare path ("/pricing?x=1") is read against a placeholder origin.
    fn parse_url(raw: &str) -> Option<::url::Url> {
        if raw.is_empty() {
            return None;
        }
        ::url::Url::parse(raw).ok().or_else(|| {
            raw.starts_with('/')
                .then(|| ::url::Url::parse(&format!("http://relative.invalid{raw}")).ok())
                .flatten()
        })
    }

    fn referrer_domain(referrer: &str) -> String {
        ::url::Url::parse(referrer)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
            })
            .unwrap_or_default()
    }
}
