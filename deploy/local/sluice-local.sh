#!/usr/bin/env bash
# The durable profile on one machine, loopback only: RabbitMQ, PostgreSQL and an S3-compatible
# server (fauxqs), then each Sluice service as its own process, each started only once the one
# before answers /readyz. Everything it started is stopped by PID.
#
#   deploy/local/sluice-local.sh start    install what is missing, start the servers and services
#   deploy/local/sluice-local.sh stop     stop what `start` started, services first
#   deploy/local/sluice-local.sh status   one line per process it started
#
# Environment:
#   SLUICE_LOCAL_STATE      state folder: PIDs, logs, service data (default artifacts/local)
#   SLUICE_LOCAL_PORT_BASE  gRPC ports BASE..BASE+3 (gateway, ingestion, query, validation), admin
#                           ports BASE+90..BASE+93, Data API BASE+80, gateway REST BASE-20, S3 BASE+66
#                           (default 5100)
#   SLUICE_LOCAL_VHOST      RabbitMQ virtual host of this deployment (default sluice-local)
#   SLUICE_LOCAL_DATABASE   PostgreSQL database of the query engine (default sluice_local)
#   SLUICE_LOCAL_CONFIGURATION  build configuration to run (default Release)
#   SLUICE_LOCAL_SKIP_BUILD 1 to run the services as already built
# PostgreSQL and RabbitMQ already running on their usual ports are reused and left running.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${SLUICE_LOCAL_STATE:-$repo_root/artifacts/local}"
base="${SLUICE_LOCAL_PORT_BASE:-5100}"
services=(Query Validation Ingestion Gateway)   # start order, callees before callers; stopped in reverse
ready_timeout=120

log() { echo "sluice-local: $*" >&2; }

case "$base" in
  '' | *[!0-9]*) log "SLUICE_LOCAL_PORT_BASE must be a port number, got '$base'"; exit 2 ;;
esac
if [ "$base" -lt 1024 ] || [ "$base" -gt 65400 ]; then
  log "SLUICE_LOCAL_PORT_BASE must be 1024-65400, got $base"; exit 2
fi

# Port offsets by service, as the services' own defaults (5100-5103, admin 5190-5193).
port_offset() { case "$1" in Gateway) echo 0 ;; Ingestion) echo 1 ;; Query) echo 2 ;; Validation) echo 3 ;; esac; }
grpc_port() { echo $((base + $(port_offset "$1"))); }
admin_port() { echo $((base + 90 + $(port_offset "$1"))); }
data_api_port=$((base + 80))
rest_port=$((base - 20))
management_port=$((base - 19))
s3_port=$((base + 66))
bucket=sluice
vhost="${SLUICE_LOCAL_VHOST:-sluice-local}"
postgres_database="${SLUICE_LOCAL_DATABASE:-sluice_local}"
configuration="${SLUICE_LOCAL_CONFIGURATION:-Release}"
for name_check in "$vhost" "$postgres_database"; do
  case "$name_check" in
    '' | *[!A-Za-z0-9_-]*) log "SLUICE_LOCAL_VHOST and SLUICE_LOCAL_DATABASE take letters, digits, _ and - only, got '$name_check'"; exit 2 ;;
  esac
done

export SLUICE_TEST_SERVERS_STATE="$state/servers"

# The PID in $1's file, if that process is still the one we started ($2 is in its command line).
live_pid() {
  local file="$state/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
  echo "$pid"
}

stop_process() { # name, command-line marker
  local pid
  if pid="$(live_pid "$1" "$2")"; then
    log "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 (pid $pid) did not stop in 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$state/$1.pid"
}

service_dll() { echo "$repo_root/services/Sluice.$1/bin/$configuration/net10.0/Sluice.$1.dll"; }

stop_all() {
  local i
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do
    stop_process "${services[$i]}" "$(service_dll "${services[$i]}")"
  done
  stop_process fauxqs start-fauxqs.mjs
  bash "$repo_root/deploy/test-servers.sh" stop
}

wait_ready() { # name, url, pid
  local deadline=$((SECONDS + ready_timeout))
  until curl -fsS -o /dev/null "$2" 2>/dev/null; do
    if ! kill -0 "$3" 2>/dev/null; then
      log "$1 exited during start; the end of its log ($state/logs/$1.log):"
      tail -n 30 "$state/logs/$1.log" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$1 was not ready at $2 within $ready_timeout s; the end of its log:"
      tail -n 30 "$state/logs/$1.log" >&2 || true
      return 1
    fi
    sleep 1
  done
}

start_fauxqs() {
  if live_pid fauxqs start-fauxqs.mjs >/dev/null; then
    log "fauxqs already started by this script"
    return 0
  fi
  node "$repo_root/deploy/s3/start-fauxqs.mjs" --port "$s3_port" > "$state/logs/fauxqs.log" 2>&1 &
  echo $! > "$state/fauxqs.pid"
  local deadline=$((SECONDS + 30))
  until grep -q "fauxqs listening" "$state/logs/fauxqs.log" 2>/dev/null; do
    if ! kill -0 "$(cat "$state/fauxqs.pid")" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      log "fauxqs did not start:"; cat "$state/logs/fauxqs.log" >&2; return 1
    fi
    sleep 0.5
  done
  # The bucket the services write to; fauxqs answers BucketAlreadyOwnedByYou on a second start.
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_EC2_METADATA_DISABLED=true \
    /usr/bin/aws --endpoint-url "http://127.0.0.1:$s3_port" --region us-east-1 \
    s3api create-bucket --bucket "$bucket" >/dev/null 2>&1 || true
  log "S3 (fauxqs) on http://127.0.0.1:$s3_port, bucket $bucket"
}

ensure_database() {
  local url="postgresql://sluice:sluice@127.0.0.1:5432/sluice_test"
  if [ "$(psql "$url" -XtA -c "SELECT 1 FROM pg_database WHERE datname = '$postgres_database'")" != 1 ]; then
    psql "$url" -Xq -c "CREATE DATABASE \"$postgres_database\""
  fi
}

# A virtual host of its own, so that these services never take messages of another deployment
# (or of a test run) on the same broker.
ensure_vhost() {
  rabbitmqctl -q add_vhost "$vhost" >/dev/null 2>&1 || true
  rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
}

start_service() { # index into services
  local name="${services[$1]}" dll pid
  dll="$(service_dll "$name")"
  if [ ! -f "$dll" ]; then
    log "$name is not built: $dll is missing (build it, or drop SLUICE_LOCAL_SKIP_BUILD)"
    return 1
  fi
  if pid="$(live_pid "$name" "$dll")"; then
    log "$name already running (pid $pid)"
    return 0
  fi
  mkdir -p "$state/data/$name"
  (
    cd "$state/data/$name"
    # The durable profile, as ordinary .NET configuration: every service on the same broker,
    # object store and database, and each one told where the others listen.
    export ASPNETCORE_ENVIRONMENT=Production
    export "Sluice__${name}__GrpcPort=$(grpc_port "$name")"
    export Sluice__Admin__Port="$(admin_port "$name")"
    export Sluice__Broker__Transport=RabbitMq
    export Sluice__Broker__RabbitMqUri="amqp://guest:guest@127.0.0.1:5672/$vhost"
    export Sluice__ObjectStore__Provider=S3
    export Sluice__ObjectStore__S3__ServiceUrl="http://127.0.0.1:$s3_port"
    export Sluice__ObjectStore__S3__Bucket="$bucket"
    export Sluice__ObjectStore__S3__ForcePathStyle=true
    export Sluice__ObjectStore__S3__Region=us-east-1
    export Sluice__ObjectStore__S3__AccessKey=local
    export Sluice__ObjectStore__S3__SecretKey=local
    export Sluice__Query__Engine=Postgres
    export Sluice__Query__PostgresConnectionString="Host=127.0.0.1;Port=5432;Username=sluice;Password=sluice;Database=$postgres_database"
    # The durable profile keeps statements and sagas (query) and keys, plans and usage (gateway) in
    # PostgreSQL too, so a restarted service loses none of them.
    export Sluice__Query__State__Store=Postgres
    export Sluice__Query__State__ConnectionString="$Sluice__Query__PostgresConnectionString"
    export Sluice__Gateway__Store=Postgres
    export Sluice__Gateway__PostgresConnectionString="$Sluice__Query__PostgresConnectionString"
    export Sluice__Query__DataApiPort="$data_api_port"
    export Sluice__Gateway__RestPort="$rest_port"
    export Sluice__Gateway__ManagementPort="$management_port"
    export Sluice__Query__DataDirectory="$state/data/Query"
    export Sluice__Validation__DataDirectory="$state/data/Validation"
    local other
    for other in "${services[@]}"; do
      export "Sluice__Services__${other}__Address=http://127.0.0.1:$(grpc_port "$other")"
    done
    exec dotnet "$dll"
  ) > "$state/logs/$name.log" 2>&1 &
  pid=$!
  echo "$pid" > "$state/$name.pid"
  wait_ready "$name" "http://127.0.0.1:$(admin_port "$name")/readyz" "$pid" || return 1
  log "$name ready: gRPC 127.0.0.1:$(grpc_port "$name"), admin http://127.0.0.1:$(admin_port "$name") (pid $pid)"
}

# Called as a condition (`if ! start_all`), where bash ignores set -e: every step checks itself.
start_all() {
  mkdir -p "$state/logs"
  bash "$repo_root/deploy/install-deps.sh" || return 1
  bash "$repo_root/deploy/test-servers.sh" start || return 1
  ensure_database || return 1
  ensure_vhost || return 1
  start_fauxqs || return 1
  if [ "${SLUICE_LOCAL_SKIP_BUILD:-0}" != 1 ]; then
    local name
    for name in "${services[@]}"; do
      dotnet build "$repo_root/services/Sluice.$name/Sluice.$name.csproj" -c "$configuration" -nologo -v q >/dev/null || return 1
    done
  fi
  local i
  for i in "${!services[@]}"; do
    start_service "$i" || return 1
  done
  log "durable profile up; gateway REST on http://127.0.0.1:$rest_port (management API :$management_port), Data API on http://127.0.0.1:$data_api_port; stop with: $0 stop"
}

status_all() {
  local name pid
  for name in "${services[@]}"; do
    if pid="$(live_pid "$name" "$(service_dll "$name")")"; then echo "$name running (pid $pid)"; else echo "$name stopped"; fi
  done
  if pid="$(live_pid fauxqs start-fauxqs.mjs)"; then echo "fauxqs running (pid $pid)"; else echo "fauxqs stopped"; fi
}

case "${1:-}" in
  start)
    mkdir -p "$state"
    if ! start_all; then
      log "start failed: stopping what was started"
      stop_all
      exit 1
    fi
    ;;
  stop) stop_all ;;
  status) status_all ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
