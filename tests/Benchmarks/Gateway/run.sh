#!/usr/bin/env bash
# The gateway benchmark: a GET through key check, throttle, validation and templates to a mock
# integration, against a bare Kestrel endpoint answering the same bytes (wrk, one run).
# Usage: tests/Benchmarks/Gateway/run.sh [seconds per run] [connections]
set -euo pipefail
cd "$(dirname "$0")"
dotnet run -c Release --project Sluice.Benchmarks.Gateway -- "$@"
