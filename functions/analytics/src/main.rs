//! The analytics function behind API Gateway (buffered answers).

use std::sync::Arc;

use lambda_http::{service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::config::init_tracing();
    let app = Arc::new(analytics::setup::app(false).await?);
    lambda_http::run(service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(analytics::handle(&app, req).await) }
    }))
    .await
}
