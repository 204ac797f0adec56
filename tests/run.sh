#!/usr/bin/env bash
# The test command: installs what the suite needs, starts its servers on loopback, runs every
# test project of Services.sln once, and closes with one line "N passed, N failed, N skipped".
# Exits non-zero if a test failed, the build or `dotnet test` failed, or no test ran.
#
# Environment:
#   SLUICE_TEST_RESULTS        TRX output folder (default artifacts/test-results, emptied first)
#   SLUICE_TEST_HANG_TIMEOUT   a test host silent this long is killed and its run fails (default 20m)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
# Hosts built by tests without AddSluiceBus (test harnesses) must not report usage to MassTransit either.
export MASSTRANSIT_USAGE_TELEMETRY=false

bash deploy/install-deps.sh

# The state dir records which servers this run started, so only those are stopped.
run_state="$(mktemp -d "${TMPDIR:-/tmp}/sluice-test-run.XXXXXX")"
export SLUICE_TEST_SERVERS_STATE="$run_state/servers"
stop_servers() {
  bash deploy/test-servers.sh stop || true
  rm -rf "$run_state"
}
trap stop_servers EXIT

bash deploy/test-servers.sh start
eval "$(bash deploy/test-servers.sh env)"

results_dir="${SLUICE_TEST_RESULTS:-$repo_root/artifacts/test-results}"
rm -rf "$results_dir"
mkdir -p "$results_dir"

dotnet_exit_code=0
dotnet test Services.sln -c Release \
  --logger "trx" --results-directory "$results_dir" \
  --blame-hang-timeout "${SLUICE_TEST_HANG_TIMEOUT:-20m}" --blame-hang-dump-type none \
  || dotnet_exit_code=$?

# Stop the servers before the summary so that the summary stays the last line printed.
stop_servers
trap - EXIT

exec /usr/bin/python3 deploy/trx-summary.py "$results_dir" --dotnet-exit-code "$dotnet_exit_code"
