"""The local engines start, answer like the real services, keep data where they should, and stop.

Run from the repo root:  .local/venv/bin/python -m pytest localstack/tests -q
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

LOCALSTACK = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(LOCALSTACK))

from lstack import services  # noqa: E402
from lstack.services import (  # noqa: E402
    free_port, start_clickhouse, start_dynamodb, start_moto, stop_from_pidfiles,
)

AWS = dict(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def gone(pid: int) -> bool:
    return not services._alive(pid)


def ch(port: int, sql: str, **params) -> str:
    query = "&".join(f"param_{k}={v}" for k, v in params.items())
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?{query}", data=sql.encode(), timeout=10) as r:
        return r.read().decode()


def test_clickhouse_mergetree_survives_restart_and_binds_params(tmp_path):
    data, run = tmp_path / "data", tmp_path / "run"
    http, tcp = free_port(), free_port()
    svc = start_clickhouse(data, http, tcp, run)
    try:
        assert ch(http, "SELECT version()").startswith("26.")
        assert ch(http, f"SELECT 42 FROM remote('127.0.0.1:{tcp}', system.one)") == "42\n"  # native TCP port
        ch(http, "CREATE DATABASE analytics")
        ch(http, "CREATE TABLE analytics.events (id UInt32, name String, at DateTime64(3, 'UTC')) "
                 "ENGINE = MergeTree ORDER BY id")
        ch(http, "INSERT INTO analytics.events VALUES (1, 'pageview', now64(3)), (2, 'signup', now64(3))")
        assert ch(http, "SELECT count() FROM analytics.events") == "2\n"
        assert ch(http, "SELECT {x:UInt8} + 1", x=5) == "6\n"
        assert ch(http, "SELECT name FROM analytics.events WHERE id = {id:UInt32}", id=2) == "signup\n"
    finally:
        svc.stop()
    assert gone(svc.pid)
    assert not (run / "clickhouse.pid").exists()

    svc = start_clickhouse(data, http, tcp, run)  # same --path: the table and its rows are still there
    try:
        assert ch(http, "SELECT id, name FROM analytics.events ORDER BY id FORMAT CSV") == '1,"pageview"\n2,"signup"\n'
    finally:
        svc.stop()
    assert gone(svc.pid)


def test_dynamodb_local_put_get_and_db_path_persists(tmp_path):
    run, data = tmp_path / "run", tmp_path / "ddb"
    port = free_port()
    svc = start_dynamodb(port, data, run)
    try:
        db = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", **AWS)
        db.create_table(TableName="users", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "username", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "username", "KeyType": "HASH"}])
        db.put_item(TableName="users", Item={"username": {"S": "admin"}, "role": {"S": "admin"}})
        item = db.get_item(TableName="users", Key={"username": {"S": "admin"}})["Item"]
        assert item["role"] == {"S": "admin"}
        with pytest.raises(db.exceptions.ConditionalCheckFailedException):  # real DynamoDB semantics
            db.put_item(TableName="users", Item={"username": {"S": "admin"}},
                        ConditionExpression="attribute_not_exists(username)")
    finally:
        svc.stop()
    assert gone(svc.pid)

    svc = start_dynamodb(port, data, run)  # -dbPath keeps tables across restarts
    try:
        db = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", **AWS)
        assert db.get_item(TableName="users", Key={"username": {"S": "admin"}})["Item"]["role"] == {"S": "admin"}
    finally:
        svc.stop()
    assert gone(svc.pid)


def test_dynamodb_local_in_memory(tmp_path):
    port = free_port()
    svc = start_dynamodb(port, None, tmp_path)
    try:
        db = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", **AWS)
        assert db.list_tables()["TableNames"] == []
    finally:
        svc.stop()
    assert gone(svc.pid)
    assert not any(tmp_path.glob("*.db"))


def test_moto_kinesis_round_trip(tmp_path):
    port = free_port()
    svc = start_moto(port, tmp_path)
    try:
        kinesis = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{port}", **AWS)
        kinesis.create_stream(StreamName="events", ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName="events", WaiterConfig={"Delay": 0.1})
        put = kinesis.put_record(StreamName="events", Data=b'{"event":"pageview"}', PartitionKey="a")
        iterator = kinesis.get_shard_iterator(StreamName="events", ShardId=put["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator)["Records"]
        assert [r["Data"] for r in records] == [b'{"event":"pageview"}']
    finally:
        svc.stop()
    assert gone(svc.pid)


def test_busy_port_is_a_clear_error(tmp_path):
    svc = start_moto(free_port(), tmp_path)
    try:
        with pytest.raises(services.ServiceError, match="already in use"):
            start_moto(svc.port, tmp_path / "other")
    finally:
        svc.stop()


def test_stop_from_pidfiles_stops_ours_and_spares_strangers(tmp_path):
    svc = start_moto(free_port(), tmp_path)
    # A pid file whose pid now belongs to an unrelated process must not get that process killed.
    stranger = subprocess.Popen(["sleep", "60"])
    (tmp_path / "dynamodb.pid").write_text(json.dumps({"pid": stranger.pid, "argv": ["/usr/bin/java", "-jar"]}))
    try:
        stop_from_pidfiles(tmp_path)
        time.sleep(0.1)
        assert gone(svc.pid)
        assert stranger.poll() is None
        assert not list(tmp_path.glob("*.pid"))
    finally:
        stranger.kill()
        stranger.wait()
        svc.stop()


def test_cli_up_prints_endpoints_and_stops_everything_on_sigterm(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(LOCALSTACK))
    cli = subprocess.Popen(
        [sys.executable, "-m", "lstack.services", "up", "--run-dir", str(tmp_path), "--dynamodb-in-memory",
         "--clickhouse-port", "0", "--clickhouse-tcp-port", "0", "--dynamodb-port", "0", "--moto-port", "0"],
        cwd=LOCALSTACK, env=env, stdout=subprocess.PIPE, text=True)
    try:
        endpoints = json.loads(cli.stdout.readline())
        assert set(endpoints) >= {"clickhouse_url", "dynamodb_url", "moto_url"}
        with urllib.request.urlopen(endpoints["clickhouse_url"] + "/ping", timeout=5) as r:
            assert r.read() == b"Ok.\n"
        pids = [json.loads(p.read_text())["pid"] for p in tmp_path.glob("*.pid")]
        assert len(pids) == 3
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(30) == 0
        assert all(gone(pid) for pid in pids)
        assert not list(tmp_path.glob("*.pid"))
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        stop_from_pidfiles(tmp_path)
