//! Benchmark of the collector's handler, in-process on one thread (run by `bench/collector.sh`).
//!
//! What one Lambda invocation does, minus the runtime's HTTP polling: the API Gateway v2 event (JSON
//! text) is decoded into a request, the handler validates and enriches its events, the queue encodes
//! every record (JSON, plus the partition key) and drops it, and the answer is encoded as the API
//! Gateway v2 response JSON. Bodies as the tracker sends them: a browser User-Agent (four in turn, as a
//! warm instance sees a few popular ones), a URL with UTM tags, a referrer, a title, properties, an
//! `event_id` and a timestamp. Single events and batches of 10, 50 and 500, timed in CPU time of the
//! thread; then what one single-event request spends where, and the process's peak RSS (VmHWM), the
//! largest batch having run last.
//!
//!     cargo run --release -p collector --example collector_bench [-- --seconds 2] [--sizes 1,50]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use collector::App;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::request::LambdaRequest;
use lambda_http::Body;
use serde_json::{json, Value};
use shared::error::StoreError;
use shared::event::EventRecord;
use shared::ports::EventQueue;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The same sizes as the table's rows; 1 is a bare event object, the others `{"events": [...]}`.
const SIZES: [usize; 4] = [1, 10, 50, 500];
/// Distinct requests per size, sent in turn.
const VARIANTS: usize = 32;
/// Events per CPU-second of the code before the one-pass parsing (commit 17bedce, the JSON read into a
/// `serde_json::Value`), measured with this very benchmark on this 2-core machine (median of three
/// runs); kept here to print next to today's numbers.
const BEFORE: [(usize, f64); 4] = [
    (1, 56_100.0),
    (10, 116_500.0),
    (50, 142_800.0),
    (500, 136_700.0),
];

const UAS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
];
const PAGES: [(&str, &str); 6] = [
    ("/", "Acme — Home"),
    ("/pricing", "Pricing · Acme"),
    (
        "/blog/2026/how-we-ship-faster",
        "How we ship faster | Acme blog",
    ),
    ("/docs/getting-started/install", "Install — Acme docs"),
    ("/product/widgets/blue-widget-xl", "Blue Widget XL"),
    ("/checkout/cart", "Your cart"),
];
const UTMS: [&str; 4] = [
    "",
    "?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale",
    "?utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=acme%20widgets&gclid=Cj0KCQjw",
    "?ref=producthunt&utm_source=producthunt",
];
const REFERRERS: [&str; 4] = [
    "",
    "https://www.google.com/",
    "https://news.ycombinator.com/item?id=40000000",
    "https://t.co/AbCdEf123",
];

/// Encodes each record as JSON with the visitor as partition key (the Kinesis format of commit
/// 17bedce, so that the numbers before and after compare), then drops it: the queue's work without
/// the network.
#[derive(Default)]
struct EncodingQueue {
    bytes: AtomicUsize,
    records: AtomicUsize,
}

impl EventQueue for EncodingQueue {
    async fn publish(&self, events: &[EventRecord]) -> Result<(), StoreError> {
        let mut bytes = 0;
        for event in events {
            let data = serde_json::to_vec(event).map_err(|e| StoreError::Backend(e.to_string()))?;
            bytes += data.len() + event.visitor().to_owned().len();
        }
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.records.fetch_add(events.len(), Ordering::Relaxed);
        Ok(())
    }
}

/// A small deterministic generator (no dependency for randomness).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }
}

/// One event as the tracker sends it, of `visitor`.
fn event(rng: &mut Lcg, now: OffsetDateTime, visitor: u64) -> Value {
    let (path, title) = rng.pick(&PAGES);
    let mut e = json!({
        "event": if rng.next().is_multiple_of(4) { "signup_click" } else { "pageview" },
        "site": "acme-shop",
        "event_id": uuid::Uuid::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next())).to_string(),
        "timestamp": (now - Duration::from_millis(rng.next() % 60_000)).format(&Rfc3339).unwrap(),
        "anonymous_id": format!("a-{visitor:016x}"),
        "session_id": format!("s-{:016x}", visitor ^ 0x5555),
        "url": format!("https://www.acme.example{path}{}", rng.pick(&UTMS)),
        "title": title,
        "properties": {"plan": rng.pick(&["free", "pro", "team"]), "seats": rng.next() % 50, "trial": rng.next().is_multiple_of(2), "variant": "B"},
    });
    let referrer = rng.pick(&REFERRERS);
    if !referrer.is_empty() {
        e["referrer"] = json!(referrer);
    }
    e
}

/// An API Gateway v2 (HTTP API) event as the Lambda runtime hands it over.
fn gateway_event(body: &str, ua: &str, now: OffsetDateTime) -> String {
    json!({
        "version": "2.0",
        "routeKey": "POST /api/events",
        "rawPath": "/api/events",
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br",
            "accept-language": "en-GB,en;q=0.9",
            "cloudfront-viewer-country": "DE",
            "content-length": body.len().to_string(),
            "content-type": "text/plain;charset=UTF-8",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "origin": "https://www.acme.example",
            "referer": "https://www.acme.example/",
            "user-agent": ua,
            "x-amzn-trace-id": "Root=1-65f0c0de-0123456789abcdef01234567",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/api/events",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": ua
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /api/events",
            "stage": "$default",
            "time": "29/Nov/2026:12:00:00 +0000",
            "timeEpoch": now.unix_timestamp() * 1000
        },
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

/// One invocation: event JSON in, response JSON out. Returns the number of events accepted.
async fn invoke(app: &App<EncodingQueue>, event: &str) -> usize {
    let lambda: LambdaRequest = serde_json::from_str(event).expect("an API Gateway v2 event");
    let resp = collector::handle(app, lambda.into()).await;
    let (parts, body) = resp.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    let accepted = match &body {
        Body::Text(t) => t.split("\"accepted\":").nth(1).map_or(0, |rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        }),
        _ => 0,
    };
    out.body = Some(body);
    std::hint::black_box(serde_json::to_vec(&out).expect("a response serialises"));
    assert_eq!(out.status_code, 202, "{:?}", out.body);
    accepted
}

/// CPU seconds per call of `f`, over `budget` of wall time.
fn per_call(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let (start, cpu) = (Instant::now(), cpu_time());
    let mut calls = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        calls += 100;
    }
    (cpu_time() - cpu).as_secs_f64() / calls as f64
}

/// CPU time this thread has run, from the scheduler's own count: on a machine shared with other work,
/// the rates are per CPU-second of the benchmark's thread, not per second of wall time.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .map_or(2.0, |s| s.parse().expect("--seconds takes a number"));
    // `--sizes 1,50`: only those rows (e.g. to profile one of them).
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map_or(SIZES.to_vec(), |s| {
            s.split(',')
                .map(|n| n.parse().expect("--sizes takes numbers"))
                .collect()
        });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let app = App::new(
        EncodingQueue::default(),
        Some("cloudfront-viewer-country".into()),
    );
    let now = OffsetDateTime::now_utc();
    let mut rng = Lcg(1);

    eprintln!(
        "Per CPU-second of the one thread that runs everything (the last column: the share of wall"
    );
    eprintln!("time it got; other work on the machine lowers it, not the rates).");
    eprintln!();
    eprintln!("| body | events/s (before) | events/s | requests/s | µs per event | speed-up | CPU share |");
    eprintln!("|---|---:|---:|---:|---:|---:|---:|");
    for size in sizes {
        let requests: Vec<String> = (0..VARIANTS)
            .map(|_| {
                // A tracker's batch is one browser's; a server's mixes visitors (one per ten events).
                let visitors: Vec<u64> = (0..size.div_ceil(10)).map(|_| rng.next()).collect();
                let events: Vec<Value> = (0..size)
                    .map(|i| event(&mut rng, now, visitors[i / 10]))
                    .collect();
                let body = if size == 1 {
                    events[0].to_string()
                } else {
                    json!({ "events": events }).to_string()
                };
                gateway_event(&body, rng.pick(&UAS), now)
            })
            .collect();
        let (events, elapsed) = runtime.block_on(async {
            // Warm-up, and a check that every event is accepted.
            for r in &requests {
                assert_eq!(invoke(&app, r).await, size);
            }
            let budget = Duration::from_secs_f64(seconds);
            let (start, cpu) = (Instant::now(), cpu_time());
            let mut events = 0usize;
            while start.elapsed() < budget {
                for r in &requests {
                    events += invoke(&app, r).await;
                }
            }
            (events, (cpu_time() - cpu, start.elapsed()))
        });
        let (cpu, wall) = elapsed;
        let per_s = events as f64 / cpu.as_secs_f64();
        let wall_share = cpu.as_secs_f64() / wall.as_secs_f64();
        let before = BEFORE
            .iter()
            .find(|(s, _)| *s == size)
            .map_or(0.0, |(_, b)| *b);
        let label = if size == 1 {
            "single event".to_owned()
        } else {
            format!("batch of {size}")
        };
        eprintln!(
            "| {label} | {} | {per_s:.0} | {:.0} | {:.2} | {} | {:.0} % |",
            if before > 0.0 {
                format!("{before:.0}")
            } else {
                "–".into()
            },
            per_s / size as f64,
            1e6 / per_s,
            if before > 0.0 {
                format!("{:.1}×", per_s / before)
            } else {
                "–".into()
            },
            wall_share * 100.0,
        );
    }
    // Where a single event's time goes: the parts every request pays once.
    let visitor = rng.next();
    let single = gateway_event(&event(&mut rng, now, visitor).to_string(), UAS[0], now);
    let budget = Duration::from_secs_f64(seconds / 2.0);
    let decode = per_call(budget, || {
        let lambda: LambdaRequest = serde_json::from_str(&single).expect("an event");
        std::hint::black_box(lambda_http::Request::from(lambda));
    });
    let ua = per_call(budget, || {
        std::hint::black_box(shared::useragent::parse(std::hint::black_box(UAS[0])));
    });
    let whole = per_call(budget, || {
        runtime.block_on(invoke(&app, &single));
    });
    let handler = per_call(budget, || {
        let lambda: LambdaRequest = serde_json::from_str(&single).expect("an event");
        let req = lambda_http::Request::from(lambda);
        std::hint::black_box(runtime.block_on(collector::handle(&app, req)));
    }) - decode;
    eprintln!();
    eprintln!("| one request with one event | µs |");
    eprintln!("|---|---:|");
    eprintln!(
        "| API Gateway event decoded into a request | {:.2} |",
        decode * 1e6
    );
    eprintln!("| User-Agent parsed | {:.2} |", ua * 1e6);
    eprintln!(
        "| the handler (User-Agent, event, record encoded, answer) | {:.2} |",
        handler * 1e6
    );
    eprintln!("| the whole invocation | {:.2} |", whole * 1e6);
    eprintln!();
    eprintln!(
        "Peak RSS of the process (VmHWM), the batches of 500 having run last: {:.1} MB; {} records encoded, {:.0} bytes each on average.",
        peak_rss_mb(),
        app.queue.records.load(Ordering::Relaxed),
        app.queue.bytes.load(Ordering::Relaxed) as f64
            / app.queue.records.load(Ordering::Relaxed).max(1) as f64,
    );
}
