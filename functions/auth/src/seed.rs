//! The first admin, from configuration, created on first start.

use shared::auth::{password, Role};
use shared::ports::UserStore;
use shared::users::{Email, User, Username};
use shared::StoreError;
use time::OffsetDateTime;

/// `ADMIN_USERNAME`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`. The seeded password is the operator's choice and
/// is not held to the sign-up rules (locally it is `admin`); the template requires 12 characters.
pub struct AdminSeed {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// Creates the configured admin on a fresh deployment: only while no admin was ever recorded, so a
/// deleted `admin` does not come back with the deploy-time password. True when it created one.
pub async fn ensure_admin<U: UserStore>(users: &U, seed: &AdminSeed) -> Result<bool, String> {
    let username =
        Username::parse(&seed.username).map_err(|e| format!("ADMIN_USERNAME: {}", e.message))?;
    let email = Email::parse(&seed.email).map_err(|e| format!("ADMIN_EMAIL: {}", e.message))?;
    if users.ever_had_admin().await.map_err(|e| e.to_string())? {
        return Ok(false);
    }
    let now = OffsetDateTime::now_utc();
    let admin = User {
        username,
        email,
        role: Role::Admin,
        password_hash: password::hash(seed.password.clone()).await,
        token_version: 0,
        created_at: now,
        updated_at: now,
    };
    match users.create_first_admin(&admin).await {
        Ok(created) => Ok(created),
        // The name or address is taken (data from before the admin count existed): log in with that
        // account instead of failing every cold start.
        Err(StoreError::Conflict(what)) => {
            tracing::warn!(?what, "the configured first admin was not created: taken");
            Ok(false)
        }
        Err(e) => Err(e.to_string()),
    }
}
