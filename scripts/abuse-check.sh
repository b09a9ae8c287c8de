#!/usr/bin/env bash
# Abuse check (issue 24) against a running server on loopback:
#
#   scripts/abuse-check.sh BASE_URL [SERVER_PID]
#
#   1. token flood: 30,000 distinct bogus bearer tokens (about 4 KB each, 16 in flight); reports the
#      server's RSS growth from /proc/<pid>/status (pid given, or found from the port with ss).
#      Target: < 50 MB.
#   2. login storm: 3 waves of 128 concurrent logins (600,000 PBKDF2 rounds each by default) while another
#      user's GET /v1/credits is timed; reports its p50/p90 and the logins' answers (200 / 429).
#      Target: p50 < 100 ms.
#   3. scan bomb: scripts/abuse-check.d/scan-bomb.sh BASE_URL TOKEN, when present (written separately).
#
# Every loop is bounded and every request has a timeout; it stops by itself. Prints the figures and
# "abuse-check: PASS" or "abuse-check: FAIL <what>" (exit 0 / 1). Needs curl, jq, awk.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
B="${1:?usage: scripts/abuse-check.sh BASE_URL [SERVER_PID]}"; B="${B%/}"
PID="${2:-}"
FLOOD=${ABUSE_FLOOD_TOKENS:-30000}
STORM=${ABUSE_STORM_LOGINS:-128}
WAVES=${ABUSE_STORM_WAVES:-3}
for t in curl jq awk; do command -v $t >/dev/null || { echo "abuse-check: FAIL $t is missing"; exit 1; }; done

host=$(echo "$B" | sed -E 's#^https?://(\[[^]]*\]|[^/:]*).*#\1#')
case "$host" in
  localhost|127.*|'[::1]') ;;
  *) echo "abuse-check: FAIL $B is not a loopback address (this check only runs against a local server)"; exit 1 ;;
esac
port=$(echo "$B" | sed -nE 's#^https?://(\[[^]]*\]|[^/:]*):([0-9]+).*#\2#p'); port=${port:-80}

WORK=$(mktemp -d /tmp/wati-abuse.XXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=()
J='Content-Type: application/json'

curl -sf --max-time 5 "$B/healthz" >/dev/null || { echo "abuse-check: FAIL no server answers at $B/healthz"; exit 1; }
if [[ -z "$PID" ]] && command -v ss >/dev/null; then
  PID=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
fi
rss_kb() { [[ -n "$PID" && -r /proc/$PID/status ]] && awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }

register() { # email -> access token
  curl -s --max-time 60 "$B/v1/auth/register" -H "$J" -d "{\"email\":\"$1\",\"password\":\"correct horse battery\"}" >/dev/null
  curl -s --max-time 60 "$B/v1/auth/login" -H "$J" -d "{\"email\":\"$1\",\"password\":\"correct horse battery\"}" | jq -r '.data.access_token // empty'
}
run=$RANDOM$RANDOM
VICTIM=$(register "victim$run@example.com")
STORMER="storm$run@example.com"; register "$STORMER" >/dev/null
[[ -n "$VICTIM" ]] || { echo "abuse-check: FAIL could not register a user at $B"; exit 1; }

# --- 1. token flood -------------------------------------------------------------------------------------
echo "== token flood: $FLOOD bogus tokens (pid ${PID:-unknown})"
before=$(rss_kb)
filler=$(head -c 3000 /dev/urandom | base64 -w0 | tr '+/' '-_' | head -c 3990)
batch=1000
for ((start = 0; start < FLOOD; start += batch)); do
  awk -v s="$start" -v n="$batch" -v max="$FLOOD" -v f="$filler" -v url="$B/v1/credits" 'BEGIN {
    for (i = s; i < s + n && i < max; i++) {   # "next" only between entries: a trailing one is an empty transfer
      if (i > s) print "next"
      printf "url = \"%s\"\nheader = \"Authorization: Bearer eyJ%s.%d\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n", url, f, i
    }
  }' >"$WORK/flood-$start.cfg"
done
started=$(date +%s.%N)
ls "$WORK"/flood-*.cfg | xargs -P 2 -I{} curl -s --parallel --parallel-max 8 --max-time 120 -K {} >"$WORK/flood.codes" 2>/dev/null
flood_s=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
codes=$(sort "$WORK/flood.codes" | uniq -c | awk '{printf "%s x%s ", $2, $1}')
echo "answers: $codes in ${flood_s}s"
sleep 2
after=$(rss_kb)
if [[ -n "$before" && -n "$after" ]]; then
  growth=$(( (after - before) / 1024 ))
  echo "RSS: $((before / 1024)) MB -> $((after / 1024)) MB (growth $growth MB; target < 50 MB)"
  (( growth < 50 )) || FAILS+=("token flood grew the server by $growth MB")
else
  echo "RSS: not measured (no readable /proc/<pid>/status; pass the server's pid as the second argument)"
fi
unexpected=$(grep -vc '^401$' "$WORK/flood.codes")
(( unexpected == 0 )) || FAILS+=("$unexpected flood answers were not 401")

# --- 2. login storm -------------------------------------------------------------------------------------
echo "== login storm: $WAVES waves of $STORM concurrent logins, timing another user's GET /v1/credits"
printf '{"email":"%s","password":"correct horse battery"}' "$STORMER" >"$WORK/login.json"
(
  for ((w = 0; w < WAVES; w++)); do
    seq "$STORM" | xargs -P "$STORM" -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
      "$B/v1/auth/login" -H "$J" --data-binary "@$WORK/login.json"
  done >"$WORK/storm.codes"
) &
storm=$!
sleep 0.5
: >"$WORK/latency"
for _ in $(seq 1 400); do
  kill -0 "$storm" 2>/dev/null || break
  curl -s -o /dev/null -w '%{time_total}\n' --max-time 30 "$B/v1/credits" -H "Authorization: Bearer $VICTIM" >>"$WORK/latency"
  sleep 0.05
done
wait "$storm"
samples=$(wc -l <"$WORK/latency")
read -r p50 p90 < <(sort -n "$WORK/latency" | awk '{v[NR] = $1 * 1000} END {
  if (NR == 0) {print "nan nan"; exit}
  m = int((NR + 1) / 2); n = int(NR * 0.9); if (n < 1) n = 1
  printf "%.1f %.1f\n", v[m], v[n] }')
codes=$(sort "$WORK/storm.codes" | uniq -c | awk '{printf "%s x%s ", $2, $1}')
echo "logins answered: $codes"
echo "other user's GET /v1/credits during the storm: p50 ${p50} ms, p90 ${p90} ms over $samples samples (target p50 < 100 ms)"
if [[ "$samples" -eq 0 ]]; then FAILS+=("no latency samples were taken during the storm")
elif ! awk -v p="$p50" 'BEGIN {exit !(p < 100)}'; then FAILS+=("credits p50 ${p50} ms during the login storm"); fi
grep -qv '^\(200\|429\)$' "$WORK/storm.codes" && FAILS+=("logins answered other than 200/429: $codes")

# --- 3. scan bomb ---------------------------------------------------------------------------------------
if [[ -x "$here/abuse-check.d/scan-bomb.sh" ]]; then
  echo "== scan bomb (scripts/abuse-check.d/scan-bomb.sh)"
  "$here/abuse-check.d/scan-bomb.sh" "$B" "$VICTIM" || FAILS+=("scan bomb check failed")
else
  echo "== scan bomb: scripts/abuse-check.d/scan-bomb.sh not present, skipped"
fi

if (( ${#FAILS[@]} == 0 )); then echo "abuse-check: PASS"; exit 0; fi
printf 'abuse-check: FAIL %s\n' "${FAILS[@]}"; exit 1
