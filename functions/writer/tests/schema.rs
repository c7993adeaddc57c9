//! The deploy-time migration (a CloudFormation custom resource) against a real ClickHouse, answering
//! to a local HTTP server in place of CloudFormation's pre-signed URL.

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use serde_json::{json, Value};
use shared::adapters::clickhouse::{migrate, MIGRATIONS};
use shared::config::ClickHouseConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use writer::schema;

fn request(kind: &str, url: &str) -> CloudFormationCustomResourceRequest {
    serde_json::from_value(json!({
        "RequestType": kind,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:migrate",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/analytics/1",
        "RequestId": "req-1",
        "ResourceType": "Custom::ClickHouseSchema",
        "LogicalResourceId": "ClickHouseSchema",
        "PhysicalResourceId": "clickhouse-schema",
        "ResourceProperties": {"ServiceToken": "x", "SchemaVersion": "2"},
        "OldResourceProperties": {"ServiceToken": "x", "SchemaVersion": "1"}
    }))
    .expect("a CloudFormation custom resource request")
}

fn config(url: &str) -> ClickHouseConfig {
    ClickHouseConfig {
        url: url.into(),
        user: "default".into(),
        password: "hunter2-secret".into(),
        database: format!("deploy_{}", uuid::Uuid::new_v4().simple()),
    }
}

/// One HTTP request, answered 200; returns (head, body).
async fn receive_one(listener: tokio::net::TcpListener) -> (String, Value) {
    let (mut sock, _) = listener.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.unwrap();
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .unwrap();
                let body = serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap();
                return (head, body);
            }
        }
        assert!(n > 0, "the connection closed early");
    }
}

#[tokio::test]
async fn a_deployment_migrates_and_answers_cloudformation() {
    let ch = std::env::var("CLICKHOUSE_URL").expect("run through ./test.sh");
    let cfg = ClickHouseConfig {
        password: String::new(),
        ..config(&ch)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/signed?X-Amz-Signature=abc",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(receive_one(listener));

    let req = request("Create", &url);
    let response = schema::on_deploy(&req, || migrate(&cfg)).await;
    schema::send(schema::response_url(&req).unwrap(), &response)
        .await
        .unwrap();
    let (head, body) = server.await.unwrap();
    assert!(
        head.starts_with("put /signed?x-amz-signature=abc"),
        "{head}"
    );
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(
        (
            body["RequestId"].as_str(),
            body["LogicalResourceId"].as_str()
        ),
        (Some("req-1"), Some("ClickHouseSchema"))
    );
    assert_eq!(body["PhysicalResourceId"], "clickhouse-schema");
    // Applied: a second run has nothing left to do.
    assert_eq!(migrate(&cfg).await.unwrap(), Vec::<u32>::new());
    assert_eq!(
        body["Data"]["Applied"],
        format!("{:?}", MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>())
    );
}

#[tokio::test]
async fn a_failed_migration_fails_the_deployment_without_leaking_the_password() {
    let cfg = config("http://127.0.0.1:9");
    let response = schema::on_deploy(&request("Update", "http://unused"), || migrate(&cfg)).await;
    let body = serde_json::to_value(&response).unwrap();
    assert_eq!(body["Status"], "FAILED");
    let reason = body["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with("ClickHouse migration failed"),
        "{reason}"
    );
    assert!(!body.to_string().contains("hunter2"));
}

#[tokio::test]
async fn deleting_the_stack_keeps_the_data() {
    let response = schema::on_deploy(&request("Delete", "http://unused"), || async {
        panic!("no migration on delete");
        #[allow(unreachable_code)]
        Ok::<Vec<u32>, String>(vec![])
    })
    .await;
    let body = serde_json::to_value(&response).unwrap();
    assert_eq!(body["Status"], "SUCCESS");
}
