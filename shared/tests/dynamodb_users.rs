//! One contract for the user store and the login throttle, run against DynamoDB Local and against the
//! in-memory adapters.

mod common;

use common::unique;
use shared::adapters::{
    aws::sdk_config,
    dynamodb::DynamoUsers,
    memory::{MemoryThrottle, MemoryUsers},
};
use shared::auth::Role;
use shared::ports::{Claim, LoginThrottle, Strikes, UserStore};
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
        token_version: 3,
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
    let granted = |count| {
        Claim::Granted(Strikes {
            count,
            until: now + window,
        })
    };
    for expected in 1..=3 {
        assert_eq!(
            throttle.claim("user:ada", now, window, 3).await.unwrap(),
            granted(expected)
        );
    }
    assert_eq!(
        throttle.claim("user:ada", now, window, 3).await.unwrap(),
        Claim::Locked {
            until: now + window
        }
    );
    assert_eq!(
        throttle.claim("ip:10.0.0.1", now, window, 3).await.unwrap(),
        granted(1),
        "keys are separate"
    );
    // A released attempt makes room for one more.
    throttle.release("user:ada").await.unwrap();
    assert_eq!(
        throttle.claim("user:ada", now, window, 3).await.unwrap(),
        granted(3)
    );
    // After the window the count starts again (TTL deletion is late: the window's end decides).
    let after = now + window + Duration::seconds(1);
    assert_eq!(
        throttle.claim("user:ada", after, window, 3).await.unwrap(),
        Claim::Granted(Strikes {
            count: 1,
            until: after + window
        })
    );
    throttle.forgive("user:ada").await.unwrap();
    assert_eq!(
        throttle.claim("user:ada", after, window, 3).await.unwrap(),
        Claim::Granted(Strikes {
            count: 1,
            until: after + window
        })
    );
    throttle.release("user:nobody").await.unwrap();
}

async fn first_admin_contract(store: &impl UserStore) {
    assert!(!store.ever_had_admin().await.unwrap());
    let first = user("root", "root@example.com", Role::Admin);
    assert!(store.create_first_admin(&first).await.unwrap());
    assert!(store.ever_had_admin().await.unwrap());
    // Never again, even once that admin is gone.
    let other = user("boss", "boss@example.com", Role::Admin);
    store.create(&other).await.unwrap();
    store.delete(&first).await.unwrap();
    assert!(!store.create_first_admin(&first).await.unwrap());
    assert!(store.get("root").await.unwrap().is_none());
}

async fn dynamo() -> DynamoUsers {
    common::env("AWS_ENDPOINT_URL_DYNAMODB");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let table = unique("users");
    common::create_pk_table(&client, &table).await;
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
async fn dynamodb_local_meets_the_first_admin_contract() {
    first_admin_contract(&dynamo().await).await;
}

#[tokio::test]
async fn memory_meets_the_first_admin_contract() {
    first_admin_contract(&MemoryUsers::default()).await;
}

#[tokio::test]
async fn concurrent_claims_never_exceed_the_limit() {
    let throttle = dynamo().await.throttle();
    let now = OffsetDateTime::now_utc();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let t = throttle.clone();
        set.spawn(async move { t.claim("user:target", now, Duration::minutes(15), 5).await });
    }
    let results = set.join_all().await;
    let granted = results
        .iter()
        .filter(|r| matches!(r, Ok(Claim::Granted(_))))
        .count();
    assert_eq!(granted, 5, "{results:?}");
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
