//! The daily salts of cookieless visitors in DynamoDB Local: one salt per UTC day whoever asks, made
//! once even when many processes race, the previous day's while it is kept, none after its TTL.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use common::unique;
use shared::adapters::{aws::sdk_config, salts::DynamoSalts};
use shared::cookieless::visitor_id;
use shared::ports::SaltStore;
use time::macros::datetime;

/// The stored item of a day's salt, if any.
async fn salt_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    day: impl std::fmt::Display,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("SALT#{day}")))
        .send()
        .await
        .unwrap()
        .item
}

async fn table() -> (aws_sdk_dynamodb::Client, String) {
    common::env("AWS_ENDPOINT_URL_DYNAMODB");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let table = unique("salts");
    common::create_pk_table(&client, &table).await;
    (client, table)
}

#[tokio::test]
async fn racing_processes_share_one_salt_per_day() {
    let (client, table) = table().await;
    let now = time::OffsetDateTime::now_utc();
    // Eight cold starts at once, each with its own cache.
    let stores: Vec<_> = (0..8)
        .map(|_| DynamoSalts::new(client.clone(), table.clone()))
        .collect();
    let salts = futures_util::future::join_all(stores.iter().map(|s| s.salts(now))).await;
    let ids: Vec<String> = salts
        .into_iter()
        .map(|s| visitor_id(&s.unwrap().today, "shop", "192.0.2.1", "ua"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");

    // Stored with a TTL of 48 hours from the day's start.
    let day = shared::cookieless::salt_day(now);
    let item = salt_item(&client, &table, day).await.unwrap();
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(
        expires,
        (day.midnight().assume_utc() + time::Duration::hours(48)).unix_timestamp()
    );
}

#[tokio::test]
async fn the_previous_day_is_kept_and_a_new_day_gets_a_new_salt() {
    let (client, table) = table().await;
    let store = DynamoSalts::new(client.clone(), table.clone());
    // Days far in the future, so that their TTL has not passed.
    let day1 = store.salts(datetime!(2099-03-01 23:50 UTC)).await.unwrap();
    assert!(day1.yesterday.is_none());
    let day2 = store.salts(datetime!(2099-03-02 00:05 UTC)).await.unwrap();
    assert_ne!(day2.today, day1.today);
    assert_eq!(day2.yesterday.as_ref(), Some(&day1.today));
    // A fresh process sees the same.
    let other = DynamoSalts::new(client.clone(), table.clone());
    let again = other.salts(datetime!(2099-03-02 12:00 UTC)).await.unwrap();
    assert_eq!(again.today, day2.today);
    assert_eq!(again.yesterday, Some(day1.today.clone()));

    // The salt of two days later deletes day 1's from the table, not just from use.
    assert!(salt_item(&client, &table, "2099-03-01").await.is_some());
    let day3 = DynamoSalts::new(client.clone(), table.clone())
        .salts(datetime!(2099-03-03 00:01 UTC))
        .await
        .unwrap();
    assert_eq!(day3.yesterday, Some(day2.today));
    assert!(salt_item(&client, &table, "2099-03-01").await.is_none());
    assert!(salt_item(&client, &table, "2099-03-02").await.is_some());
}

#[tokio::test]
async fn an_expired_salt_is_not_used() {
    let (client, table) = table().await;
    let store = DynamoSalts::new(client.clone(), table.clone());
    // A salt for a day long past: its TTL has passed, though DynamoDB Local does not delete it.
    let old = store.salts(datetime!(2020-01-01 10:00 UTC)).await.unwrap();
    let next = DynamoSalts::new(client, table)
        .salts(datetime!(2020-01-02 10:00 UTC))
        .await
        .unwrap();
    assert!(next.yesterday.is_none());
    assert_ne!(next.today, old.today);
}
