//! `POST /api/auth/login`, with the brute-force limit. Failures are counted per username *and* client
//! address, and per address; over either limit the answer is 429 with `Retry-After`, even for the right
//! password. Per username alone they only slow sign-ins down (up to 5 s each): a stranger guessing from
//! elsewhere must not be able to lock the owner out of an account.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use shared::address::{self, Form};
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
    let ip = client_ip(req, app.settings.address_header.as_deref());
    let pair_key = format!("{user_key}@{}", ip.as_deref().unwrap_or("unknown"));
    let ip_key = ip.map(|ip| format!("ip:{ip}"));
    // The attempt is counted before the password is checked, so parallel guesses cannot slip past.
    claim(app, &pair_key, app.settings.max_failures_per_user, now).await?;
    if let Some(ip_key) = &ip_key {
        if let Err(locked) = claim(app, ip_key, app.settings.max_failures_per_ip, now).await {
            app.throttle.release(&pair_key).await?;
            return Err(locked);
        }
    }
    // Across addresses, failures for one username slow each attempt down, never lock it.
    if let Claim::Granted(strikes) = app
        .throttle
        .claim(&user_key, now, app.settings.lockout, u32::MAX)
        .await?
    {
        let wait = slowdown(strikes.count, app.settings.max_failures_per_user);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
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

    app.throttle.forgive(&pair_key).await?;
    app.throttle.forgive(&user_key).await?;
    if let Some(ip_key) = &ip_key {
        app.throttle.release(ip_key).await?;
    }
    let token = app
        .signer
        .issue(user.username.as_str(), user.role, user.token_version, now);
    Ok(http::json(
        200,
        &LoginResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: app.signer.ttl_seconds(),
            user: PublicUser::from(&user),
        },
    ))
}

/// The wait before checking the `count`th attempt for a username within the window: none up to `free`,
/// then 250 ms doubling with each attempt, at most 5 s.
pub(crate) fn slowdown(count: u32, free: u32) -> std::time::Duration {
    match count.checked_sub(free.saturating_add(1)) {
        None => std::time::Duration::ZERO,
        Some(over) => std::time::Duration::from_millis(250u64 << over.min(5)).min(MAX_SLOWDOWN),
    }
}

const MAX_SLOWDOWN: std::time::Duration = std::time::Duration::from_secs(5);

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

/// The caller's address: from the edge's header when one is configured (behind CloudFront, API Gateway
/// sees the edge, and the functions refuse requests that did not come through it), else as API Gateway
/// saw it. Never a header the client could set.
fn client_ip(req: &Request, header: Option<&str>) -> Option<String> {
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.as_deref().filter(|ip| !ip.is_empty())
        }
        _ => None,
    };
    let edge = header.map(|h| (http::header_str(req, h), Form::of_header(h)));
    address::client(edge, source_ip).map(|ip| limited_as(&ip))
}

/// What the limiter counts an address as: an IPv4 address itself, an IPv6 address by its /64 (one
/// host is commonly given a whole /64, and could take a fresh address for every guess).
fn limited_as(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{limited_as, slowdown};

    #[test]
    fn ipv6_addresses_are_limited_by_their_64() {
        assert_eq!(limited_as("203.0.113.7"), "203.0.113.7");
        assert_eq!(limited_as("2001:db8:1:2::7"), "2001:db8:1:2::/64");
        assert_eq!(
            limited_as("2001:db8:1:2:ffff::1"),
            limited_as("2001:db8:1:2::7")
        );
        assert_ne!(limited_as("2001:db8:1:3::7"), limited_as("2001:db8:1:2::7"));
    }
    use std::time::Duration;

    #[test]
    fn failures_for_a_username_slow_it_down_up_to_five_seconds() {
        assert_eq!(slowdown(1, 5), Duration::ZERO);
        assert_eq!(slowdown(5, 5), Duration::ZERO);
        assert_eq!(slowdown(6, 5), Duration::from_millis(250));
        assert_eq!(slowdown(7, 5), Duration::from_millis(500));
        assert_eq!(slowdown(10, 5), Duration::from_secs(4));
        assert_eq!(slowdown(11, 5), Duration::from_secs(5));
        assert_eq!(slowdown(u32::MAX, 5), Duration::from_secs(5));
    }
}
