//! The analytics function's HTTP contract with a recording store (the ClickHouse queries have their
//! own tests against ClickHouse, and the end-to-end tests read real counts through the whole stack).

use std::sync::Mutex;

use analytics::App;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Value};
use shared::auth::{jwt::Tokens, Role};
use shared::ports::{AnalyticsStore, Scope, Totals};
use shared::StoreError;
use time::macros::datetime;
use time::OffsetDateTime;

#[derive(Default)]
struct Recording {
    scopes: Mutex<Vec<Scope>>,
}

impl AnalyticsStore for Recording {
    async fn totals(&self, scope: &Scope) -> Result<Totals, StoreError> {
        self.scopes.lock().unwrap().push(scope.clone());
        // Tell the periods apart by their answers.
        let n = if scope.from < datetime!(2026-11-01 0:00 UTC) {
            1
        } else {
            10
        };
        Ok(Totals {
            events: n * 4,
            visitors: n * 3,
            sessions: n * 2,
            pageviews: n,
        })
    }
}

fn app() -> App<Recording> {
    App {
        store: Recording::default(),
        tokens: Tokens::new(
            b"test-secret-test-secret-test-secret!",
            "analytics",
            "analytics-api",
            900,
        )
        .unwrap(),
    }
}

fn req(app: &App<Recording>, query: &[(&str, &str)], role: Option<Role>) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method("GET")
        .uri("/api/analytics/overview");
    if let Some(role) = role {
        b = b.header(
            "authorization",
            format!(
                "Bearer {}",
                app.tokens.issue("ada", role, 0, OffsetDateTime::now_utc())
            ),
        );
    }
    let params: std::collections::HashMap<String, String> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    b.body(Body::Empty)
        .unwrap()
        .with_query_string_parameters(params)
}

async fn call(app: &App<Recording>, r: Request) -> (u16, Value) {
    let resp = analytics::handle(app, r).await;
    let status = resp.status().as_u16();
    let Body::Text(t) = resp.body() else {
        panic!("no body")
    };
    (status, serde_json::from_str(t).unwrap())
}

#[tokio::test]
async fn overview_answers_both_periods() {
    let app = app();
    let (status, body) = call(
        &app,
        req(
            &app,
            &[
                ("from", "2026-11-01"),
                ("to", "2026-11-07"),
                ("site", "shop"),
            ],
            Some(Role::Viewer),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"events": 40, "visitors": 30, "sessions": 20, "pageviews": 10,
        "previous": {"events": 4, "visitors": 3, "sessions": 2, "pageviews": 1}})
    );
    let scopes = app.store.scopes.lock().unwrap();
    assert_eq!(scopes[0].from, datetime!(2026-11-01 0:00 UTC));
    assert_eq!(scopes[0].to, datetime!(2026-11-08 0:00 UTC));
    assert_eq!(scopes[1].to, scopes[0].from);
    assert_eq!(scopes[0].site.as_deref(), Some("shop"));
}

#[tokio::test]
async fn needs_a_token_and_valid_parameters() {
    let app = app();
    let (status, body) = call(&app, req(&app, &[], None)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = call(&app, req(&app, &[("to", "soon")], Some(Role::Admin))).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("`to`"));
    // A filter not supported yet is refused rather than ignored (that would look filtered).
    let (status, body) = call(&app, req(&app, &[("prop.plan", "pro")], Some(Role::Admin))).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`prop.plan`"));
    assert!(
        app.store.scopes.lock().unwrap().is_empty(),
        "nothing was queried"
    );
}
