#!/usr/bin/env bash
# LocalStack runs this when it is ready: the same bootstrap as the no-Docker stack. UNTESTED (no Docker here).
set -euo pipefail
cd /opt/analytics/localstack
PY=/opt/code/localstack/.venv/bin/python  # LocalStack's own Python has boto3 and PyYAML
"$PY" -m lstack.bootstrap --template /opt/analytics/template.yaml \
  --dynamodb-url http://localhost:4566 --kinesis-url http://localhost:4566 --sqs-url http://localhost:4566 \
  --clickhouse-url "${CLICKHOUSE_URL:-http://clickhouse:8123}"
