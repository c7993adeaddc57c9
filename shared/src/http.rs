//! Small helpers for the functions behind API Gateway: JSON answers, the API's error shape,
//! body parsing with the right 4xx, and the routes every function serves.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

pub fn json<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    let text = serde_json::to_string(body).expect("response types serialise");
    with_body(status, text)
}

pub fn empty(status: u16) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Body::Empty)
        .expect("a status and an empty body make a response")
}

pub fn error(err: &ApiError) -> Response<Body> {
    let mut resp = with_body(err.status, err.body());
    for (name, value) in &err.headers {
        if let Ok(value) = header::HeaderValue::from_str(value) {
            resp.headers_mut().insert(*name, value);
        }
    }
    resp
}

fn with_body(status: u16, text: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(text))
        .expect("a status, headers and a body make a response")
}

/// Turns a handler's result into the response, errors in the API's shape.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|err| error(&err))
}

pub fn health() -> Response<Body> {
    json(200, &serde_json::json!({"status": "ok"}))
}

/// The answer for a request no handler took: 405 with `Allow` when the path is one of `routes`
/// (method, path) under another method, else 404.
pub fn no_route(req: &Request, routes: &[(&str, &str)]) -> ApiError {
    let path = req.uri().path();
    let allowed: Vec<&str> = routes
        .iter()
        .filter(|(_, p)| *p == path)
        .map(|(m, _)| *m)
        .collect();
    if allowed.is_empty() {
        ApiError::not_found(format!("no route for {} {path}", req.method()))
    } else {
        ApiError::method_not_allowed(req.method().as_str(), path, &allowed)
    }
}

/// The header the edge (CloudFront) adds to every request it forwards, with a secret value.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";

/// Keeps the API Gateway URL from being used to bypass the edge: behind CloudFront, only a request that
/// carries the edge's secret is served; any other gets 403. Without this, a caller could skip the edge
/// and set the viewer country and address headers the functions trust. Off when `ORIGIN_VERIFY` is unset
/// or empty (the local stack and tests without an edge). It may hold several values separated by commas
/// (the current one and, during a rotation, the previous one, while CloudFront's edges take the new one).
#[derive(Clone, Default)]
pub struct OriginCheck {
    secrets: Vec<Vec<u8>>,
}

impl std::fmt::Debug for OriginCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OriginCheck")
            .field("values", &self.secrets.len())
            .finish()
    }
}

impl OriginCheck {
    pub fn new(secrets: Option<&str>) -> Self {
        Self {
            secrets: secrets
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.as_bytes().to_vec())
                .collect(),
        }
    }

    /// From `ORIGIN_VERIFY`.
    pub fn from_env() -> Self {
        Self::new(std::env::var("ORIGIN_VERIFY").ok().as_deref())
    }

    pub fn check(&self, req: &Request) -> Result<(), ApiError> {
        if self.secrets.is_empty() {
            return Ok(());
        }
        let given = req
            .headers()
            .get(ORIGIN_VERIFY_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        // Compared in time independent of where the bytes differ.
        let same = |secret: &Vec<u8>| {
            given.len() == secret.len()
                && given
                    .iter()
                    .zip(secret)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        };
        if self.secrets.iter().any(same) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "requests must come through the site's address, not the API Gateway URL",
            ))
        }
    }
}

pub fn header_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The raw body bytes, whatever form API Gateway delivered them in (it base64-decodes for us).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// A JSON body as text. JSON is UTF-8 (RFC 8259), and serde_json checks only the strings it keeps:
/// invalid bytes in a field it skips would pass unseen, so a body is checked whole before parsing.
pub fn json_text(body: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map_err(|err| ApiError::malformed_json(format_args!("it is not UTF-8 ({err})")))
}

/// The largest JSON body a route other than the collector's reads (sign-in, accounts): far above any
/// valid one, so that nobody makes a function parse megabytes.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// Parses a JSON body into `T`. A wrong content type is 415, a body over 64 KiB is 413, bad JSON or a
/// wrong shape is 400.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let content_type = header_str(req, "content-type").unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::unsupported_media_type(
            "send the body as Content-Type: application/json",
        ));
    }
    let body = body_bytes(req);
    if body.len() > MAX_JSON_BODY_BYTES {
        return Err(ApiError::payload_too_large(format!(
            "the body is {} bytes; at most {MAX_JSON_BODY_BYTES} are read here",
            body.len()
        )));
    }
    serde_json::from_str(json_text(body)?).map_err(|err| {
        if err.is_data() {
            ApiError::bad_request(format!("the body does not have the expected fields: {err}"))
        } else {
            ApiError::malformed_json(err)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Login {
        #[allow(dead_code)]
        username: String,
    }

    /// A body as API Gateway hands it over: base64 (binary) when it is not UTF-8 text.
    fn request(body: Body) -> Request {
        lambda_http::http::Request::builder()
            .method("POST")
            .uri("/api/auth/login")
            .header("content-type", "application/json")
            .body(body)
            .unwrap()
    }

    #[test]
    fn only_requests_with_the_edge_secret_pass_the_origin_check() {
        let check = OriginCheck::new(Some("s3cret-from-the-edge"));
        let with = |value: Option<&str>| {
            let mut req = request(Body::Empty);
            if let Some(v) = value {
                req.headers_mut()
                    .insert(ORIGIN_VERIFY_HEADER, v.parse().unwrap());
            }
            check.check(&req)
        };
        assert!(with(Some("s3cret-from-the-edge")).is_ok());
        for wrong in [None, Some(""), Some("s3cret-from-the-edgE"), Some("s3cret")] {
            let err = with(wrong).unwrap_err();
            assert_eq!((err.status, err.code), (403, "forbidden"), "{wrong:?}");
        }
        assert!(!format!("{check:?}").contains("s3cret"));
        // No edge (unset or empty): everything passes.
        for off in [
            OriginCheck::new(None),
            OriginCheck::new(Some("")),
            OriginCheck::new(Some(",")),
        ] {
            assert!(off.check(&request(Body::Empty)).is_ok());
        }
        // During a rotation, the previous value too (an empty previous adds nothing).
        let rotating = OriginCheck::new(Some("new-value,old-value"));
        let unset_previous = OriginCheck::new(Some("new-value,"));
        let passes = |check: &OriginCheck, value: &str| {
            let mut req = request(Body::Empty);
            req.headers_mut()
                .insert(ORIGIN_VERIFY_HEADER, value.parse().unwrap());
            check.check(&req).is_ok()
        };
        assert!(passes(&rotating, "new-value") && passes(&rotating, "old-value"));
        assert!(!passes(&rotating, "new-value,old-value"));
        assert!(passes(&unset_previous, "new-value") && !passes(&unset_previous, ""));
    }

    #[test]
    fn a_body_that_is_not_utf8_is_malformed_json() {
        for bytes in [
            &b"\xff\xfe"[..],
            b"{\"username\": \"\xc3\x28\"}", // invalid UTF-8 inside a string
            b"{\"username\": \"\xed\xa0\x80\"}", // an encoded surrogate
            b"{\"username\": \"ada\", \"other\": \"\xff\"}", // in a field nobody reads
            b"{\"username\": \"ada\", \"\xff\": 1}", // in a key
        ] {
            let err = parse_json::<Login>(&request(Body::Binary(bytes.to_vec()))).unwrap_err();
            assert_eq!((err.status, err.code), (400, "malformed_json"), "{bytes:?}");
        }
    }

    #[test]
    fn a_body_over_64_kib_is_413() {
        let big = format!(r#"{{"username": "{}"}}"#, "a".repeat(MAX_JSON_BODY_BYTES));
        let err = parse_json::<Login>(&request(Body::Text(big))).unwrap_err();
        assert_eq!((err.status, err.code), (413, "payload_too_large"));
    }

    #[test]
    fn a_base64_delivered_body_that_is_json_is_read() {
        let body = Body::Binary(br#"{"username": "ada"}"#.to_vec());
        assert!(parse_json::<Login>(&request(body)).is_ok());
    }
}
