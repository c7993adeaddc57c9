//! The export with a streamed answer, for a Lambda function URL in RESPONSE_STREAM mode: an export of
//! any size in constant memory (API Gateway buffers answers up to 6 MB). Only the export (and health).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use lambda_http::{service_fn, Body, Error, Response};

type Streamed = UnsyncBoxBody<Bytes, Error>;

fn buffered(resp: Response<Body>) -> Response<Streamed> {
    resp.map(|body| {
        let bytes = match body {
            Body::Text(t) => Bytes::from(t),
            Body::Binary(b) => Bytes::from(b),
            _ => Bytes::new(),
        };
        Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync()
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    use futures_util::StreamExt;
    shared::config::init_tracing();
    let app = Arc::new(analytics::setup::app(true).await?);
    lambda_http::run_with_streaming_response(service_fn(move |req: lambda_http::Request| {
        let app = Arc::clone(&app);
        async move {
            let mut req = req;
            if let Some(uri) = analytics::one_leading_slash(req.uri()) {
                *req.uri_mut() = uri;
            }
            let now = time::OffsetDateTime::now_utc();
            // Only the export is served here: the other routes are API Gateway's, behind its throttle
            // and the edge.
            if !analytics::streamed_route(req.uri().path()) {
                let missing = shared::ApiError::not_found(
                    "this URL serves only /api/analytics/export; the other routes are under the API",
                );
                return Ok(buffered(shared::http::error(&missing)));
            }
            Ok::<_, std::convert::Infallible>(match analytics::answer(&app, &req, now).await {
                analytics::Answer::Json(resp) => buffered(resp),
                analytics::Answer::Stream(resp) => resp.map(|stream| {
                    let frames = stream.map(|chunk| {
                        chunk
                            .map(http_body::Frame::data)
                            .map_err(|e| Error::from(e.to_string()))
                    });
                    StreamBody::new(frames).boxed_unsync()
                }),
            })
        }
    }))
    .await
}
