use std::sync::Arc;

use collector::{App, Cookieless};
use lambda_http::{service_fn, Error};
use shared::adapters::{aws::sdk_config, kinesis::KinesisQueue, salts::DynamoSalts};
use shared::config;
use shared::cookieless::Sites;
use shared::http::{self, OriginCheck};

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    // The bot list is built at cold start, not on the first request: on a thread of its own, so that it
    // overlaps the SDK's setup and the wait for the first event (a request that comes sooner waits).
    std::thread::spawn(shared::useragent::warm);
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
    let origin = OriginCheck::from_env();
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        let allowed = origin.check(&req);
        async move {
            Ok::<_, std::convert::Infallible>(match allowed {
                Ok(()) => collector::handle(&app, req).await,
                Err(err) => http::error(&err),
            })
        }
    }))
    .await
}
