use std::sync::Arc;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::adapters::clickhouse::ClickHouse;
use shared::adapters::{aws::sdk_config, secrets};
use shared::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let cfg = secrets::clickhouse_config(&sdk_config().await).await?;
    // The schema is migrated while the stack deploys (the ClickHouseSchema custom resource, which
    // this function depends on), once, not by every cold start at the same time.
    let sink = Arc::new(ClickHouse::new(&cfg));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        let sink = Arc::clone(&sink);
        async move { Ok::<_, Error>(writer::handle(sink.as_ref(), event.payload).await) }
    }))
    .await
}
