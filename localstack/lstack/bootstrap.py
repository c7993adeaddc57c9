"""Creates what the functions expect, from template.yaml, on whichever endpoints are given (the local
emulators, LocalStack, or anything speaking the AWS APIs): the Kinesis stream, the DynamoDB tables, the
SQS queues, the S3 buckets (the writer's dead letters), and the ClickHouse database with its versioned
migrations. Idempotent: run it as often as you like.

    python -m lstack.bootstrap --dynamodb-url URL --kinesis-url URL --sqs-url URL --secretsmanager-url URL \
                               [--s3-url URL] --clickhouse-url URL
"""
from __future__ import annotations

import argparse
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .template import REGION, Template

REPO_DIR = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_DIR / "shared" / "migrations" / "clickhouse"


def aws_client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 3, "mode": "standard"}))


def create_streams(t: Template, kinesis) -> None:
    for logical_id, res in t.of_type("AWS::Kinesis::Stream").items():
        name = t.name_of(logical_id)
        try:
            # On-demand in AWS; two shards here, so that the poller's per-shard work is exercised.
            kinesis.create_stream(StreamName=name, ShardCount=2)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceInUseException":
                raise
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        print(f"bootstrap: stream {name} ok")


def create_tables(t: Template, dynamodb) -> None:
    for logical_id, res in t.of_type("AWS::DynamoDB::Table").items():
        props = t.resolve(res["Properties"])
        name = props["TableName"]
        try:
            dynamodb.create_table(TableName=name, AttributeDefinitions=props["AttributeDefinitions"],
                                  KeySchema=props["KeySchema"],
                                  BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"))
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceInUseException":
                raise
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            try:
                dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
            except ClientError as e:
                if "already enabled" not in str(e).lower():
                    raise
        print(f"bootstrap: table {name} ok")


def create_queues(t: Template, sqs) -> None:
    for logical_id in t.of_type("AWS::SQS::Queue"):
        name = t.name_of(logical_id)
        sqs.create_queue(QueueName=name)
        print(f"bootstrap: queue {name} ok")


def create_buckets(t: Template, s3) -> None:
    for logical_id in t.of_type("AWS::S3::Bucket"):
        name = t.name_of(logical_id)
        try:
            s3.create_bucket(Bucket=name)
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        print(f"bootstrap: bucket {name} ok")


def create_secrets(t: Template, sm, values: dict[str, str]) -> None:
    """Each secret gets the value given for its name (so that a restart keeps it), else the template's
    local value (its SecretString, else the one generated for this run, which is also what a dynamic
    reference to it in the functions' environment resolves to)."""
    t.secret_values.update(values)
    for logical_id in t.of_type("AWS::SecretsManager::Secret"):
        name = t.name_of(logical_id)
        value = t.secret_value(name)
        if not value:
            print(f"bootstrap: secret {name} skipped (empty here; the functions get the value directly)")
            continue
        try:
            sm.create_secret(Name=name, SecretString=value)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceExistsException":
                raise
            if sm.get_secret_value(SecretId=name)["SecretString"] != value:
                sm.put_secret_value(SecretId=name, SecretString=value)
        print(f"bootstrap: secret {name} ok")


def clickhouse(url: str, sql: str, database: str | None = None, timeout: float = 60) -> str:
    query = {"database": database} if database else {}
    req = urllib.request.Request(f"{url}/?{urllib.parse.urlencode(query)}", data=sql.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read().decode()


def migration_files() -> list[tuple[int, str, Path]]:
    out = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = re.match(r"(\d+)_(.+)\.sql$", path.name)
        if m:
            out.append((int(m.group(1)), m.group(2), path))
    return out


def statements(sql: str) -> list[str]:
    """The same split as the Rust runner: comment lines dropped, statements end with `;` at a line's end."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip().rstrip(";").strip() for s in body.split(";\n") if s.strip().rstrip(";").strip()]


def migrate_clickhouse(url: str, database: str) -> list[int]:
    """Applies the migrations the deploy-time custom resource applies in AWS, with the same ledger table."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
        raise ValueError(f"invalid ClickHouse database name {database!r}")
    clickhouse(url, f"CREATE DATABASE IF NOT EXISTS `{database}`")
    clickhouse(url, "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, "
                    "applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version", database)
    done = {int(v) for v in clickhouse(url, "SELECT version FROM schema_migrations FINAL", database).split()}
    applied = []
    for version, name, path in migration_files():
        if version in done:
            continue
        for statement in statements(path.read_text()):
            # A migration may copy a large local data set: give it time.
            clickhouse(url, statement, database, timeout=3600)
        clickhouse(url, f"INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}')", database)
        applied.append(version)
    print(f"bootstrap: clickhouse database {database} ok (applied {applied or 'nothing new'})")
    return applied


def bootstrap(t: Template, *, dynamodb_url: str, kinesis_url: str, sqs_url: str, secretsmanager_url: str,
              clickhouse_url: str, clickhouse_database: str, secret_values: dict[str, str] | None = None,
              s3_url: str | None = None) -> None:
    """s3_url defaults to sqs_url: moto and LocalStack serve both on one port."""
    started = time.monotonic()
    create_streams(t, aws_client("kinesis", kinesis_url))
    create_tables(t, aws_client("dynamodb", dynamodb_url))
    create_queues(t, aws_client("sqs", sqs_url))
    create_buckets(t, aws_client("s3", s3_url or sqs_url))
    create_secrets(t, aws_client("secretsmanager", secretsmanager_url), secret_values or {})
    migrate_clickhouse(clickhouse_url, clickhouse_database)
    print(f"bootstrap: done in {time.monotonic() - started:.1f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--template", type=Path, default=REPO_DIR / "template.yaml")
    ap.add_argument("--dynamodb-url", required=True)
    ap.add_argument("--kinesis-url", required=True)
    ap.add_argument("--sqs-url", required=True)
    ap.add_argument("--secretsmanager-url", required=True)
    ap.add_argument("--s3-url", help="default: the --sqs-url")
    ap.add_argument("--clickhouse-url", required=True)
    ap.add_argument("--clickhouse-database", default="analytics")
    args = ap.parse_args()
    bootstrap(Template(args.template), dynamodb_url=args.dynamodb_url, kinesis_url=args.kinesis_url,
              sqs_url=args.sqs_url, secretsmanager_url=args.secretsmanager_url,
              clickhouse_url=args.clickhouse_url,
              clickhouse_database=args.clickhouse_database, s3_url=args.s3_url)


if __name__ == "__main__":
    main()
