#!/usr/bin/env bash
# Rows/s of a 1,000,000-row x 8-column result read through the query service (StreamStatementResult,
# and GetStatementResult pages) against the engine's own export of the same query in the same run
# (DuckDB COPY ... TO a CSV file; psql COPY ... TO STDOUT). PostgreSQL needs the test servers:
#   bash deploy/test-servers.sh start; eval "$(bash deploy/test-servers.sh env)"
# Usage: tests/Benchmarks/Query/run.sh [rows=1000000] [iterations=3] [engines=duckdb,postgres]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$here/Sluice.Benchmarks.Query/Sluice.Benchmarks.Query.csproj"
dotnet build "$project" -c Release --nologo -v quiet
# Stored results of earlier runs (about 100 MB per statement); the generated tables are kept.
rm -rf "${TMPDIR:-/tmp}/sluice-query-bench/duckdb-service/results" "${TMPDIR:-/tmp}/sluice-query-bench/postgres-service"
echo "uptime: $(uptime)"
dotnet "$here/Sluice.Benchmarks.Query/bin/Release/net10.0/Sluice.Benchmarks.Query.dll" "$@"
echo "uptime: $(uptime)"
