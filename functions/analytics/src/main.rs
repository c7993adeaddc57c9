//! The analytics function behind API Gateway (buffered answers).

use std::sync::Arc;
use std::time::Instant;

use analytics::metrics;
use lambda_http::{service_fn, Error};
use shared::http::{self, OriginCheck};
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::config::init_tracing();
    let app = Arc::new(analytics::setup::app(false).await?);
    let origin = OriginCheck::from_env();
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        let allowed = origin.check(&req);
        async move {
            let started = Instant::now();
            let route = metrics::route_of(req.uri().path());
            let response = match allowed {
                Ok(()) => analytics::handle(&app, req).await,
                Err(err) => http::error(&err),
            };
            let millis = started.elapsed().as_secs_f64() * 1000.0;
            let status = response.status().as_u16();
            // Answers that ran a query (or failed in one): not health, 404s, or requests refused before
            // one (bad parameters, no token, no right).
            if route != "other" && !(400..500).contains(&status) {
                // stdout, not tracing: CloudWatch reads the `_aws` key of a line as it is.
                let at = OffsetDateTime::now_utc();
                println!("{}", metrics::query_time(route, status, millis, at));
            }
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
}
