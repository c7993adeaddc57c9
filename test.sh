#!/usr/bin/env bash
# Runs every check and test: formatting and lints, unit tests, integration tests against the real
# engines (ClickHouse via chDB, DynamoDB Local, moto), the template's validation, and the end-to-end
# tests over HTTP and in Chromium against the whole local stack. Services run on free ports, so this
# can run while ./run.sh is up. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export PYTHONPATH=localstack CARGO_TERM_COLOR=never
PY=.local/venv/bin/python
started=$SECONDS
step() { printf '\n=== %s (%ss)\n' "$*" "$((SECONDS - started))"; }

step "install (pinned, idempotent)"
localstack/install.sh --browser

step "rust: format and clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "rust: each function builds with only the features it ships"
for function in auth collector writer analytics; do
  cargo check --quiet --package "$function"
done

step "frontend: lint, unit tests, build"
(cd frontend && npm run --silent lint && npm test --silent && npm run --silent build)

step "template.yaml: SAM transform + cfn-lint"
$PY -m lstack.validate_template

step "rust: unit and integration tests against the real engines"
$PY -m lstack.with_services -- cargo test --workspace --all-features

step "local stack: services, template, poller, end to end (HTTP and Chromium)"
cargo build --workspace --bins --quiet
$PY -m pytest localstack/tests -q -p no:cacheprovider

step "release: arm64 Lambda builds (cargo lambda), sam validate --lint, sam build"
localstack/install.sh --release
# sam build runs `cargo lambda build --release --arm64 --bin NAME` in this directory for each function:
# the same commands as here, so it finds them built.
export SAM_CLI_TELEMETRY=0 PATH="$PWD/.local/venv/bin:$PATH"
for bin in auth collector migrate writer analytics analytics-stream; do
  cargo lambda build --release --arm64 --quiet --bin "$bin"
done
ls -l target/lambda/*/bootstrap
.local/sam/bin/sam validate --lint --region us-east-1
.local/sam/bin/sam build --beta-features --build-dir .aws-sam/build

step "all green"
