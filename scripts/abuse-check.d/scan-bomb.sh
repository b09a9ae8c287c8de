#!/usr/bin/env bash
# Scan-bomb part of the abuse check (issue 24, finding 1), against a running server.
#
#   scripts/abuse-check.d/scan-bomb.sh BASE_URL TOKEN
#
# BASE_URL: the server, e.g. http://127.0.0.1:7071. TOKEN: a user's access token or API key (the attacker).
# Optional env: OTHER_TOKEN (the bystander; else a fresh user is registered), BOMB_SIZE (default 6320),
# MAX_SECONDS (default 1: the bound each refusal and the bystander's call must answer within).
#
# Writes the issue's 440 KB, 2,647-scan progressive JPEG (scan-bomb.py), posts it four times at once to
# POST /v1/uploads and four times at once to POST /v1/gfpgan, and while they run times another user's
# 256 px gfpgan call. Prints one line per figure, then "scan-bomb: ok" (exit 0) or "scan-bomb: FAIL ..." (exit 1).
# Needs curl, jq and python3.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
B="${1:?usage: scan-bomb.sh BASE_URL TOKEN}"
TOKEN="${2:?usage: scan-bomb.sh BASE_URL TOKEN}"
SIZE="${BOMB_SIZE:-6320}"
MAX="${MAX_SECONDS:-1}"
for t in curl jq python3; do command -v $t >/dev/null || { echo "scan-bomb: FAIL $t is missing"; exit 1; }; done
WORK=$(mktemp -d /tmp/wati-scan-bomb.XXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "scan-bomb: FAIL $*"; exit 1; }

python3 "$here/scan-bomb.py" "$SIZE" "$SIZE" "$WORK/bomb.jpg" || fail "could not write the bomb"
# The bystander's input: a 256x256 grey PNG, written without any image library.
python3 - "$WORK/small.png" <<'PY'
import struct, sys, zlib
w = h = 256
raw = b"".join(b"\x00" + bytes([(x * 7 + y * 3) & 255 for x in range(w) for _ in range(3)]) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
echo "scan-bomb: bomb ${SIZE}x${SIZE}, $(stat -c %s "$WORK/bomb.jpg") bytes, 2647 scans"

OTHER="${OTHER_TOKEN:-}"
if [[ -z "$OTHER" ]]; then
  email="bystander-$RANDOM$RANDOM@example.com"
  curl -s "$B/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"a bystander password\",\"display_name\":\"Bystander\"}" >/dev/null
  OTHER=$(curl -s "$B/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"a bystander password\"}" | jq -r '.data.access_token // empty')
  [[ -n "$OTHER" ]] || fail "could not register a bystander user (set OTHER_TOKEN)"
fi

post() { # name route field -> WORK/name.out: "status seconds code"
  curl -s -o "$WORK/$1.json" -w '%{http_code} %{time_total}' "$B$2" -H "Authorization: Bearer $TOKEN" \
    -F "$3=@$WORK/bomb.jpg;type=image/jpeg" >"$WORK/$1.out"
  echo " $(jq -r '.error.details.rule // .error.details.reason // .error.code // "-"' "$WORK/$1.json" 2>/dev/null)" >>"$WORK/$1.out"
}
# Baseline: the bystander's call on a quiet server (the first one warms the model up and is not counted).
curl -s -o /dev/null "$B/v1/gfpgan" -H "Authorization: Bearer $OTHER" -F "image=@$WORK/small.png" -F scale=1
quiet=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$B/v1/gfpgan" -H "Authorization: Bearer $OTHER" -F "image=@$WORK/small.png" -F scale=1)
echo "scan-bomb: bystander gfpgan 256 px, quiet server: $quiet s"

pids=()
for i in 1 2 3 4; do post "upload-$i" /v1/uploads file & pids+=($!); done
for i in 1 2 3 4; do post "gfpgan-$i" /v1/gfpgan image & pids+=($!); done
busy=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$B/v1/gfpgan" -H "Authorization: Bearer $OTHER" -F "image=@$WORK/small.png" -F scale=1)
wait "${pids[@]}"

bad=""
for f in "$WORK"/upload-*.out "$WORK"/gfpgan-*.out; do
  read -r status seconds rule <"$f"
  name=$(basename "$f" .out)
  echo "scan-bomb: attacker $name: HTTP $status in $seconds s ($rule)"
  [[ "$status" == 400 && "$rule" == too_many_scans ]] || bad+=" $name answered $status/$rule (want 400 too_many_scans);"
  awk -v s="$seconds" -v m="$MAX" 'BEGIN{exit !(s < m)}' || bad+=" $name took $seconds s;"
done
read -r bstatus bseconds <<<"$busy"
echo "scan-bomb: bystander gfpgan 256 px, during the bombs: HTTP $bstatus in $bseconds s (load average: $(cut -d' ' -f1 /proc/loadavg))"
[[ "$bstatus" == 200 ]] || bad+=" the bystander's call answered $bstatus;"
awk -v s="$bseconds" -v m="$MAX" 'BEGIN{exit !(s < m)}' || bad+=" the bystander waited $bseconds s;"
[[ -z "$bad" ]] || fail "$bad"
echo "scan-bomb: ok"
