//! The ClickHouse schema at deployment: a CloudFormation custom resource applies the migrations
//! while `sam deploy` runs, before the functions that depend on it are updated, so that a fresh
//! deployment answers its first analytics request before any event was written.

use std::collections::HashMap;
use std::future::Future;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceRequest as Request,
    CloudFormationCustomResourceResponse as Response,
    CloudFormationCustomResourceResponseStatus as Status,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// The answer CloudFormation waits for. Create and Update migrate; Delete keeps the data.
pub async fn on_deploy<F, Fut, E>(request: &Request, migrate: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Vec<u32>, E>>,
    E: std::fmt::Display,
{
    let (stack_id, request_id, logical_id, physical_id, migrates) = match request {
        Request::Create(r) => (
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
            None,
            true,
        ),
        Request::Update(r) => (
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
            Some(&r.physical_resource_id),
            true,
        ),
        Request::Delete(r) => (
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
            Some(&r.physical_resource_id),
            false,
        ),
        // A request type this code does not know: nothing to answer it with.
        _ => {
            let mut response = Response::default();
            response.status = Status::Failed;
            response.reason = Some("unknown custom resource request type".into());
            return response;
        }
    };
    let mut response = Response::default();
    response.stack_id = stack_id.clone();
    response.request_id = request_id.clone();
    response.logical_resource_id = logical_id.clone();
    response.physical_resource_id = physical_id
        .cloned()
        .unwrap_or_else(|| "clickhouse-schema".to_owned());
    response.data = HashMap::new();
    if !migrates {
        response.status = Status::Success;
        response.reason = Some("the ClickHouse data is kept".into());
        return response;
    }
    match migrate().await {
        Ok(applied) => {
            tracing::info!(?applied, "ClickHouse schema migrated at deployment");
            response.status = Status::Success;
            response
                .data
                .insert("Applied".into(), format!("{applied:?}"));
        }
        Err(err) => {
            tracing::error!(error = %err, "ClickHouse migration failed at deployment");
            response.status = Status::Failed;
            // CloudFormation shows the reason to whoever deploys: the error, never a secret
            // (the configuration's Debug hides the password).
            // The whole answer must stay under CloudFormation's 4 KB.
            let reason: String = format!("ClickHouse migration failed: {err}")
                .chars()
                .take(1000)
                .collect();
            response.reason = Some(reason);
        }
    }
    response
}

pub fn response_url(request: &Request) -> Option<&str> {
    match request {
        Request::Create(r) => Some(&r.response_url),
        Request::Update(r) => Some(&r.response_url),
        Request::Delete(r) => Some(&r.response_url),
        _ => None,
    }
}

/// PUTs the answer to the pre-signed URL CloudFormation gave (HTTPS in AWS).
pub async fn send(
    url: &str,
    response: &Response,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let body = serde_json::to_vec(response)?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Full<Bytes>>(https);
    let request = hyper::Request::put(url)
        // The pre-signed URL was signed without a content type.
        .header("content-type", "")
        .header("content-length", body.len())
        .body(Full::new(Bytes::from(body)))?;
    let answer = client.request(request).await?;
    let status = answer.status();
    let text = answer.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        return Err(format!(
            "CloudFormation's URL answered {status}: {}",
            String::from_utf8_lossy(&text)
        )
        .into());
    }
    Ok(())
}
