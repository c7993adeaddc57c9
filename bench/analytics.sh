#!/usr/bin/env bash
# The analytics benchmark, one command: loads EVENTS generated events (default 10 M) once into a
# ClickHouse (chDB) whose data is kept in .local/bench (later runs reuse it), then prints Markdown
# tables: every route timed in-process next to its own SQL run straight on ClickHouse, and the
# export of every row (rows/s, peak RSS).
#
#   bench/analytics.sh                  EVENTS=1000000 bench/analytics.sh        RUNS=21 bench/analytics.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export EVENTS="${EVENTS:-10000000}" RUNS="${RUNS:-11}"

localstack/install.sh >/dev/null
echo "bench: building (release)" >&2
cargo build --release --quiet -p sample-data --bin sample-data -p analytics --example bench
mkdir -p .local/bench
exec env PYTHONPATH=localstack .local/venv/bin/python -m lstack.with_services \
  --clickhouse-data .local/bench/clickhouse -- bash -c '
set -euo pipefail
database="bench_${EVENTS}"
# Loaded again when the schema (the migration files) changes.
schema=$(cat shared/migrations/clickhouse/*.sql | sha256sum | cut -c1-12)
loaded=".local/bench/${database}.${schema}.loaded"
if [ ! -f "$loaded" ]; then
  echo "bench: loading $EVENTS events into $database (once; kept in .local/bench)" >&2
  curl -sf "$CLICKHOUSE_URL" --data-binary "DROP DATABASE IF EXISTS $database" >/dev/null
  start=$SECONDS
  # A fixed end, so that the same data is generated on every machine.
  target/release/sample-data --events "$EVENTS" --days 180 --seed 1 \
    --end 2026-11-28T00:00:00Z --database "$database"
  echo "bench: loaded in $((SECONDS - start)) s" >&2
  touch "$loaded"
fi
target/release/examples/bench --url "$CLICKHOUSE_URL" --database "$database" --runs "$RUNS"
echo
echo "| export | rows | time | rows/s | bytes | peak RSS of the process |"
echo "|---|---:|---:|---:|---:|---:|"
target/release/examples/bench --url "$CLICKHOUSE_URL" --database "$database" --export
'
