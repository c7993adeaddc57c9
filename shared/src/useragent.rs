//! Browser, OS and device type from a User-Agent. woothee parses in microseconds with no start-up
//! cost, which matters for a Lambda's cold start (regex-based parsers take hundreds of milliseconds).

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Client {
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    /// desktop, mobile, tablet, bot or other.
    pub device: String,
}

impl Client {
    pub fn is_bot(&self) -> bool {
        self.device == "bot"
    }
}

pub fn parse(user_agent: &str) -> Client {
    let Some(ua) = woothee::parser::Parser::new().parse(user_agent) else {
        return Client {
            device: if looks_automated(user_agent) {
                "bot"
            } else {
                "other"
            }
            .into(),
            ..Client::default()
        };
    };
    let device = match ua.category {
        "crawler" => "bot",
        "pc" => "desktop",
        "smartphone" if ua.os.contains("iPad") || user_agent.contains("Tablet") => "tablet",
        "smartphone" | "mobilephone" => "mobile",
        _ if looks_automated(user_agent) => "bot",
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
    }
}

/// Headless browsers and HTTP libraries woothee does not list as crawlers.
fn looks_automated(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    [
        "headlesschrome",
        "bot",
        "spider",
        "crawl",
        "curl/",
        "wget/",
        "python-requests",
        "go-http-client",
    ]
    .iter()
    .any(|needle| ua.contains(needle))
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
        assert!(
            parse("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
                .is_bot()
        );
        assert!(parse("curl/8.5.0").is_bot());
        assert!(!parse("").is_bot());
    }
}
