//! Configuration from the environment. The AWS SDK reads its own standard settings
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, the credentials chain), so the same binaries talk to AWS,
//! LocalStack or the local emulators.

use crate::auth::jwt::{Signer, TokenSettings};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {0}: {1}")]
    Invalid(&'static str, String),
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

pub fn optional(name: &'static str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

pub fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match optional(name, if default { "true" } else { "false" })
        .to_ascii_lowercase()
        .as_str()
    {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError::Invalid(
            name,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

pub fn number<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError::Invalid(name, format!("expected a number, got {v:?}"))),
    }
}

/// The token settings every function shares: `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_TTL_SECONDS`.
pub fn token_settings() -> Result<TokenSettings, ConfigError> {
    Ok(TokenSettings {
        issuer: optional("JWT_ISSUER", "analytics"),
        audience: optional("JWT_AUDIENCE", "analytics-api"),
        ttl_seconds: number("JWT_TTL_SECONDS", 3600)?,
    })
}

/// Auth's token signer from its secret (`JWT_SECRET`), with `token_settings`.
pub fn signer_from(secret: &[u8]) -> Result<Signer, ConfigError> {
    Signer::new(secret, &token_settings()?).map_err(|why| ConfigError::Invalid("JWT_SECRET", why))
}

/// Where ClickHouse is: `CLICKHOUSE_URL`, `CLICKHOUSE_USER`, `CLICKHOUSE_PASSWORD` (in AWS from Secrets
/// Manager, see `adapters::secrets::clickhouse_config`), `CLICKHOUSE_DATABASE`.
#[derive(Clone)]
pub struct ClickHouseConfig {
    pub url: String,
    pub user: String,
    pub password: String,
    pub database: String,
}

impl std::fmt::Debug for ClickHouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseConfig")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl ClickHouseConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            url: required("CLICKHOUSE_URL")?,
            user: optional("CLICKHOUSE_USER", "default"),
            password: std::env::var("CLICKHOUSE_PASSWORD").unwrap_or_default(),
            database: optional("CLICKHOUSE_DATABASE", "analytics"),
        })
    }
}

/// Logs as JSON lines (CloudWatch), level from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .try_init();
}
