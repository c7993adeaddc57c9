//! Cost of `useragent::parse` per request, and of building the bot list at cold start.
//!
//!     cargo run --release -p shared --example ua_bench
//!
//! Prints a table: ns per parse() for typical agents (a browser is the common case, a bot the rare one)
//! and over the vendored corpora, and how much of it is woothee (browser, OS and device; it runs only for
//! agents that are neither scripts nor listed bots). The collector's targets (150 k events/s per core in
//! batches of 50, 60 k single requests/s) leave well under 5 µs for the one parse() of a request.

use shared::useragent::{self, Agent};
use std::hint::black_box;
use std::time::{Duration, Instant};

const BROWSERS_TSV: &str = include_str!("../data/useragent/browsers-user-agents.tsv");
const CRAWLERS_JSON: &str = include_str!("../data/useragent/crawler-user-agents.json");

/// Mean ns per call of `f` over `agents`, repeated for at least `budget`.
fn ns_per_call<T>(agents: &[&str], budget: Duration, f: impl Fn(&str) -> T) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for ua in agents {
            black_box(f(black_box(ua)));
        }
        n += agents.len() as u64;
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let cold = Instant::now();
    useragent::warm();
    let warm_ms = cold.elapsed().as_secs_f64() * 1e3;

    let browsers: Vec<&str> = BROWSERS_TSV
        .lines()
        .filter_map(|l| l.splitn(3, '\t').nth(2))
        .collect();
    let list: Vec<serde_json::Value> = serde_json::from_str(CRAWLERS_JSON).expect("JSON");
    let bots: Vec<&str> = list
        .iter()
        .flat_map(|e| e["instances"].as_array().into_iter().flatten())
        .filter_map(|s| s.as_str())
        .collect();

    let cases: [(&str, Vec<&str>); 7] = [
        ("Chrome, Windows", vec!["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"]),
        ("Safari, iPhone", vec!["Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.6.1 Mobile/15E148 Safari/604.1"]),
        ("Googlebot", vec!["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"]),
        ("HeadlessChrome", vec!["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36"]),
        ("curl (script)", vec!["curl/8.5.0"]),
        ("browser corpus (user-agents)", browsers),
        ("crawler list examples", bots),
    ];
    println!(
        "bot list built at cold start: {warm_ms:.1} ms ({} patterns)",
        useragent::crawler_list_counts().0
    );
    println!();
    println!(
        "| {:<30} | {:>7} | {:>10} | {:>12} | {:>16} |",
        "User-Agent", "agents", "ns / parse", "parses / s", "of which woothee"
    );
    println!(
        "|{:-<32}|{:->9}|{:->12}|{:->14}|{:->18}|",
        "", "", "", "", ""
    );
    for (name, agents) in &cases {
        ns_per_call(agents, Duration::from_millis(200), useragent::parse); // warm the caches
        let ns = ns_per_call(agents, Duration::from_secs(1), useragent::parse);
        let reach_woothee: Vec<&str> = agents
            .iter()
            .copied()
            .filter(|ua| {
                matches!(
                    useragent::parse(ua).kind(),
                    Agent::Browser | Agent::Bot("crawler")
                )
            })
            .collect();
        let woothee_ns = if reach_woothee.is_empty() {
            0.0
        } else {
            ns_per_call(&reach_woothee, Duration::from_millis(500), |ua| {
                woothee::parser::Parser::new().parse(ua).is_some()
            }) * reach_woothee.len() as f64
                / agents.len() as f64
        };
        println!(
            "| {:<30} | {:>7} | {:>10.0} | {:>12.0} | {:>16.0} |",
            name,
            agents.len(),
            ns,
            1e9 / ns,
            woothee_ns
        );
    }
}
