//! The analytics function: the figures of the admin panel. One route table drives dispatch, 404 and
//! 405 answers and authentication, so that no handler can forget a check.
//! A handler: parse the parameters -> ask the store -> answer.

pub mod metrics;
pub mod setup;

/// The paths the function URL of streamed answers serves: the export, and health.
pub fn streamed_route(path: &str) -> bool {
    matches!(path, "/api/analytics/export" | "/api/health")
}

/// The URI with one leading slash where it has several: a function URL ends in `/`, so
/// `"$URL/api/analytics/export"` asks for `//api/analytics/export`.
pub fn one_leading_slash(uri: &lambda_http::http::Uri) -> Option<lambda_http::http::Uri> {
    let path = uri.path();
    if !path.starts_with("//") {
        return None;
    }
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        format!("/{}{query}", path.trim_start_matches('/'))
            .parse()
            .ok()?,
    );
    lambda_http::http::Uri::from_parts(parts).ok()
}

use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Value};
use shared::analytics::filter::Dimension;
use shared::analytics::params::{compared, Params};
use shared::analytics::{
    cohorts, funnel_steps, ByteStream, ExportFormat, Metrics, Retention, RetentionPeriod,
};
use shared::auth::{jwt::Tokens, Role};
use shared::http;
use shared::ports::{AnalyticsStore, UserStore};
use shared::ApiError;
use time::{Duration, OffsetDateTime};

pub struct App<A, U> {
    pub store: A,
    /// The accounts, for the admin-only routes: the role that counts is the one stored now.
    pub users: U,
    /// Verifies access tokens with the public keys auth publishes (this function cannot sign any).
    pub tokens: Tokens,
}

/// An answer: JSON, or the export's bytes as they come.
pub enum Answer {
    Json(Response<Body>),
    Stream(Response<ByteStream>),
}

/// Through API Gateway a Lambda answer is at most 6 MB, as the JSON the runtime sends (the body a
/// JSON string, escaped): a larger export is refused there and taken from the streaming function
/// instead (see the README).
pub const MAX_BUFFERED_EXPORT: usize = 5_500_000;

/// Who may call a route.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Public,
    /// Any signed-in user (admin or viewer).
    SignedIn,
    /// Admins, by their role as stored now (not as an older token says).
    Admin,
}

#[derive(Clone, Copy)]
enum Handler {
    Health,
    Overview,
    Timeseries,
    Breakdown,
    Funnel,
    Retention,
    Live,
    Sites,
    Export,
}

/// Every route the function serves.
const ROUTES: &[(&str, &str, Access, Handler)] = &[
    ("GET", "/api/health", Access::Public, Handler::Health),
    (
        "GET",
        "/api/analytics/overview",
        Access::SignedIn,
        Handler::Overview,
    ),
    (
        "GET",
        "/api/analytics/timeseries",
        Access::SignedIn,
        Handler::Timeseries,
    ),
    (
        "GET",
        "/api/analytics/breakdown",
        Access::SignedIn,
        Handler::Breakdown,
    ),
    (
        "GET",
        "/api/analytics/funnel",
        Access::SignedIn,
        Handler::Funnel,
    ),
    (
        "GET",
        "/api/analytics/retention",
        Access::SignedIn,
        Handler::Retention,
    ),
    (
        "GET",
        "/api/analytics/live",
        Access::SignedIn,
        Handler::Live,
    ),
    (
        "GET",
        "/api/analytics/sites",
        Access::SignedIn,
        Handler::Sites,
    ),
    (
        "GET",
        "/api/analytics/export",
        Access::Admin,
        Handler::Export,
    ),
];

/// The live view looks this far back.
pub const LIVE_WINDOW: Duration = Duration::seconds(300);

/// The answer for API Gateway: buffered (an export over `MAX_BUFFERED_EXPORT` is a 413).
pub async fn handle<A: AnalyticsStore, U: UserStore>(
    app: &App<A, U>,
    req: Request,
) -> Response<Body> {
    handle_at(app, req, OffsetDateTime::now_utc()).await
}

/// Like `handle`, at a given time (tests).
pub async fn handle_at<A: AnalyticsStore, U: UserStore>(
    app: &App<A, U>,
    req: Request,
    now: OffsetDateTime,
) -> Response<Body> {
    match answer(app, &req, now).await {
        Answer::Json(resp) => resp,
        Answer::Stream(resp) => http::respond(buffer(resp).await),
    }
}

/// The answer, the export as a stream (for the streaming entry point).
pub async fn answer<A: AnalyticsStore, U: UserStore>(
    app: &App<A, U>,
    req: &Request,
    now: OffsetDateTime,
) -> Answer {
    match route(app, req, now).await {
        Ok(answer) => answer,
        Err(err) => Answer::Json(http::error(&err)),
    }
}

async fn buffer(resp: Response<ByteStream>) -> Result<Response<Body>, ApiError> {
    use futures_util::StreamExt;
    let too_large = || {
        ApiError::payload_too_large(format!(
            "the export is larger than {:.1} MB, the most this endpoint can answer: narrow the \
             range or the filters, or use the streaming URL (AnalyticsStreamUrl)",
            MAX_BUFFERED_EXPORT as f64 / 1e6
        ))
    };
    let (parts, mut stream) = resp.into_parts();
    let mut out = Vec::new();
    // What the answer weighs once escaped into the runtime's JSON: quotes, backslashes and control
    // characters take more room there.
    let mut escaped = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        escaped += chunk
            .iter()
            .map(|&b| match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' => 2,
                0..=0x1f => 6,
                _ => 1,
            })
            .sum::<usize>();
        out.extend_from_slice(&chunk);
        if escaped > MAX_BUFFERED_EXPORT {
            return Err(too_large());
        }
    }
    // ClickHouse writes UTF-8 (the collector only accepts it); text travels unencoded, where
    // binary would be base64, a third larger.
    let text = String::from_utf8(out).map_err(|_| too_large())?;
    Ok(Response::from_parts(parts, Body::Text(text)))
}

async fn route<A: AnalyticsStore, U: UserStore>(
    app: &App<A, U>,
    req: &Request,
    now: OffsetDateTime,
) -> Result<Answer, ApiError> {
    let path = req.uri().path();
    let Some(&(_, _, access, handler)) = ROUTES
        .iter()
        .find(|(m, p, _, _)| *p == path && *m == req.method().as_str())
    else {
        let table: Vec<(&str, &str)> = ROUTES.iter().map(|(m, p, _, _)| (*m, *p)).collect();
        return Err(http::no_route(req, &table));
    };
    match access {
        Access::Public => {}
        Access::SignedIn => {
            app.tokens
                .authenticate(http::header_str(req, "authorization"))
                .await?;
        }
        Access::Admin => admin(app, req).await?,
    }
    let query = req.query_string_parameters_ref();
    let pairs = query.iter().flat_map(|q| q.iter());
    let body = match handler {
        Handler::Health => return Ok(Answer::Json(http::health())),
        Handler::Overview => overview(app, Params::new(pairs, &[], true)?, now).await?,
        Handler::Timeseries => {
            timeseries(app, Params::new(pairs, &["interval"], true)?, now).await?
        }
        Handler::Breakdown => {
            let p = Params::new(pairs, &["dimension", "limit", "offset"], true)?;
            breakdown(app, p, now).await?
        }
        Handler::Funnel => {
            funnel(app, Params::new(pairs, &["steps", "window"], true)?, now).await?
        }
        Handler::Retention => {
            let own = ["start_event", "return_event", "period", "periods"];
            retention(app, Params::new(pairs, &own, true)?, now).await?
        }
        Handler::Live => live(app, Params::new(pairs, &["site"], false)?, now).await?,
        Handler::Sites => sites(app, Params::new(pairs, &[], false)?, now).await?,
        Handler::Export => {
            return export(app, Params::new(pairs, &["format"], true)?, now).await;
        }
    };
    Ok(Answer::Json(http::json(200, &body)))
}

/// The caller must be an admin as the store says now, with a token issued since the last change
/// of password or role.
async fn admin<A, U: UserStore>(app: &App<A, U>, req: &Request) -> Result<(), ApiError> {
    let user = shared::auth::caller::current_user(
        &app.tokens,
        &app.users,
        http::header_str(req, "authorization"),
    )
    .await?;
    if user.role != Role::Admin {
        return Err(ApiError::forbidden("only admins may do this"));
    }
    Ok(())
}

async fn export<A: AnalyticsStore, U>(
    app: &App<A, U>,
    p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Answer, ApiError> {
    let (q, _) = p.question(now)?;
    let (format, content_type, extension) = match p.get("format").unwrap_or("ndjson") {
        "ndjson" => (ExportFormat::Ndjson, "application/x-ndjson", "ndjson"),
        "csv" => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        _ => return Err(ApiError::invalid_parameter("format", "ndjson or csv")),
    };
    let stream = app.store.export(&q, format).await?;
    let resp = Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .header(
            "content-disposition",
            format!("attachment; filename=\"events.{extension}\""),
        )
        .body(stream)
        .expect("a status, headers and a body make a response");
    Ok(Answer::Stream(resp))
}

async fn overview<A: AnalyticsStore, U>(
    app: &App<A, U>,
    p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let (q, compare) = p.question(now)?;
    let before = compared(&q, compare);
    let (now_counts, before_counts) = tokio::join!(app.store.overview(&q), async {
        match &before {
            Some(b) => app.store.overview(b).await.map(Some),
            None => Ok(None),
        }
    });
    let mut body = serde_json::to_value(Metrics::from(now_counts?)).expect("serialisable");
    body["approximate"] = json!(false);
    body["from"] = json!(q.zone.format(q.from));
    body["to"] = json!(q.zone.format(q.to));
    body["compare"] = match (before_counts?, &before) {
        (Some(c), Some(b)) => {
            let mut m = serde_json::to_value(Metrics::from(c)).expect("serialisable");
            m["from"] = json!(b.zone.format(b.from));
            m["to"] = json!(b.zone.format(b.to));
            m
        }
        _ => Value::Null,
    };
    Ok(body)
}

async fn timeseries<A: AnalyticsStore, U>(
    app: &App<A, U>,
    p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let (q, _) = p.question(now)?;
    let interval = p.interval(&q)?;
    let buckets = interval.buckets(&q.zone, q.from, q.to)?;
    let counts = app.store.timeseries(&q, interval, &buckets).await?;
    let points: Vec<Value> = buckets
        .iter()
        .zip(counts)
        .map(|(t, c)| {
            json!({
                "t": q.zone.format(*t),
                "visitors": c.visitors,
                "visits": c.visits,
                "pageviews": c.pageviews,
                "events": c.events,
            })
        })
        .collect();
    Ok(json!({"interval": interval.name(), "approximate": false, "points": points}))
}

async fn breakdown<A: AnalyticsStore, U>(
    app: &App<A, U>,
    p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let (q, _) = p.question(now)?;
    let raw = p.required("dimension")?;
    let dimension = Dimension::parse(raw, false).ok_or_else(|| {
        ApiError::invalid_parameter(
            "dimension",
            format!(
                "{raw:?} is not a dimension (event, path, entry_page, browser, prop:<key>, ...)"
            ),
        )
    })?;
    let limit = p.number("limit", 1..=1000, 10)?;
    let offset = p.number("offset", 0..=1_000_000, 0)?;
    let (rows, total) = tokio::join!(
        app.store.breakdown(&q, &dimension, limit, offset),
        app.store.overview(&q)
    );
    let rows: Vec<Value> = rows?
        .into_iter()
        .map(|(value, c)| {
            let m = Metrics::from(c);
            json!({
                "value": value,
                "visitors": m.visitors,
                "visits": m.visits,
                "pageviews": m.pageviews,
                "events": m.events,
                "bounce_rate": m.bounce_rate,
                "visit_duration": m.visit_duration,
            })
        })
        .collect();
    Ok(json!({
        "dimension": dimension.name(),
        "rows": rows,
        "total_visitors": total?.visitors,
        "approximate": false,
    }))
}

async fn funnel<A: AnalyticsStore, U>(
    app: &App<A, U>,
    p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let (q, _) = p.question(now)?;
    let steps = p.steps()?;
    let window = p.number("window", 1..=90 * 86_400, 86_400)?;
    let tally = app.store.funnel(&q, &steps, window as i64 * 1000).await?;
    Ok(json!({
        "window": window,
        "steps": funnel_steps(&steps, &tally),
        "approximate": false,
    }))
}

async fn retention<A: AnalyticsStore, U>(
    app: &App<A, U>,
    p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let (q, _) = p.question(now)?;
    let period = match p.get("period").unwrap_or("week") {
        "day" => RetentionPeriod::Day,
        "week" => RetentionPeriod::Week,
        "month" => RetentionPeriod::Month,
        _ => {
            return Err(ApiError::invalid_parameter(
                "period",
                "one of day, week, month",
            ))
        }
    };
    let spec = Retention {
        start_event: p.event("start_event", "pageview")?,
        return_event: p.event("return_event", "pageview")?,
        period,
        periods: p.number("periods", 1..=12, 8)? as u32,
    };
    let (sizes, cells) = app.store.retention(&q, &spec).await?;
    // Cohorts start on the first period boundary at or after `from`... in local dates.
    let first = spec.period.start(q.zone.date_of(q.from));
    let end = q.zone.date_of(q.to - Duration::nanoseconds(1));
    let end = end
        .tomorrow()
        .map_err(|e| ApiError::invalid_parameter("to", e))?;
    let today = q.zone.date_of(now);
    let name = match period {
        RetentionPeriod::Day => "day",
        RetentionPeriod::Week => "week",
        RetentionPeriod::Month => "month",
    };
    Ok(json!({
        "period": name,
        "cohorts": cohorts(&spec, first, end, today, &sizes, &cells),
        "approximate": false,
    }))
}

async fn live<A: AnalyticsStore, U>(
    app: &App<A, U>,
    p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    // The site check of the common parameters, without a range.
    let site = match p.get("site") {
        None | Some("") => None,
        Some(_) => {
            Params::new(p.get("site").map(|s| ("site", s)), &[], true)?
                .question(now)?
                .0
                .site
        }
    };
    let live = app.store.live(site.as_deref(), now, LIVE_WINDOW).await?;
    Ok(serde_json::to_value(live).expect("serialisable"))
}

async fn sites<A: AnalyticsStore, U>(
    app: &App<A, U>,
    _p: Params<'_>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    Ok(json!({"sites": app.store.sites(now).await?}))
}

#[cfg(test)]
mod streamed_route_tests {
    #[test]
    fn the_function_url_serves_only_the_export() {
        assert!(super::streamed_route("/api/analytics/export"));
        assert!(super::streamed_route("/api/health"));
        for path in [
            "/api/analytics/overview",
            "/api/analytics/funnel",
            "/api/auth/login",
            "/",
        ] {
            assert!(!super::streamed_route(path), "{path}");
        }
    }

    #[test]
    fn a_doubled_leading_slash_is_one() {
        let uri = |s: &str| s.parse::<lambda_http::http::Uri>().unwrap();
        let fixed = super::one_leading_slash(&uri(
            "https://abc.lambda-url.us-east-1.on.aws//api/analytics/export?format=csv",
        ))
        .unwrap();
        assert_eq!(
            fixed.to_string(),
            "https://abc.lambda-url.us-east-1.on.aws/api/analytics/export?format=csv"
        );
        assert_eq!(super::one_leading_slash(&uri("https://h/api/health")), None);
    }
}
