use std::sync::Arc;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::adapters::clickhouse::ClickHouse;
use shared::adapters::dead_letters::S3DeadLetters;
use shared::adapters::{aws::sdk_config, secrets};
use shared::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let sdk = sdk_config().await;
    let cfg = secrets::clickhouse_config(&sdk).await?;
    // The schema is migrated while the stack deploys (the ClickHouseSchema custom resource, which
    // this function depends on), once, not by every cold start at the same time.
    let sink = Arc::new(ClickHouse::new(&cfg));
    let dead_letters = Arc::new(S3DeadLetters::from_sdk(
        &sdk,
        config::required("DEAD_LETTER_BUCKET")?,
    ));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        let sink = Arc::clone(&sink);
        let dead_letters = Arc::clone(&dead_letters);
        async move {
            Ok::<_, Error>(
                writer::handle(sink.as_ref(), dead_letters.as_ref(), event.payload).await,
            )
        }
    }))
    .await
}
