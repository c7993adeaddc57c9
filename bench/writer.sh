#!/usr/bin/env bash
# The writer benchmark: rows/s of the writer (decode, duplicate check, visits, insert) for the largest
# Kinesis batch that fits Lambda's 6 MiB invoke payload, next to a plain `clickhouse` crate insert of
# the same rows, and the peak RSS of each; on a fresh ClickHouse (chDB) started for the run.
#
#   bench/writer.sh [RUNS] [EVENTS_PER_RECORD]     (defaults: 5 runs, 10 events a record)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONPATH=localstack
RUNS=${1:-5}
PER_RECORD=${2:-10}
PY=.local/venv/bin/python
cargo build --release --quiet -p writer --example writer_bench
BIN=target/release/examples/writer_bench
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
$BIN generate --out "$WORK/payload.json" --events-per-record "$PER_RECORD" > "$WORK/generated.json"
$PY -m lstack.with_services -- bash -c '
  for i in $(seq "$1"); do
    "$2" writer --payload "$3/payload.json"
    "$2" raw --payload "$3/payload.json"
  done' _ "$RUNS" "$BIN" "$WORK" > "$WORK/runs.txt"
$PY - "$WORK/generated.json" "$WORK/runs.txt" <<'PY'
import json, statistics, sys
gen = json.load(open(sys.argv[1]))
runs = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
def med(mode, key):
    return statistics.median(r[key] for r in runs if r["mode"] == mode)
events = gen["events"]
writer_s, parse_s, raw_s = med("writer", "insert_s"), med("writer", "parse_s"), med("raw", "insert_s")
print(f"batch: {gen['records']} records, {events} events, {gen['payload_bytes']:,} bytes of invoke payload "
      f"({events / gen['records']:.1f} events a record); median of {len(runs) // 2} runs each")
print(f"records: {gen['record_bytes'] / gen['records']:,.0f} bytes on average with the partition key, for "
      f"{gen['event_json_bytes'] / gen['records']:,.0f} bytes of event JSON ({gen['event_json_bytes'] / gen['record_bytes']:.1f}x smaller)\n")
print("| | rows/s | ms | peak RSS |")
print("|---|---:|---:|---:|")
print(f"| writer (`writer::process`: decode, duplicate check, visits, insert) | {events / writer_s:,.0f} | "
      f"{writer_s * 1000:.0f} | {med('writer', 'peak_rss_kb') / 1024:.1f} MB |")
print(f"| writer incl. the invoke payload's JSON parse (the Lambda runtime's) | {events / (writer_s + parse_s):,.0f} | "
      f"{(writer_s + parse_s) * 1000:.0f} | |")
print(f"| raw `clickhouse` insert of the same rows (decoded beforehand) | {events / raw_s:,.0f} | {raw_s * 1000:.0f} | "
      f"{med('raw', 'peak_rss_kb') / 1024:.1f} MB |")
decode_s = med("raw", "parse_s")
print(f"| of which not in the raw insert: decoding the records alone (envelope to events) | {events / decode_s:,.0f} | "
      f"{decode_s * 1000:.0f} | |")
print(f"\nwriter / raw: {raw_s / writer_s:.0%} (with the payload parse: {raw_s / (writer_s + parse_s):.0%})")
PY
