//! Policy, not bot data: the HTTP clients whose requests are kept even where the crawler list names them.
//!
//! Server-side tracking (a backend, a cron job, a webhook handler, a test with curl) sends events with the
//! default User-Agent of its HTTP library, and those events are real. So a User-Agent that *starts with* the
//! product token of a general-purpose HTTP client or command-line tool, at its default, is a script and is
//! kept. Crawling and scraping frameworks (Scrapy, colly, crawler4j, HTTrack, Mechanize, ...) are not on
//! this list and stay dropped, and so does a crawler that merely mentions a library later in its
//! User-Agent (e.g. `2Bone_LinkChecker/1.0 libwww-perl/6.03`). No User-Agent at all is a script too
//! (parse() handles that before asking here): .NET's HttpClient, reqwest and PHP's curl send none.

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use std::sync::LazyLock;

/// (client, how its default User-Agent starts: a regex, matched case-insensitively at the start).
pub const CLIENTS: &[(&str, &str)] = &[
    // Command-line tools.
    ("curl", r"curl(?:/|$)"),
    ("Wget, Wget2", r"wget2?/"),
    ("HTTPie", r"httpie/"),
    ("Postman", r"postmanruntime/"),
    ("Insomnia", r"insomnia/"),
    // Python.
    ("requests", r"python-requests/"),
    ("urllib", r"python-urllib/"),
    ("urllib3", r"python-urllib3/"),
    ("httpx", r"python-httpx/"),
    ("aiohttp", r"(?:python/[0-9.]+ )?aiohttp/"),
    // Go.
    ("net/http", r"go-http-client/"),
    // JavaScript runtimes and libraries.
    ("Node's fetch (undici)", r"(?:node|undici)$"),
    ("node-fetch", r"node-fetch(?:/|$)"),
    ("axios", r"axios/"),
    ("got", r"got \("),
    ("superagent", r"node-superagent/"),
    ("Deno", r"deno/"),
    ("Bun", r"bun/"),
    // JVM and Android.
    ("java.net.HttpURLConnection", r"java/"),
    ("java.net.http.HttpClient", r"java-http-client/"),
    ("Apache HttpClient", r"apache-http(?:async)?client/"),
    ("OkHttp", r"okhttp/"),
    ("AsyncHttpClient", r"ahc/"),
    ("Jetty HttpClient", r"jetty/"),
    // Perl, PHP, Ruby.
    ("LWP", r"(?:libwww-perl|lwp-trivial)/"),
    ("HTTP::Tiny", r"http-tiny/"),
    ("Guzzle", r"guzzlehttp/"),
    ("PHP Curl Class", r"php-curl-class/"),
    ("Net::HTTP", r"ruby$"),
    ("Faraday", r"faraday v"),
    ("rest-client", r"rest-client/"),
    ("excon", r"excon/"),
    // Others.
    ("Dart", r"dart/"),
    ("ureq (Rust)", r"ureq/"),
    ("hackney (Erlang, Elixir)", r"hackney/"),
];

static SCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    let anchored: Vec<String> = CLIENTS
        .iter()
        .map(|(_, prefix)| format!("^(?:{prefix})"))
        .collect();
    Regex::builder()
        .syntax(
            syntax::Config::new()
                .case_insensitive(true)
                .unicode(false)
                .utf8(false),
        )
        .build_many(&anchored)
        .expect("the script clients' prefixes compile")
});

/// The name of the HTTP client or tool whose default `user_agent` is (see the module comment), if any.
pub fn client(user_agent: &str) -> Option<&'static str> {
    SCRIPT
        .find(user_agent.as_bytes())
        .map(|m| CLIENTS[m.pattern().as_usize()].0)
}

/// Compiles the list now rather than on the first request.
pub fn warm() {
    LazyLock::force(&SCRIPT);
}
