#!/usr/bin/env bash
# Cold starts (process start to first answer, against a local Lambda Runtime API) and stripped binary
# sizes of the four functions, as a Markdown table. See bench/cold_start.py.
#
#   bench/cold_start.sh [RUNS]     (default 20)
#   ARM64=1 bench/cold_start.sh    also builds the arm64 binaries the template deploys (as ./test.sh does),
#                                  for their sizes; without it, those of the last such build are shown
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
localstack/install.sh >&2
echo "bench: building the functions (release)" >&2
cargo build --release --quiet -p auth -p collector -p writer -p analytics
if [ "${ARM64:-0}" = 1 ]; then
  localstack/install.sh --release >&2
  for bin in auth collector writer analytics; do
    PATH="$PWD/.local/venv/bin:$PATH" cargo lambda build --release --arm64 --quiet --bin "$bin"
  done
fi
PYTHONPATH=localstack exec .local/venv/bin/python -m lstack.with_services -- .local/venv/bin/python bench/cold_start.py "$@"
