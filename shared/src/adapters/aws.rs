/// The SDK configuration from the standard sources: `AWS_ENDPOINT_URL` (LocalStack, moto, DynamoDB
/// Local), `AWS_REGION`, and the credentials chain. Built once per cold start.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}
