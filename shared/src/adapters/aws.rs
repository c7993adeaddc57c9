use aws_smithy_http_client::{tls, Builder};

/// The SDK configuration from the standard sources: `AWS_ENDPOINT_URL` (LocalStack, moto, DynamoDB
/// Local), `AWS_REGION`, and the credentials chain. Built once per cold start.
///
/// The HTTPS client is given here rather than taken from the SDK's default feature, which links aws-lc:
/// rustls with ring is the TLS stack the ClickHouse client already uses, so each binary carries one.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let https = Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::from_env().http_client(https).load().await
}
