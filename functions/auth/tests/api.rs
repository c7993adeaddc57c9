//! Every row of API.md's "Auth and users" table, with in-memory adapters (the DynamoDB adapters meet
//! the same contract against DynamoDB Local, and the end-to-end tests go through the whole stack).

use auth::{ensure_admin, AdminSeed, App, Settings};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use lambda_http::{Body, Request};
use serde_json::{json, Value};
use shared::adapters::memory::{MemorySigningKeys, MemoryThrottle, MemoryUsers};
use shared::auth::jwt::{Signer, TokenSettings, Tokens, REFRESH_EVERY};
use shared::auth::Role;
use shared::ports::SigningKeys;
use time::OffsetDateTime;

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
type TestApp = App<MemoryUsers, MemoryThrottle>;

fn token_settings() -> TokenSettings {
    TokenSettings {
        issuer: "analytics".into(),
        audience: "analytics-api".into(),
        ttl_seconds: 900,
    }
}

fn signer(secret: &[u8]) -> Signer {
    Signer::new(secret, &token_settings()).unwrap()
}

/// As at cold start: the signer's public key published, and the verifier reading the published keys.
async fn app_with(settings: Settings) -> TestApp {
    let signer = signer(SECRET);
    let keys = MemorySigningKeys::default();
    let published = keys
        .publish(
            &signer.public_key(),
            OffsetDateTime::now_utc(),
            signer.retire_grace(),
        )
        .await
        .unwrap();
    let app = App {
        users: MemoryUsers::default(),
        throttle: MemoryThrottle::default(),
        verifier: Tokens::refreshing(&token_settings(), keys, &published, REFRESH_EVERY),
        signer,
        settings,
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

async fn app() -> TestApp {
    app_with(Settings {
        signup_enabled: true,
        ..Settings::default()
    })
    .await
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

struct Answer {
    status: u16,
    body: Value,
    headers: lambda_http::http::HeaderMap,
}

async fn call(app: &TestApp, r: Request) -> Answer {
    let resp = auth::handle(app, r).await;
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            _ => Value::Null,
        },
    }
}

fn code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or("")
}

async fn login(app: &TestApp, user: &str, password: &str) -> Answer {
    call(
        app,
        req(
            "POST",
            "/api/auth/login",
            Some(json!({"username": user, "password": password})),
            None,
        ),
    )
    .await
}

async fn token(app: &TestApp, user: &str, password: &str) -> String {
    let a = login(app, user, password).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["access_token"].as_str().unwrap().to_owned()
}

/// The admin creates a viewer and returns the viewer's token.
async fn viewer(app: &TestApp, name: &str) -> String {
    let admin = token(app, "admin", "admin").await;
    let body = json!({"username": name, "email": format!("{name}@example.com"), "password": "a long enough secret", "role": "viewer"});
    let a = call(app, req("POST", "/api/users", Some(body), Some(&admin))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    token(app, name, "a long enough secret").await
}

// --- POST /api/auth/login, GET /api/auth/me ---------------------------------------------------------

#[tokio::test]
async fn login_then_me() {
    let app = app().await;
    let a = login(&app, "admin", "admin").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (a.body["token_type"].as_str(), a.body["expires_in"].as_i64()),
        (Some("Bearer"), Some(900))
    );
    assert_eq!(a.body["user"]["email"], "admin@example.com");
    assert_eq!(a.body["user"]["role"], "admin");
    let me = call(
        &app,
        req("GET", "/api/auth/me", None, a.body["access_token"].as_str()),
    )
    .await;
    assert_eq!(me.status, 200);
    assert_eq!(
        (me.body["username"].as_str(), me.body["email"].as_str()),
        (Some("admin"), Some("admin@example.com"))
    );
    assert!(me.body["created_at"].is_string());
    assert!(me.body.get("password_hash").is_none());
}

#[tokio::test]
async fn wrong_user_and_wrong_password_look_the_same() {
    let app = app().await;
    let a = login(&app, "admin", "nope").await;
    let b = login(&app, "ghost", "nope").await;
    let c = login(&app, "x", "nope").await;
    assert_eq!((a.status, b.status, c.status), (401, 401, 401));
    assert_eq!(a.body, b.body);
    assert_eq!(a.body, c.body);
    assert_eq!(code(&a), "invalid_credentials");
}

#[tokio::test]
async fn too_many_failures_lock_the_username_with_retry_after() {
    let app = app().await;
    viewer(&app, "grace").await;
    for _ in 0..5 {
        assert_eq!(login(&app, "admin", "wrong").await.status, 401);
    }
    let locked = login(&app, "admin", "admin").await;
    assert_eq!((locked.status, code(&locked)), (429, "too_many_attempts"));
    let retry: i64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Another username is not locked by these failures.
    token(&app, "grace", "a long enough secret").await;
}

#[tokio::test]
async fn a_success_forgives_earlier_failures() {
    let app = app().await;
    for _ in 0..4 {
        login(&app, "admin", "wrong").await;
    }
    token(&app, "admin", "admin").await;
    for _ in 0..4 {
        assert_eq!(login(&app, "admin", "wrong").await.status, 401);
    }
    assert_eq!(login(&app, "admin", "admin").await.status, 200);
}

// --- POST /api/auth/register ------------------------------------------------------------------------

#[tokio::test]
async fn sign_up_creates_a_viewer() {
    let app = app().await;
    let body = json!({"username": "Grace", "email": "Grace@Example.com", "password": "a long enough secret"});
    let a = call(
        &app,
        req("POST", "/api/auth/register", Some(body.clone()), None),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["user"]["username"], "grace");
    assert_eq!(a.body["user"]["email"], "grace@example.com");
    assert_eq!(a.body["user"]["role"], "viewer");
    token(&app, "grace", "a long enough secret").await;

    let again = call(&app, req("POST", "/api/auth/register", Some(body), None)).await;
    assert_eq!((again.status, code(&again)), (409, "username_taken"));
    let same_email = json!({"username": "hopper", "email": "grace@example.com", "password": "a long enough secret"});
    let a = call(
        &app,
        req("POST", "/api/auth/register", Some(same_email), None),
    )
    .await;
    assert_eq!((a.status, code(&a)), (409, "email_taken"));
}

#[tokio::test]
async fn sign_up_rejects_bad_input() {
    let app = app().await;
    let cases = [
        (
            json!({"username": "grace", "email": "grace@example.com"}),
            400,
            "bad_request",
        ),
        (
            json!({"username": "g", "email": "grace@example.com", "password": "a long enough secret"}),
            422,
            "invalid_username",
        ),
        (
            json!({"username": "grace", "email": "not-an-email", "password": "a long enough secret"}),
            422,
            "invalid_email",
        ),
        (
            json!({"username": "grace", "email": "grace@example.com", "password": "short"}),
            422,
            "weak_password",
        ),
        (
            json!({"username": "grace", "email": "grace@example.com", "password": "password123"}),
            422,
            "weak_password",
        ),
    ];
    for (body, status, want) in cases {
        let a = call(
            &app,
            req("POST", "/api/auth/register", Some(body.clone()), None),
        )
        .await;
        assert_eq!((a.status, code(&a)), (status, want), "{body}");
    }
}

#[tokio::test]
async fn sign_up_can_be_switched_off() {
    let app = app_with(Settings::default()).await;
    let body = json!({"username": "grace", "email": "grace@example.com", "password": "a long enough secret"});
    let a = call(&app, req("POST", "/api/auth/register", Some(body), None)).await;
    assert_eq!((a.status, code(&a)), (403, "signup_disabled"));
}

// --- POST /api/auth/password ------------------------------------------------------------------------

#[tokio::test]
async fn password_change() {
    let app = app().await;
    let t = viewer(&app, "grace").await;
    let change = |current: &str, new: &str, token: Option<&str>| {
        let body = json!({"current_password": current, "new_password": new});
        call(&app, req("POST", "/api/auth/password", Some(body), token))
    };
    let a = change("wrong one", "a brand new secret", Some(&t)).await;
    assert_eq!((a.status, code(&a)), (401, "invalid_credentials"));
    let a = change("a long enough secret", "short", Some(&t)).await;
    assert_eq!((a.status, code(&a)), (422, "weak_password"));
    let a = change("a long enough secret", "a brand new secret", None).await;
    assert_eq!(a.status, 401);
    let a = change("a long enough secret", "a brand new secret", Some(&t)).await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(
        login(&app, "grace", "a long enough secret").await.status,
        401
    );
    let fresh = token(&app, "grace", "a brand new secret").await;
    // Sessions from before the change end; the new one works.
    let old = call(&app, req("GET", "/api/auth/me", None, Some(&t))).await;
    assert_eq!((old.status, code(&old)), (401, "unauthorized"));
    assert_eq!(
        call(&app, req("GET", "/api/auth/me", None, Some(&fresh)))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_role_change_by_an_admin_ends_the_users_sessions() {
    let app = app().await;
    let grace = viewer(&app, "grace").await;
    let admin = token(&app, "admin", "admin").await;
    let promote = json!({"role": "admin"});
    assert_eq!(
        call(
            &app,
            req("PATCH", "/api/users/grace", Some(promote), Some(&admin))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(&app, req("GET", "/api/auth/me", None, Some(&grace)))
            .await
            .status,
        401
    );
    let again = token(&app, "grace", "a long enough secret").await;
    assert_eq!(
        call(&app, req("GET", "/api/users", None, Some(&again)))
            .await
            .status,
        200
    );
    // An e-mail change alone keeps the session.
    let email = json!({"email": "grace@navy.mil"});
    assert_eq!(
        call(
            &app,
            req("PATCH", "/api/users/grace", Some(email), Some(&admin))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(&app, req("GET", "/api/auth/me", None, Some(&again)))
            .await
            .status,
        200
    );
}

// --- /api/users (admin) -----------------------------------------------------------------------------

#[tokio::test]
async fn admins_list_create_change_and_delete_users() {
    let app = app().await;
    let admin = token(&app, "admin", "admin").await;
    viewer(&app, "grace").await;

    let list = call(&app, req("GET", "/api/users", None, Some(&admin))).await;
    assert_eq!(list.status, 200);
    let names: Vec<_> = list.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "grace"]);
    assert!(list.body["users"][0].get("password_hash").is_none());

    let dup =
        json!({"username": "grace", "email": "x@example.com", "password": "a long enough secret"});
    let a = call(&app, req("POST", "/api/users", Some(dup), Some(&admin))).await;
    assert_eq!((a.status, code(&a)), (409, "username_taken"));
    let bad_role = json!({"username": "hopper", "email": "h@example.com", "password": "a long enough secret", "role": "root"});
    let a = call(
        &app,
        req("POST", "/api/users", Some(bad_role), Some(&admin)),
    )
    .await;
    assert_eq!((a.status, code(&a)), (422, "invalid_role"));

    let a = call(
        &app,
        req(
            "PATCH",
            "/api/users/grace",
            Some(json!({"email": "grace@navy.mil", "role": "admin"})),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (
            a.body["user"]["email"].as_str(),
            a.body["user"]["role"].as_str()
        ),
        (Some("grace@navy.mil"), Some("admin"))
    );
    let a = call(
        &app,
        req(
            "PATCH",
            "/api/users/grace",
            Some(json!({"password": "another long secret"})),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(a.status, 200);
    token(&app, "grace", "another long secret").await;

    for (body, status, want) in [
        (json!({}), 400, "bad_request"),
        (json!({"nickname": "g"}), 400, "bad_request"),
        (json!({"email": "nope"}), 422, "invalid_email"),
        (json!({"role": "owner"}), 422, "invalid_role"),
        (json!({"password": "short"}), 422, "weak_password"),
        (json!({"email": "admin@example.com"}), 409, "email_taken"),
    ] {
        let a = call(
            &app,
            req(
                "PATCH",
                "/api/users/grace",
                Some(body.clone()),
                Some(&admin),
            ),
        )
        .await;
        assert_eq!((a.status, code(&a)), (status, want), "{body}");
    }
    let a = call(
        &app,
        req(
            "PATCH",
            "/api/users/nobody",
            Some(json!({"role": "viewer"})),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!((a.status, code(&a)), (404, "not_found"));

    let a = call(&app, req("DELETE", "/api/users/grace", None, Some(&admin))).await;
    assert_eq!(a.status, 204);
    let a = call(&app, req("DELETE", "/api/users/grace", None, Some(&admin))).await;
    assert_eq!((a.status, code(&a)), (404, "not_found"));
}

#[tokio::test]
async fn the_last_admin_stays() {
    let app = app().await;
    let admin = token(&app, "admin", "admin").await;
    let a = call(
        &app,
        req(
            "PATCH",
            "/api/users/admin",
            Some(json!({"role": "viewer"})),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!((a.status, code(&a)), (422, "last_admin"));
    let a = call(&app, req("DELETE", "/api/users/admin", None, Some(&admin))).await;
    assert_eq!((a.status, code(&a)), (403, "last_admin"));
}

#[tokio::test]
async fn viewers_are_forbidden_on_admin_routes() {
    let app = app().await;
    let t = viewer(&app, "grace").await;
    let new =
        json!({"username": "hopper", "email": "h@example.com", "password": "a long enough secret"});
    for r in [
        req("GET", "/api/users", None, Some(&t)),
        req("POST", "/api/users", Some(new), Some(&t)),
        req(
            "PATCH",
            "/api/users/admin",
            Some(json!({"role": "viewer"})),
            Some(&t),
        ),
        req("DELETE", "/api/users/admin", None, Some(&t)),
    ] {
        let a = call(&app, r).await;
        assert_eq!((a.status, code(&a)), (403, "forbidden"));
    }
    for r in [
        req("GET", "/api/users", None, None),
        req("DELETE", "/api/users/admin", None, None),
    ] {
        assert_eq!(call(&app, r).await.status, 401);
    }
}

#[tokio::test]
async fn a_deleted_users_token_stops_working() {
    let app = app().await;
    let t = viewer(&app, "grace").await;
    let admin = token(&app, "admin", "admin").await;
    assert_eq!(
        call(&app, req("DELETE", "/api/users/grace", None, Some(&admin)))
            .await
            .status,
        204
    );
    assert_eq!(
        call(&app, req("GET", "/api/auth/me", None, Some(&t)))
            .await
            .status,
        401
    );
}

// --- tokens -----------------------------------------------------------------------------------------

/// Signed with auth's key (EdDSA, its key id), as a token it issued would be.
fn sign(claims: &Value) -> String {
    let s = signer(SECRET);
    encode(s.header(), claims, s.encoding_key()).unwrap()
}

/// Signed with HMAC (`alg` HS256, HS384 or HS512) under auth's key id.
fn hmac(alg: Algorithm, key: &[u8], claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(signer(SECRET).kid().to_owned());
    encode(&header, claims, &EncodingKey::from_secret(key)).unwrap()
}

fn claims(now: i64) -> Value {
    json!({"sub": "admin", "role": "admin", "iat": now, "nbf": now, "exp": now + 600, "iss": "analytics", "aud": "analytics-api"})
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// Replaces the payload of a signed token, keeping its header and signature.
fn tamper(token: &str, payload: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(payload.to_string()),
        parts[2]
    )
}

/// Replaces the header of a signed token, keeping its payload and signature.
fn reheader(token: &str, header: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        B64.encode(header.to_string()),
        parts[1],
        parts[2]
    )
}

#[tokio::test]
async fn token_attacks_are_401() {
    let app = app().await;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let good = claims(now);
    let valid = sign(&good);
    // The control: the same construction with nothing wrong is accepted.
    assert_eq!(
        call(&app, req("GET", "/api/auth/me", None, Some(&valid)))
            .await
            .status,
        200
    );

    let kid = signer(SECRET).kid().to_owned();
    let public = app.signer.public_key();
    let none = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string()),
        B64.encode(good.to_string())
    );
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let other = signer(b"another-secret-another-secret-xyz!");
    let attacks = [
        ("alg none", none),
        // A key that was never published, under its own key id and under auth's.
        (
            "another key",
            other.issue("admin", Role::Admin, 0, OffsetDateTime::now_utc()),
        ),
        (
            "another key, auth's key id",
            encode(signer(SECRET).header(), &good, other.encoding_key()).unwrap(),
        ),
        (
            "no key id",
            reheader(&valid, &json!({"alg": "EdDSA", "typ": "JWT"})),
        ),
        (
            "unknown key id",
            reheader(
                &valid,
                &json!({"alg": "EdDSA", "typ": "JWT", "kid": "0123456789abcdef"}),
            ),
        ),
        // Algorithm confusion: HMAC keyed with what a client can know (the public key) or the secret.
        (
            "HS256 with the public key",
            hmac(Algorithm::HS256, public.as_bytes(), &good),
        ),
        (
            "HS256 with the public key in base64url",
            hmac(Algorithm::HS256, public.to_base64url().as_bytes(), &good),
        ),
        (
            "HS256 with the secret",
            hmac(Algorithm::HS256, SECRET, &good),
        ),
        (
            "HS512 with the secret",
            hmac(Algorithm::HS512, SECRET, &good),
        ),
        (
            "HS384 with the secret",
            hmac(Algorithm::HS384, SECRET, &good),
        ),
        (
            "expired",
            sign(&with(
                with(good.clone(), "exp", json!(now - 120)),
                "iat",
                json!(now - 720),
            )),
        ),
        (
            "not yet valid",
            sign(&with(good.clone(), "nbf", json!(now + 3600))),
        ),
        (
            "tampered subject",
            tamper(&valid, &with(good.clone(), "sub", json!("mallory"))),
        ),
        (
            "longer expiry",
            tamper(&valid, &with(good.clone(), "exp", json!(now + 999_999))),
        ),
        (
            "wrong audience",
            sign(&with(good.clone(), "aud", json!("someone-else"))),
        ),
        (
            "wrong issuer",
            sign(&with(good.clone(), "iss", json!("evil"))),
        ),
        ("no expiry", sign(&no_exp)),
        ("garbage", "garbage".to_owned()),
        ("three garbage parts", "a.b.c".to_owned()),
        ("empty", String::new()),
    ];
    for (what, t) in attacks {
        let a = call(&app, req("GET", "/api/auth/me", None, Some(&t))).await;
        assert_eq!((a.status, code(&a)), (401, "unauthorized"), "{what}");
    }
}

#[tokio::test]
async fn a_role_changed_in_the_token_is_401_and_grants_nothing() {
    let app = app().await;
    let t = viewer(&app, "grace").await;
    let parts: Vec<&str> = t.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(payload["role"], "viewer");
    payload["role"] = json!("admin");
    let forged = tamper(&t, &payload);
    let a = call(&app, req("GET", "/api/users", None, Some(&forged))).await;
    assert_eq!(a.status, 401);
    // Even a correctly signed token claiming admin (say, issued before a demotion) gets 403 on admin
    // routes: they judge the caller's role by the store, not by the token.
    let signed = app
        .signer
        .issue("grace", Role::Admin, 0, OffsetDateTime::now_utc());
    assert_eq!(
        call(&app, req("GET", "/api/users", None, Some(&signed)))
            .await
            .status,
        403
    );
}

// --- routing ----------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_requests_and_routes() {
    let app = app().await;
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
        (
            lambda_http::http::Request::builder()
                .method("POST")
                .uri("/api/auth/login")
                .body(Body::Text("{}".into()))
                .unwrap(),
            415,
            "unsupported_media_type",
        ),
        (
            req("GET", "/api/auth/login", None, None),
            405,
            "method_not_allowed",
        ),
        (
            req("GET", "/api/users/admin", None, None),
            405,
            "method_not_allowed",
        ),
        (
            req("GET", "/api/nothing-here", None, None),
            404,
            "not_found",
        ),
    ];
    for (r, status, want) in cases {
        let a = call(&app, r).await;
        assert_eq!((a.status, code(&a)), (status, want), "{}", a.body);
    }
    let health = call(&app, req("GET", "/api/health", None, None)).await;
    assert_eq!((health.status, health.body), (200, json!({"status": "ok"})));
}

/// A login as API Gateway delivers it, with the caller's address in the request context.
fn login_from(ip: &str, user: &str, password: &str) -> Request {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let ctx: ApiGatewayV2httpRequestContext =
        serde_json::from_value(json!({"http": {"method": "POST", "sourceIp": ip}, "timeEpoch": 0}))
            .unwrap();
    req(
        "POST",
        "/api/auth/login",
        Some(json!({"username": user, "password": password})),
        None,
    )
    .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

#[tokio::test]
async fn too_many_failures_from_one_address_lock_that_address() {
    let app = app_with(Settings {
        max_failures_per_ip: 3,
        ..Settings::default()
    })
    .await;
    for user in ["ann", "bea", "cid"] {
        assert_eq!(
            call(&app, login_from("203.0.113.7", user, "guess"))
                .await
                .status,
            401
        );
    }
    let locked = call(&app, login_from("203.0.113.7", "admin", "admin")).await;
    assert_eq!((locked.status, code(&locked)), (429, "too_many_attempts"));
    assert!(locked.headers.contains_key("retry-after"));
    // Another address signs in as usual.
    assert_eq!(
        call(&app, login_from("198.51.100.1", "admin", "admin"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let app = app().await;
    // Five wrong passwords for `admin` from the stranger's address lock that pair only.
    for _ in 0..5 {
        let answer = call(&app, login_from("203.0.113.66", "admin", "guess")).await;
        assert_eq!(answer.status, 401);
    }
    let stranger = call(&app, login_from("203.0.113.66", "admin", "admin")).await;
    assert_eq!(
        (stranger.status, code(&stranger)),
        (429, "too_many_attempts")
    );
    // The owner, from their own address, signs in (slowed down, not locked)...
    let owner = call(&app, login_from("198.51.100.7", "admin", "admin")).await;
    assert_eq!(owner.status, 200);
    // ...and may still change the password: its limit is counted apart.
    let token = owner.body["access_token"].as_str().unwrap().to_owned();
    let changed = call(
        &app,
        req(
            "POST",
            "/api/auth/password",
            Some(json!({"current_password": "admin", "new_password": "a much longer secret"})),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(changed.status, 204, "{}", changed.body);
}

/// Behind CloudFront, API Gateway sees one of the edge's addresses for every caller: the limiter keys
/// on the viewer's address from the edge's header instead, so one stranger behind an edge locks
/// only themselves.
#[tokio::test]
async fn behind_the_edge_the_viewers_address_is_what_is_limited() {
    let app = app_with(Settings {
        address_header: Some("cloudfront-viewer-address".into()),
        ..Settings::default()
    })
    .await;
    let via_edge = |viewer: &str, password: &str| {
        let mut r = login_from("130.176.0.1", "admin", password); // the edge, the same for both
        r.headers_mut()
            .insert("cloudfront-viewer-address", viewer.parse().unwrap());
        r
    };
    for _ in 0..5 {
        assert_eq!(
            call(&app, via_edge("203.0.113.66:40000", "guess"))
                .await
                .status,
            401
        );
    }
    let stranger = call(&app, via_edge("203.0.113.66:40001", "admin")).await;
    assert_eq!(
        stranger.status, 429,
        "the stranger's viewer address is locked"
    );
    // The owner comes through the same edge address, from their own viewer address (IPv6, as
    // CloudFront writes it: no brackets, then the port).
    let owner = call(&app, via_edge("2001:db8::7:443", "admin")).await;
    assert_eq!(owner.status, 200, "{}", owner.body);
}

#[tokio::test]
async fn a_deleted_first_admin_does_not_come_back() {
    let app = app().await;
    let admin = token(&app, "admin", "admin").await;
    viewer(&app, "grace").await;
    let promote = json!({"role": "admin"});
    assert_eq!(
        call(
            &app,
            req("PATCH", "/api/users/grace", Some(promote), Some(&admin))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(&app, req("DELETE", "/api/users/admin", None, Some(&admin)))
            .await
            .status,
        204
    );
    // The next cold start runs the seed again: it must not recreate admin with the deploy-time password.
    let seed = AdminSeed {
        username: "admin".into(),
        email: "admin@example.com".into(),
        password: "admin".into(),
    };
    assert!(!ensure_admin(&app.users, &seed).await.unwrap());
    assert_eq!(login(&app, "admin", "admin").await.status, 401);
}
