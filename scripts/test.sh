#!/usr/bin/env bash
# The test command: formatting, lints, every Rust test on SQLite and PostgreSQL, and the
# compatibility suites driven by the official ArcGIS clients. It installs what it needs
# (npm packages, a Python venv with arcgis==2.4.4, one with openapi-spec-validator) on a fresh
# machine by itself.
#
#   scripts/test.sh            everything
#   scripts/test.sh --quick    Rust and the OpenAPI validation (no official-client or browser
#                              suites)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
[[ "${1:-}" == "--quick" ]] && quick=true

step() { printf '\n==== %s ====\n' "$*"; }

# PostgreSQL is part of the test matrix. Start the local cluster if it is installed but down.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    step "starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    sleep 2
  fi
fi
if ! (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432); then
  if [[ -n "${CI:-}" ]]; then
    echo "FAIL: PostgreSQL is not reachable at 127.0.0.1:5432 and CI requires it." >&2
    exit 1
  fi
  echo "WARNING: PostgreSQL is not reachable at 127.0.0.1:5432: its tests will say SKIPPING loudly." >&2
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked

step "OpenAPI document validates (openapi-spec-validator, OpenAPI 3.1)"
# `cargo test` built the binary; the validator's venv is made under target/ on first use.
KEYPORTAL_BIN="$PWD/target/debug/keyportal" bash tests/openapi/run.sh

step "scale benchmark, small N (import, start, queries on SQLite and PostgreSQL)"
# The full run (1,000,000 keys) is too long for the test command; this keeps its path working.
KEYPORTAL_BIN="$PWD/target/debug/keyportal" SCALE_KEYS=20000 bash scripts/scale.sh --quick

if [[ "$quick" == true ]]; then
  exit 0
fi

step "official-client compatibility suites"
# `cargo test` above already built the binary for the integration tests; building it again
# alone would resolve features differently and recompile dependencies for nothing.
if [[ ! -x target/debug/keyportal ]]; then
  cargo build --locked -p keyportal --bin keyportal
fi
KEYPORTAL_BIN="$PWD/target/debug/keyportal" bash tests/compat/run.sh

step "nginx auth_request in front of /verify (Debian's nginx)"
KEYPORTAL_BIN="$PWD/target/debug/keyportal" bash tests/nginx/run.sh

step "deployment files (systemd-analyze verify, nginx -t)"
KEYPORTAL_BIN="$PWD/target/debug/keyportal" bash tests/deploy/run.sh

step "web portal in headless Chromium"
KEYPORTAL_BIN="$PWD/target/debug/keyportal" bash tests/web/run.sh
