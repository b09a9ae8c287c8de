#!/usr/bin/env bash
# Builds and runs every test, installing what the tests need first, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
scripts/prereqs.sh
# Azurite and s3rver for the Azure Table Storage and S3 suites; stopped on exit (a trap), even when tests fail.
source scripts/emulators.sh
if ! emulators_start; then echo "0 passed, 1 failed"; exit 1; fi

results=artifacts/test-results
rm -rf "$results"
# infra/: bicep build + lint of infra/main.bicep, clean (one test in the count); its ARM JSON feeds tests/Wati.Tests/Infra.
infra/build.sh; infra_status=$?
dotnet test WatiAigc.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

passed=$((infra_status == 0)); failed=$((infra_status != 0))
for trx in "$results"/*.trx; do
  [[ -f $trx ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; echo "test run failed before or outside the tests (exit $status)"; fi

# The contract's node side against a real server: OpenAPI lint, generated types up to date, the
# TypeScript client's tests and the README walk-through. Node's TAP summary lines are counted in.
clients/typescript/contract.sh check | tee "$results/node.tap"
node_status=${PIPESTATUS[0]}
node_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$results/node.tap" | tail -n1)
node_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$results/node.tap" | tail -n1)
passed=$((passed + ${node_pass:-0})); failed=$((failed + ${node_fail:-0}))
if [[ $node_status -ne 0 && ${node_fail:-0} -eq 0 ]]; then failed=$((failed + 1)); echo "contract check failed outside the node tests (lint or stale types; exit $node_status)"; fi
[[ $node_status -eq 0 ]] || status=1

echo "$passed passed, $failed failed"
[[ $status -eq 0 && $failed -eq 0 && $passed -gt 0 ]]
