#!/usr/bin/env bash
# Cold starts (process start to first answer, against a local Lambda Runtime API) and stripped binary
# sizes of the four functions, as a Markdown table. See bench/cold_start.py.
#
#   bench/cold_start.sh [RUNS]     (default 20)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
localstack/install.sh >&2
echo "bench: building the functions (release)" >&2
cargo build --release --quiet -p auth -p collector -p writer -p analytics
PYTHONPATH=localstack exec .local/venv/bin/python -m lstack.with_services -- .local/venv/bin/python bench/cold_start.py "$@"
