//! The auth function's HTTP contract with an in-memory user store (the DynamoDB adapter has its own
//! contract tests against DynamoDB Local, and the end-to-end tests log in through the whole stack).

use auth::{ensure_admin, AdminSeed, App};
use lambda_http::{Body, Request};
use serde_json::{json, Value};
use shared::adapters::memory::MemoryUsers;
use shared::auth::{jwt::Tokens, Role};
use time::OffsetDateTime;

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

async fn app() -> App<MemoryUsers> {
    let app = App {
        users: MemoryUsers::default(),
        tokens: Tokens::new(SECRET, "analytics", "analytics-api", 900).unwrap(),
    };
    let seed = AdminSeed {
        username: "admin".into(),
        email: "admin@example.com".into(),
        password: "admin".into(),
    };
    assert!(ensure_admin(&app.users, &seed).await.unwrap());
    assert!(
        !ensure_admin(&app.users, &seed).await.unwrap(),
        "the admin is created once"
    );
    app
}

fn req(method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(body.map_or(Body::Empty, |v| Body::Text(v.to_string())))
        .unwrap()
}

async fn call(app: &App<MemoryUsers>, r: Request) -> (u16, Value) {
    let resp = auth::handle(app, r).await;
    let status = resp.status().as_u16();
    let body = match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        _ => Value::Null,
    };
    (status, body)
}

#[tokio::test]
async fn login_then_me() {
    let app = app().await;
    let (status, body) = call(
        &app,
        req(
            "POST",
            "/api/auth/login",
            Some(json!({"username": "admin", "password": "admin"})),
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(
        body["user"],
        json!({"username": "admin", "email": "admin@example.com", "role": "admin", "created_at": body["user"]["created_at"]})
    );
    let token = body["access_token"].as_str().unwrap();

    let (status, me) = call(&app, req("GET", "/api/auth/me", None, Some(token))).await;
    assert_eq!(
        (status, me["username"].as_str(), me["email"].as_str()),
        (200, Some("admin"), Some("admin@example.com"))
    );
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn wrong_user_and_wrong_password_look_the_same() {
    let app = app().await;
    let (s1, b1) = call(
        &app,
        req(
            "POST",
            "/api/auth/login",
            Some(json!({"username": "admin", "password": "nope"})),
            None,
        ),
    )
    .await;
    let (s2, b2) = call(
        &app,
        req(
            "POST",
            "/api/auth/login",
            Some(json!({"username": "ghost", "password": "nope"})),
            None,
        ),
    )
    .await;
    let (s3, b3) = call(
        &app,
        req(
            "POST",
            "/api/auth/login",
            Some(json!({"username": "x", "password": "nope"})),
            None,
        ),
    )
    .await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(b1, b2);
    assert_eq!(b1, b3);
    assert_eq!(b1["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn bad_requests_and_tokens() {
    let app = app().await;
    let other = Tokens::new(
        b"another-secret-another-secret-xyz!",
        "analytics",
        "analytics-api",
        900,
    )
    .unwrap();
    let foreign = other.issue("admin", Role::Admin, OffsetDateTime::now_utc());
    let malformed = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/api/auth/login")
        .header("content-type", "application/json")
        .body(Body::Text("{oops".into()))
        .unwrap();
    let cases = vec![
        (malformed, 400, "malformed_json"),
        (
            req(
                "POST",
                "/api/auth/login",
                Some(json!({"username": "admin"})),
                None,
            ),
            400,
            "bad_request",
        ),
        (req("GET", "/api/auth/me", None, None), 401, "unauthorized"),
        (
            req("GET", "/api/auth/me", None, Some("garbage")),
            401,
            "unauthorized",
        ),
        (
            req("GET", "/api/auth/me", None, Some(&foreign)),
            401,
            "unauthorized",
        ),
        (
            req("GET", "/api/auth/login", None, None),
            405,
            "method_not_allowed",
        ),
        (
            req("GET", "/api/nothing-here", None, None),
            404,
            "not_found",
        ),
    ];
    for (r, want_status, want_code) in cases {
        let (status, body) = call(&app, r).await;
        assert_eq!(
            (status, body["error"]["code"].as_str().unwrap()),
            (want_status, want_code),
            "{body}"
        );
    }
}

#[tokio::test]
async fn health() {
    let (status, body) = call(&app().await, req("GET", "/api/health", None, None)).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
}
