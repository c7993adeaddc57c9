#!/usr/bin/env bash
# Runs the whole product on this machine: http://localhost:3000 (PORT=... to change it).
# ClickHouse (chDB), DynamoDB Local, moto (Kinesis, SQS), the four Lambda functions (cargo lambda watch),
# the stream poller that feeds the writer, and the frontend. Ctrl-C stops everything it started.
# Data is kept in .local/data and survives a restart.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

localstack/install.sh
echo "run: building the functions (a few minutes the first time)"
cargo build --workspace --bins
echo "run: building the frontend"
(cd frontend && npm run --silent build)
PYTHONPATH=localstack exec .local/venv/bin/python -m lstack.stack "$@"
