#!/usr/bin/env bash
# Validates the OpenAPI 3.1 document keyportal serves at /openapi.json with a standard
# validator (openapi-spec-validator, pinned in requirements.txt). The document comes from
# `keyportal openapi`, which prints the bytes the server serves (a Rust test checks that the
# two are the same). The validator lives in a venv under target/, made on first use and
# remade when requirements.txt changes.
#
#   KEYPORTAL_BIN=target/debug/keyportal tests/openapi/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

bin="$(realpath "${KEYPORTAL_BIN:-target/debug/keyportal}")"
[[ -x "$bin" ]] || { echo "FAIL: no keyportal binary at $bin" >&2; exit 1; }
python="${OPENAPI_PYTHON:-python3}"
venv="target/openapi-venv"

want="$(cksum < tests/openapi/requirements.txt)"
have="$(cat "$venv/.requirements" 2>/dev/null || true)"
if [[ ! -x "$venv/bin/openapi-spec-validator" || "$want" != "$have" ]]; then
  command -v "$python" >/dev/null || { echo "FAIL: $python is required to validate the OpenAPI document" >&2; exit 1; }
  echo "[openapi] installing openapi-spec-validator into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r tests/openapi/requirements.txt
  echo "$want" >"$venv/.requirements"
fi

document="target/openapi.json"
"$bin" openapi >"$document"
"$venv/bin/openapi-spec-validator" --schema 3.1 --validation-errors all "$document"
