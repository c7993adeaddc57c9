//! The collector: public event intake. Parse -> validate each event -> enrich -> queue -> 202.
//! Open to any origin (trackers run on other sites), never with cookies.

use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;
use shared::event::{Batch, BatchError, BodyError, RequestContext, MAX_BODY_BYTES};
use shared::http;
use shared::ports::EventQueue;
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

pub struct App<Q> {
    pub queue: Q,
    /// The header an edge in front of the API sets to the visitor's country (CloudFront's
    /// `cloudfront-viewer-country`). None when no such edge is deployed: a client could set it.
    pub country_header: Option<String>,
    /// User-Agents already parsed by this instance.
    clients: Clients,
}

impl<Q> App<Q> {
    pub fn new(queue: Q, country_header: Option<String>) -> Self {
        Self {
            queue,
            country_header,
            clients: Clients::default(),
        }
    }
}

pub async fn handle<Q: EventQueue>(app: &App<Q>, req: Request) -> Response<Body> {
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

async fn route<Q: EventQueue>(app: &App<Q>, req: &Request) -> Result<Response<Body>, ApiError> {
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

async fn collect<Q: EventQueue>(app: &App<Q>, req: &Request) -> Result<Response<Body>, ApiError> {
    let body = body_bytes(req)?;
    let batch = Batch::read(body).map_err(|err| match err {
        BodyError::Json(err) => ApiError::malformed_json(err),
        BodyError::Batch(err @ BatchError::TooManyEvents(_)) => {
            ApiError::payload_too_large(err.to_string())
        }
        BodyError::Batch(err) => ApiError::bad_request(err.to_string()),
    })?;
    // The User-Agent is parsed once per request, for all its events (and once per instance, mostly).
    let ctx = RequestContext::with_client(
        OffsetDateTime::now_utc(),
        app.clients
            .parse(http::header_str(req, "user-agent").unwrap_or("")),
        app.country_header
            .as_deref()
            .and_then(|h| http::header_str(req, h)),
    );

    let mut accepted = Vec::with_capacity(batch.len());
    let mut rejected = Vec::new();
    for (index, result) in batch.records(&ctx).enumerate() {
        match result {
            Ok(record) => accepted.push(record),
            Err(reason) => rejected.push(Rejected { index, reason }),
        }
    }
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
    }
    Ok(http::json(
        202,
        &Accepted {
            accepted: accepted.len(),
            rejected: &rejected,
        },
    ))
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
