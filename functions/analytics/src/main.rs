use std::sync::Arc;

use analytics::App;
use lambda_http::{service_fn, Error};
use shared::adapters::clickhouse::{analytics::ReadLimits, ClickHouse};
use shared::adapters::{aws::sdk_config, secrets};
use shared::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let sdk = sdk_config().await;
    let defaults = ReadLimits::default();
    let limits = ReadLimits {
        max_execution_seconds: config::number(
            "QUERY_TIMEOUT_SECONDS",
            defaults.max_execution_seconds,
        )?,
        max_memory_bytes: config::number("QUERY_MAX_MEMORY_BYTES", defaults.max_memory_bytes)?,
        max_rows_to_read: config::number("QUERY_MAX_ROWS_TO_READ", defaults.max_rows_to_read)?,
    };
    let app = Arc::new(App {
        store: ClickHouse::for_reads(&secrets::clickhouse_config(&sdk).await?, &limits),
        tokens: secrets::tokens(&sdk).await?,
    });
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(analytics::handle(&app, req).await) }
    }))
    .await
}
