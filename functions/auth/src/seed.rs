//! The first admin, from configuration, created on first start.

use shared::auth::{password, Role};
use shared::ports::UserStore;
use shared::users::{Email, User, Username};
use shared::{Conflict, StoreError};
use time::OffsetDateTime;

/// `ADMIN_USERNAME`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`. The seeded password is the operator's choice and
/// is not held to the sign-up rules (locally it is `admin`); the template requires 12 characters.
pub struct AdminSeed {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// Creates the configured admin unless a user of that name exists. True when it created one.
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
        Err(StoreError::Conflict(Conflict::Username)) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}
