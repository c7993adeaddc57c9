//! Secret settings (auth's token secret, the first admin's password, ClickHouse's password): given directly
//! in `NAME` where a local run or a test sets it, else read once at cold start from the Secrets
//! Manager secret that `NAME_SECRET_ARN` names. In AWS they never appear in the template, the
//! function's configuration or the logs.

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::Client;

use crate::auth::jwt::Signer;
use crate::config::{self, ConfigError};

/// The value of `name` (set, even empty), else of the secret `{name}_SECRET_ARN` names, else None.
pub async fn setting(
    sdk: &aws_config::SdkConfig,
    name: &'static str,
    arn_var: &'static str,
) -> Result<Option<String>, ConfigError> {
    if let Ok(value) = std::env::var(name) {
        return Ok(Some(value));
    }
    let Some(id) = std::env::var(arn_var).ok().filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    let out = Client::new(sdk)
        .get_secret_value()
        .secret_id(&id)
        .send()
        .await
        .map_err(|e| {
            ConfigError::Invalid(
                arn_var,
                format!("reading the secret: {}", DisplayErrorContext(e)),
            )
        })?;
    let value = out
        .secret_string()
        .ok_or_else(|| ConfigError::Invalid(arn_var, "the secret has no string value".into()))?;
    Ok(Some(value.to_owned()))
}

/// Auth's token signer, from the secret in `JWT_SECRET` / `JWT_SECRET_ARN` (no other function reads
/// it: they verify with the published public keys).
pub async fn signer(sdk: &aws_config::SdkConfig) -> Result<Signer, ConfigError> {
    let secret = setting(sdk, "JWT_SECRET", "JWT_SECRET_ARN")
        .await?
        .filter(|s| !s.is_empty())
        .ok_or(ConfigError::Missing("JWT_SECRET_ARN"))?;
    config::signer_from(secret.as_bytes())
}

/// Where ClickHouse is, with its password from `CLICKHOUSE_PASSWORD` / `CLICKHOUSE_PASSWORD_SECRET_ARN`.
pub async fn clickhouse_config(
    sdk: &aws_config::SdkConfig,
) -> Result<config::ClickHouseConfig, ConfigError> {
    let mut cfg = config::ClickHouseConfig::from_env()?;
    cfg.password = setting(sdk, "CLICKHOUSE_PASSWORD", "CLICKHOUSE_PASSWORD_SECRET_ARN")
        .await?
        .unwrap_or_default();
    Ok(cfg)
}
