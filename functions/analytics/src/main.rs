use std::sync::Arc;

use analytics::App;
use lambda_http::{service_fn, Error};
use shared::adapters::{aws::sdk_config, clickhouse::ClickHouse, secrets};
use shared::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let sdk = sdk_config().await;
    let app = Arc::new(App {
        store: ClickHouse::new(&secrets::clickhouse_config(&sdk).await?),
        tokens: secrets::tokens(&sdk).await?,
    });
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(analytics::handle(&app, req).await) }
    }))
    .await
}
