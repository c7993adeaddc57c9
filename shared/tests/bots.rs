//! Which User-Agents are dropped as bots, measured on vendored corpora (shared/data/useragent, pinned npm
//! packages, their licences beside them): the crawler list's own example agents, two corpora of real
//! browser agents, and the script clients that must count. Each test prints what it measured.

use serde_json::Value;
use shared::useragent::{self, scripts, Agent};
use std::collections::BTreeSet;

const CRAWLERS_JSON: &str = include_str!("../data/useragent/crawler-user-agents.json");
const BOT_PATTERNS_TSV: &str = include_str!("../data/useragent/bot-patterns.tsv");
const BROWSERS_TSV: &str = include_str!("../data/useragent/browsers-user-agents.tsv");
const TOP_BROWSERS_TXT: &str = include_str!("../data/useragent/browsers-top-user-agents.txt");

struct Entry {
    pattern: String,
    tags: Vec<String>,
    instances: Vec<String>,
}

fn crawler_list() -> Vec<Entry> {
    let list: Vec<Value> = serde_json::from_str(CRAWLERS_JSON).expect("the crawler list is JSON");
    list.iter()
        .map(|e| Entry {
            pattern: e["pattern"].as_str().expect("a pattern").to_owned(),
            tags: e["tags"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            instances: e["instances"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

#[test]
fn the_embedded_patterns_are_the_vendored_list() {
    let list = crawler_list();
    let derived: Vec<String> = list
        .iter()
        .map(|e| {
            let tag = e.tags.first().map_or("other", String::as_str);
            format!("{tag}\t{}", e.pattern)
        })
        .collect();
    let embedded: Vec<&str> = BOT_PATTERNS_TSV.lines().collect();
    assert_eq!(
        embedded, derived,
        "bot-patterns.tsv is out of step with crawler-user-agents.json: run tools/update-ua-data.py"
    );
    assert_eq!(useragent::crawler_list_counts().0, list.len());
    // Each pattern on its own, as the engine compiles it, so an update that brings syntax the engine
    // lacks (look-around, backreferences) names the culprit rather than panicking at the first request.
    for e in &list {
        regex_automata::meta::Regex::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build(&e.pattern)
            .unwrap_or_else(|err| panic!("pattern {:?} does not compile: {err}", e.pattern));
    }
    // Patterns with no literal to scan for cost every request; a few are fine, many would show in the
    // benchmark (cargo run --release -p shared --example ua_bench).
    let (entries, without_literals) = useragent::crawler_list_counts();
    println!("{entries} patterns, {without_literals} without a literal to scan for");
    assert!(
        without_literals <= 20,
        "{without_literals} patterns without literals"
    );
}

#[test]
fn drops_at_least_95_percent_of_the_crawler_lists_examples() {
    let list = crawler_list();
    let instances: Vec<&str> = list
        .iter()
        .flat_map(|e| e.instances.iter().map(String::as_str))
        .collect();
    let kept: Vec<&str> = instances
        .iter()
        .copied()
        .filter(|ua| !useragent::parse(ua).is_bot())
        .collect();
    let dropped = instances.len() - kept.len();
    let share = dropped as f64 / instances.len() as f64;
    println!(
        "crawler list: {dropped} of {} example agents dropped ({:.2}%); kept:",
        instances.len(),
        share * 100.0
    );
    for ua in &kept {
        println!("  kept {ua:?} ({})", useragent::parse(ua).kind().label());
    }
    assert!(share >= 0.95, "only {:.2}% dropped", share * 100.0);
    // What is kept must be kept on purpose: scripts by the allow-list, nothing else.
    let not_scripts: Vec<&&str> = kept
        .iter()
        .filter(|ua| useragent::parse(ua).kind() != Agent::Script)
        .collect();
    assert!(
        not_scripts.is_empty(),
        "examples kept that are not scripts: {not_scripts:?}"
    );
}

/// Real browsers: distinct agents of `user-agents` (weighted samples of real traffic) and `top-user-agents`.
#[test]
fn flags_at_most_half_a_percent_of_real_browsers() {
    let mut total_weight = 0.0;
    let mut flagged_weight = 0.0;
    let mut agents = BTreeSet::new();
    for line in BROWSERS_TSV.lines() {
        let mut fields = line.splitn(3, '\t');
        let weight: f64 = fields.next().and_then(|w| w.parse().ok()).expect("weight");
        let _category = fields.next().expect("category");
        let ua = fields.next().expect("user agent");
        total_weight += weight;
        if useragent::parse(ua).is_bot() {
            flagged_weight += weight;
        }
        agents.insert(ua);
    }
    let weighted_agents = agents.len();
    agents.extend(TOP_BROWSERS_TXT.lines().filter(|l| !l.is_empty()));
    let flagged: Vec<&str> = agents
        .iter()
        .copied()
        .filter(|ua| useragent::parse(ua).is_bot())
        .collect();
    let share = flagged.len() as f64 / agents.len() as f64;
    let weighted = flagged_weight / total_weight;
    println!(
        "real browsers: {} of {} distinct agents flagged ({:.2}%; {} from user-agents, the rest from \
         top-user-agents); {:.3}% of user-agents' traffic weight",
        flagged.len(),
        agents.len(),
        share * 100.0,
        weighted_agents,
        weighted * 100.0
    );
    for ua in &flagged {
        println!("  flagged {ua:?} ({})", useragent::parse(ua).kind().label());
    }
    assert!(agents.len() > 900, "the corpora shrank: {}", agents.len());
    assert!(share <= 0.005, "{:.2}% of browsers flagged", share * 100.0);
    assert!(
        weighted <= 0.005,
        "{:.3}% of browser traffic flagged",
        weighted * 100.0
    );
}

/// The default User-Agent of each allow-listed client, as it sends it, and the client it is.
const SCRIPT_SAMPLES: &[(&str, &str)] = &[
    ("curl/8.5.0", "curl"),
    ("curl", "curl"),
    ("Wget/1.21.4", "Wget, Wget2"),
    ("Wget2/2.1.0", "Wget, Wget2"),
    ("HTTPie/3.2.2", "HTTPie"),
    ("PostmanRuntime/7.36.0", "Postman"),
    ("insomnia/2023.5.8", "Insomnia"),
    ("python-requests/2.31.0", "requests"),
    ("Python-urllib/3.11", "urllib"),
    ("python-urllib3/2.1.0", "urllib3"),
    ("python-httpx/0.25.2", "httpx"),
    ("Python/3.11 aiohttp/3.9.1", "aiohttp"),
    ("Go-http-client/1.1", "net/http"),
    ("Go-http-client/2.0", "net/http"),
    ("node", "Node's fetch (undici)"),
    ("undici", "Node's fetch (undici)"),
    ("node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "node-fetch"),
    ("node-fetch", "node-fetch"),
    ("axios/1.6.2", "axios"),
    ("got (https://github.com/sindresorhus/got)", "got"),
    ("node-superagent/3.8.3", "superagent"),
    ("Deno/1.39.0", "Deno"),
    ("Bun/1.0.20", "Bun"),
    ("Java/17.0.9", "java.net.HttpURLConnection"),
    ("Java-http-client/17.0.9", "java.net.http.HttpClient"),
    ("Apache-HttpClient/4.5.14 (Java/17.0.9)", "Apache HttpClient"),
    ("Apache-HttpAsyncClient/4.1.5 (Java/17.0.9)", "Apache HttpClient"),
    ("okhttp/4.12.0", "OkHttp"),
    ("AHC/2.1", "AsyncHttpClient"),
    ("Jetty/9.4.53.v20231009", "Jetty HttpClient"),
    ("libwww-perl/6.72", "LWP"),
    ("lwp-trivial/6.72", "LWP"),
    ("HTTP-Tiny/0.088", "HTTP::Tiny"),
    ("GuzzleHttp/7", "Guzzle"),
    ("PHP-Curl-Class/9.18.2 (+https://github.com/php-curl-class/php-curl-class) PHP/8.2.13 curl/8.4.0", "PHP Curl Class"),
    ("Ruby", "Net::HTTP"),
    ("Faraday v2.7.12", "Faraday"),
    ("rest-client/2.1.0 (linux-gnu x86_64) ruby/3.2.2p53", "rest-client"),
    ("excon/0.109.0", "excon"),
    ("Dart/3.2 (dart:io)", "Dart"),
    ("ureq/2.9.1", "ureq (Rust)"),
    ("hackney/1.20.1", "hackney (Erlang, Elixir)"),
];

/// Each script client's default User-Agent, as it sends it, counts (and says which client it is).
#[test]
fn scripts_and_server_side_clients_count() {
    for &(ua, client) in SCRIPT_SAMPLES {
        let parsed = useragent::parse(ua);
        assert_eq!(
            (parsed.kind(), parsed.browser.as_str()),
            (Agent::Script, client),
            "{ua}"
        );
    }
    // Every allow-listed client is exercised above.
    let named: BTreeSet<&str> = SCRIPT_SAMPLES.iter().map(|(_, c)| *c).collect();
    let listed: BTreeSet<&str> = scripts::CLIENTS.iter().map(|(c, _)| *c).collect();
    assert_eq!(named, listed);
    for empty in ["", "   "] {
        assert_eq!(useragent::parse(empty).kind(), Agent::Script);
    }
}

/// The crawler list's `http-library` entries, each decided: kept (a general-purpose client, scripts.rs) or
/// dropped (crawling frameworks, site copiers, fetchers of other services). An update of the list that
/// brings a new one fails here until someone decides.
#[test]
fn every_http_library_of_the_list_is_decided() {
    const KEPT: &[&str] = &[
        "[wW]get",
        "Python-urllib",
        "python-requests",
        "aiohttp",
        "httpx",
        "libwww-perl",
        "Go-http-client",
        "okhttp",
        "AHC\\/",
        "^Apache-HttpClient",
        "Jetty",
        "axios",
        "^curl",
        "^PHP-Curl-Class",
        "node-fetch",
        "sindresorhus\\/got",
        "^HTTPie\\/",
        "lwp-trivial",
    ];
    const DROPPED: &[&str] = &[
        "httpunit",
        "phpcrawl",
        "HTTrack",
        "SimpleCrawler",
        "crawler4j",
        "Scrapy",
        "Pcore-HTTP",
        "http_get",
        "newspaper\\/",
        "BTWebClient",
        "Amazon CloudFront",
        "HttpUrlConnection",
        "AnyEvent",
        "python-opengraph",
        "ALittle Client",
        "colly",
        "[mM]echanize",
        "CustomAsyncHttpClient",
        "Salesforce\\.com",
        "trafilatura",
        "Download Ninja",
        "GoParserBot",
        "larbin",
        "rawweb-bot",
    ];
    let matcher = |pattern: &str| {
        regex_automata::meta::Regex::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build(pattern)
            .expect("compiles")
    };
    let mut undecided = Vec::new();
    for e in crawler_list()
        .iter()
        .filter(|e| e.tags.iter().any(|t| t == "http-library"))
    {
        if KEPT.contains(&e.pattern.as_str()) {
            // The library's own default is kept (crawlers that name it further on may still be dropped).
            let regex = matcher(&e.pattern);
            assert!(
                SCRIPT_SAMPLES
                    .iter()
                    .any(|(ua, _)| regex.is_match(ua.as_bytes())
                        && useragent::parse(ua).kind() == Agent::Script),
                "no kept script sample is named by {:?}",
                e.pattern
            );
        } else if DROPPED.contains(&e.pattern.as_str()) {
            for ua in &e.instances {
                assert!(useragent::parse(ua).is_bot(), "{ua} ({:?})", e.pattern);
            }
        } else {
            undecided.push(format!("{:?} (examples {:?})", e.pattern, e.instances));
        }
    }
    assert!(
        undecided.is_empty(),
        "http-library entries with no decision (add the client to scripts.rs and the pattern to this \
         test's KEPT, or the pattern to DROPPED): {undecided:#?}"
    );
}

/// Headless and automated browsers, at their defaults, and well-known bots.
#[test]
fn headless_browsers_and_known_bots_are_dropped() {
    let bots = [
        // Chrome's headless modes (Puppeteer's and Playwright's Chromium defaults say the same).
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36", "browser-automation"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36", "browser-automation"),
        ("Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", "browser-automation"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Chrome-Lighthouse", ""),
        ("Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", ""),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Playwright/1.40.0", "browser-automation"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "search-engine"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "search-engine"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "ai-crawler"),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "seo"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", ""),
        ("Scrapy/2.11.0 (+https://scrapy.org)", "http-library"),
    ];
    for (ua, category) in bots {
        let parsed = useragent::parse(ua);
        assert!(parsed.is_bot(), "{ua}");
        assert_eq!(parsed.device, "bot", "{ua}");
        if !category.is_empty() {
            assert_eq!(parsed.kind(), Agent::Bot(category), "{ua}");
        }
    }
}
