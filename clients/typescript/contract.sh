#!/usr/bin/env bash
# The API contract's node side, against a real server started here (dotnet run of server/ on a free
# loopback port, with a temporary data folder):
#   ./contract.sh regen   write openapi.json and src/schema.d.ts from the server's /openapi/v1.json
#   ./contract.sh check   lint the document, fail if the committed copies differ from what it generates,
#                         run the client's node tests and the README's curl walk-through
# Prints node's TAP summary lines ("# pass N", "# fail N") for test.sh to count.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
mode="${1:-check}"

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
[[ -x node_modules/.bin/openapi-typescript && -x node_modules/.bin/redocly ]] || npm ci --no-audit --no-fund --loglevel=error >&2

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
data=$(mktemp -d)
log="$data/server.log"
export WATI_BASE_URL="http://127.0.0.1:$port"
export WATI_ADMIN_EMAIL=admin@example.com WATI_ADMIN_PASSWORD='an admin password'
Wati__DataDir="$data" Wati__Bootstrap__AdminEmail="$WATI_ADMIN_EMAIL" Wati__Bootstrap__AdminPassword="$WATI_ADMIN_PASSWORD" \
  dotnet run --project "$root/server/Wati.Server.csproj" -c Release --no-launch-profile -- --urls "$WATI_BASE_URL" >"$log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 240); do
  curl -sf "$WATI_BASE_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "server did not start" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$WATI_BASE_URL/openapi/v1.json" -o "$data/openapi.json"

if [[ $mode == regen ]]; then
  cp "$data/openapi.json" openapi.json
  node_modules/.bin/openapi-typescript openapi.json -o src/schema.d.ts >&2
  echo "regenerated openapi.json and src/schema.d.ts" >&2
  exit 0
fi

status=0
echo "== redocly lint" >&2
node_modules/.bin/redocly lint --config redocly.yaml "$data/openapi.json" >&2 || status=1

echo "== committed document and types match what the server generates" >&2
node_modules/.bin/openapi-typescript "$data/openapi.json" -o "$data/schema.d.ts" >/dev/null 2>&1
if ! diff -u openapi.json "$data/openapi.json" >&2 || ! diff -u src/schema.d.ts "$data/schema.d.ts" >&2; then
  echo "clients/typescript is stale: run clients/typescript/contract.sh regen and commit the result" >&2
  status=1
fi

echo "== client tests and the README walk-through" >&2
node_modules/.bin/tsc -p tsconfig.json >&2 || status=1
node --test --test-reporter=tap test/*.test.mjs || status=1
exit $status
