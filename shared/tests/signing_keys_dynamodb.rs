//! The published token keys in DynamoDB Local: publish, load, rotate (the old key verifies until its
//! `retire_at`, then is ignored, then dropped), cold starts publishing at once lose no key, and a verifier
//! picks up a new key on the first token that names it, re-reading the table at most every interval.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use common::unique;
use shared::adapters::signing_keys::{DynamoSigningKeys, SIGNING_KEYS_KEY};
use shared::adapters::{aws::sdk_config, dynamodb::DynamoUsers};
use shared::auth::jwt::{Signer, TokenSettings, Tokens};
use shared::auth::keys::{KeySet, PublicKey};
use shared::auth::Role;
use shared::ports::{SigningKeys, UserStore};
use shared::users::{Email, User, Username};
use shared::StoreError;
use time::{Duration, OffsetDateTime};

fn settings() -> TokenSettings {
    TokenSettings {
        issuer: "analytics".into(),
        audience: "analytics-api".into(),
        ttl_seconds: 900,
    }
}

fn signer(n: usize) -> Signer {
    Signer::new(
        format!("secret-{n}-of-at-least-32-bytes-long!!").as_bytes(),
        &settings(),
    )
    .unwrap()
}

/// Now, to the second (the table keeps unix seconds).
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

async fn table() -> (aws_sdk_dynamodb::Client, String) {
    common::env("AWS_ENDPOINT_URL_DYNAMODB");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let table = unique("users");
    common::create_pk_table(&client, &table).await;
    (client, table)
}

async fn version(client: &aws_sdk_dynamodb::Client, table: &str) -> i64 {
    let item = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(SIGNING_KEYS_KEY.into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    item["version"].as_n().unwrap().parse().unwrap()
}

async fn status(tokens: &Tokens, token: &str) -> u16 {
    match tokens.verify(token).await {
        Ok(_) => 200,
        Err(e) => e.status,
    }
}

fn token(s: &Signer) -> String {
    s.issue("ada", Role::Admin, 0, OffsetDateTime::now_utc())
}

#[tokio::test]
async fn publish_load_and_rotate() {
    let (client, table) = table().await;
    let store = DynamoSigningKeys::new(client.clone(), table.clone());
    assert_eq!(store.load().await.unwrap(), KeySet::default());

    let (a, b) = (signer(1), signer(2));
    let t0 = now();
    let published = store
        .publish(&a.public_key(), t0, a.retire_grace())
        .await
        .unwrap();
    assert_eq!(published.keys.len(), 1);
    assert_eq!(published.keys[a.kid()].retire_at, None);
    assert_eq!(published.keys[a.kid()].added_at, t0);
    assert_eq!(store.load().await.unwrap(), published);
    assert_eq!(version(&client, &table).await, 1);
    // The same key again (another cold start of auth): nothing is written.
    let again = store
        .publish(&a.public_key(), t0 + Duration::minutes(3), a.retire_grace())
        .await
        .unwrap();
    assert_eq!(again, published);
    assert_eq!(version(&client, &table).await, 1);

    // A new secret: B is added, A retires one token lifetime and 5 minutes later.
    let t1 = t0 + Duration::seconds(10);
    let rotated = store
        .publish(&b.public_key(), t1, b.retire_grace())
        .await
        .unwrap();
    assert_eq!(rotated.keys[b.kid()].retire_at, None);
    assert_eq!(
        rotated.keys[a.kid()].retire_at,
        Some(t1 + Duration::seconds(900) + Duration::minutes(5))
    );
    assert_eq!(store.load().await.unwrap(), rotated);
    // Until then both verify, for a verifier that starts now.
    let tokens = Tokens::load(&settings(), store.clone()).await.unwrap();
    assert_eq!(status(&tokens, &token(&a)).await, 200);
    assert_eq!(status(&tokens, &token(&b)).await, 200);

    // The item is no user's: listing users still works and lists users only.
    let users = DynamoUsers::new(client.clone(), table.clone());
    let at = now();
    let ada = User {
        username: Username::parse("ada").unwrap(),
        email: Email::parse("ada@example.com").unwrap(),
        role: Role::Admin,
        password_hash: "x".into(),
        token_version: 0,
        created_at: at,
        updated_at: at,
    };
    users.create(&ada).await.unwrap();
    assert_eq!(users.list().await.unwrap(), [ada]);
    assert_eq!(users.signing_keys().load().await.unwrap(), rotated);
}

#[tokio::test]
async fn a_key_past_its_retire_at_is_ignored_then_dropped() {
    let (client, table) = table().await;
    let store = DynamoSigningKeys::new(client.clone(), table.clone());
    let (a, b) = (signer(1), signer(2));
    let t = now();
    store
        .publish(&a.public_key(), t - Duration::hours(2), a.retire_grace())
        .await
        .unwrap();
    // Rotated an hour ago: A retired 40 minutes ago (900 s tokens and 5 minutes).
    store
        .publish(&b.public_key(), t - Duration::hours(1), b.retire_grace())
        .await
        .unwrap();
    let stored = store.load().await.unwrap();
    assert_eq!(stored.keys.len(), 2, "still in the item");
    let tokens = Tokens::load(&settings(), store.clone()).await.unwrap();
    assert_eq!(tokens.kids(), [b.kid()]);
    assert_eq!(status(&tokens, &token(&a)).await, 401);
    assert_eq!(status(&tokens, &token(&b)).await, 200);

    // The next publish (any cold start of auth) drops it.
    let v = version(&client, &table).await;
    let after = store
        .publish(&b.public_key(), t, b.retire_grace())
        .await
        .unwrap();
    assert_eq!(after.keys.keys().collect::<Vec<_>>(), [b.kid()]);
    assert_eq!(store.load().await.unwrap(), after);
    assert_eq!(version(&client, &table).await, v + 1);
}

#[tokio::test]
async fn cold_starts_publishing_at_once_lose_no_key() {
    let (client, table) = table().await;
    let signers: Vec<Signer> = (0..6).map(signer).collect();
    // Each its own process, racing for the same item.
    let stores: Vec<DynamoSigningKeys> = signers
        .iter()
        .map(|_| DynamoSigningKeys::new(client.clone(), table.clone()))
        .collect();
    let t = now();
    let results =
        futures_util::future::join_all(stores.iter().zip(&signers).map(|(store, s)| async move {
            store.publish(&s.public_key(), t, s.retire_grace()).await
        }))
        .await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let stored = stores[0].load().await.unwrap();
    let mut kids: Vec<&String> = stored.keys.keys().collect();
    let mut expected: Vec<&str> = signers.iter().map(Signer::kid).collect();
    kids.sort();
    expected.sort();
    assert_eq!(kids, expected);
    let current: Vec<_> = stored
        .keys
        .values()
        .filter(|k| k.retire_at.is_none())
        .collect();
    assert_eq!(current.len(), 1, "{stored:?}");
    // And the same key from many cold starts at once: stored once, one write.
    let (client, table) = self::table().await;
    let s = signer(9);
    let stores: Vec<DynamoSigningKeys> = (0..6)
        .map(|_| DynamoSigningKeys::new(client.clone(), table.clone()))
        .collect();
    let results = futures_util::future::join_all(stores.iter().map(|store| {
        let (key, grace) = (s.public_key(), s.retire_grace());
        async move { store.publish(&key, t, grace).await }
    }))
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(stores[0].load().await.unwrap().keys.len(), 1);
    assert_eq!(version(&client, &table).await, 1);
}

/// Counts the reads of the keys.
#[derive(Clone)]
struct Counting {
    inner: DynamoSigningKeys,
    loads: Arc<AtomicUsize>,
}

impl SigningKeys for Counting {
    async fn load(&self) -> Result<KeySet, StoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load().await
    }

    async fn publish(
        &self,
        key: &PublicKey,
        now: OffsetDateTime,
        grace: Duration,
    ) -> Result<KeySet, StoreError> {
        self.inner.publish(key, now, grace).await
    }
}

#[tokio::test]
async fn a_new_key_is_picked_up_on_its_first_token_at_most_every_interval() {
    let (client, table) = table().await;
    let auth = DynamoSigningKeys::new(client.clone(), table.clone());
    let (a, b, c, d) = (signer(1), signer(2), signer(3), signer(4));
    let published = auth
        .publish(&a.public_key(), now(), a.retire_grace())
        .await
        .unwrap();
    let counting = Counting {
        inner: DynamoSigningKeys::new(client.clone(), table.clone()),
        loads: Arc::default(),
    };
    let interval = std::time::Duration::from_millis(800);
    let tokens = Tokens::refreshing(&settings(), counting.clone(), &published, interval);
    let reads = || counting.loads.load(Ordering::SeqCst);

    assert_eq!(status(&tokens, &token(&a)).await, 200);
    assert_eq!(reads(), 0, "a known key id reads nothing");

    // Auth rotates to B: the first token signed by B makes the verifier re-read the table.
    auth.publish(&b.public_key(), now(), b.retire_grace())
        .await
        .unwrap();
    assert_eq!(status(&tokens, &token(&b)).await, 200);
    assert_eq!(reads(), 1);
    assert_eq!(
        status(&tokens, &token(&a)).await,
        200,
        "A verifies until it retires"
    );
    assert_eq!(status(&tokens, &token(&b)).await, 200);
    assert_eq!(reads(), 1);

    // Within the interval, unknown key ids (C is published, D never is) read nothing: 401.
    auth.publish(&c.public_key(), now(), c.retire_grace())
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(status(&tokens, &token(&c)).await, 401);
        assert_eq!(status(&tokens, &token(&d)).await, 401);
    }
    assert_eq!(reads(), 1);

    // After it, C is picked up; D is still 401, and reads once more at most per interval.
    tokio::time::sleep(interval).await;
    assert_eq!(status(&tokens, &token(&c)).await, 200);
    assert_eq!(reads(), 2);
    tokio::time::sleep(interval).await;
    for _ in 0..3 {
        assert_eq!(status(&tokens, &token(&d)).await, 401);
    }
    assert_eq!(reads(), 3);

    // Many requests with a new key at once: one read, all verified.
    tokio::time::sleep(interval).await;
    let e = signer(5);
    auth.publish(&e.public_key(), now(), e.retire_grace())
        .await
        .unwrap();
    let t = token(&e);
    let answers = futures_util::future::join_all((0..8).map(|_| status(&tokens, &t))).await;
    assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
    assert_eq!(reads(), 4);
}

#[tokio::test]
async fn a_verifier_loaded_at_cold_start_refreshes_with_the_default_interval() {
    let (client, table) = table().await;
    let auth = DynamoSigningKeys::new(client.clone(), table.clone());
    let (a, b, c) = (signer(1), signer(2), signer(3));
    auth.publish(&a.public_key(), now(), a.retire_grace())
        .await
        .unwrap();
    let tokens = Tokens::load(&settings(), auth.clone()).await.unwrap();
    assert_eq!(tokens.kids(), [a.kid()]);
    auth.publish(&b.public_key(), now(), b.retire_grace())
        .await
        .unwrap();
    assert_eq!(
        status(&tokens, &token(&b)).await,
        200,
        "the first unknown key id reads at once"
    );
    auth.publish(&c.public_key(), now(), c.retire_grace())
        .await
        .unwrap();
    assert_eq!(
        status(&tokens, &token(&c)).await,
        401,
        "not again within 30 s"
    );
}
