use std::sync::Arc;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::adapters::clickhouse::{migrate, ClickHouse};
use shared::adapters::{aws::sdk_config, secrets};
use shared::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let cfg = secrets::clickhouse_config(&sdk_config().await).await?;
    // Idempotent: a deployment needs no separate migration step.
    let applied = migrate(&cfg).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "ClickHouse schema migrated");
    }
    let sink = Arc::new(ClickHouse::new(&cfg));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        let sink = Arc::clone(&sink);
        async move { Ok::<_, Error>(writer::handle(sink.as_ref(), event.payload).await) }
    }))
    .await
}
