//! The parts of a page URL and a referrer the record keeps: the path, the `utm_*` tags and the referrer's
//! domain, exactly as the `url` crate (WHATWG parsing) gives them.
//!
//! Nearly every URL a browser sends is plain: `http(s)://` and a lowercase-able ASCII host, a path of
//! characters the parser leaves as they are. Those are split by hand, which gives the same parts at a
//! fraction of the cost; anything else (other schemes, IP hosts, punycode, dot segments, spaces,
//! non-ASCII before the query, user info, ...) goes through the full parser. The tests compare both
//! on many awkward URLs.

use url::form_urlencoded;

pub(super) const UTM_KEYS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];
/// At most this many characters of a UTM value are kept.
const MAX_UTM_CHARS: usize = 256;

/// What the record keeps of the page URL.
#[derive(Debug, Default, PartialEq)]
pub(super) struct PageParts {
    pub path: String,
    /// In the order of [`UTM_KEYS`].
    pub utm: [String; 5],
}

/// The path and UTM tags of a page URL: absolute, or a bare path ("/pricing?x=1"), else nothing.
pub(super) fn page_parts(raw: &str) -> PageParts {
    if raw.is_empty() {
        return PageParts::default();
    }
    if let Some((path, query)) = split_plain(raw) {
        return PageParts {
            path: path.to_owned(),
            utm: utm_tags(query),
        };
    }
    match full_parse(raw) {
        Some(u) => PageParts {
            path: u.path().to_owned(),
            utm: utm_tags(u.query()),
        },
        None => PageParts::default(),
    }
}

/// The referrer's host, lowercase, without leading `www.`; empty for anything that is not an absolute
/// URL with a host.
pub(super) fn referrer_domain(referrer: &str) -> String {
    if let Some((host, _)) = plain_authority(referrer) {
        return host
            .to_ascii_lowercase()
            .trim_start_matches("www.")
            .to_owned();
    }
    url::Url::parse(referrer)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
        })
        .unwrap_or_default()
}

/// Absolute URLs parse as they are; a bare path is read against a placeholder origin.
fn full_parse(raw: &str) -> Option<url::Url> {
    url::Url::parse(raw).ok().or_else(|| {
        raw.starts_with('/')
            .then(|| url::Url::parse(&format!("http://relative.invalid{raw}")).ok())
            .flatten()
    })
}

/// The first value of each UTM key in a query, as `application/x-www-form-urlencoded` decodes it.
fn utm_tags(query: Option<&str>) -> [String; 5] {
    let mut found: [Option<String>; 5] = Default::default();
    let Some(query) = query else {
        return Default::default();
    };
    // Keys may be percent-encoded, so only a query without `utm` nor `%` is skipped unparsed.
    let b = query.as_bytes();
    let maybe = b
        .iter()
        .enumerate()
        .any(|(i, &c)| c == b'%' || (c == b'u' && b[i..].starts_with(b"utm")));
    if !maybe {
        return Default::default();
    }
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(i) = UTM_KEYS.iter().position(|k| *k == key) {
            if found[i].is_none() {
                found[i] = Some(value.chars().take(MAX_UTM_CHARS).collect());
                if found.iter().all(Option::is_some) {
                    break;
                }
            }
        }
    }
    found.map(Option::unwrap_or_default)
}

/// A page URL the full parser would leave as it is, split into its path (as the parser gives it) and
/// query; None when in doubt.
fn split_plain(raw: &str) -> Option<(&str, Option<&str>)> {
    let bytes = raw.as_bytes();
    // Control characters and spaces are trimmed or removed by the parser, anywhere.
    if bytes.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return None;
    }
    let rest = if raw.starts_with('/') {
        // A bare path; "//x" would name a host, "/\" is a slash to the parser.
        if bytes.get(1).is_some_and(|&b| b == b'/' || b == b'\\') {
            return None;
        }
        raw
    } else {
        let (_, rest) = plain_authority(raw)?;
        rest
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = &rest[..end];
    if !plain_path(path) {
        return None;
    }
    let query = rest[end..]
        .strip_prefix('?')
        .map(|q| q.split_once('#').map_or(q, |(q, _)| q));
    Some((if path.is_empty() { "/" } else { path }, query))
}

/// Characters a path keeps as they are, without dot segments (the parser resolves them, also when
/// percent-encoded).
fn plain_path(path: &str) -> bool {
    let b = path.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        let plain = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'%'
            );
        let dot_segment = (c == b'.' && i > 0 && b[i - 1] == b'/')
            || (c == b'%'
                && b[i + 1..].starts_with(b"2")
                && matches!(b.get(i + 2), Some(b'e' | b'E')));
        plain && !dot_segment
    })
}

/// For `http://` and `https://` URLs with a plain host and port: the host and what follows the
/// authority. None when in doubt.
fn plain_authority(raw: &str) -> Option<(&str, &str)> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if port.parse::<u32>().ok()? > 65535 {
            return None;
        }
    }
    plain_host(host).then_some((host, tail))
}

/// A DNS name of ASCII letters, digits and hyphens that the parser only lowercases: no IPv4-looking
/// last label, no punycode, no empty labels, no hyphens at a label's ends.
fn plain_host(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let mut labels = host.split('.').peekable();
    while let Some(label) = labels.next() {
        let b = label.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 63
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
            && !(b.len() >= 4 && b[2] == b'-' && b[3] == b'-');
        if !ok {
            return false;
        }
        if labels.peek().is_none() && !b[0].is_ascii_alphabetic() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts as the code before the fast path computed them, with the full parser only.
    fn reference(raw: &str) -> PageParts {
        let Some(u) = (!raw.is_empty()).then(|| full_parse(raw)).flatten() else {
            return PageParts::default();
        };
        let query = |key: &str| -> String {
            u.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.chars().take(256).collect())
                .unwrap_or_default()
        };
        PageParts {
            path: u.path().to_owned(),
            utm: UTM_KEYS.map(query),
        }
    }

    fn reference_domain(referrer: &str) -> String {
        url::Url::parse(referrer)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
            })
            .unwrap_or_default()
    }

    const PREFIXES: &[&str] = &[
        "",
        "https://",
        "http://",
        "HTTPS://",
        "ftp://",
        "android-app://",
        "mailto:",
        "https:",
        "https:/",
        "https:///",
        " https://",
        "\thttps://",
        "//",
        "/",
        "/\\",
    ];
    const HOSTS: &[&str] = &[
        "",
        "shop.example",
        "www.Google.com",
        "WWW.www.example.org",
        "localhost",
        "a-b.c-d.io",
        "-a.test",
        "a-.test",
        "ab--cd.test",
        "xn--bcher-kva.de",
        "Bücher.de",
        "1.2.3.4",
        "1.2.3.04",
        "0x7f.1",
        "999.1.1.1",
        "example.123",
        "example.com.",
        "a..b",
        "[::1]",
        "user:pw@host.test",
        "@host.test",
        "host.test:8080",
        "host.test:",
        "host.test:65536",
        "host.test:0080",
        "host.test:x",
        "ho st.test",
        "ho\tst.test",
        "ho%41st.test",
        "host_name.test",
        "host.test\\evil",
        "ＦＵＬＬ.test",
        "a.b.c.d.e.f.g",
    ];
    const PATHS: &[&str] = &[
        "",
        "/",
        "/pricing",
        "/a/b/c/",
        "/a/./b",
        "/a/../b",
        "/..",
        "/.well-known/x",
        "/%2e%2E/x",
        "/a%2fb",
        "/a%zz",
        "/a%",
        "/über",
        "/a b",
        "/a\tb",
        "/a\"b",
        "/a<b>",
        "/a`b",
        "/{x}",
        "/a^b|c",
        "/a\\b",
        "/a[1]",
        "/~user/it's;x=1,2:3@4!$&*+()",
        "//double",
        "/trailing ",
        "/x\u{7f}",
    ];
    const QUERIES: &[&str] = &[
        "",
        "?",
        "?utm_source=news",
        "?utm_source=news&utm_medium=email&utm_campaign=winter&utm_term=a+b&utm_content=c%20d",
        "?utm_source=a&utm_source=b",
        "?utm_source=&utm_source=b",
        "?%75tm_source=encoded",
        "?utm%5Fmedium=x",
        "?utm_source=caf%C3%A9&utm_term=%FF%FE",
        "?utm_source=café",
        "?utm_source=a b",
        "?utm_source='quoted'&utm_medium=\"dq\"",
        "?utm_source=<x>",
        "?utm_campaign=%",
        "?utm_campaign=%4",
        "?utm_campaign=%%2041",
        "?x=1&&utm_source=y&=z&utm_medium",
        "?utm_source=a;utm_medium=b",
        "?utm_source=a#utm_medium=b",
        "#?utm_source=frag",
        "?utm_source=tab\tin",
        "?utm_term=ends ",
    ];

    #[test]
    fn the_fast_path_agrees_with_the_full_parser() {
        let long_value = format!("?utm_content={}", "é".repeat(300));
        let mut checked = 0;
        let mut fast = 0;
        // Every path with a few queries, and every query with a few paths, behind every origin.
        let queries: Vec<&str> = QUERIES
            .iter()
            .copied()
            .chain([long_value.as_str()])
            .collect();
        let pairs = PATHS
            .iter()
            .flat_map(|p| [(*p, QUERIES[2]), (*p, QUERIES[3]), (*p, "")])
            .chain(
                queries
                    .iter()
                    .flat_map(|q| [("/pricing", *q), ("", *q), ("/a b", *q), ("/über", *q)]),
            );
        let pairs: Vec<(&str, &str)> = pairs.collect();
        for prefix in PREFIXES {
            for host in HOSTS {
                for (path, query) in &pairs {
                    {
                        let raw = format!("{prefix}{host}{path}{query}");
                        assert_eq!(page_parts(&raw), reference(&raw), "page url {raw:?}");
                        assert_eq!(
                            referrer_domain(&raw),
                            reference_domain(&raw),
                            "referrer {raw:?}"
                        );
                        checked += 1;
                        fast += usize::from(split_plain(&raw).is_some());
                    }
                }
            }
        }
        // Enough of them took the fast path for the comparison to mean something.
        assert!(fast > 1_000 && checked > 20_000, "{fast} of {checked}");
        assert!(split_plain("https://www.acme.example/pricing?utm_source=x").is_some());
        assert!(split_plain("/welcome?utm_medium=email").is_some());
        assert!(plain_authority("https://news.ycombinator.com/item?id=1").is_some());
    }

    #[test]
    fn parts_of_common_urls() {
        let p = page_parts("https://shop.example/pricing?utm_source=news&utm_campaign=winter");
        assert_eq!(p.path, "/pricing");
        assert_eq!(p.utm[0], "news");
        assert_eq!(p.utm[2], "winter");
        assert_eq!(page_parts("https://shop.example").path, "/");
        assert_eq!(page_parts("/a/../b").path, "/b");
        assert_eq!(page_parts("not a url"), PageParts::default());
        assert_eq!(
            referrer_domain("https://www.Google.com/search?q=x"),
            "google.com"
        );
        assert_eq!(referrer_domain("https://Bücher.de/"), "xn--bcher-kva.de");
        assert_eq!(referrer_domain("/relative"), "");
    }
}
