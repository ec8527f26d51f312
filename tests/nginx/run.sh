#!/usr/bin/env bash
# keyportal as an nginx auth_request target, tested with a real nginx from Debian.
#
#   KEYPORTAL_BIN=target/debug/keyportal bash tests/nginx/run.sh
#
# Installs nginx (Debian's `nginx`, built with the auth_request module) when it is missing
# (root, apt-get). Starts, on free 127.0.0.1 ports and in a temporary directory: keyportal
# (SQLite), a tiny Python upstream (upstream.py) and nginx running keyportal-auth.conf — the
# snippet docs/NGINX.md shows — in front of it. Creates API key credentials over the Sharing
# REST API with curl and checks, through nginx: keys in the Authorization / X-Esri-Authorization
# header and as ?token=, the referrer rules, the missing-privilege 403, the rate-limit 429, the
# revoked key, keyportal being down, and that keyportal counted exactly the allowed calls.
# Prints `nginx: N passed, M failed` and exits non-zero on any failure.
# NGINX_KEEP_TMP=1 keeps the temporary directory (configs, logs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOG_TAG=nginx
# shellcheck source=tests/nginx/lib.sh
. "$HERE/lib.sh"

[ -n "${KEYPORTAL_BIN:-}" ] || die "KEYPORTAL_BIN is not set (path to the keyportal binary, e.g. target/debug/keyportal)"
case $KEYPORTAL_BIN in */*) KEYPORTAL_BIN=$(cd "$(dirname "$KEYPORTAL_BIN")" && pwd)/$(basename "$KEYPORTAL_BIN") ;; esac
[ -x "$KEYPORTAL_BIN" ] || KEYPORTAL_BIN=$(command -v "$KEYPORTAL_BIN" 2>/dev/null) || die "KEYPORTAL_BIN is not an executable"
# The server gets exactly our flags: no KEYPORTAL_* setting from the caller's environment.
while read -r v; do
  [ "$v" = KEYPORTAL_BIN ] || unset "$v"
done < <(compgen -e | grep '^KEYPORTAL_' || true)
command -v curl >/dev/null || die "curl is required"
command -v "$PYTHON" >/dev/null || die "$PYTHON is required"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyportal-nginx.XXXXXX")
PASSED=0
FAILED=0
cleanup() {
  local rc=$?
  lib_stop_all
  if [ -n "${NGINX_KEEP_TMP:-}" ] || { [ "$FAILED" -ne 0 ] && [ -n "${NGINX_KEEP_TMP_ON_FAILURE:-}" ]; }; then
    note "kept configs and logs in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { PASSED=$((PASSED + 1)); printf '  ok    %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '        %s\n' "$2"; }
# check NAME ACTUAL EXPECTED
check() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected [$3], got [$2]"; fi
}

ensure_nginx
note "$("$NGINX" -v 2>&1) at $NGINX, with the auth_request module"

# ---------------------------------------------------------------------------- servers
export KEYPORTAL_ADMIN_PASSWORD="Kp1-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
# nginx is the trusted proxy: the client address it forwards is checked against allowedAddresses.
KP_SERVE_ARGS=(--trusted-proxies 127.0.0.1)
start_keyportal "$WORK/keyportal"

UP_PORT=$(free_port)
UP_LOG="$WORK/upstream.jsonl"
: >"$UP_LOG"
"$PYTHON" "$HERE/upstream.py" "$UP_PORT" "$UP_LOG" >"$WORK/upstream.log" 2>&1 &
UP_PID=$!
track "$UP_PID"
wait_for upstream "$UP_PID" "$WORK/upstream.log" http_ok "http://127.0.0.1:$UP_PORT/health"
: >"$UP_LOG"

NG_DIR="$WORK/nginx"
NG_PORT=$(free_port)
mkdir -p "$NG_DIR/tmp"
{
  nginx_user_line
  cat <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $NG_DIR/nginx.pid;
error_log $NG_DIR/error.log info;
events { worker_connections 256; }
http {
    access_log $NG_DIR/access.log;
$(nginx_temp_paths "$NG_DIR")
    upstream keyportal { server 127.0.0.1:$KP_PORT; keepalive 16; }
    upstream geocoder  { server 127.0.0.1:$UP_PORT; }
    server {
        listen 127.0.0.1:$NG_PORT;
        include $HERE/keyportal-auth.conf;
        location / { return 404; }
    }
}
EOF
} >"$NG_DIR/nginx.conf"
start_nginx "$NG_DIR"
NG_URL="http://127.0.0.1:$NG_PORT"
wait_for nginx "$NGINX_PID" "$NG_DIR/error.log" curl -sS -o /dev/null --max-time 2 "$NG_URL/"
note "nginx: pid $NGINX_PID, $NG_URL (config $NG_DIR/nginx.conf)"
note "upstream: pid $UP_PID, http://127.0.0.1:$UP_PORT"

# ---------------------------------------------------------------------------- credentials
admin_sign_in
GEOCODE='["premium:user:geocode:temporary"]'
create_key "Geocoding key" "$GEOCODE" '["https://*.example.com"]'
MAIN_KEY=$KEY MAIN_ITEM=$KEY_ITEM MAIN_CLIENT=$KEY_CLIENT_ID MAIN_SECRET=$KEY_SECRET
create_key "Basemaps-only key" '["premium:user:basemaps"]' '[]'
BASEMAPS_KEY=$KEY
create_key "Rate-limited key" "$GEOCODE" '[]'
LIMITED_KEY=$KEY LIMITED_ITEM=$KEY_ITEM
answer=$(rest "content/users/admin/items/$KEY_ITEM/limits" perDay=2 "token=$ADMIN_TOKEN")
[ "$(json_get perDay <<<"$answer")" = 2 ] || die "setting limits failed: $answer"
note "credentials: $MAIN_CLIENT (geocode, https://*.example.com), a basemaps-only key, a key limited to 2 a day"

# ---------------------------------------------------------------------------- requests
# geo PATH [curl args…]: a request through nginx; sets STATUS, BODY, HDRS (lower-cased names)
geo() {
  local path=$1
  shift
  BODY_FILE="$WORK/body" HDR_FILE="$WORK/headers"
  STATUS=$(curl -sS --max-time 10 -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' "$@" "$NG_URL$path") || STATUS=000
  BODY=$(cat "$BODY_FILE")
  HDRS=$(tr -d '\r' <"$HDR_FILE" | sed 's/^[^:]*:/\L&/')
}
header() { sed -n "s/^$1: //p" <<<"$HDRS" | head -n 1; }
upstream_calls() { wc -l <"$UP_LOG" | tr -d ' '; }
SITE=https://maps.example.com/app/index.html

printf '\n== allowed\n'
geo "/geocode/findAddressCandidates?SingleLine=Main+St&f=json" \
  -H "Authorization: Bearer $MAIN_KEY" -H "Referer: $SITE" -H "X-Keyportal-Client-Id: spoofed"
check "Authorization: Bearer + matching Referer -> 200 from the upstream" "$STATUS $(json_get upstream <<<"$BODY")" "200 geocoder"
check "the upstream saw the verified client id (a client-sent one is replaced)" "$(json_get seen.clientId <<<"$BODY")" "$MAIN_CLIENT"
check "the upstream saw the key's owner" "$(json_get seen.owner <<<"$BODY")" "admin"
check "the upstream got the original path and query" "$(json_get seen.path <<<"$BODY")" "/geocode/findAddressCandidates?SingleLine=Main+St&f=json"

geo "/geocode/findAddressCandidates?SingleLine=Main+St&token=$MAIN_KEY&f=json" -H "Referer: $SITE"
check "key as ?token= in the URL (read from X-Original-URI) -> 200" "$STATUS $(json_get seen.clientId <<<"$BODY")" "200 $MAIN_CLIENT"

geo "/geocode/reverseGeocode?location=1,2" -H "X-Esri-Authorization: Bearer $MAIN_KEY" -H "Origin: https://www.example.com"
check "X-Esri-Authorization + Origin (no Referer) -> 200" "$STATUS $(json_get seen.clientId <<<"$BODY")" "200 $MAIN_CLIENT"

geo "/geocode/geocodeAddresses" -X POST -H "Authorization: Bearer $MAIN_KEY" -H "Referer: $SITE" \
  --data-urlencode 'addresses={"records":[{"attributes":{"OBJECTID":1,"SingleLine":"Main St"}}]}'
check "POST with a body -> 200, the body reaches the upstream (not keyportal)" \
  "$STATUS $(json_get seen.method <<<"$BODY") $([ "$(json_get seen.bodyLength <<<"$BODY")" -gt 0 ] && echo body)" "200 POST body"
ALLOWED=4

printf '\n== refused (the upstream is never reached)\n'
before=$(upstream_calls)
geo "/geocode/findAddressCandidates?SingleLine=x" -H "Referer: $SITE"
check "no key -> 401" "$STATUS $(json_get error.reason <<<"$BODY")" "401 missing"
check "401 carries X-Keyportal-Reason and WWW-Authenticate" "$(header x-keyportal-reason) $(header www-authenticate)" 'missing Bearer realm="keyportal"'

geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $MAIN_KEY" -H "Referer: https://evil.example.org/"
check "wrong referrer -> 401 referrer" "$STATUS $(header x-keyportal-reason)" "401 referrer"

geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $MAIN_KEY"
check "referrer-restricted key without Referer/Origin -> 401 referrer" "$STATUS $(header x-keyportal-reason)" "401 referrer"

geo "/geocode/findAddressCandidates?SingleLine=x&token=AAPTnot-a-key" -H "Referer: $SITE"
check "malformed key -> 401 malformed" "$STATUS $(json_get error.reason <<<"$BODY")" "401 malformed"

geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $BASEMAPS_KEY"
check "key without the geocode privilege -> 403 service" "$STATUS $(header x-keyportal-reason) $(json_get error.reason <<<"$BODY")" "403 service service"
geo "/_keyportal_verify" -H "Authorization: Bearer $MAIN_KEY" -H "Referer: $SITE"
check "the verify location is internal: 404 from outside" "$STATUS" "404"
check "upstream not reached by any refused request" "$(upstream_calls)" "$before"

printf '\n== address restrictions (keyportal trusts nginx: --trusted-proxies 127.0.0.1)\n'
create_key "Server key" "$GEOCODE" '[]'
SERVER_KEY=$KEY SERVER_CLIENT=$KEY_CLIENT_ID
answer=$(rest "oauth2/apps/$SERVER_CLIENT/update" 'allowedAddresses=["203.0.113.0/24"]' "token=$ADMIN_TOKEN")
check "allowedAddresses saved" "$(json_get allowedAddresses.0 <<<"$answer")" "203.0.113.0/24"
geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $SERVER_KEY" \
  -H "X-Forwarded-For: 203.0.113.5" -H "X-Real-IP: 203.0.113.5"
check "a client outside the list claiming an inside address (nginx replaces X-Forwarded-For) -> 401 address" \
  "$STATUS $(header x-keyportal-reason)" "401 address"
answer=$(rest "oauth2/apps/$SERVER_CLIENT/update" 'allowedAddresses=["127.0.0.0/8"]' "token=$ADMIN_TOKEN")
geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $SERVER_KEY"
check "a client inside the list (the address nginx forwards) -> 200" "$STATUS $(json_get upstream <<<"$BODY")" "200 geocoder"

printf '\n== rate limit through nginx\n'
statuses=""
for _ in 1 2 3; do
  geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $LIMITED_KEY"
  statuses="$statuses $STATUS"
done
check "a key limited to 2 a day: 200, 200, then 429" "$statuses" " 200 200 429"
retry=$(header retry-after)
[[ "$retry" =~ ^[0-9]+$ ]] && [ "$retry" -gt 0 ] && pass "429 carries Retry-After ($retry s)" || fail "429 carries Retry-After" "got [$retry]"
check "429 names the reason (body and X-Keyportal-Reason)" "$(json_get error.reason <<<"$BODY") $(header x-keyportal-reason)" "quota_per_day quota_per_day"

printf '\n== usage counted by keyportal\n'
usage=$(rest_get "content/users/admin/items/$MAIN_ITEM/usage" "token=$ADMIN_TOKEN")
check "usage totals.geocode == allowed calls ($ALLOWED)" "$(json_get totals.geocode <<<"$usage")" "$ALLOWED"
usage=$(rest_get "content/users/admin/items/$LIMITED_ITEM/usage" "token=$ADMIN_TOKEN")
check "the rate-limited key: 2 counted, 1 throttled" "$(json_get totals.geocode <<<"$usage") $(json_get totals.throttled <<<"$usage")" "2 1"

printf '\n== invalidated key\n'
answer=$(rest oauth2/revokeToken "client_id=$MAIN_CLIENT" "client_secret=$MAIN_SECRET" apiToken=1)
check "oauth2/revokeToken apiToken=1" "$(json_get success <<<"$answer")" "true"
geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $MAIN_KEY" -H "Referer: $SITE"
check "invalidated key -> 401 unknown" "$STATUS $(header x-keyportal-reason)" "401 unknown"
usage=$(rest_get "content/users/admin/items/$MAIN_ITEM/usage" "token=$ADMIN_TOKEN")
check "refused calls are not counted" "$(json_get totals.geocode <<<"$usage")" "$ALLOWED"

printf '\n== keyportal down\n'
stop_pid "$KP_PID"
before=$(upstream_calls)
geo "/geocode/findAddressCandidates?SingleLine=x" -H "Authorization: Bearer $LIMITED_KEY"
check "verify unreachable -> 502 verify_unavailable, upstream not reached" \
  "$STATUS $(json_get error.reason <<<"$BODY") $(upstream_calls)" "502 verify_unavailable $before"

printf '\n== docs\n'
missing=0
[ -f "$ROOT/docs/NGINX.md" ] || { fail "docs/NGINX.md exists"; missing=-1; }
[ "$missing" -lt 0 ] || while IFS= read -r line; do
  line=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<<"$line")
  case $line in '' | '#'*) continue ;; esac
  if ! grep -qF -- "$line" "$ROOT/docs/NGINX.md"; then
    missing=$((missing + 1))
    note "    not in docs/NGINX.md: $line"
  fi
done <"$HERE/keyportal-auth.conf"
[ "$missing" -lt 0 ] || check "docs/NGINX.md shows the tested snippet line for line" "$missing" 0

printf '\n'
echo "nginx: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
