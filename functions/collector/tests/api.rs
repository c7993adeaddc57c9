//! The collector's HTTP contract, with an in-memory queue (the Kinesis path is proven end to end).

use std::sync::atomic::Ordering;

use collector::App;
use lambda_http::{Body, Request};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryQueue;

const BROWSER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";

fn request(method: &str, content_type: Option<&str>, ua: &str, body: impl Into<Body>) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri("/api/events")
        .header("user-agent", ua);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body.into()).unwrap()
}

async fn send(app: &App<MemoryQueue>, req: Request) -> (u16, Value, lambda_http::http::HeaderMap) {
    let resp = collector::handle(app, req).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        Body::Empty => Value::Null,
        other => panic!("unexpected body {other:?}"),
    };
    (status, body, headers)
}

fn app() -> App<MemoryQueue> {
    App::new(MemoryQueue::default(), None)
}

#[tokio::test]
async fn a_batch_is_queued_with_per_event_rejections() {
    let app = app();
    let body = json!({"events": [
        {"event": "pageview", "anonymous_id": "a", "url": "https://x.test/a"},
        {"event": "", "anonymous_id": "a"},
        {"event": "click", "user_id": "u"}
    ]});
    let (status, answer, headers) = send(
        &app,
        request("POST", Some("application/json"), BROWSER, body.to_string()),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["rejected"][0]["index"], 1);
    assert_eq!(headers["access-control-allow-origin"], "*");
    let queued = app.queue.published.lock().unwrap();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0].browser, "Safari");
    assert_eq!(queued[0].path, "/a");
}

#[tokio::test]
async fn beacons_send_text_plain() {
    let app = app();
    let body = json!({"event": "pageview", "anonymous_id": "a"}).to_string();
    let (status, answer, _) = send(
        &app,
        request("POST", Some("text/plain;charset=UTF-8"), BROWSER, body),
    )
    .await;
    assert_eq!((status, answer["accepted"].clone()), (202, json!(1)));
}

#[tokio::test]
async fn bad_requests_get_the_right_4xx() {
    let app = app();
    let many = json!({"events": vec![json!({"event": "x", "anonymous_id": "a"}); 501]}).to_string();
    let huge =
        json!({"event": "x", "anonymous_id": "a", "title": "t".repeat(1_100_000)}).to_string();
    let cases: Vec<(Request, u16, &str)> = vec![
        (
            request("POST", Some("application/json"), BROWSER, "{not json"),
            400,
            "malformed_json",
        ),
        (
            request("POST", Some("application/json"), BROWSER, ""),
            400,
            "bad_request",
        ),
        (
            request("POST", Some("application/json"), BROWSER, "[1,2]"),
            400,
            "bad_request",
        ),
        (
            request(
                "POST",
                Some("application/json"),
                BROWSER,
                r#"{"event": ""}"#,
            ),
            400,
            "invalid_events",
        ),
        (
            request("POST", Some("application/xml"), BROWSER, "<e/>"),
            415,
            "unsupported_media_type",
        ),
        (
            request("POST", None, BROWSER, "{}"),
            415,
            "unsupported_media_type",
        ),
        (
            request("POST", Some("application/json"), BROWSER, many),
            413,
            "payload_too_large",
        ),
        (
            request("POST", Some("application/json"), BROWSER, huge),
            413,
            "payload_too_large",
        ),
        (request("GET", None, BROWSER, ""), 405, "method_not_allowed"),
    ];
    for (req, want_status, want_code) in cases {
        let (status, answer, _) = send(&app, req).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str().unwrap()),
            (want_status, want_code),
            "{answer}"
        );
        assert!(answer["error"]["message"].as_str().unwrap().len() > 5);
    }
    assert!(app.queue.published.lock().unwrap().is_empty());
}

#[tokio::test]
async fn bots_are_accepted_and_dropped() {
    let app = app();
    let body = json!({"event": "pageview", "anonymous_id": "a"}).to_string();
    let (status, _, _) = send(
        &app,
        request(
            "POST",
            Some("application/json"),
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
            body,
        ),
    )
    .await;
    assert_eq!(status, 202);
    assert!(app.queue.published.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_queue_failure_is_503_not_silent_loss() {
    let app = app();
    app.queue.fail.store(true, Ordering::SeqCst);
    let body = json!({"event": "pageview", "anonymous_id": "a"}).to_string();
    let (status, answer, _) = send(
        &app,
        request("POST", Some("application/json"), BROWSER, body),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (503, Some("unavailable"))
    );
}

#[tokio::test]
async fn preflight_is_open_to_any_origin() {
    let (status, _, headers) = send(&app(), request("OPTIONS", None, BROWSER, "")).await;
    assert_eq!(status, 204);
    assert_eq!(headers["access-control-allow-methods"], "POST, OPTIONS");
    assert_eq!(headers["access-control-allow-headers"], "content-type");
}

#[tokio::test]
async fn a_wrong_method_names_the_allowed_ones() {
    let (status, answer, headers) = send(&app(), request("PUT", None, BROWSER, "")).await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "POST, OPTIONS");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("POST or OPTIONS"));
}

#[tokio::test]
async fn the_country_comes_only_from_a_configured_edge_header() {
    let body = json!({"event": "pageview", "anonymous_id": "a"}).to_string();
    let with_header = || {
        let mut r = request("POST", Some("application/json"), BROWSER, body.clone());
        r.headers_mut()
            .insert("cloudfront-viewer-country", "FR".parse().unwrap());
        r
    };
    let untrusted = app();
    send(&untrusted, with_header()).await;
    assert_eq!(untrusted.queue.published.lock().unwrap()[0].country, "");
    let behind_cloudfront = App::new(
        MemoryQueue::default(),
        Some("cloudfront-viewer-country".into()),
    );
    send(&behind_cloudfront, with_header()).await;
    assert_eq!(
        behind_cloudfront.queue.published.lock().unwrap()[0].country,
        "FR"
    );
}

#[tokio::test]
async fn a_retried_request_queues_the_same_ids() {
    let app = app();
    let body = json!({"events": [
        {"event": "signup", "user_id": "u", "timestamp": "2026-11-29T11:59:00Z", "properties": {"plan": "pro"}},
        {"event": "signup", "user_id": "u", "timestamp": "2026-11-29T11:59:00Z", "properties": {"plan": "team"}},
        {"event": "click", "user_id": "u", "event_id": "0190f5b0-0000-7000-8000-000000000001"}
    ]})
    .to_string();
    for _ in 0..2 {
        let (status, answer, _) = send(
            &app,
            request("POST", Some("application/json"), BROWSER, body.clone()),
        )
        .await;
        assert_eq!((status, answer["accepted"].clone()), (202, json!(3)));
    }
    let queued = app.queue.published.lock().unwrap();
    let ids: Vec<String> = queued.iter().map(|e| e.event_id.to_string()).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(ids[..3], ids[3..], "the retry has the first request's ids");
    assert_ne!(ids[0], ids[1], "different properties, different events");
    assert_eq!(ids[2], "0190f5b0-0000-7000-8000-000000000001");
}

#[tokio::test]
async fn each_refused_event_is_named_by_its_index() {
    let app = app();
    let body = r#"{"events": [5, {"event": "ok", "user_id": "u"}, {"event": "x", "user_id": "u", "properties": {"a": [1]}}, {"event": "x", "anonymous_id": 7}]}"#;
    let (status, answer, _) = send(
        &app,
        request("POST", Some("application/json"), BROWSER, body),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        answer,
        json!({"accepted": 1, "rejected": [
            {"index": 0, "reason": "an event must be a JSON object"},
            {"index": 2, "reason": "property `a` must be a string, number, boolean or null"},
            {"index": 3, "reason": "`anonymous_id` must be a string"}
        ]})
    );
    // None valid: 400 with the same reasons as details.
    let (status, answer, _) = send(
        &app,
        request(
            "POST",
            Some("application/json"),
            BROWSER,
            r#"{"events": [[], {"event": ""}]}"#,
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "invalid_events");
    assert_eq!(
        answer["error"]["details"],
        json!([
            {"index": 0, "reason": "an event must be a JSON object"},
            {"index": 1, "reason": "`event` must be 1 to 128 characters"}
        ])
    );
}

/// An API Gateway (payload 2.0) request as Lambda receives it, from `source_ip`.
fn gateway_request(query: &str, source_ip: &str, body: &Value) -> Request {
    let event = json!({
        "version": "2.0",
        "routeKey": "ANY /api/events",
        "rawPath": "/api/events",
        "rawQueryString": query,
        "queryStringParameters": query.split('&').filter(|p| !p.is_empty()).map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), Value::from(v))
        }).collect::<serde_json::Map<_, _>>(),
        "headers": {"content-type": "application/json", "user-agent": BROWSER},
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "localhost",
            "domainPrefix": "localhost", "requestId": "r", "routeKey": "ANY /api/events",
            "stage": "$default", "time": "29/Nov/2026:12:00:00 +0000", "timeEpoch": 0,
            "http": {"method": "POST", "path": "/api/events", "protocol": "HTTP/1.1",
                     "sourceIp": source_ip, "userAgent": BROWSER}
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

mod cookieless {
    use super::*;
    use shared::adapters::memory::{MemoryQueue, MemorySalts};
    use shared::cookieless::{salt_day, visitor_id, visitor_ids, DailySalts, Salt, Sites};
    use std::sync::Arc;

    fn salts(yesterday: bool) -> DailySalts {
        DailySalts {
            day: salt_day(time::OffsetDateTime::now_utc()),
            today: Salt([2; 16]),
            yesterday: yesterday.then_some(Salt([1; 16])),
        }
    }

    fn app(sites: &str, yesterday: bool) -> App<MemoryQueue, MemorySalts> {
        App::new(MemoryQueue::default(), None).with_cookieless(collector::Cookieless {
            salts: MemorySalts::new(salts(yesterday)),
            sites: Arc::new(Sites::parse(sites)),
            address_header: None,
        })
    }

    async fn post(
        app: &App<MemoryQueue, MemorySalts>,
        query: &str,
        ip: &str,
        body: Value,
    ) -> (u16, Value) {
        let resp = collector::handle(app, gateway_request(query, ip, &body)).await;
        let status = resp.status().as_u16();
        let body = match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("unexpected body {other:?}"),
        };
        (status, body)
    }

    #[tokio::test]
    async fn a_request_that_asks_gets_daily_ids_from_address_and_browser() {
        let app = app("", true);
        let page = json!({"event": "pageview", "site": "shop", "url": "https://shop.test/"});
        for ip in ["203.0.113.7", "203.0.113.7", "203.0.113.8"] {
            assert_eq!(post(&app, "cookieless=1", ip, page.clone()).await.0, 202);
        }
        let queued = app.queue.published.lock().unwrap();
        let ids: Vec<&str> = queued.iter().map(|e| e.anonymous_id.as_str()).collect();
        assert_eq!(
            ids[0],
            visitor_id(&Salt([2; 16]), "shop", "203.0.113.7", BROWSER)
        );
        assert_eq!(ids[0], ids[1], "the same address and browser: one visitor");
        assert_ne!(ids[0], ids[2], "another address: another visitor");
        // Yesterday's id goes along only in the first hours of the UTC day.
        let expected = visitor_ids(
            &salts(true),
            time::OffsetDateTime::now_utc(),
            "shop",
            "203.0.113.7",
            BROWSER,
        );
        assert_eq!(queued[0].previous_visitor, expected.1.unwrap_or_default());
        // The address itself goes nowhere.
        let wire = serde_json::to_string(&*queued).unwrap();
        assert!(!wire.contains("203.0.113"), "{wire}");
    }

    #[tokio::test]
    async fn configured_sites_need_no_asking_and_others_still_need_an_id() {
        let app = app("shop", false);
        let (status, answer) = post(
            &app,
            "",
            "198.51.100.4",
            json!({"events": [
                {"event": "pageview", "site": "shop"},
                {"event": "pageview", "site": "blog"},
                {"event": "pageview", "site": "blog", "anonymous_id": "a1"}
            ]}),
        )
        .await;
        assert_eq!(status, 202);
        assert_eq!(answer["accepted"], 2);
        assert_eq!(answer["rejected"][0]["index"], 1);
        assert!(answer["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("cookieless=1"));
        let queued = app.queue.published.lock().unwrap();
        assert!(queued[0].anonymous_id.starts_with("cl_"));
        assert_eq!(queued[0].previous_visitor, "", "no salt of yesterday");
        assert_eq!(queued[1].anonymous_id, "a1");
    }

    #[tokio::test]
    async fn salts_are_read_only_when_needed_and_their_outage_is_a_503() {
        let app = app("", false);
        let with_id = json!({"event": "pageview", "anonymous_id": "a"});
        assert_eq!(
            post(&app, "cookieless=1", "192.0.2.1", with_id).await.0,
            202
        );
        assert_eq!(
            app.cookieless
                .as_ref()
                .unwrap()
                .salts
                .reads
                .load(Ordering::SeqCst),
            0
        );

        app.cookieless
            .as_ref()
            .unwrap()
            .salts
            .fail
            .store(true, Ordering::SeqCst);
        let (status, answer) = post(
            &app,
            "cookieless=1",
            "192.0.2.1",
            json!({"event": "pageview"}),
        )
        .await;
        assert_eq!(status, 503);
        assert_eq!(answer["error"]["code"], "unavailable", "{answer}");
        assert_eq!(app.queue.published.lock().unwrap().len(), 1);

        let (status, answer) =
            post(&app, "cookieless=maybe", "192.0.2.1", json!({"event": "x"})).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_parameter");
    }

    #[tokio::test]
    async fn the_opt_in_reads_as_api_gateway_passes_it() {
        let app = app("", false);
        let page = || json!({"event": "pageview", "site": "shop"});
        for query in ["cookieless", "cookieless=TRUE", "cookieless=1,1"] {
            assert_eq!(
                post(&app, query, "192.0.2.9", page()).await.0,
                202,
                "{query}"
            );
        }
        let (status, answer) = post(&app, "cookieless=0", "192.0.2.9", page()).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(app.queue.published.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn without_the_clients_address_events_are_refused_with_that_reason() {
        // Behind an edge whose address header the request lacks: no id, never a shared one.
        let app = App::new(MemoryQueue::default(), None).with_cookieless(collector::Cookieless {
            salts: MemorySalts::new(salts(false)),
            sites: Arc::new(Sites::parse("")),
            address_header: Some("cloudfront-viewer-address".into()),
        });
        let (status, answer) = post(
            &app,
            "cookieless=1",
            "10.0.0.1",
            json!({"event": "pageview"}),
        )
        .await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer.to_string().contains("address is unknown"),
            "{answer}"
        );
    }
}
