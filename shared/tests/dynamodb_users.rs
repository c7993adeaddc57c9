//! One contract for the user store and the login throttle, run against DynamoDB Local and against the
//! in-memory adapters.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use common::unique;
use shared::adapters::{
    aws::sdk_config,
    dynamodb::DynamoUsers,
    memory::{MemoryThrottle, MemoryUsers},
};
use shared::auth::Role;
use shared::ports::{LoginThrottle, UserStore};
use shared::users::{Email, User, Username};
use shared::{Conflict, StoreError};
use time::{Duration, OffsetDateTime};

fn user(name: &str, email: &str, role: Role) -> User {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    User {
        username: Username::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        created_at: now,
        updated_at: now,
    }
}

fn conflict(result: Result<(), StoreError>) -> Conflict {
    match result {
        Err(StoreError::Conflict(c)) => c,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn later(u: &User) -> User {
    User {
        updated_at: u.updated_at + Duration::seconds(1),
        ..u.clone()
    }
}

async fn user_contract(store: &impl UserStore) {
    assert!(store.get("nobody").await.unwrap().is_none());

    let ada = user("ada", "ada@example.com", Role::Admin);
    store.create(&ada).await.unwrap();
    assert_eq!(store.get("ada").await.unwrap(), Some(ada.clone()));
    assert_eq!(
        conflict(
            store
                .create(&user("ada", "other@example.com", Role::Viewer))
                .await
        ),
        Conflict::Username
    );
    assert_eq!(
        conflict(
            store
                .create(&user("grace", "ada@example.com", Role::Viewer))
                .await
        ),
        Conflict::Email
    );
    // The failed transaction left nothing behind: grace can still sign up with her own address.
    assert!(store.get("grace").await.unwrap().is_none());
    let grace = user("grace", "grace@example.com", Role::Viewer);
    store.create(&grace).await.unwrap();
    let names: Vec<_> = store
        .list()
        .await
        .unwrap()
        .iter()
        .map(|u| u.username.as_str().to_owned())
        .collect();
    assert_eq!(names, ["ada", "grace"]);

    // The only admin can be neither demoted nor deleted.
    let demoted = User {
        role: Role::Viewer,
        ..later(&ada)
    };
    assert_eq!(
        conflict(store.update(&ada, &demoted).await),
        Conflict::LastAdmin
    );
    assert_eq!(conflict(store.delete(&ada).await), Conflict::LastAdmin);

    // A new e-mail moves the reservation: the old address is free again, a taken one is refused.
    let moved = User {
        email: Email::parse("grace@navy.mil").unwrap(),
        ..later(&grace)
    };
    store.update(&grace, &moved).await.unwrap();
    assert_eq!(store.get("grace").await.unwrap(), Some(moved.clone()));
    store
        .create(&user("hopper", "grace@example.com", Role::Viewer))
        .await
        .unwrap();
    let clash = User {
        email: Email::parse("ada@example.com").unwrap(),
        ..later(&moved)
    };
    assert_eq!(
        conflict(store.update(&moved, &clash).await),
        Conflict::Email
    );
    // A write based on a stale read is refused.
    assert_eq!(
        conflict(store.update(&grace, &later(&grace)).await),
        Conflict::Changed
    );

    // With a second admin, the first can go.
    let promoted = User {
        role: Role::Admin,
        ..later(&moved)
    };
    store.update(&moved, &promoted).await.unwrap();
    store.update(&ada, &demoted).await.unwrap();
    assert_eq!(conflict(store.delete(&promoted).await), Conflict::LastAdmin);
    store.delete(&demoted).await.unwrap();
    assert!(store.get("ada").await.unwrap().is_none());
    assert!(matches!(
        store.delete(&demoted).await,
        Err(StoreError::NotFound)
    ));
    // Her address is free again.
    store
        .create(&user("ada2", "ada@example.com", Role::Viewer))
        .await
        .unwrap();
}

async fn throttle_contract(throttle: &impl LoginThrottle) {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let window = Duration::minutes(15);
    assert_eq!(throttle.strikes("user:ada", now).await.unwrap(), None);
    for expected in 1..=3 {
        let s = throttle.strike("user:ada", now, window).await.unwrap();
        assert_eq!((s.count, s.until), (expected, now + window));
    }
    assert_eq!(
        throttle
            .strikes("user:ada", now)
            .await
            .unwrap()
            .unwrap()
            .count,
        3
    );
    assert_eq!(
        throttle.strikes("ip:10.0.0.1", now).await.unwrap(),
        None,
        "keys are separate"
    );
    // After the window the count starts again.
    let after = now + window + Duration::seconds(1);
    assert_eq!(throttle.strikes("user:ada", after).await.unwrap(), None);
    assert_eq!(
        throttle
            .strike("user:ada", after, window)
            .await
            .unwrap()
            .count,
        1
    );
    throttle.forgive("user:ada").await.unwrap();
    assert_eq!(throttle.strikes("user:ada", after).await.unwrap(), None);
}

async fn dynamo() -> DynamoUsers {
    common::env("AWS_ENDPOINT_URL_DYNAMODB");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
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
    DynamoUsers::new(client, table)
}

#[tokio::test]
async fn dynamodb_local_meets_the_user_contract() {
    user_contract(&dynamo().await).await;
}

#[tokio::test]
async fn memory_meets_the_user_contract() {
    user_contract(&MemoryUsers::default()).await;
}

#[tokio::test]
async fn dynamodb_local_meets_the_throttle_contract() {
    throttle_contract(&dynamo().await.throttle()).await;
}

#[tokio::test]
async fn memory_meets_the_throttle_contract() {
    throttle_contract(&MemoryThrottle::default()).await;
}

#[tokio::test]
async fn concurrent_demotions_never_leave_zero_admins() {
    let store = dynamo().await;
    let a = user("alice", "alice@example.com", Role::Admin);
    let b = user("bob", "bob@example.com", Role::Admin);
    store.create(&a).await.unwrap();
    store.create(&b).await.unwrap();
    let (a2, b2) = (
        User {
            role: Role::Viewer,
            ..later(&a)
        },
        User {
            role: Role::Viewer,
            ..later(&b)
        },
    );
    let (ra, rb) = tokio::join!(store.update(&a, &a2), store.update(&b, &b2));
    assert!(
        ra.is_ok() ^ rb.is_ok(),
        "exactly one demotion lands: {ra:?} {rb:?}"
    );
    let admins = store
        .list()
        .await
        .unwrap()
        .iter()
        .filter(|u| u.role == Role::Admin)
        .count();
    assert_eq!(admins, 1);
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
