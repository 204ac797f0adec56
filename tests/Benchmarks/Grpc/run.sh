#!/usr/bin/env bash
# gRPC throughput of Sluice's runtime against two references, measured in one run with h2load:
#   (a) Sluice's runtime          Sluice.Benchmarks.GrpcServer/ (provided by the runtime's owner)
#   (b) bare Kestrel              Sluice.Benchmarks.BareKestrel/ (gRPC framing and echo only)
#   (c) gRPC C++ callback server  cpp/interop_server.cc
# Prints one Markdown table (unary echo req/s, ratios, server-streaming msgs/s) and `uptime`.
#
# Usage: tests/Benchmarks/Grpc/run.sh
# Settings (environment): DURATION=10 seconds per timed run, WARMUP=5 seconds of untimed load per
# server and scenario, ROUNDS=3 timed rounds (the table shows medians), CONNECTIONS=4, STREAMS=50,
# SERVERS="a b c" (which rows to measure).
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

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-5}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-4}"
STREAMS="${STREAMS:-50}"
SERVERS="${SERVERS:-a b c}"

SLUICE_PROJECT="$HERE/Sluice.Benchmarks.GrpcServer/Sluice.Benchmarks.GrpcServer.csproj"
SLUICE_DLL="$HERE/Sluice.Benchmarks.GrpcServer/bin/Release/net10.0/Sluice.Benchmarks.GrpcServer.dll"
BARE_PROJECT="$HERE/Sluice.Benchmarks.BareKestrel/Sluice.Benchmarks.BareKestrel.csproj"
BARE_DLL="$HERE/Sluice.Benchmarks.BareKestrel/bin/Release/net10.0/Sluice.Benchmarks.BareKestrel.dll"
CPP_SOURCE="$HERE/cpp/interop_server.cc"
CPP_BINARY="$BUILD/interop_server"

# Both .NET servers get exactly these runtime settings, so (a)/(b) compares request paths only.
# Server GC is what Microsoft.NET.Sdk.Web projects default to; the variable overrides whatever a
# project's runtimeconfig.json says.
export DOTNET_gcServer=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

declare -A LABEL=([a]="(a) Sluice runtime" [b]="(b) bare Kestrel" [c]="(c) gRPC C++ callback")
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

h2load_run() { # key method body seconds output
  h2load -c "$CONNECTIONS" -m "$STREAMS" -D "$4" \
    -H 'content-type: application/grpc' -H 'te: trailers' -d "$3" \
    "http://127.0.0.1:${PORT[$1]}$SERVICE_PATH/$2" > "$5" 2>&1 || true
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
  for key in a b c; do set_status "$key" "not selected (SERVERS=\"$SERVERS\")"; done

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
      *) log "unknown server '$key' in SERVERS"; exit 1 ;;
    esac
  done

  local ports
  read -r -a ports <<< "$("$PYTHON" "$TOOL" ports 3)"
  PORT=([a]="${ports[0]}" [b]="${ports[1]}" [c]="${ports[2]}")

  for key in $(active_servers); do
    case "$key" in
      a) start_server a dotnet "$SLUICE_DLL" --port "${PORT[a]}" ;;
      b) start_server b dotnet "$BARE_DLL" --port "${PORT[b]}" ;;
      c) start_server c "$CPP_BINARY" --port "${PORT[c]}" ;;
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
    if verdict="$("$PYTHON" "$TOOL" check --gen "$GEN" --port "${PORT[$key]}" "${semantics[@]}" 2>&1)"; then
      log "${LABEL[$key]} on port ${PORT[$key]}: $verdict"
    else
      set_status "$key" "failed the correctness check: $verdict"
      stop_server "$key"
    fi
  done

  local servers
  servers="$(active_servers | tr '\n' ' ')"
  UPTIME_BEFORE="$(uptime)"
  log "warm-up: ${WARMUP}s unary + ${WARMUP}s streaming per server ($servers)"
  for key in $servers; do
    h2load_run "$key" UnaryEcho "$BODIES/unary.bin" "$WARMUP" "$LOGS/$key-warmup-unary.txt"
    h2load_run "$key" ServerStream "$BODIES/stream.bin" "$WARMUP" "$LOGS/$key-warmup-stream.txt"
  done

  # Rounds interleave the servers, and rotate which goes first, so load from elsewhere on the
  # machine and any order effect spread over all rows.
  local round order
  local -a active
  read -r -a active <<< "$servers"
  for ((round = 1; round <= ROUNDS; round++)); do
    order=("${active[@]:$(((round - 1) % ${#active[@]}))}" "${active[@]:0:$(((round - 1) % ${#active[@]}))}")
    log "round $round/$ROUNDS: ${DURATION}s unary then ${DURATION}s streaming per server (${order[*]})"
    for key in "${order[@]}"; do
      h2load_run "$key" UnaryEcho "$BODIES/unary.bin" "$DURATION" "$RESULTS/$key-unary-$round.txt"
    done
    for key in "${order[@]}"; do
      h2load_run "$key" ServerStream "$BODIES/stream.bin" "$DURATION" "$RESULTS/$key-stream-$round.txt"
    done
  done
  stop_servers

  local report_status=0
  "$PYTHON" "$TOOL" report --results "$RESULTS" --expected "$BODIES/expected.json" \
    --servers "a=${LABEL[a]}" "b=${LABEL[b]}" "c=${LABEL[c]}" \
    --echo-server b --bare-server b --cpp-server c --goal-server a > "$RESULTS/table.md" || report_status=$?

  {
    echo "## gRPC benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "h2load -c $CONNECTIONS -m $STREAMS, ${DURATION}s x $ROUNDS rounds after ${WARMUP}s warm-up; unary = UnaryEcho(\"hello\", 64-byte payload); streaming = ServerStream(count=1000, payload_size=100)."
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
