use std::sync::Arc;

use collector::{App, Cookieless};
use lambda_http::{service_fn, Error};
use shared::adapters::{aws::sdk_config, kinesis::KinesisQueue, salts::DynamoSalts};
use shared::config;
use shared::cookieless::Sites;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    // The bot list is compiled here, at cold start, not on the first request.
    shared::useragent::warm();
    let sdk = sdk_config().await;
    let optional = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let app = Arc::new(
        App::new(
            KinesisQueue::from_sdk(&sdk, config::required("EVENTS_STREAM")?),
            optional("COUNTRY_HEADER"),
        )
        .with_cookieless(Cookieless {
            salts: DynamoSalts::from_sdk(&sdk, config::required("SALTS_TABLE")?),
            sites: Arc::new(Sites::parse(
                &optional("COOKIELESS_SITES").unwrap_or_default(),
            )),
            address_header: optional("ADDRESS_HEADER"),
        }),
    );
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(collector::handle(&app, req).await) }
    }))
    .await
}
