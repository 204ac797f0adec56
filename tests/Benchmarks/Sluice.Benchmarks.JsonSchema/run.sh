#!/usr/bin/env bash
# Benchmarks Sluice.JsonSchema against Debian's python3-jsonschema (Draft4Validator) on the same
# schema and documents, one after the other in the same run, and prints a table with the ratio.
# Usage: tests/Benchmarks/Sluice.Benchmarks.JsonSchema/run.sh [seconds per mode, default 5]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-5}"
python=/usr/bin/python3

echo "load before: $(uptime)"
dotnet build "$here/Sluice.Benchmarks.JsonSchema.csproj" -c Release -nologo -v quiet
reference="$("$python" "$here/bench_reference.py" "$here/data" "$seconds")"
sluice="$(dotnet "$here/bin/Release/net10.0/Sluice.Benchmarks.JsonSchema.dll" "$here/data" "$seconds")"
echo "load after:  $(uptime)"
echo
"$python" "$here/report.py" "$reference" "$sluice"
