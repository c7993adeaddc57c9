use std::sync::Arc;

use auth::{ensure_admin, AdminSeed, App, Settings};
use lambda_http::{service_fn, Error};
use shared::adapters::{aws::sdk_config, dynamodb::DynamoUsers, secrets};
use shared::auth::jwt::{self, Tokens};
use shared::auth::password;
use shared::config;
use shared::http::{self, OriginCheck};
use shared::ports::SigningKeys;
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let sdk = sdk_config().await;
    let users = DynamoUsers::from_sdk(&sdk, config::required("USERS_TABLE")?);
    // The signing key from the secret; its public half is published for every verifier before the
    // first token is signed (a new key retires the others once their tokens have expired).
    let signer = secrets::signer(&sdk).await?;
    let keys = users.signing_keys();
    let published = keys
        .publish(
            &signer.public_key(),
            OffsetDateTime::now_utc(),
            signer.retire_grace(),
        )
        .await?;
    tracing::info!(kid = signer.kid(), "signing access tokens");
    let verifier = Tokens::refreshing(
        &config::token_settings()?,
        keys,
        &published,
        jwt::REFRESH_EVERY,
    );
    let app = Arc::new(App {
        throttle: users.throttle(),
        users,
        signer,
        verifier,
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
    let origin = OriginCheck::from_env();
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        let allowed = origin.check(&req);
        async move {
            Ok::<_, std::convert::Infallible>(match allowed {
                Ok(()) => auth::handle(&app, req).await,
                Err(err) => http::error(&err),
            })
        }
    }))
    .await
}
