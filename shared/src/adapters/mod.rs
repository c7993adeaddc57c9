//! Adapters for the ports, each behind its cargo feature; the in-memory ones are always there.

#[cfg(any(
    feature = "dynamodb",
    feature = "kinesis",
    feature = "secrets",
    feature = "s3"
))]
pub mod aws;
#[cfg(feature = "clickhouse")]
pub mod clickhouse;
#[cfg(feature = "s3")]
pub mod dead_letters;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "kinesis")]
pub mod kinesis;
pub mod memory;
#[cfg(feature = "dynamodb")]
pub mod salts;
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "dynamodb")]
pub mod signing_keys;
