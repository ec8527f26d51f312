#!/usr/bin/env bash
# keyportal compatibility suite driven by the official ArcGIS clients.
#
#   KEYPORTAL_BIN=target/release/keyportal tests/compat/run.sh
#
# For every backend in COMPAT_BACKENDS (default "sqlite postgres") it starts two fresh
# keyportal servers (plain HTTP and --tls-self-signed HTTPS) on free loopback ports with a
# random admin password, runs the ArcGIS REST JS suite (js/) against the HTTP one and the
# ArcGIS API for Python suite (python/) against the HTTPS one, stops them, and exits
# non-zero if anything failed. It installs its own client dependencies when missing
# (npm ci in js/, a venv in python/.venv). See tests/compat/README.md for every knob.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JS_DIR="$HERE/js"
PY_DIR="$HERE/python"
VENV="$PY_DIR/.venv"

BACKENDS=${COMPAT_BACKENDS:-sqlite postgres}
SUITES=${COMPAT_SUITES:-js python}
START_TIMEOUT=${COMPAT_START_TIMEOUT:-60}
SUITE_TIMEOUT=${COMPAT_SUITE_TIMEOUT:-900}
PG_HOST=${COMPAT_PG_HOST:-127.0.0.1}
PG_PORT=${COMPAT_PG_PORT:-5432}
PG_USER=${COMPAT_PG_USER:-postgres}
PG_MAINT_DB=${COMPAT_PG_MAINT_DB:-postgres}
PYTHON=${COMPAT_PYTHON:-python3}

heading() { printf '\n==================== %s ====================\n' "$*"; }
note() { printf '[compat] %s\n' "$*"; }
die() { printf '[compat] ERROR: %s\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------------------- inputs
[ -n "${KEYPORTAL_BIN:-}" ] || die "KEYPORTAL_BIN is not set (path to the keyportal binary, e.g. target/release/keyportal)"
case $KEYPORTAL_BIN in */*) KEYPORTAL_BIN=$(cd "$(dirname "$KEYPORTAL_BIN")" && pwd)/$(basename "$KEYPORTAL_BIN") ;; esac
if [ ! -x "$KEYPORTAL_BIN" ]; then
  KEYPORTAL_BIN=$(command -v "$KEYPORTAL_BIN" 2>/dev/null) || die "KEYPORTAL_BIN is not an executable"
fi
# keyportal reads KEYPORTAL_DATA_DIR, KEYPORTAL_DATABASE, KEYPORTAL_LISTEN, KEYPORTAL_CONFIG,
# KEYPORTAL_TLS_* … from the environment: clear them so the servers get exactly our flags
while read -r v; do
  [ "$v" = KEYPORTAL_BIN ] || unset "$v"
done < <(compgen -e | grep '^KEYPORTAL_' || true)
export KEYPORTAL_BIN
for b in $BACKENDS; do
  case $b in sqlite | postgres) ;; *) die "unknown backend '$b' in COMPAT_BACKENDS (sqlite, postgres)" ;; esac
done
for s in $SUITES; do
  case $s in js | python) ;; *) die "unknown suite '$s' in COMPAT_SUITES (js, python)" ;; esac
done

# ---------------------------------------------------------------------------- state + cleanup
TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/keyportal-compat.XXXXXX")
SERVER_PIDS=()
PG_DBS=()
RESULTS=()
FAILED=0

stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
}

drop_databases() {
  local db
  for db in "${PG_DBS[@]}"; do
    psql_maint -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 \
      || psql_maint -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 \
      || note "warning: could not drop database $db"
  done
  PG_DBS=()
}

cleanup() {
  local rc=$?
  stop_servers
  drop_databases
  if [ -n "${COMPAT_KEEP_TMP:-}" ] || { [ "$FAILED" -ne 0 ] && [ -n "${COMPAT_KEEP_TMP_ON_FAILURE:-}" ]; }; then
    note "kept server data and logs in $TMP_ROOT"
  else
    rm -rf "$TMP_ROOT"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

psql_maint() {
  PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_MAINT_DB" "$@"
}

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

probe() { # probe URL: does /sharing/rest answer 2xx (any certificate)?
  NODE_TLS_REJECT_UNAUTHORIZED=0 node -e '
    fetch(process.argv[1] + "/sharing/rest?f=json", { signal: AbortSignal.timeout(2000) })
      .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1" 2>/dev/null
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---------------------------------------------------------------------------- client installs
install_js() {
  command -v node >/dev/null || die "node is required for the REST JS suite"
  command -v npm >/dev/null || die "npm is required for the REST JS suite"
  local stamp="$JS_DIR/node_modules/.compat-lock"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$JS_DIR/package-lock.json"; then
    return
  fi
  heading "installing REST JS clients (npm ci)"
  (cd "$JS_DIR" && npm ci --no-audit --no-fund)
  cp "$JS_DIR/package-lock.json" "$stamp"
}

install_python() {
  local want have
  want=$(cat "$PY_DIR/requirements.txt" "$PY_DIR/constraints.txt" | cksum)
  have=$(cat "$VENV/.compat-requirements" 2>/dev/null || true)
  if [ -x "$VENV/bin/python" ] && [ "$want" = "$have" ]; then
    return
  fi
  command -v "$PYTHON" >/dev/null || die "$PYTHON is required for the ArcGIS API for Python suite"
  heading "installing ArcGIS API for Python (venv + pip, about a minute)"
  local t0=$SECONDS
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
    -r "$PY_DIR/requirements.txt" -c "$PY_DIR/constraints.txt"
  "$VENV/bin/python" -c 'from arcgis.gis import GIS; import arcgis; print("arcgis", arcgis.__version__)'
  echo "$want" >"$VENV/.compat-requirements"
  note "python install took $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------- servers
# start_server NAME SCHEME DATA_DIR [DATABASE_URL]; sets SERVER_URL and SERVER_LOG
start_server() {
  local name=$1 scheme=$2 data_dir=$3 database=${4:-}
  local port log pid
  port=$(free_port)
  log="$TMP_ROOT/$name.log"
  local args=(serve --data-dir "$data_dir" --listen "127.0.0.1:$port")
  [ "$scheme" = https ] && args+=(--tls-self-signed)
  [ -n "$database" ] && args+=(--database "$database")
  mkdir -p "$data_dir"
  KEYPORTAL_ADMIN_PASSWORD=$ADMIN_PASSWORD "$KEYPORTAL_BIN" "${args[@]}" >"$log" 2>&1 &
  pid=$!
  SERVER_PIDS+=("$pid")
  SERVER_URL="$scheme://127.0.0.1:$port"
  SERVER_LOG=$log
  note "$name: pid $pid, $SERVER_URL, log $log"
  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      note "$name exited during start-up; last lines of its log:"
      tail -n 40 "$log" | sed 's/^/    /'
      return 1
    fi
    # the CLI healthcheck first; a plain fetch that accepts the self-signed
    # certificate as a fallback in case the healthcheck refuses it
    if "$KEYPORTAL_BIN" healthcheck --url "$SERVER_URL" >/dev/null 2>&1 || probe "$SERVER_URL"; then
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      note "$name did not answer within ${START_TIMEOUT}s; last lines of its log:"
      tail -n 40 "$log" | sed 's/^/    /'
      return 1
    fi
    sleep 0.3
  done
}

record() { # record BACKEND SUITE STATUS
  RESULTS+=("$(printf '%-9s %-24s %s' "$1" "$2" "$3")")
  [ "$3" = FAIL ] && FAILED=$((FAILED + 1))
  return 0
}

run_js() { # run_js BACKEND URL DATA_DIR DATABASE
  heading "$1: ArcGIS REST JS 4.10.2 against $2"
  # KEYPORTAL_DATA_DIR/DATABASE only serve the tests' `keyportal user add` fallback
  local env=(KEYPORTAL_URL="$2" KEYPORTAL_ADMIN_PASSWORD="$ADMIN_PASSWORD" KEYPORTAL_DATA_DIR="$3")
  [ -n "$4" ] && env+=(KEYPORTAL_DATABASE="$4")
  if (cd "$JS_DIR" && env "${env[@]}" \
    timeout "$SUITE_TIMEOUT" node --test --test-concurrency=1 --test-timeout=120000 \
      --test-reporter=spec test/*.test.js); then
    record "$1" "REST JS (http)" PASS
  else
    record "$1" "REST JS (http)" FAIL
  fi
}

run_python() { # run_python BACKEND URL
  heading "$1: ArcGIS API for Python 2.4.4 against $2"
  if (cd "$PY_DIR" && KEYPORTAL_HTTPS_URL=$2 KEYPORTAL_ADMIN_PASSWORD=$ADMIN_PASSWORD \
    timeout "$SUITE_TIMEOUT" "$VENV/bin/python" -m pytest -p no:cacheprovider); then
    record "$1" "Python arcgis (https)" PASS
  else
    record "$1" "Python arcgis (https)" FAIL
  fi
}

postgres_available() {
  if ! command -v psql >/dev/null; then
    PG_WHY="psql is not installed"
    return 1
  fi
  if ! PG_WHY=$(psql_maint -Atc 'SELECT 1' 2>&1); then
    PG_WHY="cannot connect to postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_MAINT_DB: $(echo "$PG_WHY" | head -n 1)"
    return 1
  fi
}

run_backend() {
  local backend=$1
  heading "backend: $backend"
  ADMIN_PASSWORD="Kp1-$(random_hex 12)"
  local http_db="" https_db="" base="$TMP_ROOT/$backend"
  if [ "$backend" = postgres ]; then
    local suffix db
    suffix=$(random_hex 6)
    for db in "compat_${suffix}_http" "compat_${suffix}_https"; do
      psql_maint -c "CREATE DATABASE \"$db\"" >/dev/null
      PG_DBS+=("$db")
    done
    local auth=$PG_USER
    [ -n "${COMPAT_PG_PASSWORD:-}" ] && auth="$PG_USER:$COMPAT_PG_PASSWORD"
    http_db="postgres://$auth@$PG_HOST:$PG_PORT/compat_${suffix}_http"
    https_db="postgres://$auth@$PG_HOST:$PG_PORT/compat_${suffix}_https"
    note "databases compat_${suffix}_http and compat_${suffix}_https (dropped afterwards)"
  fi

  local want_js=0 want_py=0 s
  for s in $SUITES; do
    [ "$s" = js ] && want_js=1
    [ "$s" = python ] && want_py=1
  done

  if [ $want_js = 1 ]; then
    if start_server "$backend-http" http "$base/http" "$http_db"; then
      run_js "$backend" "$SERVER_URL" "$base/http" "$http_db"
    else
      record "$backend" "REST JS (http)" FAIL
    fi
  fi
  if [ $want_py = 1 ]; then
    if start_server "$backend-https" https "$base/https" "$https_db"; then
      run_python "$backend" "$SERVER_URL"
    else
      record "$backend" "Python arcgis (https)" FAIL
    fi
  fi
  stop_servers
  drop_databases
}

# ---------------------------------------------------------------------------- main
heading "keyportal compat: $KEYPORTAL_BIN"
note "backends: $BACKENDS; suites: $SUITES"
command -v node >/dev/null || die "node is required (also used to pick free ports)"
for s in $SUITES; do
  case $s in
    js) install_js ;;
    python) install_python ;;
  esac
done

for backend in $BACKENDS; do
  if [ "$backend" = postgres ] && ! postgres_available; then
    if [ -n "${CI:-}" ]; then
      heading "FAILED postgres compat"
      note "postgres is required when CI is set: $PG_WHY"
      record postgres "(all suites)" FAIL
      continue
    fi
    heading "SKIPPED postgres compat"
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
    printf '!!! SKIPPED postgres compat: %s\n' "$PG_WHY"
    printf '!!! (set CI=1 to make this an error; COMPAT_PG_* select the server)\n'
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
    record postgres "(all suites)" SKIPPED
    continue
  fi
  run_backend "$backend"
done

heading "summary"
for line in "${RESULTS[@]}"; do echo "  $line"; done
passed=0 failed=0 skipped=0
for line in "${RESULTS[@]}"; do
  case $line in *PASS) passed=$((passed + 1)) ;; *FAIL) failed=$((failed + 1)) ;; *SKIPPED) skipped=$((skipped + 1)) ;; esac
done
echo "compat: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
