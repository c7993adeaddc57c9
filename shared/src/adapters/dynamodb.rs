//! Users in DynamoDB. One table, key `pk`: `USER#<username>` holds the user and `EMAIL#<email>`
//! reserves the address, both written in one transaction so an e-mail is unique without a scan.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::Role;
use crate::error::StoreError;
use crate::ports::UserStore;
use crate::users::{Email, User, Username};

#[derive(Clone)]
pub struct DynamoUsers {
    client: Client,
    table: String,
}

impl DynamoUsers {
    pub fn from_sdk(sdk: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), table)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn user_key(username: &str) -> AttributeValue {
    AttributeValue::S(format!("USER#{username}"))
}

fn email_key(email: &str) -> AttributeValue {
    AttributeValue::S(format!("EMAIL#{email}"))
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("dynamodb: {err}"))
}

fn to_item(user: &User) -> HashMap<String, AttributeValue> {
    let time = |t: OffsetDateTime| s(&t.format(&Rfc3339).expect("UTC times format as RFC 3339"));
    HashMap::from([
        ("pk".to_owned(), user_key(user.username.as_str())),
        ("username".to_owned(), s(user.username.as_str())),
        ("email".to_owned(), s(user.email.as_str())),
        ("role".to_owned(), s(user.role.as_str())),
        ("password_hash".to_owned(), s(&user.password_hash)),
        ("created_at".to_owned(), time(user.created_at)),
        ("updated_at".to_owned(), time(user.updated_at)),
    ])
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Result<User, StoreError> {
    let get = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::Backend(format!("user item without `{name}`")))
    };
    let time = |name: &str| {
        OffsetDateTime::parse(get(name)?, &Rfc3339)
            .map_err(|e| StoreError::Backend(format!("user item `{name}`: {e}")))
    };
    let corrupt = |what: &str| StoreError::Backend(format!("user item has an invalid {what}"));
    Ok(User {
        username: Username::parse(get("username")?).map_err(|_| corrupt("username"))?,
        email: Email::parse(get("email")?).map_err(|_| corrupt("email"))?,
        role: Role::parse(get("role")?).ok_or_else(|| corrupt("role"))?,
        password_hash: get("password_hash")?.clone(),
        created_at: time("created_at")?,
        updated_at: time("updated_at")?,
    })
}

impl UserStore for DynamoUsers {
    async fn get(&self, username: &str) -> Result<Option<User>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", user_key(username))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        out.item().map(from_item).transpose()
    }

    async fn create(&self, user: &User) -> Result<(), StoreError> {
        let put = |item: HashMap<String, AttributeValue>| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("table, item and condition are set"),
                )
                .build()
        };
        let email_item = HashMap::from([
            ("pk".to_owned(), email_key(user.email.as_str())),
            ("username".to_owned(), s(user.username.as_str())),
        ]);
        let result = self
            .client
            .transact_write_items()
            .transact_items(put(to_item(user)))
            .transact_items(put(email_item))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx)) => match ctx.err() {
                TransactWriteItemsError::TransactionCanceledException(cancel) => {
                    let failed = |i: usize| {
                        cancel
                            .cancellation_reasons()
                            .get(i)
                            .and_then(|r| r.code())
                            .is_some_and(|c| c == "ConditionalCheckFailed")
                    };
                    if failed(0) {
                        Err(StoreError::Conflict("username".into()))
                    } else if failed(1) {
                        Err(StoreError::Conflict("email".into()))
                    } else {
                        Err(backend(format!("transaction cancelled: {cancel}")))
                    }
                }
                other => Err(backend(other)),
            },
            Err(other) => Err(backend(aws_sdk_dynamodb::error::DisplayErrorContext(other))),
        }
    }
}
