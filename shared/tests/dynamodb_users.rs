//! One contract for the user store, run against DynamoDB Local and against the in-memory adapter.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use common::unique;
use shared::adapters::{aws::sdk_config, dynamodb::DynamoUsers, memory::MemoryUsers};
use shared::auth::Role;
use shared::ports::UserStore;
use shared::users::{Email, User, Username};
use shared::StoreError;
use time::OffsetDateTime;

fn user(name: &str, email: &str) -> User {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    User {
        username: Username::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        role: Role::Viewer,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        created_at: now,
        updated_at: now,
    }
}

async fn contract(store: &impl UserStore) {
    assert!(store.get("nobody").await.unwrap().is_none());

    let ada = user("ada", "ada@example.com");
    store.create(&ada).await.unwrap();
    assert_eq!(store.get("ada").await.unwrap(), Some(ada.clone()));

    let same_name = user("ada", "other@example.com");
    assert!(
        matches!(store.create(&same_name).await, Err(StoreError::Conflict(w)) if w == "username")
    );

    let same_email = user("grace", "ada@example.com");
    assert!(
        matches!(store.create(&same_email).await, Err(StoreError::Conflict(w)) if w == "email")
    );
    // The failed transaction left nothing behind: grace can still sign up with her own address.
    assert!(store.get("grace").await.unwrap().is_none());
    store
        .create(&user("grace", "grace@example.com"))
        .await
        .unwrap();
}

#[tokio::test]
async fn dynamodb_local_meets_the_contract() {
    common::env("AWS_ENDPOINT_URL_DYNAMODB");
    let sdk = sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = unique("users");
    client
        .create_table()
        .table_name(&table)
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
    contract(&DynamoUsers::new(client, table)).await;
}

#[tokio::test]
async fn memory_meets_the_contract() {
    contract(&MemoryUsers::default()).await;
}

#[tokio::test]
async fn a_missing_table_is_a_backend_error() {
    common::env("AWS_ENDPOINT_URL_DYNAMODB");
    let store = DynamoUsers::from_sdk(&sdk_config().await, unique("missing"));
    assert!(matches!(
        store.get("ada").await,
        Err(StoreError::Backend(_))
    ));
}
