//! The auth function: login and the signed-in user. Each handler reads like a recipe:
//! parse -> authorize -> call the domain -> answer.

use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::auth::{jwt::Tokens, password, Role};
use shared::http::{self, parse_json};
use shared::ports::UserStore;
use shared::users::{Email, PublicUser, User, Username};
use shared::ApiError;
use time::OffsetDateTime;

pub struct App<U> {
    pub users: U,
    pub tokens: Tokens,
}

/// The routes served, for 404 versus 405 answers.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/me"),
];

pub async fn handle<U: UserStore>(app: &App<U>, req: Request) -> Response<Body> {
    http::respond(route(app, &req).await)
}

async fn route<U: UserStore>(app: &App<U>, req: &Request) -> Result<Response<Body>, ApiError> {
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/api/health") => Ok(http::health()),
        ("POST", "/api/auth/login") => login(app, req).await,
        ("GET", "/api/auth/me") => me(app, req).await,
        _ => Err(http::no_route(req, ROUTES)),
    }
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct LoginResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    user: PublicUser,
}

async fn login<U: UserStore>(app: &App<U>, req: &Request) -> Result<Response<Body>, ApiError> {
    let body: LoginRequest = parse_json(req)?;
    let user = match Username::parse(&body.username) {
        Ok(name) => app.users.get(name.as_str()).await?,
        Err(_) => None,
    };
    // Unknown users are checked against a dummy hash: the same answer in about the same time.
    let hash = user.as_ref().map_or_else(
        || password::dummy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let matches = password::verify(body.password, hash).await;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::new(
            401,
            "invalid_credentials",
            "wrong username or password",
        ));
    };
    let token = app
        .tokens
        .issue(user.username.as_str(), user.role, OffsetDateTime::now_utc());
    Ok(http::json(
        200,
        &LoginResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: app.tokens.ttl_seconds(),
            user: PublicUser::from(&user),
        },
    ))
}

async fn me<U: UserStore>(app: &App<U>, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = app
        .tokens
        .authenticate(http::header_str(req, "authorization"))?;
    let user = app
        .users
        .get(&claims.sub)
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    Ok(http::json(200, &PublicUser::from(&user)))
}

/// The first admin, from configuration (`ADMIN_USERNAME`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`).
pub struct AdminSeed {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// Creates the configured admin on first start; an existing user of that name is left alone.
pub async fn ensure_admin<U: UserStore>(users: &U, seed: &AdminSeed) -> Result<bool, String> {
    let username =
        Username::parse(&seed.username).map_err(|e| format!("ADMIN_USERNAME: {}", e.message))?;
    let email = Email::parse(&seed.email).map_err(|e| format!("ADMIN_EMAIL: {}", e.message))?;
    if users
        .get(username.as_str())
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(false);
    }
    let now = OffsetDateTime::now_utc();
    let admin = User {
        username,
        email,
        role: Role::Admin,
        password_hash: password::hash(seed.password.clone()).await,
        created_at: now,
        updated_at: now,
    };
    match users.create(&admin).await {
        Ok(()) => Ok(true),
        // Another cold start created it first.
        Err(shared::StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}
