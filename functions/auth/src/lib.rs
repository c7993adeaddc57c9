//! The auth function: login, sign-up, the signed-in account and user management. Each handler
//! reads like a recipe: parse -> authorize -> call the domain -> answer.

mod account;
mod admin;
mod login;
mod seed;

use lambda_http::{Body, Request, Response};
use shared::auth::jwt::{Signer, Tokens};
use shared::config::{self, ConfigError};
use shared::http;
use shared::ports::{LoginThrottle, UserStore};
use shared::users::User;
use shared::ApiError;
use time::Duration;

pub use seed::{ensure_admin, AdminSeed};

pub struct App<U, T> {
    pub users: U,
    pub throttle: T,
    /// Signs the access tokens: auth is the only function with the key.
    pub signer: Signer,
    /// Verifies them, with the published public keys, as every function does.
    pub verifier: Tokens,
    pub settings: Settings,
}

/// What operators can switch: sign-up, and the brute-force limits.
#[derive(Debug, Clone)]
pub struct Settings {
    pub signup_enabled: bool,
    /// Failed logins for one username, within `lockout`, before further attempts get 429.
    pub max_failures_per_user: u32,
    /// The same for one client address (many usernames tried from one place).
    pub max_failures_per_ip: u32,
    pub lockout: Duration,
    /// The header an edge in front of the API sets to the client's address (`cloudfront-viewer-address`
    /// behind the template's distribution, whose own address API Gateway sees); None: API Gateway's
    /// `sourceIp`. When set, a request without it has no known address.
    pub address_header: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            signup_enabled: false,
            max_failures_per_user: 5,
            max_failures_per_ip: 50,
            lockout: Duration::minutes(15),
            address_header: None,
        }
    }
}

impl Settings {
    /// `SIGNUP_ENABLED`, `LOGIN_MAX_FAILURES_PER_USER`, `LOGIN_MAX_FAILURES_PER_IP`, `LOGIN_LOCKOUT_SECONDS`,
    /// `ADDRESS_HEADER`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            signup_enabled: config::flag("SIGNUP_ENABLED", d.signup_enabled)?,
            max_failures_per_user: config::number(
                "LOGIN_MAX_FAILURES_PER_USER",
                d.max_failures_per_user,
            )?,
            max_failures_per_ip: config::number(
                "LOGIN_MAX_FAILURES_PER_IP",
                d.max_failures_per_ip,
            )?,
            lockout: Duration::seconds(config::number(
                "LOGIN_LOCKOUT_SECONDS",
                d.lockout.whole_seconds(),
            )?),
            address_header: std::env::var("ADDRESS_HEADER")
                .ok()
                .filter(|h| !h.is_empty()),
        })
    }
}

/// The routes served with a fixed path, for 404 versus 405 answers.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/password"),
    ("GET", "/api/users"),
    ("POST", "/api/users"),
];

pub async fn handle<U: UserStore, T: LoginThrottle>(
    app: &App<U, T>,
    req: Request,
) -> Response<Body> {
    http::respond(route(app, &req).await)
}

async fn route<U: UserStore, T: LoginThrottle>(
    app: &App<U, T>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let (method, path) = (req.method().as_str(), req.uri().path());
    if let Some(name) = path
        .strip_prefix("/api/users/")
        .filter(|n| !n.is_empty() && !n.contains('/'))
    {
        return match method {
            "PATCH" => admin::update(app, req, name).await,
            "DELETE" => admin::delete(app, req, name).await,
            _ => Err(ApiError::method_not_allowed(
                method,
                path,
                &["PATCH", "DELETE"],
            )),
        };
    }
    match (method, path) {
        ("GET", "/api/health") => Ok(http::health()),
        ("POST", "/api/auth/login") => login::login(app, req).await,
        ("GET", "/api/auth/me") => account::me(app, req).await,
        ("POST", "/api/auth/register") => account::register(app, req).await,
        ("POST", "/api/auth/password") => account::change_password(app, req).await,
        ("GET", "/api/users") => admin::list(app, req).await,
        ("POST", "/api/users") => admin::create(app, req).await,
        _ => Err(http::no_route(req, ROUTES)),
    }
}

/// The signed-in user, read again from the store: the token of a deleted account, or one issued
/// before a password or role change, stops working at once.
async fn current_user<U: UserStore, T>(app: &App<U, T>, req: &Request) -> Result<User, ApiError> {
    shared::auth::caller::current_user(
        &app.verifier,
        &app.users,
        http::header_str(req, "authorization"),
    )
    .await
}
