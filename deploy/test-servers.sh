#!/usr/bin/env bash
# Starts and stops the servers the test suite needs, on loopback only:
# PostgreSQL 15 (Debian cluster 15/main, 127.0.0.1:5432) and RabbitMQ (127.0.0.1:5672).
#
#   deploy/test-servers.sh start   start what is not running yet; ensure role and database
#   deploy/test-servers.sh stop    stop only what `start` started (recorded in the state dir)
#   deploy/test-servers.sh env     print the export lines the tests read
#
# A server already running before `start` (a developer's own) is reused and never stopped.
# State dir: $SLUICE_TEST_SERVERS_STATE (default /tmp/sluice-test-servers).
# Run as root (CI) or as a user allowed `sudo -u postgres` / to run rabbitmqctl.
set -euo pipefail

state_dir="${SLUICE_TEST_SERVERS_STATE:-/tmp/sluice-test-servers}"
pg_version=15
pg_cluster=main
pg_port=5432
amqp_port=5672
epmd_port=4369

postgres_url="Host=127.0.0.1;Port=${pg_port};Username=sluice;Password=sluice;Database=sluice_test"
rabbitmq_url="amqp://guest:guest@127.0.0.1:${amqp_port}/"
# A vhost of its own for tests that cut the broker connection, so their consumers never take
# messages meant for the other test projects, which share vhost "/".
rabbitmq_isolated_vhost=sluice-isolated
rabbitmq_isolated_url="amqp://guest:guest@127.0.0.1:${amqp_port}/${rabbitmq_isolated_vhost}"

# RabbitMQ's listeners, epmd and Erlang distribution all bound to loopback. The Debian wrappers
# run the server and rabbitmqctl through `su rabbitmq`, which keeps these variables.
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$amqp_port"
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
# A known pid file lets `rabbitmqctl stop` wait until the node's OS process has exited.
export RABBITMQ_PID_FILE=/var/lib/rabbitmq/sluice-test-servers.pid

log() { echo "test-servers: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Polls a command until it succeeds, at most $1 seconds.
wait_for() {
  local seconds="$1"; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 1
  done
}

# From / so that psql as postgres does not warn about a working directory it cannot enter.
as_postgres() (
  cd /
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
  elif [ "$(id -un)" = postgres ]; then "$@"
  else sudo -n -u postgres "$@"
  fi
)

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$pg_port" -d postgres "$@"; }

start_postgres() {
  if port_open "$pg_port"; then
    log "PostgreSQL already running on 127.0.0.1:$pg_port: reusing it"
  else
    if ! pg_lsclusters -h | awk -v v="$pg_version" -v c="$pg_cluster" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
      log "creating cluster $pg_version/$pg_cluster"
      pg_createcluster "$pg_version" "$pg_cluster" >/dev/null
    fi
    log "starting PostgreSQL $pg_version/$pg_cluster on localhost:$pg_port"
    # Options on the command line override postgresql.conf: loopback only, whatever it says, and room for
    # the connection pools of the many hosts (query replicas, gateways, sagas) test classes run in parallel.
    pg_ctlcluster "$pg_version" "$pg_cluster" start -o "-c listen_addresses=localhost -c max_connections=400"
    touch "$state_dir/postgres.started"
    wait_for 30 pg_isready -q -h 127.0.0.1 -p "$pg_port" || { log "PostgreSQL did not become ready"; return 1; }
  fi
  psql_admin <<'SQL'
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice') THEN
    ALTER ROLE sluice LOGIN CREATEDB PASSWORD 'sluice';
  ELSE
    CREATE ROLE sluice LOGIN CREATEDB PASSWORD 'sluice';
  END IF;
END
$$;
SQL
  if [ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = 'sluice_test'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE sluice_test OWNER sluice"
  fi
}

stop_postgres() {
  [ -f "$state_dir/postgres.started" ] || return 0
  log "stopping PostgreSQL $pg_version/$pg_cluster"
  pg_ctlcluster "$pg_version" "$pg_cluster" stop -m fast || log "PostgreSQL stop failed"
  rm -f "$state_dir/postgres.started"
}

start_rabbitmq() {
  if port_open "$amqp_port"; then
    log "RabbitMQ already running on 127.0.0.1:$amqp_port: reusing it"
    ensure_isolated_vhost
    return 0
  fi
  port_open "$epmd_port" || touch "$state_dir/epmd.started"
  log "starting RabbitMQ on 127.0.0.1:$amqp_port"
  rabbitmq-server -detached
  touch "$state_dir/rabbitmq.started"
  # The first await_startup calls can fail while the node is still booting: retry them.
  wait_for 120 rabbitmqctl await_startup --timeout 10 || { log "RabbitMQ did not start; see /var/log/rabbitmq"; return 1; }
  wait_for 30 port_open "$amqp_port" || { log "RabbitMQ is up but not listening on $amqp_port"; return 1; }
  ensure_isolated_vhost
}

ensure_isolated_vhost() {
  rabbitmqctl -q add_vhost "$rabbitmq_isolated_vhost" >/dev/null 2>&1 || true
  rabbitmqctl -q set_permissions -p "$rabbitmq_isolated_vhost" guest '.*' '.*' '.*' >/dev/null
}

stop_rabbitmq() {
  if [ -f "$state_dir/rabbitmq.started" ]; then
    log "stopping RabbitMQ"
    rabbitmqctl stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || log "rabbitmqctl stop failed"
    rm -f "$state_dir/rabbitmq.started"
  fi
  if [ -f "$state_dir/epmd.started" ]; then
    # The RabbitMQ node started epmd, which outlives it; end it too (it refuses while nodes are registered).
    epmd -kill >/dev/null 2>&1 || true
    rm -f "$state_dir/epmd.started"
  fi
}

print_env() {
  printf 'export SLUICE_TEST_POSTGRES=%q\n' "$postgres_url"
  printf 'export SLUICE_TEST_RABBITMQ=%q\n' "$rabbitmq_url"
  printf 'export SLUICE_TEST_RABBITMQ_ISOLATED=%q\n' "$rabbitmq_isolated_url"
}

case "${1:-}" in
  start)
    mkdir -p "$state_dir"
    start_postgres
    start_rabbitmq
    ;;
  stop)
    stop_rabbitmq
    stop_postgres
    ;;
  env)
    print_env
    ;;
  *)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
