#!/usr/bin/env bash
# Soak and crash checks for the job pipeline (issue 6), against the real server on embedded defaults.
#
#   scripts/soak-jobs.sh soak  [N]            N sequential, then N concurrent async gfpgan jobs on an idle server,
#                                             then N concurrent while other users load it (default N=1000)
#   scripts/soak-jobs.sh crash LEASE DELIVERIES [JOBS]
#                                             JOBS gfpgan jobs on a 2000x2000 JPEG, kill -9 while they run,
#                                             restart, and time until every job is terminal
#   scripts/soak-jobs.sh long  LEASE [JOBS]   jobs longer than half the lease, no crash: no job may run twice
#
# Each run prints what it measured and ends with "soak: ok" or "soak: FAIL ...". Needs curl, jq,
# python3 and the vips CLI (Debian libvips-tools) to make its images.
set -uo pipefail
cd "$(dirname "$0")/.."
for t in curl jq python3 vips; do command -v $t >/dev/null || { echo "soak: FAIL $t is missing"; exit 1; }; done

WORK=$(mktemp -d /tmp/wati-soak.XXXX)
OUT=$WORK/build
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
fail() { echo "soak: FAIL $*"; exit 1; }

dotnet build server/Wati.Server.csproj -c Release -o "$OUT" >"$WORK/build.log" 2>&1 || fail "build (see $WORK/build.log)"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
B=http://127.0.0.1:$PORT
DATA=$WORK/data

start() {
  env Wati__DataDir="$DATA" Wati__Credits__SignupBonus=100000 Wati__Jobs__MaxActivePerUser=5000 \
      Wati__Auth__PasswordIterations=1000 ASPNETCORE_ENVIRONMENT=Production "$@" \
      dotnet "$OUT/Wati.Server.dll" --urls "$B" >>"$WORK/server.log" 2>&1 &
  SERVER=$!; PIDS+=("$SERVER")
  for _ in $(seq 1 200); do curl -fs "$B/healthz" >/dev/null && return 0; sleep 0.1; done
  fail "server did not start (see $WORK/server.log)"
}

register() {
  curl -fs "$B/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1@soak.test\",\"password\":\"a long soak password\",\"display_name\":\"$1\"}" | jq -r .data.access_token
}

submit() { # token image [form...] -> job id
  local t=$1 img=$2; shift 2
  curl -fs "$B/v1/gfpgan" -H "Authorization: Bearer $t" -H 'Prefer: respond-async' -F "image=@$img" "$@" | jq -r .data.job_id
}

burst() { # token n: n async gfpgan submits, 32 at a time; every one must be accepted
  seq 1 "$2" | xargs -P 32 -I{} sh -c "curl -fs '$B/v1/gfpgan' -H 'Authorization: Bearer $1' -H 'Prefer: respond-async' -F 'image=@$WORK/small.jpg' -F scale=1 -o /dev/null || echo x" > "$WORK/burst.err"
  [[ -s $WORK/burst.err ]] && fail "$(wc -l <"$WORK/burst.err") of $2 concurrent submits failed"
}

state() { curl -fs "$B/v1/jobs/$2" -H "Authorization: Bearer $1" | jq -r .data.state; }

count() { # token state -> number of the user's jobs in that state
  curl -fs "$B/v1/jobs?state=$2&page_size=1" -H "Authorization: Bearer $1" | jq -r .pagination.total
}

# Money: reserved 0, ledger sum == balance (all pages).
check_money() {
  local t=$1 bal res sum=0 page=1 pages
  read -r bal res <<<"$(curl -fs "$B/v1/credits" -H "Authorization: Bearer $t" | jq -r '"\(.data.balance) \(.data.reserved)"')"
  while :; do
    local body; body=$(curl -fs "$B/v1/credits/ledger?page=$page&page_size=100" -H "Authorization: Bearer $t")
    sum=$((sum + $(echo "$body" | jq '[.data.items[].amount|tonumber]|add // 0')))
    pages=$(echo "$body" | jq .pagination.total_pages); ((page >= pages)) && break; page=$((page + 1))
  done
  echo "money: balance=$bal reserved=$res ledger_sum=$sum"
  [[ $res == 0 && $sum == "$bal" ]] || fail "money is not exact"
}

# Waits until the user has no queued or running job; prints the seconds it took.
wait_terminal() {
  local t=$1 limit=$2 start=$SECONDS
  while (( SECONDS - start < limit )); do
    (( $(count "$t" queued) + $(count "$t" running) == 0 )) && { echo $((SECONDS - start)); return 0; }
    sleep 0.5
  done
  echo "timeout"; return 1
}

# The job rows' attempts, from the embedded store (what the API does not show).
attempts_histogram() {
  python3 - "$DATA/tables.db" <<'PY'
import sqlite3, sys, json, collections
db = sqlite3.connect(sys.argv[1])
h = collections.Counter()
# Row keys are stored as UTF-16 blobs; job rows are the ones with an "attempts" property, ["i", n].
for (props,) in db.execute("SELECT props FROM entities WHERE tbl='users'"):
    p = json.loads(props)
    if "attempts" in p and p.get("price", ["i", 0])[1] > 0:
        h[str(p["attempts"][1])] += 1
print("attempts per job:", dict(sorted(h.items())))
PY
}

mode=${1:-soak}
case $mode in
soak)
  N=${2:-1000}
  vips gaussnoise "$WORK/small.jpg" 256 256 >/dev/null || fail "vips"
  vips gaussnoise "$WORK/big.jpg" 1600 1200 >/dev/null
  start
  T=$(register seq)
  t0=$SECONDS
  for i in $(seq 1 "$N"); do
    id=$(submit "$T" "$WORK/small.jpg" -F scale=1)
    [[ $id == job_* ]] || fail "submit $i answered no job id"
    for _ in $(seq 1 600); do s=$(state "$T" "$id"); [[ $s == succeeded || $s == failed || $s == canceled ]] && break; sleep 0.01; done
    [[ $s == succeeded ]] || fail "sequential job $i ($id) ended '$s'"
  done
  echo "sequential: $N/$N succeeded in $((SECONDS - t0)) s"

  T2=$(register conc)
  t0=$SECONDS
  burst "$T2" "$N"
  took=$(wait_terminal "$T2" 600) || fail "concurrent jobs not terminal after 600 s"
  ok=$(count "$T2" succeeded)
  echo "concurrent (idle): $ok/$N succeeded, all terminal $took s after the last submit ($((SECONDS - t0)) s in all)"
  [[ $ok == "$N" ]] || fail "concurrent: $ok of $N succeeded"

  # Busy: other users keep the API and the model slot busy meanwhile.
  TB=$(register busy)
  ( while :; do curl -s "$B/v1/credits" -H "Authorization: Bearer $TB" -o /dev/null; done ) & PIDS+=($!)
  ( while :; do curl -s "$B/v1/replace-style" -H "Authorization: Bearer $TB" -F "image=@$WORK/big.jpg" -F style=noir -o /dev/null; done ) & PIDS+=($!)
  T3=$(register conc-busy)
  t0=$SECONDS
  burst "$T3" "$N"
  took=$(wait_terminal "$T3" 900) || fail "busy jobs not terminal after 900 s"
  ok=$(count "$T3" succeeded)
  echo "concurrent (busy): $ok/$N succeeded, all terminal $took s after the last submit ($((SECONDS - t0)) s in all)"
  [[ $ok == "$N" ]] || fail "busy: $ok of $N succeeded"
  for t in "$T" "$T2" "$T3"; do check_money "$t"; done
  attempts_histogram
  ;;
crash|long)
  LEASE=${2:-5}; DELIV=${3:-5}; JOBS=${4:-40}
  [[ $mode == long ]] && { JOBS=${3:-12}; DELIV=5; }
  SETTINGS=(Wati__Jobs__LeaseSeconds="$LEASE" Wati__Queue__VisibilityTimeoutSeconds="$LEASE" Wati__Queue__MaxDeliveries="$DELIV"
            Wati__Jobs__SweepSeconds=1)
  if [[ $mode == long ]]; then
    # A job of about 0.6 x the lease: IC-Light with many large images.
    vips gaussnoise "$WORK/face.jpg" 1024 1024 >/dev/null
  else
    vips gaussnoise "$WORK/face.jpg" 2000 2000 >/dev/null
  fi
  start "${SETTINGS[@]}"
  T=$(register crash)
  ids=()
  for i in $(seq 1 "$JOBS"); do
    if [[ $mode == long ]]; then
      id=$(curl -fs "$B/v1/portraits/iclight" -H "Authorization: Bearer $T" -H 'Prefer: respond-async' -F "subject_image=@$WORK/face.jpg" \
        -F prompt=soak -F width=1024 -F height=1024 -F number_of_images=${IMAGES:-12} | jq -r .data.job_id)
    else
      id=$(submit "$T" "$WORK/face.jpg" -F scale=2)
    fi
    [[ $id == job_* ]] || fail "submit $i"; ids+=("$id")
  done
  if [[ $mode == crash ]]; then
    for _ in $(seq 1 200); do (( $(count "$T" running) > 0 )) && break; sleep 0.05; done
    sleep "${CRASH_AFTER:-1.5}"
    echo "before kill: $(count "$T" succeeded) succeeded, $(count "$T" running) running, $(count "$T" queued) queued"
    inflight=$(curl -fs "$B/v1/jobs?state=running&page_size=100" -H "Authorization: Bearer $T" | jq -r '.data.items[].job_id')
    kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null
    start "${SETTINGS[@]}"
    t0=$SECONDS
    for id in $inflight; do
      while :; do s=$(state "$T" "$id"); [[ $s == running || $s == queued ]] || break; (( SECONDS - t0 > 10 * LEASE + 60 )) && fail "$id still $s"; sleep 0.2; done
      echo "in flight at the kill: $id ended $s $((SECONDS - t0)) s after restart (twice the lease: $((2 * LEASE)) s)"
    done
    # Every job that was running when the process died must be terminal within twice the lease.
    took=$(wait_terminal "$T" 900) || fail "jobs not terminal after restart"
    echo "after restart: all $JOBS jobs terminal after $took s (lease $LEASE s, max deliveries $DELIV)"
  else
    took=$(wait_terminal "$T" 1800) || fail "jobs not terminal"
    echo "long: all $JOBS jobs terminal after $took s"
  fi
  echo "states: succeeded=$(count "$T" succeeded) failed=$(count "$T" failed) canceled=$(count "$T" canceled)"
  check_money "$T"
  attempts_histogram
  refunds=$(curl -fs "$B/v1/credits/ledger?page_size=100" -H "Authorization: Bearer $T" | jq '[.data.items[]|select(.kind=="refund")]|length')
  echo "refund entries: $refunds (one per failed job: $(count "$T" failed))"
  [[ $refunds == "$(count "$T" failed)" ]] || fail "refunds do not match failed jobs"
  if [[ $mode == long ]]; then
    twice=$(attempts_histogram | grep -o "'[2-9]': [0-9]*" || true)
    [[ -z $twice ]] || fail "some jobs ran more than once without a crash: $twice"
  fi
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "soak: ok"
