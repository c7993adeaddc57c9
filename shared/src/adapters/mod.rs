//! Adapters for the ports, each behind its cargo feature; the in-memory ones are always there.

#[cfg(any(feature = "dynamodb", feature = "kinesis", feature = "secrets"))]
pub mod aws;
#[cfg(feature = "clickhouse")]
pub mod clickhouse;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "kinesis")]
pub mod kinesis;
pub mod memory;
#[cfg(feature = "secrets")]
pub mod secrets;
