#!/usr/bin/env bash
# Runs the platform on embedded defaults at http://localhost:7071 (data in ./.wati).
# Extra arguments go to the server, e.g. ./run.sh --urls http://127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")"
scripts/prereqs.sh
# `dotnet run` starts in the project folder; keep the data where the README says, unless set.
export Wati__DataDir="${Wati__DataDir:-$PWD/.wati}"
exec dotnet run --project server/Wati.Server.csproj -c Release -- "$@"
