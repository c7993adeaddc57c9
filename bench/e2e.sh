#!/usr/bin/env bash
# The end-to-end load benchmark: the whole local stack with release builds of the functions under a
# steady load of tracker-like requests; prints events/s accepted and stored, POST-to-visible times
# (median, p95) and the peak RSS of collector and writer. See bench/e2e.py.
#
#   bench/e2e.sh [SECONDS] [CONCURRENCY] [EVENTS_PER_REQUEST]     (defaults 60, 8, 10)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
localstack/install.sh >&2
echo "bench: building the functions (release)" >&2
cargo build --release --quiet -p auth -p collector -p writer -p analytics
(cd frontend && [ -f dist/index.html ] || npm run build >&2)
exec .local/venv/bin/python bench/e2e.py "$@"
