//! The `Custom::ClickHouseSchema` resource of template.yaml: migrations applied during deployment.
//! Whatever happens, CloudFormation gets an answer before the function's time is up: a failure
//! fails the deployment with its reason instead of leaving it waiting.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::adapters::clickhouse::migrate;
use shared::adapters::{aws::sdk_config, secrets};
use shared::config;
use writer::schema;

/// Kept back from the function's deadline to send the answer.
const ANSWER_MARGIN: Duration = Duration::from_secs(15);

#[tokio::main]
async fn main() -> Result<(), Error> {
    config::init_tracing();
    let sdk = sdk_config().await;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        let sdk = sdk.clone();
        async move {
            let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
            let budget = Duration::from_millis(event.context.deadline.saturating_sub(now_ms))
                .saturating_sub(ANSWER_MARGIN);
            let request = event.payload;
            let response = schema::on_deploy(&request, || async {
                let cfg = secrets::clickhouse_config(&sdk)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::time::timeout(budget, migrate(&cfg))
                    .await
                    .map_err(|_| format!("no answer from ClickHouse within {budget:?}"))?
                    .map_err(|e| e.to_string())
            })
            .await;
            let url = schema::response_url(&request).ok_or("no ResponseURL in the request")?;
            schema::send(url, &response).await?;
            Ok::<_, Error>(())
        }
    }))
    .await
}
