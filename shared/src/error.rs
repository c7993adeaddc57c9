//! The one error type every HTTP function answers with, in the shape of API.md:
//! `{"error": {"code", "message", "details"}}`.

use serde::Serialize;
use serde_json::Value;

/// An error a client sees. `status` picks the HTTP status; `code` is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<Value>,
    /// Headers the answer must carry, such as `Allow` on a 405 or `Retry-After` on a 429.
    pub headers: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    details: &'a [Value],
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn with_details(mut self, details: Vec<Value>) -> Self {
        self.details = details;
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }
    pub fn invalid_parameter(name: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "invalid_parameter",
            format!("parameter `{name}`: {why}"),
        )
    }
    pub fn malformed_json(why: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "malformed_json",
            format!("the body is not valid JSON: {why}"),
        )
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }
    pub fn method_not_allowed(method: &str, path: &str, allowed: &[&str]) -> Self {
        Self::new(
            405,
            "method_not_allowed",
            format!(
                "{method} is not allowed on {path}; use {}",
                allowed.join(" or ")
            ),
        )
        .with_header("allow", allowed.join(", "))
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(413, "payload_too_large", message)
    }
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "unsupported_media_type", message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(422, code, message)
    }
    /// A server-side failure. The cause is logged by the caller, never sent to the client.
    pub fn internal() -> Self {
        Self::new(500, "internal", "internal error; it has been logged")
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "unavailable", message)
    }

    /// The JSON body of API.md's error shape.
    pub fn body(&self) -> String {
        serde_json::to_string(&Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                details: &self.details,
            },
        })
        .expect("serialising strings and JSON values cannot fail")
    }
}

/// What a conflicting write ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    Username,
    Email,
    /// The write would leave no admin.
    LastAdmin,
    /// Someone else changed the record in the meantime.
    Changed,
}

/// Failures of the ports (stores, queues). Backend failures become a 5xx for the client and a log
/// line for us; conflicts and absences are for the handler to explain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    #[error("not found")]
    NotFound,
    #[error("backend: {0}")]
    Backend(String),
    /// The database stopped a query at its time, memory or rows limit.
    #[error("query stopped at a limit: {0}")]
    Timeout(String),
    /// The database refused a value the client sent (e.g. a regular expression).
    #[error("invalid parameter {param}: {why}")]
    Invalid { param: &'static str, why: String },
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(Conflict::Username) => {
                ApiError::conflict("username_taken", "that username is taken")
            }
            StoreError::Conflict(Conflict::Email) => {
                ApiError::conflict("email_taken", "that e-mail address is already in use")
            }
            StoreError::Conflict(Conflict::LastAdmin) => ApiError::unprocessable(
                "last_admin",
                "this is the last admin: make another user admin first",
            ),
            StoreError::Conflict(Conflict::Changed) => ApiError::conflict(
                "changed",
                "the user was changed by someone else meanwhile; reload and try again",
            ),
            StoreError::NotFound => ApiError::not_found("not found"),
            StoreError::Timeout(cause) => {
                tracing::warn!(%cause, "query stopped at a limit");
                ApiError::new(
                    503,
                    "query_timeout",
                    "the query ran into the configured time or memory limit and was stopped; \
                     try a shorter range or fewer filters",
                )
                .with_header("retry-after", "5")
            }
            StoreError::Invalid { param, why } => ApiError::invalid_parameter(param, why),
            StoreError::Backend(cause) => {
                tracing::error!(%cause, "backend failure");
                ApiError::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_api_shape() {
        let err = ApiError::unauthorized("no token")
            .with_details(vec![serde_json::json!({"field": "authorization"})]);
        let v: Value = serde_json::from_str(&err.body()).unwrap();
        assert_eq!(v["error"]["code"], "unauthorized");
        assert_eq!(v["error"]["message"], "no token");
        assert_eq!(v["error"]["details"][0]["field"], "authorization");
        assert_eq!(err.status, 401);
    }

    #[test]
    fn backend_failures_do_not_leak_their_cause() {
        let err: ApiError = StoreError::Backend("password=hunter2 at db".into()).into();
        assert_eq!(err.status, 500);
        assert!(!err.body().contains("hunter2"));
    }
}
