//! The signed-in account: `GET /api/auth/me`, `POST /api/auth/register`, `POST /api/auth/password`.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::auth::{password, Role};
use shared::http::{self, parse_json};
use shared::ports::{LoginThrottle, UserStore};
use shared::users::{check_password, Email, PublicUser, User, Username};
use shared::ApiError;
use time::OffsetDateTime;

use crate::login::{claim, invalid_credentials, user_key};
use crate::{current_user, App};

pub(crate) async fn me<U: UserStore, T>(
    app: &App<U, T>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let user = current_user(app, req).await?;
    Ok(http::json(200, &PublicUser::from(&user)))
}

#[derive(Deserialize)]
pub(crate) struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
}

impl NewUser {
    /// Validates every field (422 naming the problem) and hashes the password.
    pub(crate) async fn into_user(self, role: Role) -> Result<User, ApiError> {
        let username = Username::parse(&self.username)?;
        let email = Email::parse(&self.email)?;
        check_password(&self.password, username.as_str())?;
        let now = OffsetDateTime::now_utc();
        Ok(User {
            username,
            email,
            role,
            password_hash: password::hash(self.password).await,
            token_version: 0,
            created_at: now,
            updated_at: now,
        })
    }
}

pub(crate) async fn register<U: UserStore, T>(
    app: &App<U, T>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    if !app.settings.signup_enabled {
        return Err(ApiError::new(
            403,
            "signup_disabled",
            "sign-up is switched off; ask an admin for an account",
        ));
    }
    let body: NewUser = parse_json(req)?;
    let user = body.into_user(Role::Viewer).await?;
    app.users.create(&user).await?;
    tracing::info!(username = user.username.as_str(), "signed up");
    Ok(http::json(201, &json!({ "user": PublicUser::from(&user) })))
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

pub(crate) async fn change_password<U: UserStore, T: LoginThrottle>(
    app: &App<U, T>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let user = current_user(app, req).await?;
    let body: PasswordChange = parse_json(req)?;
    // The current password is a login in disguise: the same limit applies, counted apart from sign-ins
    // (whose failures from strangers must not block the signed-in owner).
    let key = format!("password-{}", user_key(user.username.as_str()));
    let now = OffsetDateTime::now_utc();
    claim(app, &key, app.settings.max_failures_per_user, now).await?;
    if !password::verify(body.current_password, user.password_hash.clone()).await {
        return Err(invalid_credentials());
    }
    app.throttle.forgive(&key).await?;
    check_password(&body.new_password, user.username.as_str())?;
    let next = User {
        password_hash: password::hash(body.new_password).await,
        // Every other session of this user ends here.
        token_version: user.token_version + 1,
        updated_at: now,
        ..user.clone()
    };
    app.users.update(&user, &next).await?;
    Ok(http::empty(204))
}
