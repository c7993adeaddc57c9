//! Cold start: the clients, built once from the environment.

use lambda_http::Error;
use shared::adapters::clickhouse::{analytics::ReadLimits, ClickHouse};
use shared::adapters::dynamodb::DynamoUsers;
use shared::adapters::{aws::sdk_config, secrets};
use shared::auth::jwt::Tokens;
use shared::config;

use crate::App;

/// `QUERY_TIMEOUT_SECONDS`, `QUERY_MAX_MEMORY_BYTES`, `QUERY_MAX_ROWS_TO_READ` bound every query.
/// `streaming`: the function URL entry point, whose exports may run for minutes.
pub async fn app(streaming: bool) -> Result<App<ClickHouse, DynamoUsers>, Error> {
    let sdk = sdk_config().await;
    let defaults = ReadLimits::default();
    let limits = ReadLimits {
        max_execution_seconds: config::number(
            "QUERY_TIMEOUT_SECONDS",
            defaults.max_execution_seconds,
        )?,
        max_memory_bytes: config::number("QUERY_MAX_MEMORY_BYTES", defaults.max_memory_bytes)?,
        max_rows_to_read: config::number("QUERY_MAX_ROWS_TO_READ", defaults.max_rows_to_read)?,
        export_seconds: if streaming {
            // The function runs 900 s at most; the export stops on the server before that.
            840
        } else {
            config::number("QUERY_TIMEOUT_SECONDS", defaults.max_execution_seconds)?
        },
    };
    let users = DynamoUsers::from_sdk(&sdk, config::required("USERS_TABLE")?);
    // The public keys auth publishes in the users table; re-read on a token with a new key id.
    let tokens = Tokens::load(&config::token_settings()?, users.signing_keys()).await?;
    Ok(App {
        store: ClickHouse::for_reads(&secrets::clickhouse_config(&sdk).await?, &limits),
        users,
        tokens,
    })
}
