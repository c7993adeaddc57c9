use std::sync::Arc;

use auth::{ensure_admin, AdminSeed, App, Settings};
use lambda_http::{service_fn, Error};
use shared::adapters::{aws::sdk_config, dynamodb::DynamoUsers, secrets};
use shared::auth::password;
use shared::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let sdk = sdk_config().await;
    let users = DynamoUsers::from_sdk(&sdk, config::required("USERS_TABLE")?);
    let app = Arc::new(App {
        throttle: users.throttle(),
        users,
        tokens: secrets::tokens(&sdk).await?,
        settings: Settings::from_env()?,
    });
    let seed = AdminSeed {
        username: config::optional("ADMIN_USERNAME", "admin"),
        email: config::required("ADMIN_EMAIL")?,
        password: secrets::setting(&sdk, "ADMIN_PASSWORD", "ADMIN_PASSWORD_SECRET_ARN")
            .await?
            .filter(|p| !p.is_empty())
            .ok_or(config::ConfigError::Missing("ADMIN_PASSWORD_SECRET_ARN"))?,
    };
    if ensure_admin(&app.users, &seed).await? {
        tracing::info!(username = %seed.username, "created the first admin");
    }
    // Made now, so that the first login for an unknown user does not take longer than the others.
    tokio::task::spawn_blocking(password::dummy_hash).await?;
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(auth::handle(&app, req).await) }
    }))
    .await
}
