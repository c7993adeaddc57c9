//! User management for admins: `GET/POST /api/users`, `PATCH/DELETE /api/users/{username}`.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::auth::{password, Role};
use shared::http::{self, parse_json};
use shared::ports::UserStore;
use shared::users::{check_password, Email, PublicUser, User, Username};
use shared::{ApiError, Conflict, StoreError};
use time::OffsetDateTime;

use crate::account::NewUser;
use crate::{current_user, App};

/// The caller, if an admin: 401 without a valid token, 403 for any other role.
async fn require_admin<U: UserStore, T>(app: &App<U, T>, req: &Request) -> Result<User, ApiError> {
    let caller = current_user(app, req).await?;
    if caller.role != Role::Admin {
        return Err(ApiError::forbidden("only admins manage users"));
    }
    Ok(caller)
}

async fn find<U: UserStore>(users: &U, name: &str) -> Result<User, ApiError> {
    let not_found = || ApiError::not_found(format!("no user named {name:?}"));
    let name = Username::parse(name).map_err(|_| not_found())?;
    users.get(name.as_str()).await?.ok_or_else(not_found)
}

fn role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw)
        .ok_or_else(|| ApiError::unprocessable("invalid_role", "role must be admin or viewer"))
}

pub(crate) async fn list<U: UserStore, T>(
    app: &App<U, T>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    require_admin(app, req).await?;
    let users: Vec<PublicUser> = app
        .users
        .list()
        .await?
        .iter()
        .map(PublicUser::from)
        .collect();
    Ok(http::json(200, &json!({ "users": users })))
}

#[derive(Deserialize)]
struct CreateRequest {
    #[serde(flatten)]
    user: NewUser,
    role: Option<String>,
}

pub(crate) async fn create<U: UserStore, T>(
    app: &App<U, T>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let caller = require_admin(app, req).await?;
    let body: CreateRequest = parse_json(req)?;
    let role = body
        .role
        .as_deref()
        .map(role)
        .transpose()?
        .unwrap_or(Role::Viewer);
    let user = body.user.into_user(role).await?;
    app.users.create(&user).await?;
    tracing::info!(
        by = caller.username.as_str(),
        username = user.username.as_str(),
        role = role.as_str(),
        "user created"
    );
    Ok(http::json(201, &json!({ "user": PublicUser::from(&user) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    email: Option<String>,
    role: Option<String>,
    password: Option<String>,
}

pub(crate) async fn update<U: UserStore, T>(
    app: &App<U, T>,
    req: &Request,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let caller = require_admin(app, req).await?;
    let body: UpdateRequest = parse_json(req)?;
    if body.email.is_none() && body.role.is_none() && body.password.is_none() {
        return Err(ApiError::bad_request(
            "give at least one of email, role, password",
        ));
    }
    let current = find(&app.users, name).await?;
    let mut next = User {
        updated_at: OffsetDateTime::now_utc(),
        ..current.clone()
    };
    if let Some(email) = &body.email {
        next.email = Email::parse(email)?;
    }
    if let Some(r) = &body.role {
        next.role = role(r)?;
    }
    if let Some(pw) = body.password {
        check_password(&pw, current.username.as_str())?;
        next.password_hash = password::hash(pw).await;
    }
    if next.role != current.role || next.password_hash != current.password_hash {
        next.token_version += 1; // the user's sessions end: their role or password is not what it was
    }
    app.users.update(&current, &next).await?;
    tracing::info!(
        by = caller.username.as_str(),
        username = name,
        "user changed"
    );
    Ok(http::json(200, &json!({ "user": PublicUser::from(&next) })))
}

pub(crate) async fn delete<U: UserStore, T>(
    app: &App<U, T>,
    req: &Request,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let caller = require_admin(app, req).await?;
    let user = find(&app.users, name).await?;
    match app.users.delete(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict(Conflict::LastAdmin)) => {
            return Err(ApiError::new(
                403,
                "last_admin",
                "nobody deletes the last admin: make another user admin first",
            ))
        }
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(format!("no user named {name:?}")))
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(
        by = caller.username.as_str(),
        username = name,
        "user deleted"
    );
    Ok(http::empty(204))
}
