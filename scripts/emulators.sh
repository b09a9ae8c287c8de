#!/usr/bin/env bash
# Sourced by test.sh. Installs the storage emulators from tools/emulators (npm ci, from the committed
# lock file), starts Azurite's table and queue services, the strict-Azure proxy in front of them
# (tools/emulators/strict-azure.mjs, docs/decisions/0011) and s3rver on free loopback ports, waits until
# all answer, exports where they listen and stops them when the calling shell exits, whatever the tests
# did. WATI_TEST_AZURITE_TABLE_PORT / _QUEUE_PORT point at the proxy (account-key role), so every Azure
# suite runs as strict as Azure; WATI_TEST_STRICT_MI_TABLE_PORT / _QUEUE_PORT are the proxy in the role
# of the app's managed identity; WATI_TEST_AZURITE_RAW_TABLE_PORT / _QUEUE_PORT are Azurite itself (for
# the proxy's own tests); WATI_TEST_S3_PORT is s3rver. Returns non-zero with a clear message when an
# emulator cannot be installed or started: the suites that need them are not skipped.
# Azurite always runs with --disableTelemetry: without it, it tries to reach a cloud metadata address
# (no test may leave loopback) and then ignores SIGTERM.

emulators_dir="$PWD/tools/emulators"
emulators_run=$(mktemp -d "${TMPDIR:-/tmp}/wati-emulators.XXXXXX")
emulator_pids=()

emulators_stop() {
  local pid
  for pid in "${emulator_pids[@]}"; do
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  emulator_pids=()
  rm -rf "$emulators_run"
}
trap emulators_stop EXIT

emulators_fail() { echo "emulators: $*" >&2; return 1; }

emulators_install() {
  if ! command -v npm >/dev/null; then
    echo "emulators: installing Node.js and npm (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } >/dev/null 2>&1 ||
      { emulators_fail "npm is missing and could not be installed: apt-get install -y nodejs npm"; return 1; }
  fi
  local stamp="$emulators_dir/node_modules/.wati-lock.sha256" want
  want=$(sha256sum "$emulators_dir/package-lock.json" | cut -d' ' -f1)
  if [[ ! -x $emulators_dir/node_modules/.bin/azurite-table || ! -x $emulators_dir/node_modules/.bin/s3rver ||
        "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "emulators: npm ci (azurite, s3rver)"
    (cd "$emulators_dir" && npm ci --no-audit --no-fund --loglevel=error >"$emulators_run/npm.log" 2>&1) ||
      { cat "$emulators_run/npm.log" >&2; emulators_fail "npm ci in tools/emulators failed (log above)"; return 1; }
    echo "$want" >"$stamp"
  fi
}

emulators_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# $1 name, $2 port, $3 log: waits up to 30 s for the port to accept connections.
emulators_wait() {
  local pid=${emulator_pids[-1]}
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$3" >&2
  emulators_fail "$1 did not start on 127.0.0.1:$2 (its output is above)"
}

emulators_start() {
  emulators_install || return 1
  local bin="$emulators_dir/node_modules/.bin" table_port queue_port s3_port
  local strict_table strict_queue strict_mi_table strict_mi_queue
  table_port=$(emulators_free_port) && queue_port=$(emulators_free_port) && s3_port=$(emulators_free_port) &&
    strict_table=$(emulators_free_port) && strict_queue=$(emulators_free_port) &&
    strict_mi_table=$(emulators_free_port) && strict_mi_queue=$(emulators_free_port) ||
    { emulators_fail "no free loopback port"; return 1; }

  mkdir -p "$emulators_run/azurite" "$emulators_run/s3"
  # In memory, so nothing is left on disk; run in the temporary folder in case it writes anything anyway.
  (cd "$emulators_run/azurite" && exec "$bin/azurite-table" --disableTelemetry --inMemoryPersistence --silent \
    --tableHost 127.0.0.1 --tablePort "$table_port") >"$emulators_run/azurite.log" 2>&1 &
  emulator_pids+=($!)
  emulators_wait "Azurite (tables)" "$table_port" "$emulators_run/azurite.log" || return 1

  mkdir -p "$emulators_run/azurite-queue"
  (cd "$emulators_run/azurite-queue" && exec "$bin/azurite-queue" --disableTelemetry --inMemoryPersistence --silent \
    --queueHost 127.0.0.1 --queuePort "$queue_port") >"$emulators_run/azurite-queue.log" 2>&1 &
  emulator_pids+=($!)
  emulators_wait "Azurite (queues)" "$queue_port" "$emulators_run/azurite-queue.log" || return 1

  # The strict-Azure layer: Azure's limits and the managed identity's permissions in front of Azurite.
  node "$emulators_dir/strict-azure.mjs" --table-upstream "$table_port" --queue-upstream "$queue_port" \
    --table "$strict_table" --queue "$strict_queue" --mi-table "$strict_mi_table" --mi-queue "$strict_mi_queue" \
    >"$emulators_run/strict-azure.log" 2>&1 &
  emulator_pids+=($!)
  emulators_wait "strict-azure" "$strict_table" "$emulators_run/strict-azure.log" || return 1
  emulators_wait "strict-azure" "$strict_mi_queue" "$emulators_run/strict-azure.log" || return 1

  # s3rver 3.7 on Node 17+ (OpenSSL 3) needs the legacy provider: it encrypts ListObjectsV2
  # continuation tokens with DES, so a truncated listing (readiness lists MaxKeys=1, hence once the
  # bucket holds two objects) answers 500 and readiness reports object storage down. s3rver only.
  NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--openssl-legacy-provider" "$bin/s3rver" --directory "$emulators_run/s3" --address 127.0.0.1 --port "$s3_port" --silent \
    >"$emulators_run/s3rver.log" 2>&1 &
  emulator_pids+=($!)
  emulators_wait "s3rver" "$s3_port" "$emulators_run/s3rver.log" || return 1

  export WATI_TEST_AZURITE_TABLE_PORT=$strict_table WATI_TEST_AZURITE_QUEUE_PORT=$strict_queue \
    WATI_TEST_STRICT_MI_TABLE_PORT=$strict_mi_table WATI_TEST_STRICT_MI_QUEUE_PORT=$strict_mi_queue \
    WATI_TEST_AZURITE_RAW_TABLE_PORT=$table_port WATI_TEST_AZURITE_RAW_QUEUE_PORT=$queue_port WATI_TEST_S3_PORT=$s3_port
  echo "emulators: Azurite tables on 127.0.0.1:$table_port, queues on 127.0.0.1:$queue_port," \
    "strict layer tables/queues on $strict_table/$strict_queue (managed identity $strict_mi_table/$strict_mi_queue)," \
    "s3rver on 127.0.0.1:$s3_port"
}
