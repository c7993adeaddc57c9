"""Shared fixtures: the local stack's modules on the path, and engines on free ports."""
from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest

LOCALSTACK = Path(__file__).resolve().parents[1]
REPO = LOCALSTACK.parent
sys.path.insert(0, str(LOCALSTACK))

from lstack import services  # noqa: E402

AWS = dict(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("moto")
    svc = services.start_moto(services.free_port(), run_dir)
    yield f"http://127.0.0.1:{svc.port}"
    svc.stop()


@pytest.fixture(scope="module")
def kinesis(moto_url):
    return boto3.client("kinesis", endpoint_url=moto_url, **AWS)


@pytest.fixture(scope="module")
def sqs(moto_url):
    return boto3.client("sqs", endpoint_url=moto_url, **AWS)
