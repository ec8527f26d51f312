#!/usr/bin/env bash
# Checks deploy/keyportal.service with `systemd-analyze verify`: any complaint (an unknown key,
# a value systemd cannot parse, a missing binary) fails. systemd-analyze answers 0 even when
# it ignores a line, so its output must be empty.
#
#   KEYPORTAL_BIN=target/debug/keyportal tests/deploy/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

bin="$(realpath "${KEYPORTAL_BIN:-target/debug/keyportal}")"
[[ -x "$bin" ]] || { echo "FAIL: no keyportal binary at $bin" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
WORK="$work" LOG_TAG=deploy
# shellcheck source=tests/nginx/lib.sh
. tests/nginx/lib.sh
ensure_pkg systemd command -v systemd-analyze
ensure_nginx
# The unit names the installed path; point it at the binary just built.
sed "s#/usr/local/bin/keyportal#$bin#g" deploy/keyportal.service >"$work/keyportal.service"
complaints="$(systemd-analyze verify "$work/keyportal.service" 2>&1 || true)"
if [[ -n "$complaints" ]]; then
  echo "FAIL: systemd-analyze verify deploy/keyportal.service:" >&2
  echo "$complaints" >&2
  exit 1
fi
for required in 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateTmp=yes' 'StateDirectory=keyportal' 'EnvironmentFile='; do
  grep -q "^$required" deploy/keyportal.service || { echo "FAIL: the unit lacks $required" >&2; exit 1; }
done
echo "ok: deploy/keyportal.service verifies cleanly"

# deploy/nginx-tls.conf must be a configuration nginx accepts (the nginx step installed it).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=portal.example.com \
  -keyout "$work/tls.key" -out "$work/tls.pem" 2>/dev/null
sed -e "s#/etc/ssl/certs/portal.example.com.pem#$work/tls.pem#" \
    -e "s#/etc/ssl/private/portal.example.com.key#$work/tls.key#" \
    -e "s#/var/log/nginx/#$work/#" \
    deploy/nginx-tls.conf >"$work/site.conf"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/site.conf;
}
CONF
if ! "$NGINX" -t -q -p "$work" -c "$work/nginx.conf"; then
  echo "FAIL: nginx refuses deploy/nginx-tls.conf" >&2
  exit 1
fi
echo "ok: deploy/nginx-tls.conf passes nginx -t"
