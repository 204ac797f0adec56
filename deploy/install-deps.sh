#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine of this kind:
# Debian packages (servers, real protocol peers, benchmark tools) and npm packages.
# Idempotent: packages already present are skipped quickly.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

apt_packages=(
  rabbitmq-server          # durable broker profile
  postgresql               # warehouse engine and durable state
  awscli                   # real AWS CLI v2 (/usr/bin/aws) for the Redshift Data API endpoint
  python3-grpcio           # real gRPC peer (client and server)
  python3-protobuf
  protobuf-compiler        # protoc for Python stubs
  protobuf-compiler-grpc   # grpc_python_plugin
  python3-jsonschema       # reference for the JSON Schema benchmark
  nghttp2-client           # h2load for the gRPC benchmark
  wrk                      # HTTP/1.1 load with latency percentiles for the gateway benchmark
  libgrpc++-dev            # gRPC C++ reference server for the benchmark
  libprotobuf-dev          # its protobuf headers (pkg-config protobuf)
  sqlite3                  # native export reference for the query benchmark
  pkg-config
  velocity                 # Apache Velocity 1.7: the reference engine for the VTL differential tests
  default-jdk-headless     # Java to compile and run the Velocity reference runner
)

missing=()
for p in "${apt_packages[@]}"; do
  # No pipe into grep -q here: with pipefail an early-closing grep could fail the check spuriously.
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Servers must not start themselves: the test script starts them on loopback and stops them.
  # A policy-rc.d the machine already has (container images ship one) is put back afterwards.
  policy=/usr/sbin/policy-rc.d
  [ ! -e "$policy" ] || mv "$policy" "$policy.sluice-saved"
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f "$policy"
  [ ! -e "$policy.sluice-saved" ] || mv "$policy.sluice-saved" "$policy"
fi

# npm ci again whenever the lock file changed since the last install (a stamp of its hash).
if [ -f "$here/node/package.json" ]; then
  lock_hash="$(sha256sum "$here/node/package-lock.json" | cut -d' ' -f1)"
  stamp="$here/node/node_modules/.sluice-lock-sha256"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
    echo "install-deps: npm ci in deploy/node"
    (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_hash" > "$stamp"
  fi
fi
echo "install-deps: done"
