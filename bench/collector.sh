#!/usr/bin/env bash
# The collector benchmark, one command: its handler in-process on one thread (API Gateway v2 event in,
# validation, enrichment, records encoded as for Kinesis, response out) for single events and batches
# of 10, 50 and 500 tracker-like events; prints a Markdown table of events/s and µs per event, next to
# the numbers recorded before the one-pass parsing, and the process's peak RSS. No services needed.
#
#   bench/collector.sh                  SECONDS_PER_SIZE=5 bench/collector.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "bench: building (release)" >&2
cargo build --release --quiet -p collector --example collector_bench
# The table goes to stderr, shown here; stdout takes the handler's metric lines (one per request, as in
# Lambda, where they go to CloudWatch), written to /dev/null so that their cost is in the figures.
exec target/release/examples/collector_bench --seconds "${SECONDS_PER_SIZE:-3}" 2>&1 >/dev/null
