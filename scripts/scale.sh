#!/usr/bin/env bash
# The scale benchmark of issue 11: one node with N keys (default 1,000,000), imported as legacy
# keys (so also N items), on SQLite and on PostgreSQL. For each backend:
#
#   import     `keyportal legacy import` of the N keys: wall time and peak RSS (/usr/bin/time -v)
#   start      `serve` until it answers (healthcheck), and its RSS once idle
#   queries    search title:"k777", search owner:admin, content/users/admin, and deep paging
#              (start=100000, or N/2 when N is smaller), each num=10: p50 / p99 over
#              SCALE_REPEAT runs after one warm-up (3 runs when the warm-up took over 2 s)
#   RSS after  the server's RSS after the queries
#
# then /verify against nginx with a static map of the same number of keys: scripts/bench.sh
# with BENCH_KEYS=N (one round, no profile; it imports its own keys on SQLite; /verify answers
# from the in-memory key table on either backend). Prints a table.
#
#   scripts/scale.sh              N = 1,000,000, both backends, with the nginx ratio (long)
#   SCALE_KEYS=20000 scripts/scale.sh --quick
#                                 small N, no nginx ratio, 5 runs a query: about a minute; part
#                                 of scripts/test.sh so the path cannot rot
#
# Knobs: SCALE_KEYS, SCALE_REPEAT (20; 5 with --quick), SCALE_BACKENDS ("sqlite postgres"),
# SCALE_NGINX (1; 0 with --quick), SCALE_POSTGRES_URL (postgres://postgres@127.0.0.1:5432: a
# database scale_<pid> is created there and dropped at the end), SCALE_KEEP_TMP, KEYPORTAL_BIN
# (default: cargo build --release). Exits non-zero when a step fails or a query answers an
# error; a missed target is reported, not a failure (measurements, not tests).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=scale
# shellcheck source=tests/nginx/lib.sh
. "$ROOT/tests/nginx/lib.sh"

QUICK=false
[ "${1:-}" = --quick ] && QUICK=true
if [ "$QUICK" = true ]; then
  NKEYS=${SCALE_KEYS:-20000}
  REPEAT=${SCALE_REPEAT:-5}
  NGINX_RATIO=${SCALE_NGINX:-0}
else
  NKEYS=${SCALE_KEYS:-1000000}
  REPEAT=${SCALE_REPEAT:-20}
  NGINX_RATIO=${SCALE_NGINX:-1}
fi
BACKENDS=${SCALE_BACKENDS:-sqlite postgres}
PG_URL=${SCALE_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
DEEP_START=$((NKEYS / 2 < 100000 ? NKEYS / 2 : 100000))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyportal-scale.XXXXXX")
PG_DATABASES=()
cleanup() {
  local rc=$?
  lib_stop_all
  local db
  for db in "${PG_DATABASES[@]}"; do
    psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 \
      || note "could not drop the PostgreSQL database $db"
  done
  if [ -n "${SCALE_KEEP_TMP:-}" ]; then note "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v "$PYTHON" >/dev/null || die "$PYTHON is required"
command -v curl >/dev/null || die "curl is required"
[ -x /usr/bin/time ] || ensure_pkg time test -x /usr/bin/time

if [ -z "${KEYPORTAL_BIN:-}" ]; then
  note "cargo build --release -p keyportal"
  (cd "$ROOT" && cargo build --release -p keyportal)
  KEYPORTAL_BIN="$ROOT/target/release/keyportal"
fi
case $KEYPORTAL_BIN in */*) KEYPORTAL_BIN=$(cd "$(dirname "$KEYPORTAL_BIN")" && pwd)/$(basename "$KEYPORTAL_BIN") ;; esac
[ -x "$KEYPORTAL_BIN" ] || die "KEYPORTAL_BIN is not an executable: $KEYPORTAL_BIN"
while read -r v; do
  [ "$v" = KEYPORTAL_BIN ] || unset "$v"
done < <(compgen -e | grep '^KEYPORTAL_' || true)
export KEYPORTAL_ADMIN_PASSWORD="Kp1-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export KEYPORTAL_LOG=warn

note "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
note "keyportal $("$KEYPORTAL_BIN" --version 2>/dev/null | awk '{print $2}') ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')), $KEYPORTAL_BIN"

# ---------------------------------------------------------------------------- the keys
note "generating $NKEYS legacy keys (titles k0, k1, …)"
"$PYTHON" - "$WORK/legacy.json" "$NKEYS" <<'PY'
import json, secrets, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('{"keys": [\n')
    for i in range(n):
        # 72 random bytes in URL-safe base64: 96 letters, digits, '-' and '_'.
        entry = {"key": "AAPK" + secrets.token_urlsafe(72), "owner": "admin",
                 "title": f"k{i}", "privileges": ["premium:user:geocode:temporary"]}
        f.write(("" if i == 0 else ",\n") + json.dumps(entry))
    f.write("\n]}\n")
PY
note "import file: $(du -h "$WORK/legacy.json" | cut -f1)"

# ---------------------------------------------------------------------------- helpers
ROWS=()   # "backend|what|value"
row() { ROWS+=("$1|$2|$3"); printf '  %-10s %-52s %s\n' "$1" "$2" "$3"; }

# timed LOG CMD...: runs CMD under /usr/bin/time -v; sets WALL (s) and PEAK_KB.
timed() {
  local log=$1
  shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; die "failed: $*"; }
  WALL=$("$PYTHON" - "$WORK/time.txt" <<'PY'
import re, sys
t = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", open(sys.argv[1]).read()).group(1)
s = 0.0
for part in t.split(":"):
    s = s * 60 + float(part)
print(f"{s:.1f}")
PY
)
  PEAK_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
}

rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# start_server LOG STORAGE...: sets KP_PID, KP_URL, START_S (until the healthcheck answers).
start_server() {
  local log=$1
  shift
  KP_PORT=$(free_port)
  KP_URL="http://127.0.0.1:$KP_PORT"
  local t0
  t0=$(date +%s.%N)
  "$KEYPORTAL_BIN" serve "$@" --listen "127.0.0.1:$KP_PORT" >>"$log" 2>&1 &
  KP_PID=$!
  track "$KP_PID"
  START_TIMEOUT=600 wait_for keyportal "$KP_PID" "$log" "$KEYPORTAL_BIN" healthcheck --url "$KP_URL" \
    || die "keyportal did not start"
  START_S=$("$PYTHON" -c "import sys,time; print(f'{time.time() - float(sys.argv[1]):.2f}')" "$t0")
}

# query BACKEND LABEL MIN_TOTAL PATH PARAM...: one warm-up, then REPEAT timed runs (3 when the
# warm-up took over 2 s); adds "p50 / p99" in ms. Dies on an error answer or a short total.
query() {
  local backend=$1 label=$2 min_total=$3 path=$4
  shift 4
  local args=(-sS -G --max-time 600 -H "Referer: $REST_REFERER" -o "$WORK/answer.json"
    -w '%{time_total}\n' "$KP_URL/sharing/rest/$path" --data-urlencode f=json
    --data-urlencode "token=$ADMIN_TOKEN")
  local p
  for p in "$@"; do args+=(--data-urlencode "$p"); done
  local first runs=$REPEAT
  first=$(curl "${args[@]}") || die "$label: request failed"
  "$PYTHON" - "$WORK/answer.json" "$min_total" "$label" <<'PY' || die "$label: bad answer"
import json, sys
answer = json.load(open(sys.argv[1]))
if "error" in answer:
    sys.exit(f"{sys.argv[3]}: {answer['error']}")
total, results = answer.get("total", 0), answer.get("results", answer.get("items", []))
if total < int(sys.argv[2]) or not results:
    sys.exit(f"{sys.argv[3]}: total {total}, {len(results)} results (expected at least {sys.argv[2]})")
PY
  if "$PYTHON" -c "import sys; sys.exit(0 if float(sys.argv[1]) > 2 else 1)" "$first"; then
    runs=3
  fi
  : >"$WORK/times.txt"
  for _ in $(seq 1 "$runs"); do
    curl "${args[@]}" >>"$WORK/times.txt" || die "$label: request failed"
  done
  row "$backend" "$label (ms, p50 / p99 of $runs)" "$("$PYTHON" - "$WORK/times.txt" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]).read().split())
pick = lambda q: t[min(len(t) - 1, int(round(q * (len(t) - 1))))]
print(f"{pick(0.5):.1f} / {pick(0.99):.1f}")
PY
)"
}

# ---------------------------------------------------------------------------- per backend
measure_backend() {
  local backend=$1 dir="$WORK/$1" storage
  mkdir -p "$dir"
  storage=(--data-dir "$dir")
  if [ "$backend" = postgres ]; then
    local db="scale_$$"
    psql -q "$PG_URL/postgres" -c "CREATE DATABASE $db" >/dev/null \
      || die "cannot create the PostgreSQL database $db at $PG_URL"
    PG_DATABASES+=("$db")
    storage+=(--database "$PG_URL/$db")
  fi
  printf '\n== %s, %s keys\n' "$backend" "$NKEYS"
  timed "$dir/import.log" "$KEYPORTAL_BIN" legacy import "$WORK/legacy.json" "${storage[@]}"
  grep -q "Imported $NKEYS legacy key" "$dir/import.log" \
    || { tail -n 20 "$dir/import.log" >&2; die "the import did not report $NKEYS keys"; }
  row "$backend" "legacy import of $NKEYS keys (s)" "$WALL"
  row "$backend" "legacy import peak RSS (MB)" "$((PEAK_KB / 1024))"

  start_server "$dir/server.log" "${storage[@]}"
  row "$backend" "serve: start until it answers (s)" "$START_S"
  sleep 2
  row "$backend" "serve: RSS after start, idle (MB)" "$(rss_mb "$KP_PID")"
  admin_sign_in
  query "$backend" 'search title:"k777"' 1 search 'q=title:"k777"' num=10
  query "$backend" "search owner:admin" "$NKEYS" search q=owner:admin num=10
  query "$backend" "content/users/admin" "$NKEYS" content/users/admin num=10
  query "$backend" "search owner:admin start=$DEEP_START" "$NKEYS" search q=owner:admin num=10 "start=$DEEP_START"
  row "$backend" "serve: RSS after the queries (MB)" "$(rss_mb "$KP_PID")"
  stop_pid "$KP_PID"
}

for backend in $BACKENDS; do
  case $backend in
    sqlite | postgres) measure_backend "$backend" ;;
    *) die "unknown backend '$backend' (sqlite, postgres)" ;;
  esac
done

RATIO="not measured (SCALE_NGINX=0)"
if [ "$NGINX_RATIO" = 1 ]; then
  printf '\n== /verify against nginx: scripts/bench.sh with BENCH_KEYS=%s\n' "$NKEYS"
  BENCH_KEYS=$NKEYS BENCH_ROUNDS=${BENCH_ROUNDS:-1} BENCH_PROFILE=0 KEYPORTAL_BIN=$KEYPORTAL_BIN \
    bash "$ROOT/scripts/bench.sh" | tee "$WORK/bench.txt" || die "scripts/bench.sh failed"
  RATIO=$(grep -m1 '(b)/(a) req/s' "$WORK/bench.txt" || echo "no ratio in bench.sh's output")
fi

printf '\n== summary: %s keys (%s)\n' "$NKEYS" "$(date -u '+%Y-%m-%d %H:%M UTC')"
printf '| %-52s |' measurement
for backend in $BACKENDS; do printf ' %-16s |' "$backend"; done
printf '\n|%s|' "$(printf -- '-%.0s' {1..54})"
for _ in $BACKENDS; do printf '%s|' "------------------"; done
printf '\n'
printf '%s\n' "${ROWS[@]}" | "$PYTHON" -c '
import sys
backends = sys.argv[1].split()
rows, order = {}, []
for line in sys.stdin.read().splitlines():
    backend, what, value = line.split("|")
    if what not in rows:
        order.append(what)
        rows[what] = {}
    rows[what][backend] = value
for what in order:
    print("| %-52s |" % what + "".join(" %-16s |" % rows[what].get(b, "") for b in backends))
' "$BACKENDS"
printf '/verify vs nginx: %s\n' "$RATIO"
