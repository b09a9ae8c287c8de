#!/usr/bin/env bash
# Compiles infra/main.bicep to ARM JSON and lints it with the Bicep CLI from the NuGet package
# Azure.Bicep.CommandLine.linux-x64 (version pinned in infra/tools/BicepTool.csproj, restored into the
# NuGet cache). Fails on any error and on any warning: a rule that must not apply is switched off in
# infra/bicepconfig.json with its reason. Usage: infra/build.sh [out.json] (default artifacts/infra/main.json,
# which tests/Wati.Tests/Infra reads).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/infra/main.json}

tool=infra/tools/BicepTool.csproj
version=$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' "$tool")
dotnet restore "$tool" --nologo -v quiet >/dev/null
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
bicep="${cache%/}/azure.bicep.commandline.linux-x64/$version/tools/bicep"
[[ -f $bicep ]] || { echo "infra: no bicep binary at $bicep after restore" >&2; exit 1; }
[[ -x $bicep ]] || chmod +x "$bicep"
echo "infra: $("$bicep" --version)"

mkdir -p "$(dirname "$out")"
rm -f "$out"
diagnostics=$(mktemp)
trap 'rm -f "$diagnostics"' EXIT
build_status=0; lint_status=0
"$bicep" build infra/main.bicep --outfile "$out" >"$diagnostics" 2>&1 || build_status=$?
"$bicep" lint infra/main.bicep >>"$diagnostics" 2>&1 || lint_status=$?
cat "$diagnostics"

problems=$(grep -cE ' : (Warning|Error) ' "$diagnostics" || true)
if [[ $build_status -ne 0 || $lint_status -ne 0 || $problems -ne 0 ]]; then
  rm -f "$out"
  echo "infra: bicep build/lint FAILED (build exit $build_status, lint exit $lint_status, $problems warnings or errors)" >&2
  exit 1
fi
echo "infra: bicep build and lint clean: infra/main.bicep -> $out"
