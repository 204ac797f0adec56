"""Real grpcio server of grpc.health.v1, standing in for Sluice's backends, for Sluice.Peers.Tests.

Usage: /usr/bin/python3 health_server.py [--port 0] [--serving SERVICE]...
Binds 127.0.0.1 (port 0 picks a free one), prints "PORT <n>" once serving, then reads one command
per line on stdin and answers each with one JSON line on stdout:

  set SERVICE STATUS   Check and Watch of SERVICE answer STATUS from now on: SERVING or
                       NOT_SERVING; UNKNOWN forgets the service (Check: NOT_FOUND)  -> {"ok": true}
  calls                every call received so far, oldest first                   -> {"calls": [...]}

Each call is {"method", "service", "time_remaining" (seconds left of the caller's deadline, null
without one), "user_agent"}. The server stops at the end of stdin or on SIGTERM.
"""

import argparse
import json
import os
import signal
import sys
import threading
from concurrent import futures

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import grpc  # noqa: E402

import peer_stubs  # noqa: E402

stubs = peer_stubs.load()
health_pb2, health_pb2_grpc = stubs.health_pb2, stubs.health_pb2_grpc

# More time left than this (about 31 years) means the caller set no deadline.
NO_DEADLINE_SECONDS = 1e9

_STATUSES = {
    "SERVING": health_pb2.HealthCheckResponse.SERVING,
    "NOT_SERVING": health_pb2.HealthCheckResponse.NOT_SERVING,
}


class HealthService(health_pb2_grpc.HealthServicer):
    def __init__(self, serving):
        self._statuses = {service: health_pb2.HealthCheckResponse.SERVING for service in serving}
        self._calls = []
        self._changed = threading.Condition()

    def set(self, service, status):
        with self._changed:
            if status == "UNKNOWN":
                self._statuses.pop(service, None)
            else:
                self._statuses[service] = _STATUSES[status]
            self._changed.notify_all()

    def calls(self):
        with self._changed:
            return list(self._calls)

    def _record(self, method, request, context):
        user_agent = next((value for key, value in context.invocation_metadata() if key == "user-agent"), None)
        # Without a deadline grpcio reports an "infinite" time left (about 9.2e18 s).
        remaining = context.time_remaining()
        if remaining is not None and remaining > NO_DEADLINE_SECONDS:
            remaining = None
        with self._changed:
            self._calls.append({
                "method": method,
                "service": request.service,
                "time_remaining": remaining,
                "user_agent": user_agent,
            })

    def Check(self, request, context):
        self._record("Check", request, context)
        with self._changed:
            status = self._statuses.get(request.service)
        if status is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service " + request.service)
        return health_pb2.HealthCheckResponse(status=status)

    def Watch(self, request, context):
        self._record("Watch", request, context)
        terminated = threading.Event()
        if not context.add_callback(terminated.set):
            return
        last = None
        while not terminated.is_set():
            with self._changed:
                status = self._statuses.get(request.service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
                if status == last:
                    self._changed.wait(0.2)
                    continue
            last = status
            yield health_pb2.HealthCheckResponse(status=status)


def _answer(observed):
    sys.stdout.write(json.dumps(observed) + "\n")
    sys.stdout.flush()


def _serve_commands(health, stop):
    # os.read on the raw descriptor, not sys.stdin: a thread blocked inside sys.stdin holds its
    # buffer lock, which aborts the interpreter at exit when SIGTERM ends the server first.
    pending = b""
    try:
        while True:
            chunk = os.read(0, 4096)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                words = line.decode("utf-8").split()
                if not words:
                    continue
                if words[0] == "set" and len(words) == 3 and (words[2] in _STATUSES or words[2] == "UNKNOWN"):
                    health.set(words[1], words[2])
                    _answer({"ok": True})
                elif words == ["calls"]:
                    _answer({"calls": health.calls()})
                else:
                    _answer({"error": "unknown command: " + line.decode("utf-8", "replace")})
    except OSError:
        pass
    stop.set()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one (default 0)")
    parser.add_argument("--serving", action="append", default=[], help="a service that starts SERVING (repeatable)")
    args = parser.parse_args()

    health = HealthService(args.serving)
    # Watch holds a worker for its whole call, so leave room for several.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    if port == 0:
        print(f"cannot bind 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    server.start()
    print(f"PORT {port}", flush=True)
    threading.Thread(target=_serve_commands, args=(health, stop), name="commands", daemon=True).start()

    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
