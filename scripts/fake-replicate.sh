#!/usr/bin/env bash
# Runs the fake Replicate API (tests/FakeReplicate) on 127.0.0.1:${1:-10400} until Ctrl+C, so server/
# can be run against it by hand:
#   scripts/fake-replicate.sh 10400 &
#   Wati__Models__Provider=replicate Wati__Models__Replicate__Token=r8_fake_token \
#   Wati__Models__Replicate__BaseUrl=http://127.0.0.1:10400 ./run.sh
# It accepts the token in FAKE_REPLICATE_TOKEN (default r8_fake_token). Every prediction succeeds unless
# scripted: curl -s localhost:10400/_fake/script -H 'Content-Type: application/json' \
#   -d '[{"outcome":"Fail","error":"the model crashed"},{"outcome":"Succeed","pollsBeforeDone":3}]'
# What it received: curl -s localhost:10400/_fake/requests
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project tests/FakeReplicate -c Release -- "${1:-10400}"
