# Shared by tests/nginx/run.sh and scripts/bench.sh (sourced, not run): installing Debian
# packages, free ports, starting keyportal / nginx / a tiny upstream as background processes
# owned by the caller, and the Sharing REST calls that create API key credentials.
#
# The caller sets LOG_TAG (for messages) and WORK (a temporary directory it removes), calls
# `trap lib_cleanup EXIT`, and may set PYTHON (default python3).

PYTHON=${PYTHON:-python3}
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB_PIDS=()
APT_UPDATED=false
# Sign-in and credential calls are bound to this referer, as the official clients do.
REST_REFERER=${REST_REFERER:-https://keyportal-tests.invalid}

note() { printf '[%s] %s\n' "${LOG_TAG:-nginx}" "$*"; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-nginx}" "$*" >&2; exit 2; }

# ---------------------------------------------------------------------------- installs
# ensure_pkg PACKAGE CHECK_COMMAND...: installs PACKAGE from Debian when CHECK_COMMAND fails.
ensure_pkg() {
  local pkg=$1
  shift
  if "$@" >/dev/null 2>&1; then
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "'$pkg' is missing and only root can install it (apt-get install $pkg)"
  command -v apt-get >/dev/null || die "'$pkg' is missing and there is no apt-get to install it"
  if [ "$APT_UPDATED" = false ]; then
    note "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >"$WORK/apt-update.log" 2>&1 \
      || { tail -n 20 "$WORK/apt-update.log" >&2; die "apt-get update failed"; }
    APT_UPDATED=true
  fi
  note "apt-get install $pkg"
  # No service is started: nginx here is only ever run by the tests, with their own config.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" \
    >"$WORK/apt-install-$pkg.log" 2>&1 \
    || { tail -n 20 "$WORK/apt-install-$pkg.log" >&2; die "apt-get install $pkg failed"; }
  "$@" >/dev/null 2>&1 || die "'$pkg' was installed but '$*' still fails"
}

nginx_bin() {
  command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

has_auth_request_nginx() {
  local bin
  bin=$(nginx_bin)
  [ -n "$bin" ] && "$bin" -V 2>&1 | grep -q with-http_auth_request_module
}

# Debian bookworm's `nginx` package is built with the auth_request module (`nginx-light` only
# depends on it, adding the echo module).
ensure_nginx() {
  ensure_pkg nginx has_auth_request_nginx
  NGINX=$(nginx_bin)
}

# ---------------------------------------------------------------------------- processes
free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# track PID: stopped by lib_cleanup
track() { LIB_PIDS+=("$1"); }

stop_pid() {
  local pid=$1
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

lib_stop_all() {
  local pid
  for pid in "${LIB_PIDS[@]}"; do stop_pid "$pid"; done
  LIB_PIDS=()
}

# wait_for NAME PID LOG COMMAND...: until COMMAND succeeds (30 s), or the process dies
wait_for() {
  local name=$1 pid=$2 log=$3
  shift 3
  local deadline=$((SECONDS + ${START_TIMEOUT:-30}))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      note "$name exited during start-up; last lines of $log:"
      tail -n 30 "$log" | sed 's/^/    /' >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      note "$name did not answer within ${START_TIMEOUT:-30}s; last lines of $log:"
      tail -n 30 "$log" | sed 's/^/    /' >&2
      return 1
    fi
    sleep 0.2
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# start_keyportal DATA_DIR [PREFIX...]: sets KP_PID, KP_PORT, KP_URL. PREFIX (e.g. taskset -c 0)
# goes before the binary. KEYPORTAL_ADMIN_PASSWORD must be set. KP_SERVE_ARGS (an array, may be
# unset) adds arguments to `serve`.
start_keyportal() {
  local data_dir=$1
  shift
  KP_PORT=$(free_port)
  KP_URL="http://127.0.0.1:$KP_PORT"
  mkdir -p "$data_dir"
  "$@" "$KEYPORTAL_BIN" serve --data-dir "$data_dir" --listen "127.0.0.1:$KP_PORT" \
    ${KP_SERVE_ARGS[@]+"${KP_SERVE_ARGS[@]}"} >>"$data_dir/server.log" 2>&1 &
  KP_PID=$!
  track "$KP_PID"
  wait_for keyportal "$KP_PID" "$data_dir/server.log" "$KEYPORTAL_BIN" healthcheck --url "$KP_URL"
  note "keyportal: pid $KP_PID, $KP_URL"
}

# start_nginx DIR [PREFIX...]: runs nginx in the foreground (daemon off) in the background of
# this shell with DIR/nginx.conf, error log and pid file in DIR. Sets NGINX_PID. The config
# must set `daemon off;` and `pid DIR/nginx.pid;`.
start_nginx() {
  local dir=$1
  shift
  mkdir -p "$dir/logs"
  "$NGINX" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
    || die "nginx refused the generated configuration $dir/nginx.conf"
  "$@" "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >>"$dir/stderr.log" 2>&1 &
  NGINX_PID=$!
  track "$NGINX_PID"
}

# nginx_temp_paths DIR: the temp-path lines an nginx run outside /var/lib/nginx needs
nginx_temp_paths() {
  local d=$1
  cat <<EOF
    client_body_temp_path $d/tmp/body;
    proxy_temp_path       $d/tmp/proxy;
    fastcgi_temp_path     $d/tmp/fastcgi;
    uwsgi_temp_path       $d/tmp/uwsgi;
    scgi_temp_path        $d/tmp/scgi;
EOF
}

# nginx's workers drop to `nobody` when the master runs as root; the temp dirs are ours.
nginx_user_line() {
  if [ "$(id -u)" -eq 0 ]; then echo "user root;"; fi
}

# ---------------------------------------------------------------------------- JSON + REST
# json_get PATH < json: prints the value at a dotted PATH (strings raw, the rest as JSON),
# nothing when absent.
json_get() {
  "$PYTHON" -c '
import json, sys
try:
    v = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for part in sys.argv[1].split("."):
    if isinstance(v, dict) and part in v:
        v = v[part]
    elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
        v = v[int(part)]
    else:
        sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# rest PATH NAME=VALUE...: POSTs a Sharing API form (f=json) with the tests' referer.
rest() {
  local path=$1
  shift
  local args=(-sS --max-time 30 -X POST "$KP_URL/sharing/rest/$path" -H "Referer: $REST_REFERER"
    --data-urlencode f=json)
  local field
  for field in "$@"; do args+=(--data-urlencode "$field"); done
  curl "${args[@]}"
}

# rest_get PATH QUERY: GETs a Sharing API path (QUERY already encoded).
rest_get() {
  curl -sS --max-time 30 -H "Referer: $REST_REFERER" "$KP_URL/sharing/rest/$1?f=json&$2"
}

# admin_sign_in: sets ADMIN_TOKEN (generateToken bound to REST_REFERER).
admin_sign_in() {
  local answer
  answer=$(rest generateToken username=admin "password=$KEYPORTAL_ADMIN_PASSWORD" \
    client=referer "referer=$REST_REFERER" expiration=120)
  ADMIN_TOKEN=$(json_get token <<<"$answer")
  [ -n "$ADMIN_TOKEN" ] || die "generateToken failed: $answer"
}

# create_key TITLE PRIVILEGES_JSON REFERRERS_JSON: an Application item registered as an app,
# key 1 minted. Sets KEY, KEY_ITEM, KEY_CLIENT_ID, KEY_SECRET.
create_key() {
  local title=$1 privileges=$2 referrers=$3 answer
  answer=$(rest content/users/admin/addItem "title=$title" type=Application "token=$ADMIN_TOKEN")
  KEY_ITEM=$(json_get id <<<"$answer")
  [ -n "$KEY_ITEM" ] || die "addItem failed: $answer"
  answer=$(rest oauth2/registerApp "itemId=$KEY_ITEM" "privileges=$privileges" \
    "httpReferrers=$referrers" "token=$ADMIN_TOKEN")
  KEY_CLIENT_ID=$(json_get client_id <<<"$answer")
  KEY_SECRET=$(json_get client_secret <<<"$answer")
  [ -n "$KEY_CLIENT_ID" ] && [ -n "$KEY_SECRET" ] || die "registerApp failed: $answer"
  answer=$(rest oauth2/token "client_id=$KEY_CLIENT_ID" "client_secret=$KEY_SECRET" apiToken=1)
  KEY=$(json_get access_token <<<"$answer")
  [ -n "$KEY" ] || die "oauth2/token apiToken=1 failed: $answer"
}
