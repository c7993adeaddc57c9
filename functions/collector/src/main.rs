use std::sync::Arc;

use collector::App;
use lambda_http::{service_fn, Error};
use shared::adapters::{aws::sdk_config, kinesis::KinesisQueue};
use shared::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    // The bot list is compiled here, at cold start, not on the first request.
    shared::useragent::warm();
    let sdk = sdk_config().await;
    let app = Arc::new(App::new(
        KinesisQueue::from_sdk(&sdk, config::required("EVENTS_STREAM")?),
        std::env::var("COUNTRY_HEADER")
            .ok()
            .filter(|h| !h.is_empty()),
    ));
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(collector::handle(&app, req).await) }
    }))
    .await
}
