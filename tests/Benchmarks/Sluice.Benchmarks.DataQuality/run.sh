#!/usr/bin/env bash
# Builds in Release and runs the DQDL evaluation benchmark: rows/s of evaluating a 15-rule ruleset over a
# generated 1,000,000-row NDJSON file versus merely parsing the same file with System.Text.Json.
# Reports the single-threaded parse-only floor, sequential evaluation and parallel evaluation (MaxDegreeOfParallelism =
# cores; the file is still read once). Usage: run.sh [rows=1000000] [iterations=5] [--breakdown] [--where]
# (--where adds a 12-rule ruleset, 7 with where clauses evaluated in the main pass, run sequential and parallel; with
# --breakdown: their per-rule cost). Each variant's CPU per row is reported too: steadier than wall time on a busy machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$here/Sluice.Benchmarks.DataQuality.csproj" -c Release --nologo -v quiet
dotnet "$here/bin/Release/net10.0/Sluice.Benchmarks.DataQuality.dll" "$@"
