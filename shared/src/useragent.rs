//! Browser, OS and device type from a User-Agent, and whether it is a bot whose events are dropped.
//!
//! woothee names the browser, OS and device in about a microsecond with no start-up cost. Bots are the
//! entries of a maintained crawler list (crawlers.rs: search engines, AI and SEO crawlers, monitors,
//! headless and automated browsers, ...) plus woothee's own crawlers; scripts and server-side clients
//! (scripts.rs: curl, python-requests, Go-http-client, ..., or no User-Agent at all) are kept, since
//! server-side tracking sends exactly those. Anything else, including an agent nobody knows, counts.

mod crawlers;
pub mod scripts;

/// Who sent a request, as far as its User-Agent tells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Agent {
    /// A browser, an app, or anything not known as a bot: its events count.
    #[default]
    Browser,
    /// A script or server-side HTTP client, or no User-Agent: its events count.
    Script,
    /// A known bot: its events are dropped. The category is the crawler list's tag (search-engine,
    /// ai-crawler, seo, monitoring, browser-automation, social-preview, feed-reader, scanner, ...), or
    /// "crawler" when only woothee knows it.
    Bot(&'static str),
}

impl Agent {
    /// "browser", "script", or the bot's category: a label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Agent::Browser => "browser",
            Agent::Script => "script",
            Agent::Bot(category) => category,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Client {
    /// The browser, or the HTTP client of a script (e.g. "curl", "requests").
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    /// desktop, mobile, tablet, bot or other.
    pub device: String,
    pub agent: Agent,
}

impl Client {
    pub fn is_bot(&self) -> bool {
        matches!(self.agent, Agent::Bot(_))
    }

    /// What kind of agent this is (see [`Agent::label`] for a string).
    pub fn kind(&self) -> Agent {
        self.agent
    }
}

/// Compiles the bot and script lists now (a few milliseconds) rather than on the first request: call it
/// at cold start, before serving.
pub fn warm() {
    crawlers::warm();
    scripts::warm();
}

/// How many entries the vendored crawler list has, and how many of them have no literal to scan for
/// (every User-Agent is run through those).
pub fn crawler_list_counts() -> (usize, usize) {
    crawlers::counts()
}

pub fn parse(user_agent: &str) -> Client {
    let user_agent = user_agent.trim();
    if user_agent.is_empty() {
        return Client {
            device: "other".into(),
            agent: Agent::Script,
            ..Client::default()
        };
    }
    // The allow-list first: the crawler list names curl, python-requests and the like too. Neither a
    // script nor a listed bot needs woothee (the costliest step), so it runs only for the rest.
    if let Some(client) = scripts::client(user_agent) {
        return Client {
            browser: client.into(),
            device: "other".into(),
            agent: Agent::Script,
            ..Client::default()
        };
    }
    if let Some(category) = crawlers::category(user_agent) {
        return Client {
            device: "bot".into(),
            agent: Agent::Bot(category),
            ..Client::default()
        };
    }
    let Some(ua) = woothee::parser::Parser::new().parse(user_agent) else {
        return Client {
            device: "other".into(),
            ..Client::default()
        };
    };
    // woothee knows a few crawlers the list does not (and its generic bot/crawler/spider rule).
    let agent = if ua.category == "crawler" {
        Agent::Bot("crawler")
    } else {
        Agent::Browser
    };
    let device = match ua.category {
        "crawler" => "bot",
        "pc" => "desktop",
        "smartphone" if ua.os.contains("iPad") || user_agent.contains("Tablet") => "tablet",
        "smartphone" | "mobilephone" => "mobile",
        _ => "other",
    };
    let known = |s: &str| {
        if s == woothee::woothee::VALUE_UNKNOWN {
            String::new()
        } else {
            s.to_owned()
        }
    };
    Client {
        browser: known(ua.name),
        browser_version: known(ua.version),
        os: known(ua.os),
        device: device.into(),
        agent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_agents() {
        let iphone = parse("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1");
        assert_eq!(
            (iphone.browser.as_str(), iphone.device.as_str()),
            ("Safari", "mobile")
        );
        assert_eq!(iphone.os, "iPhone");
        assert_eq!(iphone.kind(), Agent::Browser);
        let firefox =
            parse("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0");
        assert_eq!(
            (
                firefox.browser.as_str(),
                firefox.os.as_str(),
                firefox.device.as_str()
            ),
            ("Firefox", "Linux", "desktop")
        );
        let google =
            parse("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        assert!(google.is_bot());
        assert_eq!(
            (google.kind(), google.device.as_str()),
            (Agent::Bot("search-engine"), "bot")
        );
    }

    #[test]
    fn scripts_count_and_say_what_they_are() {
        let curl = parse("curl/8.5.0");
        assert!(!curl.is_bot());
        assert_eq!(
            (curl.kind(), curl.browser.as_str(), curl.device.as_str()),
            (Agent::Script, "curl", "other")
        );
        let empty = parse("  ");
        assert_eq!((empty.kind(), empty.is_bot()), (Agent::Script, false));
        // A crawler framework is no script, and neither is a crawler that names a library further on.
        assert!(parse("Scrapy/2.11.0 (+https://scrapy.org)").is_bot());
        assert!(parse("2Bone_LinkChecker/1.0 libwww-perl/6.03").is_bot());
        assert!(parse("WGETbot/1.0 (+http://wget.alanreed.org)").is_bot());
    }

    #[test]
    fn bots_the_list_does_not_know_are_caught_by_woothees_generic_rule() {
        for ua in [
            "Mozilla/5.0 (compatible; Zzyzxbot/1.0; +https://zzyzx.example)",
            "zzyzx-spider/2.0",
        ] {
            let client = parse(ua);
            assert_eq!(
                (client.kind(), client.device.as_str()),
                (Agent::Bot("crawler"), "bot"),
                "{ua}"
            );
        }
        // An unknown app or server-side client that does not call itself a bot counts.
        assert_eq!(
            parse("AcmeBilling/2.3 (+ops@acme.example)").kind(),
            Agent::Browser
        );
    }
}
