#!/usr/bin/env bash
# keyportal web portal tests in headless Chromium.
#
#   KEYPORTAL_BIN=target/debug/keyportal tests/web/run.sh [test/wizard.test.js ...]
#
# With file arguments only those test files run; without, every file in test/.
# Starts a fresh keyportal server (temporary data dir, SQLite, random admin password, a free
# loopback port), runs the Node test runner suite in test/ with playwright-core driving
# Debian's Chromium (/usr/bin/chromium, installed with apt-get when missing), stops the server
# and exits non-zero if anything failed. Screenshots land in docs/screenshots/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROMIUM=${WEB_CHROMIUM:-/usr/bin/chromium}
note() { printf '[web] %s\n' "$*"; }
die() { printf '[web] ERROR: %s\n' "$*" >&2; exit 2; }

[ -n "${KEYPORTAL_BIN:-}" ] || die "KEYPORTAL_BIN is not set (path to the keyportal binary)"
case $KEYPORTAL_BIN in */*) KEYPORTAL_BIN=$(cd "$(dirname "$KEYPORTAL_BIN")" && pwd)/$(basename "$KEYPORTAL_BIN") ;; esac
[ -x "$KEYPORTAL_BIN" ] || die "KEYPORTAL_BIN is not an executable: $KEYPORTAL_BIN"
# The server must get exactly our settings.
while read -r v; do
  [ "$v" = KEYPORTAL_BIN ] || unset "$v"
done < <(compgen -e | grep '^KEYPORTAL_' || true)

if [ ! -x "$CHROMIUM" ]; then
  note "installing Debian's chromium"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM"

if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  note "npm ci"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

TEST_FILES=("$@")
[ ${#TEST_FILES[@]} -gt 0 ] || TEST_FILES=(test/)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/keyportal-web.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
PASSWORD="web-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
URL="http://127.0.0.1:$PORT"
note "starting keyportal on $URL"
KEYPORTAL_ADMIN_PASSWORD="$PASSWORD" "$KEYPORTAL_BIN" serve \
  --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$URL/sharing/rest?f=json" 2>/dev/null; then
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "the server exited"; }
  sleep 0.2
done

mkdir -p "$ROOT/docs/screenshots"
status=0
(
  cd "$HERE"
  KP_URL="$URL" KP_ADMIN_PASSWORD="$PASSWORD" KP_CHROMIUM="$CHROMIUM" \
    KP_SCREENSHOTS="$ROOT/docs/screenshots" \
    node --test --test-concurrency=1 "${TEST_FILES[@]}"
) || status=$?
if [ "$status" -ne 0 ]; then
  note "FAILED; server log:"
  tail -n 50 "$TMP/server.log" >&2 || true
else
  note "passed"
fi
exit "$status"
