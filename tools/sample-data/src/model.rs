//! The static tables of the model: sites, pages, clicks, referrers, campaigns, user agents, countries
//! and the daily and weekly rhythm. Weights are relative.

/// (site, share of visitors, origin, title suffix)
pub const SITES: &[(&str, f64, &str, &str)] = &[
    ("demo", 0.85, "https://demo.example.com", "Acme Analytics"),
    ("shop", 0.15, "https://shop.example.com", "Acme Shop"),
];

/// A page: path, title, weight as a landing page, weight as a next page (anonymous / signed in).
pub struct Page {
    pub path: &'static str,
    pub title: &'static str,
    pub landing: f64,
    pub next_anonymous: f64,
    pub next_signed_in: f64,
    /// The clicks a visitor may make there: (element, section).
    pub clicks: &'static [(&'static str, &'static str)],
}

const HOME_CLICKS: &[(&str, &str)] = &[
    ("cta_get_started", "hero"),
    ("cta_live_demo", "hero"),
    ("nav_pricing", "header"),
    ("nav_docs", "header"),
    ("github_star", "footer"),
];
const PRICING_CLICKS: &[(&str, &str)] = &[
    ("plan_pro", "pricing_table"),
    ("plan_team", "pricing_table"),
    ("toggle_yearly", "pricing_table"),
    ("faq_expand", "faq"),
    ("contact_sales", "pricing_table"),
];
const FEATURES_CLICKS: &[(&str, &str)] = &[
    ("feature_tab", "features_grid"),
    ("cta_get_started", "features_grid"),
    ("watch_video", "hero"),
];
const DOCS_CLICKS: &[(&str, &str)] = &[
    ("copy_code", "content"),
    ("toc_link", "sidebar"),
    ("search", "header"),
    ("edit_on_github", "content"),
];
const BLOG_CLICKS: &[(&str, &str)] = &[
    ("share_twitter", "article_footer"),
    ("related_post", "article_footer"),
    ("newsletter_subscribe", "sidebar"),
    ("copy_link", "article_header"),
];
const DASHBOARD_CLICKS: &[(&str, &str)] = &[
    ("date_range", "toolbar"),
    ("add_filter", "toolbar"),
    ("export_csv", "toolbar"),
    ("switch_site", "sidebar"),
    ("open_funnel", "sidebar"),
];
const DEFAULT_CLICKS: &[(&str, &str)] = &[
    ("nav_logo", "header"),
    ("nav_pricing", "header"),
    ("footer_link", "footer"),
];

const fn page(
    path: &'static str,
    title: &'static str,
    landing: f64,
    next_anonymous: f64,
    next_signed_in: f64,
    clicks: &'static [(&'static str, &'static str)],
) -> Page {
    Page {
        path,
        title,
        landing,
        next_anonymous,
        next_signed_in,
        clicks,
    }
}

/// Index of `/signup` in [`PAGES`].
pub const SIGNUP: usize = 17;
/// Index of `/dashboard` in [`PAGES`].
pub const DASHBOARD: usize = 19;
/// Index of `/pricing` in [`PAGES`].
pub const PRICING: usize = 1;
/// Index of `/checkout` in [`PAGES`] (site shop only).
pub const CHECKOUT: usize = 21;
/// Index of `/login` in [`PAGES`].
pub const LOGIN: usize = 18;

pub const PAGES: &[Page] = &[
    page("/", "Home", 30.0, 12.0, 2.0, HOME_CLICKS),
    page("/pricing", "Pricing", 7.0, 12.0, 2.0, PRICING_CLICKS),
    page("/features", "Features", 5.0, 10.0, 1.0, FEATURES_CLICKS),
    page("/docs", "Documentation", 4.0, 8.0, 6.0, DOCS_CLICKS),
    page(
        "/docs/getting-started",
        "Getting started",
        6.0,
        7.0,
        4.0,
        DOCS_CLICKS,
    ),
    page("/blog", "Blog", 3.0, 6.0, 1.0, BLOG_CLICKS),
    page(
        "/blog/self-hosted-analytics-in-10-minutes",
        "Self-hosted analytics in 10 minutes",
        6.0,
        2.0,
        0.3,
        BLOG_CLICKS,
    ),
    page(
        "/blog/why-we-built-on-clickhouse",
        "Why we built on ClickHouse",
        5.0,
        1.5,
        0.3,
        BLOG_CLICKS,
    ),
    page(
        "/blog/privacy-friendly-analytics",
        "Privacy-friendly analytics without cookies",
        3.0,
        1.2,
        0.2,
        BLOG_CLICKS,
    ),
    page(
        "/blog/serverless-cost-breakdown",
        "What serverless analytics really costs",
        2.5,
        1.0,
        0.2,
        BLOG_CLICKS,
    ),
    page(
        "/blog/funnels-explained",
        "Funnels explained",
        2.0,
        1.0,
        0.3,
        BLOG_CLICKS,
    ),
    page(
        "/blog/retention-cohorts-101",
        "Retention cohorts 101",
        1.5,
        0.8,
        0.3,
        BLOG_CLICKS,
    ),
    page(
        "/blog/utm-tags-done-right",
        "UTM tags done right",
        1.2,
        0.7,
        0.2,
        BLOG_CLICKS,
    ),
    page(
        "/blog/from-postgres-to-clickhouse",
        "From Postgres to ClickHouse",
        1.0,
        0.6,
        0.2,
        BLOG_CLICKS,
    ),
    page(
        "/blog/launch-week-recap",
        "Launch week recap",
        0.8,
        0.5,
        0.2,
        BLOG_CLICKS,
    ),
    page(
        "/blog/tracking-spa-pageviews",
        "Tracking page views in single-page apps",
        0.7,
        0.5,
        0.2,
        BLOG_CLICKS,
    ),
    page("/about", "About us", 0.8, 2.5, 0.3, DEFAULT_CLICKS),
    page(
        "/signup",
        "Create your account",
        1.5,
        0.0,
        0.0,
        DEFAULT_CLICKS,
    ),
    page("/login", "Sign in", 2.0, 2.0, 0.5, DEFAULT_CLICKS),
    page("/dashboard", "Dashboard", 0.5, 0.0, 20.0, DASHBOARD_CLICKS),
    page("/changelog", "Changelog", 0.5, 1.5, 2.0, DEFAULT_CLICKS),
    page("/checkout", "Checkout", 0.0, 0.0, 0.0, DEFAULT_CLICKS),
    page("/contact", "Contact", 0.3, 1.2, 0.3, DEFAULT_CLICKS),
];

/// The post of the traffic spike.
pub const HACKER_NEWS_POST: &str = "https://news.ycombinator.com/item?id=41234567";

/// Where a visit comes from when it has no campaign: (referrer URLs, picked evenly; weight). Empty =
/// direct.
pub const REFERRERS: &[(&[&str], f64)] = &[
    (&[""], 30.0),
    (
        &[
            "https://www.google.com/",
            "https://www.google.com/",
            "https://www.google.com/",
            "https://www.google.com/",
            "https://www.google.de/",
            "https://www.google.co.uk/",
        ],
        34.0,
    ),
    (&["https://news.ycombinator.com/", HACKER_NEWS_POST], 6.0),
    (
        &[
            "https://t.co/x8Kq2Lm0aZ",
            "https://twitter.com/",
            "https://t.co/Pq7RbN3sW1",
        ],
        6.0,
    ),
    (
        &["https://github.com/acme/analytics", "https://github.com/"],
        8.0,
    ),
    (&["https://duckduckgo.com/"], 6.0),
    (
        &[
            "https://www.reddit.com/r/selfhosted/",
            "https://www.reddit.com/r/analytics/",
        ],
        6.0,
    ),
    (&["https://www.bing.com/"], 3.0),
    (&["https://www.linkedin.com/"], 1.0),
];

/// A campaign landing: utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer, weight.
pub struct Campaign {
    pub source: &'static str,
    pub medium: &'static str,
    pub campaign: &'static str,
    pub term: &'static str,
    pub content: &'static [&'static str],
    pub referrer: &'static str,
    pub weight: f64,
}

const fn campaign(
    source: &'static str,
    medium: &'static str,
    campaign: &'static str,
    term: &'static str,
    content: &'static [&'static str],
    referrer: &'static str,
    weight: f64,
) -> Campaign {
    Campaign {
        source,
        medium,
        campaign,
        term,
        content,
        referrer,
        weight,
    }
}

pub const CAMPAIGNS: &[Campaign] = &[
    campaign(
        "google",
        "cpc",
        "brand_search",
        "acme+analytics",
        &["ad_a", "ad_b"],
        "https://www.google.com/",
        22.0,
    ),
    campaign(
        "google",
        "cpc",
        "competitor_search",
        "self+hosted+analytics",
        &["ad_a", "ad_b", "ad_c"],
        "https://www.google.com/",
        14.0,
    ),
    campaign(
        "newsletter",
        "email",
        "monthly_digest",
        "",
        &["header_link", "footer_link"],
        "",
        20.0,
    ),
    campaign(
        "twitter",
        "social",
        "launch_week",
        "",
        &["thread", "pinned"],
        "https://t.co/Lw3eK9pQ2x",
        12.0,
    ),
    campaign(
        "linkedin",
        "social",
        "b2b_awareness",
        "",
        &["carousel", "single_image"],
        "https://www.linkedin.com/",
        8.0,
    ),
    campaign(
        "producthunt",
        "referral",
        "ph_launch",
        "",
        &[],
        "https://www.producthunt.com/",
        7.0,
    ),
    campaign(
        "reddit",
        "cpc",
        "dev_tools_q2",
        "",
        &["promoted_post"],
        "https://www.reddit.com/",
        6.0,
    ),
    campaign(
        "bing",
        "cpc",
        "generic_search",
        "web+analytics",
        &["ad_a"],
        "https://www.bing.com/",
        5.0,
    ),
    campaign(
        "partner",
        "affiliate",
        "agency_program",
        "",
        &["banner"],
        "",
        6.0,
    ),
];

/// Pages a campaign lands on: /, /pricing, /features, the two most popular posts.
pub const CAMPAIGN_LANDINGS: &[(usize, f64)] =
    &[(0, 45.0), (1, 25.0), (2, 20.0), (6, 6.0), (7, 4.0)];

/// (User-Agent, weight)
pub const USER_AGENTS: &[(&str, f64)] = &[
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 24.0),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 12.0),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", 8.0),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 5.0),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 2.5),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36", 3.0),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67", 8.0),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0", 2.0),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 14.0),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", 2.5),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", 8.0),
    ("Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", 5.0),
    ("Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", 2.0),
    ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", 1.0),
    ("Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 3.0),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67", 1.0),
];

/// (ISO 3166-1 alpha-2, weight)
pub const COUNTRIES: &[(&str, f64)] = &[
    ("US", 28.0),
    ("DE", 9.0),
    ("GB", 8.0),
    ("IN", 7.0),
    ("FR", 6.0),
    ("CA", 4.0),
    ("BR", 3.5),
    ("NL", 3.0),
    ("ES", 3.0),
    ("IT", 2.8),
    ("AU", 2.7),
    ("JP", 2.5),
    ("PL", 2.2),
    ("SE", 2.0),
    ("MX", 1.8),
    ("CH", 1.5),
    ("UA", 1.2),
    ("KR", 1.2),
    ("SG", 1.0),
    ("ZA", 0.8),
];

/// Relative traffic per UTC hour: quiet at night (Europe and the Americas asleep), busy afternoons.
pub const HOURS: [f64; 24] = [
    0.34, 0.27, 0.23, 0.21, 0.23, 0.29, 0.40, 0.56, 0.74, 0.87, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0,
    0.98, 0.93, 0.86, 0.79, 0.70, 0.60, 0.50, 0.42,
];

/// Relative traffic per weekday, Monday first: quieter weekends.
pub const WEEKDAYS: [f64; 7] = [1.0, 1.05, 1.05, 1.0, 0.92, 0.58, 0.62];

/// Traffic grows by this factor from the first day to the last.
pub const GROWTH: f64 = 1.6;

/// Values with their weights.
pub type Choices = &'static [(&'static str, f64)];

/// Signup funnel: properties of each step.
pub const SIGNUP_METHODS: Choices = &[("email", 55.0), ("github", 30.0), ("google", 15.0)];
pub const COMPANY_SIZES: Choices = &[
    ("1", 30.0),
    ("2-10", 35.0),
    ("11-50", 20.0),
    ("51-200", 10.0),
    ("201+", 5.0),
];
pub const SIGNUP_PLANS: Choices = &[("free", 70.0), ("trial", 30.0)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_pages_point_at_their_paths() {
        assert_eq!(PAGES[PRICING].path, "/pricing");
        assert_eq!(PAGES[SIGNUP].path, "/signup");
        assert_eq!(PAGES[LOGIN].path, "/login");
        assert_eq!(PAGES[DASHBOARD].path, "/dashboard");
        assert_eq!(PAGES[CHECKOUT].path, "/checkout");
        assert_eq!(
            PAGES
                .iter()
                .filter(|p| p.path.starts_with("/blog/"))
                .count(),
            10
        );
        assert!(CAMPAIGN_LANDINGS.iter().all(|(i, _)| *i < PAGES.len()));
        assert!(PAGES.iter().all(|p| !p.clicks.is_empty()));
        // Only the funnel and the checkout lead to /signup and /checkout.
        for page in [SIGNUP, CHECKOUT] {
            assert_eq!(PAGES[page].next_anonymous + PAGES[page].next_signed_in, 0.0);
        }
    }
}
