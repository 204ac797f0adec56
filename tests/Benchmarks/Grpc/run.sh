#!/usr/bin/env bash
# gRPC throughput of Sluice's server pipeline against two references, measured in one run with h2load:
#   (a) Sluice                    Sluice.Benchmarks.GrpcServer/ (Grpc.AspNetCore + Sluice.ServiceDefaults)
#   (b) bare Kestrel              Sluice.Benchmarks.BareKestrel/ (gRPC framing and echo only)
#   (c) gRPC C++ callback server  cpp/interop_server.cc
#   (d) optional: Sluice's server as it was at BEFORE_COMMIT, built in a git worktree
# Prints one Markdown table (unary echo req/s, health Check req/s, server-streaming msgs/s, each
# with ratios against (b) and (c)) and `uptime`.
#
# Usage: tests/Benchmarks/Grpc/run.sh
# Settings (environment): DURATION=10 seconds per timed run, WARMUP=5 seconds of untimed load per
# server and scenario, ROUNDS=3 timed rounds (the table shows medians), CONNECTIONS=4, STREAMS=50,
# BEFORE_COMMIT (unset: no row d; e.g. b6520a5: row d is that commit's
# tests/Benchmarks/Grpc/Sluice.Benchmarks.GrpcServer, built in build/before), SERVERS="a b c"
# (plus d when BEFORE_COMMIT is set; which rows to measure).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
BUILD="$HERE/build"
GEN="$BUILD/gen"
LOGS="$BUILD/logs"
RESULTS="$BUILD/results"
BODIES="$BUILD/bodies"
PROTO_ROOT="$REPO_ROOT/tests/protos"
PROTO="$PROTO_ROOT/sluice/interop/v1/interop.proto"
PYTHON=/usr/bin/python3   # Debian's, with python3-protobuf and python3-grpcio
TOOL="$HERE/tools/grpc_bench.py"
SERVICE_PATH=/sluice.interop.v1.InteropService
HEALTH_CHECK_PATH=/grpc.health.v1.Health/Check

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-5}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-4}"
STREAMS="${STREAMS:-50}"
BEFORE_COMMIT="${BEFORE_COMMIT:-}"
SERVERS="${SERVERS:-a b c${BEFORE_COMMIT:+ d}}"

SLUICE_PROJECT="$HERE/Sluice.Benchmarks.GrpcServer/Sluice.Benchmarks.GrpcServer.csproj"
SLUICE_DLL="$HERE/Sluice.Benchmarks.GrpcServer/bin/Release/net10.0/Sluice.Benchmarks.GrpcServer.dll"
BARE_PROJECT="$HERE/Sluice.Benchmarks.BareKestrel/Sluice.Benchmarks.BareKestrel.csproj"
BARE_DLL="$HERE/Sluice.Benchmarks.BareKestrel/bin/Release/net10.0/Sluice.Benchmarks.BareKestrel.dll"
CPP_SOURCE="$HERE/cpp/interop_server.cc"
CPP_BINARY="$BUILD/interop_server"
# Row (d): a detached worktree of BEFORE_COMMIT under the git-ignored build folder, kept between
# runs (remove it with: git worktree remove --force tests/Benchmarks/Grpc/build/before).
BEFORE_TREE="$BUILD/before"
BEFORE_PROJECT="$BEFORE_TREE/tests/Benchmarks/Grpc/Sluice.Benchmarks.GrpcServer/Sluice.Benchmarks.GrpcServer.csproj"
BEFORE_DLL="$BEFORE_TREE/tests/Benchmarks/Grpc/Sluice.Benchmarks.GrpcServer/bin/Release/net10.0/Sluice.Benchmarks.GrpcServer.dll"

# Both .NET servers get exactly these runtime settings, so (a)/(b) compares request paths only.
# Server GC is what Microsoft.NET.Sdk.Web projects default to; the variable overrides whatever a
# project's runtimeconfig.json says.
export DOTNET_gcServer=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

declare -A LABEL=([a]="(a) Sluice (Grpc.AspNetCore + ServiceDefaults)" [b]="(b) bare Kestrel" [c]="(c) gRPC C++ callback" [d]="(d) previous runtime")
declare -A PORT=()
declare -A PID=()

stop_servers() {
  local key
  for key in "${!PID[@]}"; do
    kill "${PID[$key]}" 2>/dev/null || true
  done
  for key in "${!PID[@]}"; do
    wait "${PID[$key]}" 2>/dev/null || true
    unset "PID[$key]"
  done
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

log() { echo "[run.sh] $*" >&2; }
set_status() { printf '%s\n' "$2" > "$RESULTS/$1.status"; }
status_of() { cat "$RESULTS/$1.status"; }

require_tools() {
  local missing=()
  local tool
  for tool in h2load protoc grpc_cpp_plugin g++ pkg-config dotnet "$PYTHON"; do
    command -v "$tool" > /dev/null || missing+=("$tool")
  done
  pkg-config --exists grpc++ protobuf || missing+=("pkg-config grpc++ protobuf (apt: libgrpc++-dev libprotobuf-dev)")
  if ((${#missing[@]})); then
    log "missing: ${missing[*]} (apt: nghttp2-client protobuf-compiler protobuf-compiler-grpc libgrpc++-dev libprotobuf-dev python3-grpcio python3-protobuf)"
    exit 1
  fi
}

# protoc output for C++ and Python, regenerated when the proto changes.
generate_code() {
  local marker="$GEN/sluice/interop/v1/interop.grpc.pb.cc"
  if [[ -f "$marker" && "$marker" -nt "$PROTO" ]]; then
    return
  fi
  rm -rf "$GEN"
  mkdir -p "$GEN"
  protoc -I "$PROTO_ROOT" \
    --cpp_out="$GEN" \
    --grpc_out="$GEN" --plugin=protoc-gen-grpc="$(command -v grpc_cpp_plugin)" \
    --python_out="$GEN" \
    "$PROTO"
}

build_cpp() {
  if [[ -x "$CPP_BINARY" && "$CPP_BINARY" -nt "$CPP_SOURCE" && "$CPP_BINARY" -nt "$GEN/sluice/interop/v1/interop.grpc.pb.cc" ]]; then
    set_status c ok
    return
  fi
  log "building the gRPC C++ server"
  # shellcheck disable=SC2046 # pkg-config output must split into separate flags
  if g++ -O2 -std=c++17 -o "$CPP_BINARY" -I"$GEN" \
    "$CPP_SOURCE" "$GEN/sluice/interop/v1/interop.pb.cc" "$GEN/sluice/interop/v1/interop.grpc.pb.cc" \
    $(pkg-config --cflags --libs grpc++ protobuf) > "$LOGS/c-build.log" 2>&1; then
    set_status c ok
  else
    set_status c "build failed (see build/logs/c-build.log)"
  fi
}

build_dotnet() { # key project
  log "dotnet build -c Release $(basename "$2")"
  if dotnet build -c Release -nologo "$2" > "$LOGS/$1-build.log" 2>&1; then
    set_status "$1" ok
  else
    set_status "$1" "build failed (see build/logs/$1-build.log)"
  fi
}

# Row (d): check out BEFORE_COMMIT in a detached worktree (reused when present) and build its
# benchmark server there.
prepare_before() {
  local commit short
  if [[ -z "$BEFORE_COMMIT" ]]; then
    set_status d "set BEFORE_COMMIT to measure row (d)"
    return
  fi
  if ! commit="$(git -C "$REPO_ROOT" rev-parse --verify --quiet "$BEFORE_COMMIT^{commit}")"; then
    set_status d "BEFORE_COMMIT=$BEFORE_COMMIT is not a commit"
    return
  fi
  short="$(git -C "$REPO_ROOT" rev-parse --short "$commit")"
  LABEL[d]="(d) previous runtime ($short)"
  if [[ -e "$BEFORE_TREE/.git" ]]; then
    if [[ "$(git -C "$BEFORE_TREE" rev-parse HEAD)" != "$commit" ]]; then
      log "worktree build/before: checking out $short"
      git -C "$BEFORE_TREE" checkout --quiet --detach "$commit" > "$LOGS/d-worktree.log" 2>&1
    fi
  else
    log "worktree build/before: adding $short"
    # --force: the path may still be registered from a worktree whose folder was deleted.
    if ! git -C "$REPO_ROOT" worktree add --force --detach "$BEFORE_TREE" "$commit" > "$LOGS/d-worktree.log" 2>&1; then
      set_status d "git worktree add failed (see build/logs/d-worktree.log)"
      return
    fi
  fi
  if [[ ! -f "$BEFORE_PROJECT" ]]; then
    set_status d "$short has no tests/Benchmarks/Grpc/Sluice.Benchmarks.GrpcServer"
    return
  fi
  build_dotnet d "$BEFORE_PROJECT"
}

start_server() { # key command...
  local key="$1"
  shift
  "$@" > "$LOGS/$key.log" 2>&1 &
  PID[$key]=$!
}

# Ready means the port accepts connections (the "listening on" line is only informative).
wait_until_listening() { # key
  local key="$1" attempt
  for ((attempt = 0; attempt < 600; attempt++)); do
    if ! kill -0 "${PID[$key]}" 2>/dev/null; then
      set_status "$key" "exited at start (see build/logs/$key.log)"
      return 1
    fi
    if (exec 3<> "/dev/tcp/127.0.0.1/${PORT[$key]}") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  set_status "$key" "not listening after 60 s (see build/logs/$key.log)"
  return 1
}

stop_server() { # key
  kill "${PID[$1]}" 2>/dev/null || true
  wait "${PID[$1]}" 2>/dev/null || true
  unset "PID[$1]"
}

h2load_run() { # key path body seconds output
  h2load -c "$CONNECTIONS" -m "$STREAMS" -D "$4" \
    -H 'content-type: application/grpc' -H 'te: trailers' -d "$3" \
    "http://127.0.0.1:${PORT[$1]}$2" > "$5" 2>&1 || true
}

# Whether a server is measured on a scenario: health Check only where the check found it served.
measures() { # key scenario
  [[ "$2" != health || "$(cat "$RESULTS/$1.health" 2>/dev/null)" == ok ]]
}

run_scenario() { # key scenario seconds output
  case "$2" in
    unary) h2load_run "$1" "$SERVICE_PATH/UnaryEcho" "$BODIES/unary.bin" "$3" "$4" ;;
    health) h2load_run "$1" "$HEALTH_CHECK_PATH" "$BODIES/health.bin" "$3" "$4" ;;
    stream) h2load_run "$1" "$SERVICE_PATH/ServerStream" "$BODIES/stream.bin" "$3" "$4" ;;
  esac
}

active_servers() {
  local key
  for key in $SERVERS; do
    [[ "$(status_of "$key")" == ok ]] && echo "$key"
  done
  return 0
}

main() {
  require_tools
  mkdir -p "$BUILD" "$LOGS" "$BODIES"
  rm -rf "$RESULTS"
  mkdir -p "$RESULTS"
  local key
  for key in a b c d; do set_status "$key" "not selected (SERVERS=\"$SERVERS\")"; done

  generate_code
  "$PYTHON" "$TOOL" bodies --gen "$GEN" --out "$BODIES" > /dev/null

  for key in $SERVERS; do
    case "$key" in
      a)
        if [[ -f "$SLUICE_PROJECT" ]]; then
          build_dotnet a "$SLUICE_PROJECT"
        else
          set_status a "(a) not built yet"
        fi
        ;;
      b) build_dotnet b "$BARE_PROJECT" ;;
      c) build_cpp ;;
      d) prepare_before ;;
      *) log "unknown server '$key' in SERVERS"; exit 1 ;;
    esac
  done

  local ports
  read -r -a ports <<< "$("$PYTHON" "$TOOL" ports 4)"
  PORT=([a]="${ports[0]}" [b]="${ports[1]}" [c]="${ports[2]}" [d]="${ports[3]}")

  for key in $(active_servers); do
    case "$key" in
      a) start_server a dotnet "$SLUICE_DLL" --port "${PORT[a]}" ;;
      b) start_server b dotnet "$BARE_DLL" --port "${PORT[b]}" ;;
      c) start_server c "$CPP_BINARY" --port "${PORT[c]}" ;;
      d) start_server d dotnet "$BEFORE_DLL" --port "${PORT[d]}" ;;
    esac
  done
  for key in $(active_servers); do
    if ! wait_until_listening "$key"; then
      stop_server "$key"
      continue
    fi
    local verdict
    # (b) echoes request bytes, so only the protobuf servers fill in received_size.
    local semantics=(--expect-received-size)
    [[ "$key" == b ]] && semantics=()
    # The previous runtime's server serves grpc.health.v1 only if its Program maps it.
    local health=required
    [[ "$key" == d ]] && health=optional
    if verdict="$("$PYTHON" "$TOOL" check --gen "$GEN" --port "${PORT[$key]}" "${semantics[@]}" \
      --health "$health" --health-result "$RESULTS/$key.health" 2>&1)"; then
      log "${LABEL[$key]} on port ${PORT[$key]}: $verdict"
    else
      set_status "$key" "failed the correctness check: $verdict"
      stop_server "$key"
    fi
  done

  local servers
  servers="$(active_servers | tr '\n' ' ')"
  UPTIME_BEFORE="$(uptime)"
  local scenario
  log "warm-up: ${WARMUP}s per server and scenario ($servers)"
  for key in $servers; do
    for scenario in unary health stream; do
      if measures "$key" "$scenario"; then
        run_scenario "$key" "$scenario" "$WARMUP" "$LOGS/$key-warmup-$scenario.txt"
      fi
    done
  done

  # Rounds interleave the servers, and rotate which goes first, so load from elsewhere on the
  # machine and any order effect spread over all rows.
  local round order
  local -a active
  read -r -a active <<< "$servers"
  for ((round = 1; round <= ROUNDS; round++)); do
    order=("${active[@]:$(((round - 1) % ${#active[@]}))}" "${active[@]:0:$(((round - 1) % ${#active[@]}))}")
    log "round $round/$ROUNDS: ${DURATION}s unary, health, then streaming per server (${order[*]})"
    for scenario in unary health stream; do
      for key in "${order[@]}"; do
        if measures "$key" "$scenario"; then
          run_scenario "$key" "$scenario" "$DURATION" "$RESULTS/$key-$scenario-$round.txt"
        fi
      done
    done
  done
  stop_servers

  local report_status=0
  local -a rows=("a=${LABEL[a]}" "b=${LABEL[b]}" "c=${LABEL[c]}")
  [[ " $SERVERS " == *" d "* ]] && rows+=("d=${LABEL[d]}")
  "$PYTHON" "$TOOL" report --results "$RESULTS" --expected "$BODIES/expected.json" \
    --servers "${rows[@]}" \
    --echo-server b --bare-server b --cpp-server c --goal-server a --before-server d > "$RESULTS/table.md" || report_status=$?

  {
    echo "## gRPC benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "h2load -c $CONNECTIONS -m $STREAMS, ${DURATION}s x $ROUNDS rounds after ${WARMUP}s warm-up; unary echo = UnaryEcho(\"hello\", 64-byte payload); health Check = grpc.health.v1.Health/Check(service \"\"); streaming = ServerStream(count=1000, payload_size=100)."
    echo ".NET servers: Release, DOTNET_gcServer=1, $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ {v=$2} END {print "ASP.NET Core " v}'); gRPC C++ $(pkg-config --modversion grpc++); $(nproc) cores."
    echo
    cat "$RESULTS/table.md"
    echo
    echo "uptime before: $UPTIME_BEFORE"
    echo "uptime after:  $(uptime)"
  } | tee "$RESULTS/report.md"
  return "$report_status"
}

main "$@"
