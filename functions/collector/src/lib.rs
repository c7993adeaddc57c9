//! The collector: public event intake. Parse -> validate each event -> enrich -> queue -> 202.
//! Open to any origin (trackers run on other sites), never with cookies.

use std::sync::Arc;

use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::json;
use shared::adapters::memory::MemorySalts;
use shared::cookieless::{CookielessClient, Sites};
use shared::event::{Batch, BatchError, BodyError, RequestContext, MAX_BODY_BYTES};
use shared::http;
use shared::ports::{EventQueue, SaltStore};
use shared::ApiError;
use time::OffsetDateTime;

use crate::clients::Clients;

mod clients;
mod metrics;

/// The routes served, for 404 versus 405 answers.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("POST", "/api/events"),
    ("OPTIONS", "/api/events"),
];

pub struct App<Q, S = MemorySalts> {
    pub queue: Q,
    /// The header an edge in front of the API sets to the visitor's country (CloudFront's
    /// `cloudfront-viewer-country`). None when no such edge is deployed: a client could set it.
    pub country_header: Option<String>,
    /// Cookieless visitor ids, when the deployment has a salt store.
    pub cookieless: Option<Cookieless<S>>,
    /// User-Agents already parsed by this instance.
    clients: Clients,
}

/// Where the daily salts are, which sites use cookieless ids without asking, and which header (if
/// any) carries the client's address instead of API Gateway's `sourceIp`.
pub struct Cookieless<S> {
    pub salts: S,
    pub sites: Arc<Sites>,
    /// E.g. `cloudfront-viewer-address` behind CloudFront (whose own address API Gateway would see).
    pub address_header: Option<String>,
}

impl<Q> App<Q> {
    pub fn new(queue: Q, country_header: Option<String>) -> Self {
        Self {
            queue,
            country_header,
            cookieless: None,
            clients: Clients::default(),
        }
    }
}

impl<Q, S> App<Q, S> {
    /// The same app, giving cookieless visitor ids where they apply.
    pub fn with_cookieless<T>(self, cookieless: Cookieless<T>) -> App<Q, T> {
        App {
            queue: self.queue,
            country_header: self.country_header,
            cookieless: Some(cookieless),
            clients: self.clients,
        }
    }
}

pub async fn handle<Q: EventQueue, S: SaltStore>(app: &App<Q, S>, req: Request) -> Response<Body> {
    let mut resp = http::respond(route(app, &req).await);
    let headers = resp.headers_mut();
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("POST, OPTIONS"),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("content-type"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("86400"));
    resp
}

async fn route<Q: EventQueue, S: SaltStore>(
    app: &App<Q, S>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/api/health") => Ok(http::health()),
        ("POST", "/api/events") => collect(app, req).await,
        ("OPTIONS", "/api/events") => Ok(http::empty(204)),
        _ => Err(http::no_route(req, ROUTES)),
    }
}

#[derive(Serialize)]
struct Rejected {
    index: usize,
    reason: String,
}

#[derive(Serialize)]
struct Accepted<'a> {
    accepted: usize,
    rejected: &'a [Rejected],
}

async fn collect<Q: EventQueue, S: SaltStore>(
    app: &App<Q, S>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let mut tally = metrics::Tally::start(OffsetDateTime::now_utc());
    let body = body_bytes(req)?;
    let batch = Batch::read(body).map_err(|err| match err {
        BodyError::Json(err) => ApiError::malformed_json(err),
        BodyError::Batch(err @ BatchError::TooManyEvents(_)) => {
            ApiError::payload_too_large(err.to_string())
        }
        BodyError::Batch(err) => ApiError::bad_request(err.to_string()),
    })?;
    let user_agent = http::header_str(req, "user-agent").unwrap_or("");
    // The User-Agent is parsed once per request, for all its events (and once per instance, mostly).
    let mut ctx = RequestContext::with_client(
        OffsetDateTime::now_utc(),
        app.clients.parse(user_agent),
        app.country_header
            .as_deref()
            .and_then(|h| http::header_str(req, h)),
    );
    if let Some(cookieless) = &app.cookieless {
        let requested = asks_for_cookieless(req)?;
        // Most deployments never use them: no look at the events then.
        let possible = requested || !cookieless.sites.is_empty();
        if possible && batch.wants_cookieless(|site| requested || cookieless.sites.contains(site)) {
            let client =
                cookieless_client(cookieless, req, user_agent, requested, ctx.received_at).await?;
            ctx = ctx.with_cookieless(client);
        }
    }

    let mut accepted = Vec::with_capacity(batch.len());
    let mut rejected = Vec::new();
    for (index, result) in batch.records(&ctx).enumerate() {
        match result {
            Ok(record) => accepted.push(record),
            Err(reason) => rejected.push(Rejected { index, reason }),
        }
    }
    tally.rejected = rejected.len();
    if accepted.is_empty() {
        let details = rejected.iter().map(|r| json!(r)).collect();
        return Err(
            ApiError::new(400, "invalid_events", "no event in the request is valid")
                .with_details(details),
        );
    }
    // Known bots get the same answer as people, but their events are dropped here.
    if ctx.client.is_bot() {
        tracing::debug!(events = accepted.len(), "dropped events from a bot");
        for line in
            metrics::bot_events_dropped(&accepted, ctx.client.kind().label(), ctx.received_at)
        {
            // stdout, not tracing: CloudWatch reads the `_aws` key of a line as it is.
            println!("{line}");
        }
    } else {
        app.queue.publish(&accepted).await.map_err(|err| {
            tracing::error!(error = %err, events = accepted.len(), "could not queue events");
            ApiError::unavailable(
                "events could not be queued; retry later (event_id makes retries safe)",
            )
        })?;
        tally.queued = accepted.len();
    }
    tally.accepted = accepted.len();
    tally.refused = false;
    Ok(http::json(
        202,
        &Accepted {
            accepted: accepted.len(),
            rejected: &rejected,
        },
    ))
}

/// `?cookieless=1` (or `true`, or bare `?cookieless`): this request's events without ids get
/// cookieless ones, whatever their site. (API Gateway joins a repeated parameter with commas.)
fn asks_for_cookieless(req: &Request) -> Result<bool, ApiError> {
    let query = req.query_string_parameters_ref();
    let Some(value) = query.and_then(|q| q.first("cookieless")) else {
        return Ok(false);
    };
    let value = value.split(',').next().unwrap_or("").trim();
    if value.is_empty() || value == "1" || value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value == "0" || value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ApiError::invalid_parameter("cookieless", "must be 1 or 0"))
    }
}

/// What gives this request's events their cookieless ids: the day's salts (a 503 when they cannot be
/// read: nothing is queued, the client retries), the client's address and User-Agent. Without an
/// address the events are refused with that reason, never given a shared id.
async fn cookieless_client<S: SaltStore>(
    cookieless: &Cookieless<S>,
    req: &Request,
    user_agent: &str,
    requested: bool,
    now: OffsetDateTime,
) -> Result<CookielessClient, ApiError> {
    let source_ip = match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => c.http.source_ip.as_deref(),
        _ => None,
    };
    let address = shared::address::client(
        cookieless.address_header.as_deref().map(|h| {
            (
                http::header_str(req, h),
                shared::address::Form::of_header(h),
            )
        }),
        source_ip,
    );
    if address.is_none() {
        tracing::warn!("a cookieless request without a client address");
    }
    let salts = cookieless.salts.salts(now).await.map_err(|err| {
        tracing::error!(error = %err, "could not read the cookieless salts");
        ApiError::unavailable("cookieless visitor ids are unavailable; retry later")
    })?;
    Ok(CookielessClient {
        salts,
        address,
        user_agent: user_agent.to_owned(),
        requested,
        sites: Arc::clone(&cookieless.sites),
    })
}

/// The body's bytes, from `application/json` or `text/plain` (what `navigator.sendBeacon` sends for a
/// string), within the size limit and not blank.
fn body_bytes(req: &Request) -> Result<&[u8], ApiError> {
    let content_type = http::header_str(req, "content-type").unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") && !mime.eq_ignore_ascii_case("text/plain") {
        return Err(ApiError::unsupported_media_type(
            "send events as application/json or text/plain",
        ));
    }
    let bytes = http::body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(format!(
            "the body is {} bytes; at most {MAX_BODY_BYTES} are accepted",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the body is empty"));
    }
    // The parser skips unknown fields without checking their text: invalid UTF-8 there must be a
    // 400 too, never an accepted event.
    http::json_text(bytes)?;
    Ok(bytes)
}
