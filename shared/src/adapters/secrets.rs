//! The JWT signing key: `JWT_SECRET` where it is given directly (tests), else the Secrets Manager
//! secret named by `JWT_SECRET_ARN`, read once at cold start. In AWS the key never appears in the
//! template, the function's configuration or the logs.

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::Client;

use crate::auth::jwt::Tokens;
use crate::config::{self, ConfigError};

pub async fn tokens(sdk: &aws_config::SdkConfig) -> Result<Tokens, ConfigError> {
    let secret = match std::env::var("JWT_SECRET").ok().filter(|s| !s.is_empty()) {
        Some(secret) => secret,
        None => {
            let id = config::required("JWT_SECRET_ARN")?;
            let out = Client::new(sdk)
                .get_secret_value()
                .secret_id(&id)
                .send()
                .await
                .map_err(|e| {
                    ConfigError::Invalid(
                        "JWT_SECRET_ARN",
                        format!("reading the secret: {}", DisplayErrorContext(e)),
                    )
                })?;
            out.secret_string()
                .ok_or_else(|| {
                    ConfigError::Invalid("JWT_SECRET_ARN", "the secret has no string value".into())
                })?
                .to_owned()
        }
    };
    config::tokens_from(secret.as_bytes())
}
