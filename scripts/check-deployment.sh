#!/usr/bin/env bash
# Checks a running deployment the way a user meets it (issue 17, "A check to run against a deployment"):
#
#   WATI_CHECK_ADMIN_EMAIL=admin@example.com WATI_CHECK_ADMIN_PASSWORD='...' scripts/check-deployment.sh https://api.example.com
#
# It registers a fresh test account, logs in, creates an API key, has the admin grant the credits the
# check spends, reads the balance and ledger, runs one asynchronous job per model (Prefer: respond-async,
# polled until finished, each output downloaded: 200 and an image content type), uploads two images and
# runs a two-item batch (items, manifest), reads every list route with page_size at its maximum
# (PageRequest.MaxSize in shared/Wati.Platform/Common/Paging.cs), checks that one more is a clean 400,
# and asks /healthz and /readyz. It prints one line per step ("ok   step ..." or
# "FAIL step: reason (request_id)") and a last line "check-deployment: N ok, M failed"; it exits 0 only
# when every step passed (1 when one failed, 2 on bad usage).
#
# What it leaves behind: only its own test account. Its jobs are deleted (DELETE /v1/jobs/{id}, which
# also deletes their stored outputs), its batch canceled (DELETE /v1/batches/{id}), its API key revoked,
# also when the check fails or is interrupted. There is no route that deletes an account yet, so the
# account stays, marked: its e-mail is check+{UTC time}-{random}@example.com and its display name
# "deployment check" (the ledger also shows the admin grant with the reason "deployment check").
#
# Settings (environment):
#   WATI_CHECK_ADMIN_EMAIL / WATI_CHECK_ADMIN_PASSWORD   an admin account (required; never printed)
#   WATI_CHECK_POLL_SECONDS      how long one job or batch may take to finish (default 120)
#   WATI_CHECK_REQUEST_SECONDS   how long one HTTP request may take (default 60)
# Needs bash, curl, jq and base64; the test images are embedded below, nothing is fetched but the
# deployment itself. Tokens, the key and the passwords live only in a private temporary folder (passed
# to curl as files, so they are not in the process list either) and are never printed.
set -uo pipefail

if [[ $# -ne 1 || -z ${WATI_CHECK_ADMIN_EMAIL:-} || -z ${WATI_CHECK_ADMIN_PASSWORD:-} ]]; then
  echo "usage: WATI_CHECK_ADMIN_EMAIL=... WATI_CHECK_ADMIN_PASSWORD=... $0 BASE_URL" >&2
  exit 2
fi
for tool in curl jq base64; do
  command -v "$tool" >/dev/null || { echo "check-deployment: $tool is required" >&2; exit 2; }
done
base=${1%/}
poll_seconds=${WATI_CHECK_POLL_SECONDS:-120}
request_seconds=${WATI_CHECK_REQUEST_SECONDS:-60}
[[ $poll_seconds =~ ^[0-9]+$ && $request_seconds =~ ^[0-9]+$ ]] ||
  { echo "check-deployment: WATI_CHECK_POLL_SECONDS and WATI_CHECK_REQUEST_SECONDS are whole seconds" >&2; exit 2; }
# The largest page_size every list route accepts: PageRequest.MaxSize (shared/Wati.Platform/Common/Paging.cs).
max_page_size=100

umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/wati-check.XXXXXX")
body="$work/body" headers="$work/headers"
passed=0 failed=0 code="" rid=""
account_ready=false cleaned=false
user_id="" key_id="" batch_id="" first_output=""
declare -a job_ids=()

# --- embedded test images (made for this script; PNG, RGB or RGBA) --------------------------------
# photo.png 64x64 RGB, a face-like oval; person.png 48x64 RGBA, a figure on transparency;
# beach.png 96x64 RGB, sky, sea and sand. All well inside the upload limits (README, "Uploads").
base64 -d >"$work/photo.png" <<'PNG'
iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAABGElEQVR42u3Suw3CQBBF0anEMUW4ki2CmJh4YseOESEFUQpOEdLu
zm8/5kkvRJ57bChdeeoRAAAAAEB27+dsgKM4P2/Ajb1WTP9iOB2lLvWOBupV72WgjvUuBupbbzdQ93qjgUaotxhokHq1gdKdFYsC
yEtonHqdAYDpAKH1CgMAcwEa1EsNlJjrl796WZZjxbian9UnARD0FwIAgAEBzepFhhN8gY3r1w5QnQQAAAD8FaCNQdRzAsDOouVv
b+taswJA0iMGFA3W178DcH5AnEFR8q+ACIMuQw/wNagbKD3YMp96Q4AVYDcYrzsALAb7aR+AzuBy1w0gNXgd9QRUMnzP+QN+PaHP
DwdEj9KLpx4AAAAAAACmfQD2zK3xsiqL4AAAAABJRU5ErkJggg==
PNG
base64 -d >"$work/person.png" <<'PNG'
iVBORw0KGgoAAAANSUhEUgAAADAAAABACAYAAABcIPRGAAAAgklEQVR42u3Y0QnAIAwFQMfuJJ2pW7UjFKw2Jt4D/9+BYGJrIiIi
E3Odx52u8NtJW3xZSE/5ZRBfyocjRpQPQ4wsH4JIDZhR/lcEAMCi5UsgXCGAnR8zo8RW02iJfaDERlZiJ071K5F+FgIAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAeABbbbh80sFrjQAAAABJRU5ErkJggg==
PNG
base64 -d >"$work/beach.png" <<'PNG'
iVBORw0KGgoAAAANSUhEUgAAAGAAAABACAIAAABqVuVZAAABKElEQVR42u3QzSqEARiG4edIvqOzsLCwsFAkSimllHpLKaWUPqUU
BjPDMAzz5+8g3oN4Vxb2z87urmt1L2+tXhUMrV0XDG3cFAxtdQqGtm8LhnbuCoZ27wuG9roFQ/u9gqGDfsFQPBQMHT4WDB0NCoaO
nwqGTp4Lhk6HBUNnLwVD568FQxejgqHLt4Khq/eCoc64YOh+UjDUnxYMDWYFQ8N5wdDoo2Bo/Fkw1Cy0zWLbLLXNctustM1q26y3
zWZL/+sMYhCDGMQgBjGIQQxiEIMY9B+D8idgKL8DhvIrYCg/A4byI2Ao5wFDOQsYymnAUE4ChnIcMJTvAUP5FjCUo4ChfA0YypeA
oRwGDOVzwFA+BQzlIGAoHwOG8iFgKPsBQ9kLGMpuwPgFsu2kb8UVteEAAAAASUVORK5CYII=
PNG

# --- output and calls ------------------------------------------------------------------------------
pass() {
  passed=$((passed + 1)); printf 'ok   %s\n' "$1"
  # For the interruption test only: hold after this step until a signal comes (at most 60 s), so the test's
  # signal lands mid-walk however fast the rest would run. `wait` returns at once when a trapped signal arrives.
  if [ -n "${WATI_CHECK_HOLD_AFTER:-}" ]; then
    case "$1" in "$WATI_CHECK_HOLD_AFTER"*) sleep 60 </dev/null >/dev/null 2>&1 & wait $! ;; esac
  fi
}
flunk() { failed=$((failed + 1)); printf 'FAIL %s: %s (%s)\n' "$1" "$2" "${rid:-no request id}"; }

# req METHOD PATH [curl arguments...]: one call to the deployment. Sets code (000 when no answer) and rid
# (the answer's request_id, else its X-Request-Id header); the answer's body is in $body.
req() {
  local method=$1 path=$2
  shift 2
  : >"$body"
  : >"$headers"
  code=$(curl -sS -X "$method" --connect-timeout 10 --max-time "$request_seconds" -D "$headers" -o "$body" \
    -w '%{http_code}' "$@" "$base$path" 2>"$work/curl.err") || true
  [[ $code =~ ^[0-9]{3}$ ]] || code=000
  rid=$(jq -r '.request_id // empty' "$body" 2>/dev/null) || rid=""
  [[ -n $rid ]] || rid=$(tr -d '\r' <"$headers" | sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: *//p' | tail -n1)
}

# Why the last answer is not what was expected: its status, error code and message (never a header).
why() {
  if [[ $code == 000 ]]; then
    printf 'no answer: %s' "$(head -c 200 "$work/curl.err" | tr '\n' ' ' | sed 's/ *$//')"
    return
  fi
  local detail
  detail=$(jq -r '[.error.code, .error.message] | map(select(. != null)) | join(": ")' "$body" 2>/dev/null) || detail=""
  [[ -n $detail ]] || detail=$(head -c 120 "$body" | tr -c '[:print:]' ' ')
  printf 'HTTP %s%s' "$code" "${detail:+ $detail}"
}

# expect STEP STATUS: true when the last answer had STATUS; otherwise a FAIL line for STEP.
expect() {
  [[ $code == "$2" ]] && return 0
  flunk "$1" "$(why), expected $2"
  return 1
}

# data FILTER: a jq filter over the last answer's body (raw output, empty when it does not apply).
data() { jq -r "$1 // empty" "$body" 2>/dev/null; }

# An output URL as given (absolute, or a path on the deployment), downloaded without our credentials:
# true when it answers 200 with an image content type; prints why not otherwise.
download() {
  local url=$1 got
  [[ $url == /* ]] && url="$base$url"
  got=$(curl -sS -o /dev/null --connect-timeout 10 --max-time "$request_seconds" -w '%{http_code} %{content_type}' \
    "$url" 2>"$work/curl.err") || true
  if [[ $got =~ ^200\ image/ ]]; then return 0; fi
  printf 'output download answered "%s" %s' "$got" "$(head -c 200 "$work/curl.err" | tr '\n' ' ')"
  return 1
}

# poll_job STEP JOB_ID: waits (at most poll_seconds) until the job has finished; true when it succeeded,
# with its final view in $body.
poll_job() {
  local step=$1 job=$2 state="" deadline=$((SECONDS + poll_seconds))
  while :; do
    req GET "/v1/jobs/$job" -H @"$work/h.key"
    expect "$step" 200 || return 1
    state=$(data .data.state)
    case $state in
      succeeded) return 0 ;;
      failed | canceled) flunk "$step" "job $job ended $state: $(data '.data.error.code // ""'): $(data '.data.error.message // ""')"; return 1 ;;
      queued | running) ;;
      *) flunk "$step" "job $job has an unknown state '$state'"; return 1 ;;
    esac
    if ((SECONDS >= deadline)); then flunk "$step" "job $job still $state after ${poll_seconds}s"; return 1; fi
    sleep 1
  done
}

# model STEP PATH FORM...: one asynchronous job of a model, polled until finished, every output downloaded.
model() {
  local step=$1 path=$2 job urls url n=0 problem
  shift 2
  req POST "$path" -H @"$work/h.key" -H 'Prefer: respond-async' "$@"
  expect "$step" 202 || return 1
  job=$(data .data.job_id)
  [[ -n $job ]] || { flunk "$step" "202 without data.job_id"; return 1; }
  job_ids+=("$job")
  poll_job "$step" "$job" || return 1
  urls=$(data '[.data.url // empty, (.data.outputs // [])[].url] | unique | .[]')
  [[ -n $urls ]] || { flunk "$step" "job $job succeeded without an output URL"; return 1; }
  while IFS= read -r url; do
    problem=$(download "$url") || { flunk "$step" "job $job: $problem"; return 1; }
    [[ -n $first_output ]] || first_output=$url
    n=$((n + 1))
  done <<<"$urls"
  pass "$step: job $job succeeded, $n output(s) download as images"
}

# listing STEP PATH AUTH_FILE|"" [MIN_ITEMS]: a list route at page_size=max_page_size answers 200 with a
# list of at least MIN_ITEMS items and pagination that echoes the page size.
listing() {
  local step=$1 path=$2 auth=$3 min=${4:-0} sep='?' count size
  [[ $path == *\?* ]] && sep='&'
  local args=()
  [[ -n $auth ]] && args=(-H @"$auth")
  req GET "$path${sep}page=1&page_size=$max_page_size" "${args[@]}"
  expect "$step" 200 || return 1
  count=$(data '.data.items | if type == "array" then length else empty end')
  size=$(data .pagination.page_size)
  if [[ -z $count ]]; then flunk "$step" "no data.items list in the answer"; return 1; fi
  if [[ $size != "$max_page_size" ]]; then flunk "$step" "pagination.page_size is '$size', expected $max_page_size"; return 1; fi
  if ((count < min)); then flunk "$step" "$count item(s) listed, expected at least $min"; return 1; fi
  pass "$step (page_size=$max_page_size): $count listed of $(data .pagination.total)"
}

# A header file for curl (-H @file), so a credential never appears on a command line.
bearer() { printf 'Authorization: Bearer %s\n' "$2" >"$work/$1"; }

# --- leaving only the marked account behind -------------------------------------------------------
cleanup() {
  $cleaned && return
  cleaned=true
  $account_ready || return
  local ids id gone=0 page=1 pages=1
  # Every job of the account (model jobs and batch items), also those whose submit answer was lost.
  ids=$(printf '%s\n' "${job_ids[@]}")
  while ((page <= pages)); do
    req GET "/v1/jobs?page=$page&page_size=$max_page_size" -H @"$work/h.user"
    [[ $code == 200 ]] || break
    ids+=$'\n'$(data '.data.items[].job_id')
    pages=$(data .pagination.total_pages)
    [[ $pages =~ ^[0-9]+$ ]] || pages=1
    page=$((page + 1))
  done
  ids=$(grep -v '^$' <<<"$ids" | sort -u)
  if [[ -n $batch_id ]]; then
    req DELETE "/v1/batches/$batch_id" -H @"$work/h.user"
    expect "cleanup: cancel batch $batch_id" 200 && pass "cleanup: batch $batch_id canceled (what had not started is refunded)"
  fi
  local failures=0
  while IFS= read -r id; do
    [[ -n $id ]] || continue
    req DELETE "/v1/jobs/$id" -H @"$work/h.user"
    if [[ $code == 200 ]]; then gone=$((gone + 1)); else failures=$((failures + 1)); flunk "cleanup: delete job $id" "$(why), expected 200"; fi
  done <<<"$ids"
  if ((failures == 0)); then
    # A deleted job's files are gone: the URL the check downloaded first no longer serves an image.
    if [[ -n $first_output ]] && download "$first_output" >/dev/null; then
      rid=""
      flunk "cleanup: delete jobs" "$gone job(s) deleted, but an output URL of one still serves its image"
    else
      pass "cleanup: $gone job(s) deleted with their outputs"
    fi
  fi
  if [[ -n $key_id ]]; then
    req DELETE "/v1/api-keys/$key_id" -H @"$work/h.user"
    if expect "cleanup: revoke API key $key_id" 200; then
      req GET /v1/credits -H @"$work/h.key"
      expect "cleanup: the revoked key is refused" 401 && pass "cleanup: API key $key_id revoked and refused (401)"
    fi
  fi
}

verdict() {
  printf 'check-deployment: %d ok, %d failed\n' "$passed" "$failed"
  [[ $failed -eq 0 && $passed -gt 0 ]]
}

finish() {
  cleanup
  verdict
  exit $?
}
# shellcheck disable=SC2317 # called by the trap below
on_signal() {
  rid=""
  flunk "interrupted" "stopped by a signal before the check finished"
  finish
}
trap 'rm -rf "$work"' EXIT
trap on_signal INT TERM

# --- the walk --------------------------------------------------------------------------------------
req GET /healthz
expect "healthz" 200 && pass "healthz"

req GET /readyz
if expect "readyz" 200; then
  pass "readyz: $(data '.data.checks // {} | to_entries | map("\(.key) \(.value)") | join(", ")')"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
suffix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
email="check+$stamp-$suffix@example.com"
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$work/password"
jq -n --arg email "$email" --rawfile password "$work/password" \
  '{email: $email, password: $password, display_name: "deployment check"}' >"$work/register.json"
jq -n --arg email "$email" --rawfile password "$work/password" '{email: $email, password: $password}' >"$work/login.json"
# Read from the environment inside jq: an argument would show the password in the process list.
jq -n '{email: $ENV.WATI_CHECK_ADMIN_EMAIL, password: $ENV.WATI_CHECK_ADMIN_PASSWORD}' >"$work/admin-login.json"
json=(-H 'Content-Type: application/json')

req POST /v1/auth/register "${json[@]}" --data-binary @"$work/register.json"
expect "register test account" 201 || finish
user_id=$(data .data.user.id)
pass "register test account $email (display name \"deployment check\")"

req POST /v1/auth/login "${json[@]}" --data-binary @"$work/login.json"
expect "log in" 200 || finish
token=$(data .data.access_token)
[[ -n $token ]] || { flunk "log in" "no data.access_token"; finish; }
bearer h.user "$token"
unset token
account_ready=true
req GET /v1/users/me -H @"$work/h.user"
if expect "log in" 200; then
  user_id=$(data .data.id)
  if [[ $(data .data.display_name) == "deployment check" ]]; then
    pass "log in (users/me: $user_id, \"deployment check\")"
  else
    flunk "log in" "users/me names the account '$(data .data.display_name)', expected \"deployment check\""
  fi
fi

req POST /v1/api-keys -H @"$work/h.user" "${json[@]}" -d '{"name":"deployment check"}'
expect "create API key" 201 || finish
key_id=$(data .data.id)
key=$(data .data.key)
[[ -n $key && -n $key_id ]] || { flunk "create API key" "no data.key or data.id"; finish; }
bearer h.key "$key"
unset key
pass "create API key $key_id"

# What the check spends: one job of each model (IC-Light: one image) and two gfpgan batch items.
req GET /v1/prices
expect "prices" 200 || finish
price() { jq -r --arg m "$1" '.data.items[] | select(.model == $m) | .credits' "$body"; }
p_gfpgan=$(price gfpgan) p_style=$(price replace-style) p_background=$(price replace-background) p_iclight=$(price iclight)
if ! [[ $p_gfpgan =~ ^[0-9]+$ && $p_style =~ ^[0-9]+$ && $p_background =~ ^[0-9]+$ && $p_iclight =~ ^[0-9]+$ ]]; then
  flunk "prices" "a model has no price: gfpgan '$p_gfpgan', replace-style '$p_style', replace-background '$p_background', iclight '$p_iclight'"
  finish
fi
spend=$((3 * p_gfpgan + p_style + p_background + p_iclight))
pass "prices: the check spends $spend credits"

req GET /v1/credits -H @"$work/h.key"
expect "credits before the grant" 200 || finish
balance0=$(data .data.balance)

req POST /v1/auth/login "${json[@]}" --data-binary @"$work/admin-login.json"
if expect "admin log in" 200 && [[ -n $(data .data.access_token) ]]; then
  bearer h.admin "$(data .data.access_token)"
  admin=true
  pass "admin log in"
else
  [[ $code == 200 ]] && flunk "admin log in" "no data.access_token"
  admin=false
fi
if $admin; then
  jq -n --arg user "$user_id" --arg amount "$spend" '{user_id: $user, amount: $amount, reason: "deployment check"}' >"$work/grant.json"
  req POST /v1/admin/credits -H @"$work/h.admin" "${json[@]}" --data-binary @"$work/grant.json"
  expect "admin grants credits" 200 && pass "admin grants $spend credits"
fi
req GET /v1/credits -H @"$work/h.key"
if expect "credits after the grant" 200; then
  balance1=$(data .data.balance)
  if $admin && [[ $balance1 != $((balance0 + spend)) ]]; then
    flunk "credits after the grant" "balance $balance1, expected $balance0 + $spend"
  else
    pass "credits: balance $balance1, reserved $(data .data.reserved)"
  fi
fi
listing "ledger after the grant" /v1/credits/ledger "$work/h.key" 1

# One asynchronous job per model (the parameters the README documents).
model "gfpgan job" /v1/gfpgan -F "image=@$work/photo.png;type=image/png" -F scale=2
model "replace-style job" /v1/replace-style -F "image=@$work/photo.png;type=image/png" -F style=anime
model "replace-background job" /v1/replace-background \
  -F "fg=@$work/person.png;type=image/png" -F "bg=@$work/beach.png;type=image/png"
model "iclight job" /v1/portraits/iclight -F "subject_image=@$work/photo.png;type=image/png" \
  -F "prompt=soft window light" -F "light_source=Left Light" -F width=256 -F height=256 -F number_of_images=1

# A two-item batch on two uploads.
batch() {
  local step="batch of two" u1 u2 state="" deadline problem url n=0
  req POST /v1/uploads -H @"$work/h.key" -F "file=@$work/photo.png;type=image/png" -F "file=@$work/beach.png;type=image/png"
  expect "uploads" 201 || return 1
  u1=$(data '.data.items[0].id') u2=$(data '.data.items[1].id')
  [[ -n $u1 && -n $u2 ]] || { flunk "uploads" "two uploads without two ids"; return 1; }
  pass "uploads: $u1, $u2"
  jq -n --arg u1 "$u1" --arg u2 "$u2" '{model: "gfpgan", items: [
      {inputs: {image: $u1}, params: {scale: 2}, ref: "check-1"},
      {inputs: {image: $u2}, params: {scale: 1}, ref: "check-2"}]}' >"$work/batch.json"
  req POST /v1/batches -H @"$work/h.key" "${json[@]}" -H "Idempotency-Key: deployment-check-$stamp-$suffix" \
    --data-binary @"$work/batch.json"
  expect "$step" 202 || return 1
  batch_id=$(data .data.id)
  [[ -n $batch_id ]] || { flunk "$step" "202 without data.id"; return 1; }
  deadline=$((SECONDS + poll_seconds))
  while :; do
    req GET "/v1/batches/$batch_id" -H @"$work/h.key"
    expect "$step" 200 || return 1
    state=$(data .data.state)
    [[ $state == completed ]] && break
    if ((SECONDS >= deadline)); then flunk "$step" "batch $batch_id still $state after ${poll_seconds}s"; return 1; fi
    sleep 1
  done
  if [[ $(data .data.counts.succeeded) != 2 ]]; then
    flunk "$step" "batch $batch_id completed with counts $(jq -c '.data.counts' "$body")"
    return 1
  fi
  pass "$step: batch $batch_id completed, 2 succeeded"
  req GET "/v1/batches/$batch_id/manifest" -H @"$work/h.key"
  expect "batch manifest" 200 || return 1
  [[ $(data '.data.outputs | length') -ge 2 ]] || { flunk "batch manifest" "$(data '.data.outputs | length') output(s), expected 2"; return 1; }
  while IFS= read -r url; do
    problem=$(download "$url") || { flunk "batch manifest" "$problem"; return 1; }
    n=$((n + 1))
  done < <(data '.data.outputs[].url')
  pass "batch manifest: $n outputs download as images"
}
batch

# Every job finished: what was charged is exactly what the prices say, nothing stays reserved.
req GET /v1/credits -H @"$work/h.key"
if expect "credits settle" 200; then
  balance2=$(data .data.balance) reserved=$(data .data.reserved)
  if [[ $reserved != 0 || $balance2 != $((balance1 - spend)) ]]; then
    flunk "credits settle" "balance $balance2 reserved $reserved, expected balance $((balance1 - spend)) reserved 0"
  else
    pass "credits settle: balance $balance2 (charged $spend), reserved 0"
  fi
fi

# Each list route with page_size at its maximum, and one above it refused cleanly.
listing "jobs" /v1/jobs "$work/h.key" 4
listing "ledger" /v1/credits/ledger "$work/h.key" 1
listing "api-keys" /v1/api-keys "$work/h.user" 1
listing "batches" /v1/batches "$work/h.key" 1
[[ -n $batch_id ]] && listing "batch items" "/v1/batches/$batch_id/items" "$work/h.key" 2
listing "manifest" /v1/manifest ""
listing "portraits" /v1/portraits ""
if $admin; then
  listing "admin metrics" /v1/admin/metrics "$work/h.admin"
  listing "admin stuck jobs" /v1/admin/jobs/stuck "$work/h.admin"
  listing "admin dead letters" /v1/admin/jobs/dead-letters "$work/h.admin"
fi
req GET "/v1/jobs?page=1&page_size=$((max_page_size + 1))" -H @"$work/h.key"
if expect "page_size above its maximum" 400; then
  if [[ $(data .error.code) == VALIDATION_ERROR ]]; then
    pass "page_size $((max_page_size + 1)) refused: 400 VALIDATION_ERROR"
  else
    flunk "page_size above its maximum" "400 with code '$(data .error.code)', expected VALIDATION_ERROR"
  fi
fi

finish
