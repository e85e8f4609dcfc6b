#!/usr/bin/env bash
# Regenerates api/src/http/examples.json: a server over the seed documents on a fresh SQLite file,
# an admin and an editor of 乐清市, then capture_examples.py. Needs the debug binary
# (`cargo build -p duban-api`); regenerate openapi/openapi.json afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DUBAN_BIN:-target/debug/duban}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite://$work/duban.db?mode=rwc" JWT_SECRET="capture-examples-sign-with-32-bytes!!" PASSWORD="capture-password"
trap '[ -n "${server:-}" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
"$bin" migrate >/dev/null 2>&1
"$bin" user create --username admin --role admin --password-env PASSWORD >/dev/null 2>&1
CLOCK_DATE=2021-06-30 BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
# The city exists once the server has loaded the seed.
"$bin" user create --username editor --role editor --city 330382 --password-env PASSWORD >/dev/null 2>&1
token() {
  curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
ADMIN_TOKEN=$(token admin) EDITOR_TOKEN=$(token editor) DUBAN_URL="http://127.0.0.1:$port" \
  PASSWORD="$PASSWORD" python3 openapi/capture_examples.py openapi/openapi.json >"$work/examples.json"
mv "$work/examples.json" api/src/http/examples.json
