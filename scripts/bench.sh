#!/usr/bin/env bash
# The key-check benchmark of issue 5, in one run on a 2-core machine, all on 127.0.0.1:
#
#   (a) nginx answering from a static `map` of 100,000 keys ($http_x_api_key -> 200 / 401)
#   (b) keyportal's /verify?service=geocode with 100,000 keys in its table (imported legacy
#       keys) and a real referrer-restricted key (https://*.example.com) sent with a Referer
#   (c) a request proxied through keyportal (/sharing/servers/{itemId}/…, a proxied item the
#       key has item access to) vs the same request straight to the upstream (an nginx answering
#       a fixed JSON body), and (c2) the same upstream as the location service
#       /services/geocode/… with the key of (b); on a tree without the proxy route:
#       "proxy: not available yet" and skipped
#   usage tracking: keyportal has no switch to turn it off, so its cost is measured as the
#       share of instructions spent in UsageMeter::record under callgrind (when valgrind is
#       installed; BENCH_PROFILE=0 skips it)
#
# Each server is pinned to one core (taskset -c $BENCH_SERVER_CPU, default 0) and wrk to the
# other (taskset -c $BENCH_WRK_CPU, default 1). Every measurement is wrk -t1 -c32 -d10s --latency
# after a 2 s warm-up, plus a -c1 run for the latency of one request on an idle server.
# keyportal runs with KEYPORTAL_LOG=warn (at the default `info` it logs one line per request).
#
#   scripts/bench.sh
#
# Installs nginx and wrk from Debian when missing (root). Builds the release binary
# (cargo build --release -p keyportal) unless KEYPORTAL_BIN names one. Knobs:
# BENCH_DURATION (10s), BENCH_CONNECTIONS (32), BENCH_KEYS (100000), BENCH_IDLE_DURATION (5s),
# BENCH_ROUNDS (3: (a) and (b) are measured in turns this many times; the ratio is the median),
# BENCH_PROFILE (1), BENCH_KEEP_TMP (keep the temporary directory), BENCH_METRICS (0; 1: every
# keyportal also serves Prometheus metrics on --metrics-listen, scraped once after (b) to show
# the counters; to compare with a build without metrics, run both with the same knobs).
# Exits non-zero when a set-up or sanity check fails or wrk saw errors; missing a target is
# reported, not a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=bench
# shellcheck source=tests/nginx/lib.sh
. "$ROOT/tests/nginx/lib.sh"

DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
IDLE_DURATION=${BENCH_IDLE_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
NKEYS=${BENCH_KEYS:-100000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
WRK_CPU=${BENCH_WRK_CPU:-1}
PROFILE=${BENCH_PROFILE:-1}
METRICS=${BENCH_METRICS:-0}
SITE=https://maps.example.com/app/index.html

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyportal-bench.XXXXXX")
cleanup() {
  local rc=$?
  lib_stop_all
  if [ -n "${BENCH_KEEP_TMP:-}" ]; then note "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------- tools
ensure_nginx
ensure_pkg wrk command -v wrk
ensure_pkg util-linux command -v taskset
command -v "$PYTHON" >/dev/null || die "$PYTHON is required"
command -v curl >/dev/null || die "curl is required"
CPUS=$(nproc)
[ "$CPUS" -ge 2 ] || die "needs 2 cores to pin the server and wrk apart (nproc says $CPUS)"
SERVER=(taskset -c "$SERVER_CPU")
CLIENT=(taskset -c "$WRK_CPU")

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

note "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $CPUS cores"
note "$("$NGINX" -v 2>&1); $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2); keyportal $("$KEYPORTAL_BIN" --version 2>/dev/null | awk '{print $2}') ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
note "servers on CPU $SERVER_CPU, wrk on CPU $WRK_CPU; wrk -t1 -c$CONNECTIONS -d$DURATION --latency; idle: -c1 -d$IDLE_DURATION"

# ---------------------------------------------------------------------------- wrk
ROWS=()     # "label|rps|p50|p90|p99|max" (latencies in µs)
FAILURES=0

# wrk_lua FILE METHOD [HEADER VALUE]...: a wrk script that sets the method and headers
wrk_lua() {
  local file=$1 method=$2
  shift 2
  {
    echo "wrk.method = \"$method\""
    while [ $# -ge 2 ]; do
      printf 'wrk.headers["%s"] = "%s"\n' "$1" "$2"
      shift 2
    done
  } >"$file"
}

# busy_pct: how busy the CPUs were over the last second (everything: our idle servers too)
busy_pct() {
  local a b
  a=($(head -n1 /proc/stat))
  sleep 1
  b=($(head -n1 /proc/stat))
  local idle=$(((b[4] + b[5]) - (a[4] + a[5]))) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  [ "$total" -gt 0 ] || { echo 0; return; }
  echo $((100 * (total - idle) / total))
}

# wait_quiet: waits (at most BENCH_QUIET_WAIT s) until the machine is idle: another process
# compiling on either core would make the figures meaningless. Sets BUSY when it never was.
BUSY=""
wait_quiet() {
  local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-180})) pct quiet=0
  while :; do
    pct=$(busy_pct)
    if [ "$pct" -lt 10 ]; then
      quiet=$((quiet + 1))
      [ "$quiet" -ge 3 ] && return 0
      continue
    fi
    quiet=0
    if [ "$SECONDS" -ge "$deadline" ]; then
      note "WARNING: the machine is still ${pct}% busy; measuring anyway (marked *). Busiest:"
      ps -eo pid,pcpu,comm --sort=-pcpu | sed -n '2,5p' | sed 's/^/    /'
      BUSY="*"
      return 0
    fi
    note "machine ${pct}% busy (another process); waiting for quiet"
    sleep 4
  done
}

# others_ticks: CPU ticks used so far by every process that is not this script or one of its
# descendants (with the times of their reaped children, so short-lived compilers count too)
BENCH_PID=$$
others_ticks() {
  "$PYTHON" - "$BENCH_PID" <<'PY'
import os, sys
ours = int(sys.argv[1])
procs = {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        raw = open(f"/proc/{d}/stat").read()
    except OSError:
        continue
    f = raw[raw.rindex(")") + 2:].split()
    procs[int(d)] = (int(f[1]), sum(int(x) for x in f[11:15]))
def mine(pid):
    seen = 0
    while pid > 1 and seen < 64:
        if pid == ours:
            return True
        pid = procs.get(pid, (0, 0))[0]
        seen += 1
    return False
print(sum(t for pid, (ppid, t) in procs.items() if not mine(pid)))
PY
}

# measure LABEL URL LUA CONNECTIONS DURATION: one wrk run (after a warm-up); adds a row. A row
# is marked * when other processes used more than 3% of the machine while wrk ran.
measure() {
  local label=$1 url=$2 lua=$3 conns=$4 duration=$5 out
  BUSY=""
  wait_quiet
  out="$WORK/wrk-$(echo "$label" | tr -c 'a-zA-Z0-9' '_').txt"
  "${CLIENT[@]}" wrk -t1 -c"$conns" -d2s -s "$lua" "$url" >/dev/null 2>&1 || true
  local ticks0 t0 ticks1 t1 others
  ticks0=$(others_ticks)
  t0=$(date +%s.%N)
  "${CLIENT[@]}" wrk -t1 -c"$conns" -d"$duration" --latency -s "$lua" "$url" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed for $label"; }
  t1=$(date +%s.%N)
  ticks1=$(others_ticks)
  others=$("$PYTHON" -c 'import os,sys; d,t0,t1,n=map(float,sys.argv[1:]); print(round(100*d/os.sysconf("SC_CLK_TCK")/((t1-t0)*n)))' \
    "$((ticks1 - ticks0))" "$t0" "$t1" "$CPUS")
  if [ "$others" -gt 3 ]; then
    note "WARNING: other processes used ${others}% of the machine during '$label' (marked *)"
    BUSY="*"
  fi
  local row
  row=$("$PYTHON" - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def us(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    n, u = float(m.group(1)), m.group(2)
    return n * {"us": 1, "ms": 1e3, "s": 1e6}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M))
mx = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", text, re.M).group(1)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
problems = (int(bad.group(1)) if bad else 0) + (sum(map(int, errs.groups())) if errs else 0)
print("%.0f|%.0f|%.0f|%.0f|%.0f|%d" % (rps, us(pct["50"]), us(pct["90"]), us(pct["99"]), us(mx), problems))
PY
)
  local problems=${row##*|}
  row=${row%|*}
  label="$label$BUSY"
  ROWS+=("$label|$row")
  printf '  %-58s %9s req/s   p50 %6s µs   p99 %6s µs\n' "$label" "$(cut -d'|' -f1 <<<"$row")" \
    "$(cut -d'|' -f2 <<<"$row")" "$(cut -d'|' -f4 <<<"$row")"
  if [ "$problems" != 0 ]; then
    note "$label: wrk saw $problems non-2xx responses or socket errors (see below)"
    cat "$out"
    FAILURES=$((FAILURES + 1))
  fi
}

row_field() { # row_field LABEL_PREFIX N: field N (1 = req/s, 2 = p50, 3 = p90, 4 = p99, 5 = max)
  local r
  for r in "${ROWS[@]}"; do
    case $r in "$1"*) cut -d'|' -f$(($2 + 1)) <<<"$r"; return ;; esac
  done
}

# expect_status NAME EXPECTED curl-args...: a sanity request before measuring
expect_status() {
  local name=$1 want=$2 got
  shift 2
  got=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$@") || got=000
  [ "$got" = "$want" ] || die "sanity check '$name': expected HTTP $want, got $got"
}

# ---------------------------------------------------------------------------- the keys
note "generating $NKEYS random legacy keys (keyportal import file + nginx map)"
"$PYTHON" - "$WORK" "$NKEYS" <<'PY'
import json, secrets, string, sys
work, n = sys.argv[1], int(sys.argv[2])
alphabet = string.ascii_letters + string.digits + "-_"
keys = ["AAPK" + "".join(secrets.choice(alphabet) for _ in range(96)) for _ in range(n)]
with open(f"{work}/legacy.json", "w") as f:
    json.dump({"keys": [{"key": k, "owner": "admin", "title": f"bench {i}",
                         "privileges": ["premium:user:geocode:temporary"]}
                        for i, k in enumerate(keys)]}, f)
with open(f"{work}/keys.map", "w") as f:
    for k in keys:
        f.write(f"{k} 1;\n")
with open(f"{work}/measured-legacy-key", "w") as f:
    f.write(keys[n // 2])
PY
MAP_KEY=$(cat "$WORK/measured-legacy-key")

# ---------------------------------------------------------------------------- (a) nginx map
printf '\n== (a) nginx: static map of %s keys\n' "$NKEYS"
NA="$WORK/nginx-map"
mkdir -p "$NA/tmp"
NA_PORT=$(free_port)
{
  nginx_user_line
  cat <<EOF
worker_processes 1;
daemon off;
pid $NA/nginx.pid;
error_log $NA/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
$(nginx_temp_paths "$NA")
    map_hash_max_size 524288;
    map_hash_bucket_size 512;
    map \$http_x_api_key \$api_key_ok {
        default 0;
        include $WORK/keys.map;
    }
    server {
        listen 127.0.0.1:$NA_PORT;
        location = /verify {
            default_type text/plain;
            if (\$api_key_ok) { return 200 "ok\n"; }
            return 401 "no\n";
        }
    }
}
EOF
} >"$NA/nginx.conf"
start_nginx "$NA" "${SERVER[@]}"
wait_for nginx "$NGINX_PID" "$NA/error.log" curl -sS -o /dev/null --max-time 2 "http://127.0.0.1:$NA_PORT/"
expect_status "nginx map: a key from the map" 200 -H "X-Api-Key: $MAP_KEY" "http://127.0.0.1:$NA_PORT/verify"
expect_status "nginx map: an unknown key" 401 -H "X-Api-Key: AAPKnot-in-the-map" "http://127.0.0.1:$NA_PORT/verify"
wrk_lua "$WORK/a.lua" GET X-Api-Key "$MAP_KEY"
NA_PID=$NGINX_PID
note "nginx (a) stays up: it is measured in turns with keyportal (b) below"

# ---------------------------------------------------------------------------- (b) keyportal
printf '\n== (b) keyportal /verify: %s legacy keys + 1 referrer-restricted API key\n' "$NKEYS"
KD="$WORK/keyportal"
note "first start (creates the organization and admin)"
start_keyportal "$KD"
stop_pid "$KP_PID"
t0=$SECONDS
"$KEYPORTAL_BIN" legacy import "$WORK/legacy.json" --data-dir "$KD" >"$WORK/import.log" 2>&1 \
  || { tail -n 20 "$WORK/import.log" >&2; die "keyportal legacy import failed"; }
note "legacy import of $NKEYS keys: $((SECONDS - t0)) s"
t0=$SECONDS
if [ "$METRICS" = 1 ]; then
  METRICS_ADDR="127.0.0.1:$(free_port)"
  METRICS_URL="http://$METRICS_ADDR/metrics"
  KP_SERVE_ARGS=(--metrics-listen "$METRICS_ADDR")
fi
KEYPORTAL_LOG=warn start_keyportal "$KD" "${SERVER[@]}"
note "start with $NKEYS keys in the table: $((SECONDS - t0)) s (KEYPORTAL_LOG=warn)"
admin_sign_in
create_key "Bench geocoding key" '["premium:user:geocode:temporary"]' '["https://*.example.com"]'
VERIFY="$KP_URL/verify?service=geocode"
expect_status "verify: key + matching Referer" 200 -H "Authorization: Bearer $KEY" -H "Referer: $SITE" "$VERIFY"
expect_status "verify: key + other Referer" 401 -H "Authorization: Bearer $KEY" -H "Referer: https://evil.example.org/" "$VERIFY"
expect_status "verify: a legacy key from the import" 200 -H "Authorization: Bearer $MAP_KEY" "$VERIFY"
wrk_lua "$WORK/b.lua" GET Authorization "Bearer $KEY" Referer "$SITE"
# (a) and (b) in turns, ROUNDS times: this machine's speed drifts over minutes, so each
# round's ratio compares two runs a few seconds apart, and the summary takes the median.
printf '\n== (a) and (b) in turns, %s rounds\n' "$ROUNDS"
for round in $(seq 1 "$ROUNDS"); do
  measure "(a) nginx map, c$CONNECTIONS #$round" "http://127.0.0.1:$NA_PORT/verify" "$WORK/a.lua" "$CONNECTIONS" "$DURATION"
  measure "(b) keyportal verify, c$CONNECTIONS #$round" "$VERIFY" "$WORK/b.lua" "$CONNECTIONS" "$DURATION"
done
measure "(a) nginx map, c1 (idle latency)" "http://127.0.0.1:$NA_PORT/verify" "$WORK/a.lua" 1 "$IDLE_DURATION"
measure "(b) keyportal verify, c1 (idle latency)" "$VERIFY" "$WORK/b.lua" 1 "$IDLE_DURATION"
if [ "$METRICS" = 1 ]; then
  note "metrics after (b): $(curl -fsS --max-time 5 "$METRICS_URL" \
    | grep -E '^keyportal_(key_checks_total\{result="allowed"|http_requests_total\{route="/verify")' | tr '\n' ' ')"
fi
stop_pid "$NA_PID"
wrk_lua "$WORK/b2.lua" GET Authorization "Bearer $MAP_KEY"
measure "(b2) keyportal verify, a legacy key, c$CONNECTIONS" "$VERIFY" "$WORK/b2.lua" "$CONNECTIONS" "$DURATION"
BENCH_ITEM=$KEY_ITEM B_KEY=$KEY
usage=$(rest_get "content/users/admin/items/$BENCH_ITEM/usage" "token=$ADMIN_TOKEN")
note "usage report totals for the measured key: $(json_get totals <<<"$usage")"
# The same with the default log level (one line per request), to show what it costs.
stop_pid "$KP_PID"
start_keyportal "$KD" "${SERVER[@]}"
VERIFY="$KP_URL/verify?service=geocode"
measure "(b) keyportal verify, KEYPORTAL_LOG=info, c$CONNECTIONS" "$VERIFY" "$WORK/b.lua" "$CONNECTIONS" "$DURATION"
stop_pid "$KP_PID"
KEYPORTAL_LOG=warn start_keyportal "$KD" "${SERVER[@]}"
VERIFY="$KP_URL/verify?service=geocode"
admin_sign_in

# ---------------------------------------------------------------------------- (c) proxy
printf '\n== (c) proxied request vs straight to the upstream\n'
PROXY_STATUS="not available yet"
if [ ! -f "$ROOT/crates/keyportal-http/src/routes/proxy/mod.rs" ]; then
  echo "proxy: not available yet (crates/keyportal-http/src/routes/proxy/mod.rs does not exist); (c) skipped"
else
  NU="$WORK/nginx-upstream"
  mkdir -p "$NU/tmp"
  NU_PORT=$(free_port)
  {
    nginx_user_line
    cat <<EOF
worker_processes 1;
daemon off;
pid $NU/nginx.pid;
error_log $NU/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
$(nginx_temp_paths "$NU")
    server {
        listen 127.0.0.1:$NU_PORT;
        location / {
            default_type application/json;
            return 200 '{"candidates":[{"address":"380 New York St, Redlands, CA","score":100}]}\n';
        }
    }
}
EOF
  } >"$NU/nginx.conf"
  start_nginx "$NU" "${SERVER[@]}"
  wait_for nginx "$NGINX_PID" "$NU/error.log" curl -sS -o /dev/null --max-time 2 "http://127.0.0.1:$NU_PORT/"
  UPSTREAM_PID=$NGINX_PID
  # An item whose url is the upstream, enabled for proxying (POST …/items/{id}/proxy
  # enabled=true), and a key with access to it. If the probe does not answer 200 from the
  # upstream, (c) is skipped with the status seen.
  answer=$(rest content/users/admin/addItem title="Bench upstream" type="Geocoding Service" \
    "url=http://127.0.0.1:$NU_PORT/geocode" "token=$ADMIN_TOKEN")
  PROXY_ITEM=$(json_get id <<<"$answer")
  rest "content/users/admin/items/$PROXY_ITEM/proxy" enabled=true "token=$ADMIN_TOKEN" \
    >"$WORK/proxy-enable.json" || true
  create_key "Bench proxy key" "[\"premium:user:geocode:temporary\",\"portal:app:access:item:$PROXY_ITEM\"]" '[]'
  PROXY_URL="$KP_URL/sharing/servers/$PROXY_ITEM/findAddressCandidates?SingleLine=x&f=json"
  got=$(curl -sS -o "$WORK/proxy-probe" -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $KEY" "$PROXY_URL") || got=000
  if [ "$got" = 200 ] && grep -q candidates "$WORK/proxy-probe"; then
    PROXY_STATUS=measured
    wrk_lua "$WORK/c0.lua" GET
    measure "(c0) upstream nginx directly, c$CONNECTIONS" "http://127.0.0.1:$NU_PORT/geocode/findAddressCandidates?SingleLine=x&f=json" "$WORK/c0.lua" "$CONNECTIONS" "$DURATION"
    wrk_lua "$WORK/c.lua" GET Authorization "Bearer $KEY"
    measure "(c) through keyportal /sharing/servers, c$CONNECTIONS" "$PROXY_URL" "$WORK/c.lua" "$CONNECTIONS" "$DURATION"
    # The same upstream as a location service, /services/geocode/…, with the key of (b)
    # (privilege + referrer check instead of item access).
    rest portals/self/locationServices/geocode "url=http://127.0.0.1:$NU_PORT/geocode" \
      privilege=premium:user:geocode:temporary enabled=true "token=$ADMIN_TOKEN" >"$WORK/service-enable.json" || true
    SVC_URL="$KP_URL/services/geocode/findAddressCandidates?SingleLine=x&f=json"
    got=$(curl -sS -o "$WORK/service-probe" -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $B_KEY" -H "Referer: $SITE" "$SVC_URL") || got=000
    if [ "$got" = 200 ] && grep -q candidates "$WORK/service-probe"; then
      wrk_lua "$WORK/c2.lua" GET Authorization "Bearer $B_KEY" Referer "$SITE"
      measure "(c2) through keyportal /services/geocode, c$CONNECTIONS" "$SVC_URL" "$WORK/c2.lua" "$CONNECTIONS" "$DURATION"
    else
      echo "location service /services/geocode: probe HTTP $got ($(head -c 200 "$WORK/service-probe")); (c2) skipped"
    fi
  else
    PROXY_STATUS="route present, not enabled by this script (probe HTTP $got: $(head -c 200 "$WORK/proxy-probe" 2>/dev/null))"
    echo "proxy: $PROXY_STATUS; (c) skipped — update the (c) set-up in scripts/bench.sh"
  fi
  stop_pid "$UPSTREAM_PID"
fi
stop_pid "$KP_PID"

# ---------------------------------------------------------------------------- usage cost
printf '\n== usage tracking cost\n'
USAGE_SHARE=""
if [ "$PROFILE" = 1 ] && command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
  # No switch turns usage tracking off, so count instructions instead: keyportal under
  # callgrind (instrumentation switched on only for the load), the same verify requests, and
  # the share of UsageMeter::record (and of the rate-limit check) in everything the process ran.
  CG="$WORK/callgrind.out"
  KEYPORTAL_LOG=warn valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$CG" \
    "$KEYPORTAL_BIN" serve --data-dir "$KD" --listen "127.0.0.1:$KP_PORT" \
    ${KP_SERVE_ARGS[@]+"${KP_SERVE_ARGS[@]}"} >"$WORK/callgrind.log" 2>&1 &
  CG_PID=$!
  track "$CG_PID"
  START_TIMEOUT=300 wait_for "keyportal (callgrind)" "$CG_PID" "$WORK/callgrind.log" \
    "$KEYPORTAL_BIN" healthcheck --url "$KP_URL"
  callgrind_control -i on "$CG_PID" >/dev/null
  "${CLIENT[@]}" wrk -t1 -c4 -d10s -s "$WORK/b.lua" "$VERIFY" >"$WORK/wrk-callgrind.txt" 2>&1 || true
  callgrind_control -i off "$CG_PID" >/dev/null
  stop_pid "$CG_PID"
  CG_REQUESTS=$(awk '/requests in/ {print $1}' "$WORK/wrk-callgrind.txt")
  callgrind_annotate --inclusive=yes "$CG" >"$WORK/callgrind.txt" 2>/dev/null || true
  USAGE_SHARE=$("$PYTHON" - "$WORK/callgrind.txt" "${CG_REQUESTS:-0}" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
requests = int(sys.argv[2])
def ir(pattern):
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*?\s(\S*%s)\b" % pattern, line)
        if m:
            return int(m.group(1).replace(",", ""))
    return 0
total = int(re.search(r"([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text).group(1).replace(",", ""))
record = ir(r"keyportal_service::usage::UsageMeter::record")
limits = ir(r"keyportal_service::limits::<impl keyportal_service::Portal>::check_limits")
verify = ir(r"keyportal_service::usage::<impl keyportal_service::Portal>::verify")
per = total / requests if requests else 0
print("%d|%d|%d|%d|%d|%.0f" % (requests, total, record, limits, verify, per))
PY
) || USAGE_SHARE=""
  if [ -n "$USAGE_SHARE" ]; then
    IFS='|' read -r cg_req cg_total cg_record cg_limits cg_verify cg_per <<<"$USAGE_SHARE"
    "$PYTHON" - "$cg_req" "$cg_total" "$cg_record" "$cg_limits" "$cg_verify" "$cg_per" <<'PY'
import sys
req, total, record, limits, verify, per = (float(x) for x in sys.argv[1:])
pct = lambda x: 100.0 * x / total if total else 0.0
print(f"  callgrind: {req:.0f} verify requests, {per:,.0f} instructions each (whole process: HTTP, routing, JSON)")
print(f"  Portal::verify (the decision, incl. usage + limits): {pct(verify):5.2f}% ({verify / req:,.0f} per request)")
print(f"  UsageMeter::record (usage tracking):                 {pct(record):5.2f}% ({record / req:,.0f} per request)")
if limits:
    print(f"  check_limits (rate limits and quotas):               {pct(limits):5.2f}% ({limits / req:,.0f} per request)")
else:
    print("  check_limits (rate limits and quotas): inlined into Portal::verify, counted in its share")
PY
  else
    echo "  callgrind: could not read the profile (see $WORK/callgrind.txt with BENCH_KEEP_TMP=1)"
  fi
else
  echo "  no switch turns usage tracking off; the callgrind estimate is skipped (BENCH_PROFILE=0 or no valgrind)"
fi

# ---------------------------------------------------------------------------- summary
printf '\n== summary (latencies in µs; wrk -t1, servers on CPU %s, wrk on CPU %s)\n' "$SERVER_CPU" "$WRK_CPU"
printf '| %-52s | %9s | %6s | %6s | %6s | %7s |\n' measurement "req/s" p50 p90 p99 max
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" ----------- -------- -------- -------- ---------
for r in "${ROWS[@]}"; do
  IFS='|' read -r label rps p50 p90 p99 max <<<"$r"
  printf '| %-52s | %9s | %6s | %6s | %6s | %7s |\n' "$label" "$rps" "$p50" "$p90" "$p99" "$max"
done
printf '%s\n' "${ROWS[@]}" >"$WORK/rows.txt"
"$PYTHON" - "$WORK/rows.txt" "$CONNECTIONS" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1]) if line.strip()]
c = sys.argv[2]
def rounds(prefix):
    return [(float(r[1]), float(r[4])) for r in rows if r[0].rstrip("*").startswith(prefix + " #")]
a, b = rounds(f"(a) nginx map, c{c}"), rounds(f"(b) keyportal verify, c{c}")
print()
for i, ((ar, ap), (br, bp)) in enumerate(zip(a, b), 1):
    print(f"round {i}: (b)/(a) req/s {br / ar:.2f}x   p99 (a) {ap:.0f} µs, (b) {bp:.0f} µs")
ratio = statistics.median(br / ar for (ar, _), (br, _) in zip(a, b))
bp99 = statistics.median(bp for _, bp in b)
ap99 = statistics.median(ap for _, ap in a)
print(f"(b)/(a) req/s, median of {len(b)} rounds: {ratio:.2f}x  (target >= 0.90x: {'met' if ratio >= 0.9 else 'NOT met'})")
print(f"p99, median of {len(b)} rounds: (a) {ap99:.0f} µs, (b) {bp99:.0f} µs  (target (b) p99 < 1000 µs: {'met' if bp99 < 1000 else 'NOT met'}; rounds under 1 ms: {sum(bp < 1000 for _, bp in b)} of {len(b)})")
PY
if [ "$PROXY_STATUS" = measured ]; then
  c0=$(row_field "(c0)" 1) c=$(row_field "(c) through" 1)
  c0p=$(row_field "(c0)" 4) cp=$(row_field "(c) through" 4)
  "$PYTHON" -c 'import sys; c0,c,c0p,cp=map(float,sys.argv[1:]); print(f"(c) proxied/direct req/s: {c/c0:.2f}x; p99 {cp:.0f} µs vs {c0p:.0f} µs")' "$c0" "$c" "$c0p" "$cp"
  c2=$(row_field "(c2)" 1) c2p=$(row_field "(c2)" 4)
  [ -z "$c2" ] || "$PYTHON" -c 'import sys; c0,c,c0p,cp=map(float,sys.argv[1:]); print(f"(c2) location service/direct req/s: {c/c0:.2f}x; p99 {cp:.0f} µs vs {c0p:.0f} µs")' "$c0" "$c2" "$c0p" "$c2p"
else
  echo "(c) proxy: $PROXY_STATUS"
fi
[ "$FAILURES" -eq 0 ] || die "$FAILURES measurement(s) saw errors"
