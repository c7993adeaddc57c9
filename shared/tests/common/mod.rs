//! Helpers for the integration tests. They need the engines the test command starts
//! (`./test.sh`, or `python -m lstack.with_services -- cargo test ...`), and fail loudly without them.
#![allow(dead_code)]

use serde_json::json;
use shared::event::{parse_event, EventRecord, RequestContext};
use time::OffsetDateTime;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the integration tests through ./test.sh, which starts the engines")
    })
}

/// A unique suffix, so that tests running at once never share a table, stream or database.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub fn event(name: &str, visitor: &str, at: OffsetDateTime) -> EventRecord {
    let ctx = RequestContext::new(
        at,
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"),
        None,
    );
    // Each call is another event: its own id (without one, identical calls would share the id
    // derived from their content).
    parse_event(
        &json!({"event": name, "event_id": uuid::Uuid::new_v4(), "anonymous_id": visitor, "session_id": format!("s-{visitor}"), "url": "https://shop.test/p?utm_source=t"}),
        &ctx,
    )
    .expect("a valid event")
}

/// A DynamoDB table keyed by a string `pk`, as the template declares the users and salts tables.
#[cfg(feature = "dynamodb")]
pub async fn create_pk_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}
