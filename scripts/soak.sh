#!/usr/bin/env bash
# The soak test of issue 10: one keyportal under a steady mixed load for a while — key checks
# (/verify), Sharing reads (portals/self with an API key, an item with a member token),
# sign-ins (generateToken) and key generation (oauth2/token regenerating a key) — at about
# 70 % of the capacity measured first for the same mix. It passes when no request failed and
# the server's resident memory at the end is within 10 % of the start.
#
#   scripts/soak.sh                   # 10 minutes on SQLite
#   SOAK_DURATION=3m scripts/soak.sh
#
# Knobs: SOAK_DURATION (10m, wrk's syntax), SOAK_RATE (requests/s; default SOAK_LOAD × the
# capacity a SOAK_CAPACITY_DURATION wrk run of the mix reaches), SOAK_LOAD (0.7),
# SOAK_CAPACITY_DURATION (10s), SOAK_CONNECTIONS (16), SOAK_THREADS (2), SOAK_MIX (weights,
# "verify=70,read=20,keygen=8,signin=2"), SOAK_RSS_TOLERANCE (10, percent), SOAK_SAMPLE (15,
# seconds between RSS samples), SOAK_DATABASE (a postgres://… URL to soak PostgreSQL; default
# SQLite in the temporary directory), KEYPORTAL_BIN (default: cargo build --release),
# SOAK_KEEP_TMP (keep the temporary directory).
#
# wrk (Debian package) drives the load with a Lua script; it has no rate option, so each
# connection pauses between requests, the pause calibrated by a short run. Every answer is
# checked: a socket error, a status other than 2xx, or an ArcGIS error envelope
# ({"error":…}, which Sharing routes send with HTTP 200) counts as an error.
# Exits 0 when errors = 0 and RSS is flat; 1 when a check fails; 2 when set-up fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=soak
# shellcheck source=tests/nginx/lib.sh
. "$ROOT/tests/nginx/lib.sh"

DURATION=${SOAK_DURATION:-10m}
LOAD=${SOAK_LOAD:-0.7}
CAPACITY_DURATION=${SOAK_CAPACITY_DURATION:-10s}
CONNECTIONS=${SOAK_CONNECTIONS:-16}
THREADS=${SOAK_THREADS:-2}
MIX=${SOAK_MIX:-verify=70,read=20,keygen=8,signin=2}
RSS_TOLERANCE=${SOAK_RSS_TOLERANCE:-10}
SAMPLE=${SOAK_SAMPLE:-15}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyportal-soak.XXXXXX")
cleanup() {
  local rc=$?
  [ -n "${SAMPLER_PID:-}" ] && kill "$SAMPLER_PID" 2>/dev/null
  lib_stop_all
  if [ -n "${SOAK_KEEP_TMP:-}" ]; then note "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_pkg wrk command -v wrk
command -v curl >/dev/null || die "curl is required"
command -v "$PYTHON" >/dev/null || die "$PYTHON is required"

if [ -z "${KEYPORTAL_BIN:-}" ]; then
  note "cargo build --release -p keyportal"
  (cd "$ROOT" && cargo build --release -p keyportal)
  KEYPORTAL_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/keyportal"
fi
[ -x "$KEYPORTAL_BIN" ] || die "KEYPORTAL_BIN is not an executable: $KEYPORTAL_BIN"
while read -r v; do
  case $v in KEYPORTAL_BIN) ;; *) unset "$v" ;; esac
done < <(compgen -e | grep '^KEYPORTAL_' || true)
export KEYPORTAL_ADMIN_PASSWORD="Kp1-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export KEYPORTAL_LOG=warn
[ -n "${SOAK_DATABASE:-}" ] && export KEYPORTAL_DATABASE=$SOAK_DATABASE

# ---------------------------------------------------------------------------- server + data
start_keyportal "$WORK/data"
admin_sign_in
create_key "Soak keys" '["premium:user:geocode:temporary"]' '[]'
VERIFY_KEY=$KEY
VERIFY_ITEM=$KEY_ITEM
create_key "Soak regenerated keys" '["premium:user:basemaps"]' '[]'
REGEN_CLIENT_ID=$KEY_CLIENT_ID
REGEN_SECRET=$KEY_SECRET
# A user token for the member read, valid for the whole run.
answer=$(rest generateToken username=admin "password=$KEYPORTAL_ADMIN_PASSWORD" client=referer \
  "referer=$REST_REFERER" expiration=1440)
MEMBER_TOKEN=$(json_get token <<<"$answer")
[ -n "$MEMBER_TOKEN" ] || die "generateToken failed: $answer"
note "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; keyportal pid $KP_PID on ${SOAK_DATABASE:+PostgreSQL}${SOAK_DATABASE:-SQLite}; mix $MIX"

# ---------------------------------------------------------------------------- the mix
urlencode() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
export SOAK_MIX_SPEC=$MIX
export SOAK_VERIFY_KEY=$VERIFY_KEY
export SOAK_ITEM=$VERIFY_ITEM
export SOAK_MEMBER_TOKEN=$MEMBER_TOKEN
export SOAK_REFERER=$REST_REFERER
export SOAK_SIGNIN_BODY="username=admin&password=$(urlencode "$KEYPORTAL_ADMIN_PASSWORD")&client=referer&referer=$(urlencode "$REST_REFERER")&expiration=5&f=json"
export SOAK_KEYGEN_BODY="client_id=$REGEN_CLIENT_ID&client_secret=$(urlencode "$REGEN_SECRET")&apiToken=1&regenerateApiToken=true&f=json"

cat >"$WORK/mix.lua" <<'LUA'
-- One request of the mix at a time per connection; `delay` paces each connection.
local kinds, total = {}, 0
for name, weight in string.gmatch(os.getenv("SOAK_MIX_SPEC"), "(%a+)=(%d+)") do
  total = total + tonumber(weight)
  table.insert(kinds, { name = name, upto = total })
end
local key, item, token = os.getenv("SOAK_VERIFY_KEY"), os.getenv("SOAK_ITEM"), os.getenv("SOAK_MEMBER_TOKEN")
local referer = os.getenv("SOAK_REFERER")
local form = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Referer"] = referer }
local built = {
  verify = function() return wrk.format("GET", "/verify?service=geocode", { ["Authorization"] = "Bearer " .. key }) end,
  read = function()
    if math.random(2) == 1 then
      return wrk.format("GET", "/sharing/rest/portals/self?f=json&token=" .. key)
    end
    return wrk.format("GET", "/sharing/rest/content/items/" .. item .. "?f=json&token=" .. token, { ["Referer"] = referer })
  end,
  signin = function() return wrk.format("POST", "/sharing/rest/generateToken", form, os.getenv("SOAK_SIGNIN_BODY")) end,
  keygen = function() return wrk.format("POST", "/sharing/rest/oauth2/token", form, os.getenv("SOAK_KEYGEN_BODY")) end,
}
local pause = tonumber(os.getenv("SOAK_PAUSE_MS") or "0")
local owed = 0
sent = { verify = 0, read = 0, signin = 0, keygen = 0 }
bad_status, envelopes, first_error = 0, 0, ""

function request()
  local r = math.random(total)
  for _, kind in ipairs(kinds) do
    if r <= kind.upto then
      sent[kind.name] = sent[kind.name] + 1
      return built[kind.name]()
    end
  end
end

-- wrk pauses in whole milliseconds: the fraction is carried to the next request.
function delay()
  owed = owed + pause
  local whole = math.floor(owed)
  owed = owed - whole
  return whole
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad_status = bad_status + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 200) end
  elseif body and string.sub(body, 1, 9) == '{"error":' then
    envelopes = envelopes + 1
    if first_error == "" then first_error = string.sub(body, 1, 200) end
  end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local s = { verify = 0, read = 0, signin = 0, keygen = 0 }
  local statuses, errors, first = 0, 0, ""
  for _, t in ipairs(threads) do
    local ts = t:get("sent")
    for k, v in pairs(ts) do s[k] = s[k] + v end
    statuses = statuses + t:get("bad_status")
    errors = errors + t:get("envelopes")
    if first == "" then first = t:get("first_error") end
  end
  local e = summary.errors
  io.write(string.format("SOAK requests=%d seconds=%.1f rps=%.1f bad_status=%d envelopes=%d socket=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), statuses, errors,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
  io.write(string.format("SOAK sent verify=%d read=%d signin=%d keygen=%d\n", s.verify, s.read, s.signin, s.keygen))
  if first ~= "" then io.write("SOAK first_error=" .. first .. "\n") end
end
LUA

# run_mix DURATION PAUSE_MS OUT: one wrk run of the mix; prints its SOAK lines
run_mix() {
  SOAK_PAUSE_MS=$2 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --timeout 10s -s "$WORK/mix.lua" "$KP_URL" >"$3" 2>&1 \
    || { cat "$3" >&2; die "wrk failed"; }
  grep '^SOAK' "$3" | sed 's/^/    /'
}
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" "$2" | head -n1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$KP_PID/status"; }

# ---------------------------------------------------------------------------- capacity
RSS_BOOT=$(rss_kb)
if [ -n "${SOAK_RATE:-}" ]; then
  TARGET=$SOAK_RATE
  note "target rate $TARGET requests/s (SOAK_RATE)"
else
  note "capacity: wrk -t$THREADS -c$CONNECTIONS -d$CAPACITY_DURATION, no pauses"
  run_mix "$CAPACITY_DURATION" 0 "$WORK/capacity.txt"
  CAPACITY=$(field rps "$WORK/capacity.txt")
  TARGET=$("$PYTHON" -c "print(round($CAPACITY * $LOAD, 1))")
  note "capacity $CAPACITY requests/s; target $TARGET requests/s ($LOAD of it)"
fi

# Each connection's cycle is latency + pause; one calibration run measures the latency.
PAUSE=$("$PYTHON" -c "print(round(1000.0 * $CONNECTIONS / $TARGET, 3))")
note "calibration: ${CAPACITY_DURATION} with a pause of $PAUSE ms per request and connection"
run_mix "$CAPACITY_DURATION" "$PAUSE" "$WORK/calibration.txt"
REACHED=$(field rps "$WORK/calibration.txt")
PAUSE=$("$PYTHON" -c "
c, target, reached, pause = $CONNECTIONS, $TARGET, $REACHED, $PAUSE
latency = max(0.0, 1000.0 * c / reached - pause)
print(round(max(0.0, 1000.0 * c / target - latency), 3))")
note "reached $REACHED requests/s; pause now $PAUSE ms"

# ---------------------------------------------------------------------------- the soak
RSS_START=$(rss_kb)
: >"$WORK/rss.txt"
(
  while sleep "$SAMPLE"; do
    printf '%s %s\n' "$(date -u +%H:%M:%S)" "$(awk '/^VmRSS:/ {print $2}' "/proc/$KP_PID/status" 2>/dev/null)" >>"$WORK/rss.txt"
  done
) &
SAMPLER_PID=$!
note "soak: $DURATION at about $TARGET requests/s; RSS at start $RSS_START kB"
run_mix "$DURATION" "$PAUSE" "$WORK/soak.txt"
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
kill -0 "$KP_PID" 2>/dev/null || die "keyportal died during the soak (see $WORK/data/server.log)"
RSS_END=$(rss_kb)

# ---------------------------------------------------------------------------- verdict
REQUESTS=$(field requests "$WORK/soak.txt")
RPS=$(field rps "$WORK/soak.txt")
ERRORS=$(( $(field bad_status "$WORK/soak.txt") + $(field envelopes "$WORK/soak.txt") + $(field socket "$WORK/soak.txt") ))
SERVER_ERRORS=$(grep -c 'ERROR' "$WORK/data/server.log" || true)
SERVER_WARNINGS=$(grep -c 'WARN' "$WORK/data/server.log" || true)
DRIFT=$("$PYTHON" -c "print(round(100.0 * ($RSS_END - $RSS_START) / $RSS_START, 1))")
echo
echo "== soak summary"
echo "  duration $DURATION, $REQUESTS requests, $RPS requests/s (target $TARGET)"
echo "  errors: $ERRORS (status $(field bad_status "$WORK/soak.txt"), envelopes $(field envelopes "$WORK/soak.txt"), socket $(field socket "$WORK/soak.txt")); server log: $SERVER_ERRORS ERROR and $SERVER_WARNINGS WARN lines"
echo "  latency p50 $(field p50_us "$WORK/soak.txt") µs, p99 $(field p99_us "$WORK/soak.txt") µs, max $(field max_us "$WORK/soak.txt") µs"
echo "  RSS before any load $RSS_BOOT kB; after the capacity and calibration runs (start) $RSS_START kB, end $RSS_END kB ($DRIFT %); samples (kB):"
sed 's/^/    /' "$WORK/rss.txt"
FAILED=0
if [ "$ERRORS" -ne 0 ] || [ "$SERVER_ERRORS" -ne 0 ]; then
  echo "FAIL: $ERRORS failed requests, $SERVER_ERRORS server errors"
  grep '^SOAK first_error' "$WORK/soak.txt" || true
  FAILED=1
fi
if ! "$PYTHON" -c "import sys; sys.exit(0 if abs($DRIFT) <= $RSS_TOLERANCE else 1)"; then
  echo "FAIL: RSS moved $DRIFT % (tolerance $RSS_TOLERANCE %)"
  FAILED=1
fi
[ "$FAILED" -eq 0 ] && echo "PASS: no errors, RSS flat within $RSS_TOLERANCE %"
exit "$FAILED"
