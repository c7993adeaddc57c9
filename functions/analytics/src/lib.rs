//! The analytics function: aggregations for the admin panel. Every route needs a signed-in user.

use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use shared::auth::jwt::Tokens;
use shared::http;
use shared::ports::AnalyticsStore;
use shared::query;
use shared::ApiError;
use time::OffsetDateTime;

pub struct App<A> {
    pub store: A,
    pub tokens: Tokens,
}

/// The routes served, for 404 versus 405 answers.
const ROUTES: &[(&str, &str)] = &[("GET", "/api/health"), ("GET", "/api/analytics/overview")];

pub async fn handle<A: AnalyticsStore>(app: &App<A>, req: Request) -> Response<Body> {
    http::respond(route(app, &req).await)
}

async fn route<A: AnalyticsStore>(app: &App<A>, req: &Request) -> Result<Response<Body>, ApiError> {
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/api/health") => Ok(http::health()),
        ("GET", "/api/analytics/overview") => overview(app, req).await,
        _ => Err(http::no_route(req, ROUTES)),
    }
}

fn param(req: &Request) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| {
        req.query_string_parameters_ref()
            .and_then(|q| q.first(name))
            .map(str::to_owned)
    }
}

async fn overview<A: AnalyticsStore>(
    app: &App<A>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    app.tokens
        .authenticate(http::header_str(req, "authorization"))?;
    if let Some(q) = req.query_string_parameters_ref() {
        query::refuse_unsupported_filters(q.iter().map(|(name, _)| name))?;
    }
    let scope = query::scope(param(req), OffsetDateTime::now_utc())?;
    let previous = query::previous(&scope);
    let (now, before) = tokio::join!(app.store.totals(&scope), app.store.totals(&previous));
    let (now, before) = (now?, before?);
    Ok(http::json(
        200,
        &json!({
            "events": now.events,
            "visitors": now.visitors,
            "sessions": now.sessions,
            "pageviews": now.pageviews,
            "previous": before,
        }),
    ))
}
