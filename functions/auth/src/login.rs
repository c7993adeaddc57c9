//! `POST /api/auth/login`, with the brute-force limit: failures are counted per username and per
//! client address; over the limit the answer is 429 with `Retry-After`, even for the right password.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use shared::auth::password;
use shared::http::{self, parse_json};
use shared::ports::{Claim, LoginThrottle, UserStore};
use shared::users::{PublicUser, Username};
use shared::ApiError;
use time::OffsetDateTime;

use crate::App;

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

pub(crate) async fn login<U: UserStore, T: LoginThrottle>(
    app: &App<U, T>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let body: LoginRequest = parse_json(req)?;
    let now = OffsetDateTime::now_utc();
    let user_key = user_key(&body.username);
    let ip_key = client_ip(req).map(|ip| format!("ip:{ip}"));
    // The attempt is counted before the password is checked, so parallel guesses cannot slip past.
    claim(app, &user_key, app.settings.max_failures_per_user, now).await?;
    if let Some(ip_key) = &ip_key {
        if let Err(locked) = claim(app, ip_key, app.settings.max_failures_per_ip, now).await {
            app.throttle.release(&user_key).await?;
            return Err(locked);
        }
    }

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
    // A failure keeps its claimed attempts: they are the strikes.
    let Some(user) = user.filter(|_| matches) else {
        return Err(invalid_credentials());
    };

    app.throttle.forgive(&user_key).await?;
    if let Some(ip_key) = &ip_key {
        app.throttle.release(ip_key).await?;
    }
    let token = app
        .tokens
        .issue(user.username.as_str(), user.role, user.token_version, now);
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

pub(crate) fn invalid_credentials() -> ApiError {
    ApiError::new(401, "invalid_credentials", "wrong username or password")
}

/// The throttle key of a username as typed (normalised like usernames, bounded in length).
pub(crate) fn user_key(username: &str) -> String {
    format!(
        "user:{}",
        username
            .trim()
            .to_ascii_lowercase()
            .chars()
            .take(64)
            .collect::<String>()
    )
}

/// Claims an attempt for `key`; 429 with `Retry-After` when `max` are already counted.
pub(crate) async fn claim<U, T: LoginThrottle>(
    app: &App<U, T>,
    key: &str,
    max: u32,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    match app
        .throttle
        .claim(key, now, app.settings.lockout, max)
        .await?
    {
        Claim::Granted(_) => Ok(()),
        Claim::Locked { until } => {
            let wait = (until - now).whole_seconds().max(1);
            Err(ApiError::new(
                429,
                "too_many_attempts",
                format!("too many failed sign-ins; try again in {wait} seconds"),
            )
            .with_header("retry-after", wait.to_string()))
        }
    }
}

/// The caller's address as API Gateway saw it (never a header the client could forge).
fn client_ip(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone().filter(|ip| !ip.is_empty()),
        _ => None,
    }
}
