//! The `Custom::ClickHouseSchema` resource of template.yaml: migrations applied during deployment.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::adapters::clickhouse::migrate;
use shared::adapters::{aws::sdk_config, secrets};
use shared::config;
use writer::schema;

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let cfg = secrets::clickhouse_config(&sdk_config().await).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        let cfg = cfg.clone();
        async move {
            let request = event.payload;
            let response = schema::on_deploy(&request, || migrate(&cfg)).await;
            let url = schema::response_url(&request).ok_or("no ResponseURL in the request")?;
            schema::send(url, &response).await?;
            Ok::<_, Error>(())
        }
    }))
    .await
}
