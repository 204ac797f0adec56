"""Real grpcio server for Sluice's interop tests: InteropService and grpc.health.v1.Health.

Usage: /usr/bin/python3 python_server.py --port 0
Binds 127.0.0.1 (port 0 picks a free one), prints "PORT <n>" once serving, and stops when
stdin reaches EOF or on SIGTERM. Message limits are grpcio's defaults (4 MiB receive).
"""

import argparse
import os
import signal
import sys
import threading
from concurrent import futures

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import grpc  # noqa: E402

import interop_stubs  # noqa: E402

interop_pb2, interop_pb2_grpc, health_pb2, health_pb2_grpc = interop_stubs.load()

ECHO_PREFIX = "x-echo-"
TRAILER_PREFIX = "trailer-"
INTEROP_SERVICE_NAME = "sluice.interop.v1.InteropService"
_STATUS_BY_NUMBER = {status.value[0]: status for status in grpc.StatusCode}


class _Probe:
    """What one Sleep handler observed, filled in by that handler."""

    def __init__(self):
        self.finished = False
        self.cancelled = False


class _ProbeRegistry:
    def __init__(self):
        self._probes = {}
        self._changed = threading.Condition()

    def start(self, probe_id):
        with self._changed:
            probe = _Probe()
            self._probes[probe_id] = probe
            self._changed.notify_all()
            return probe

    def finish(self, probe, cancelled):
        with self._changed:
            probe.cancelled = cancelled
            probe.finished = True
            self._changed.notify_all()

    def wait_finished(self, probe_id, timeout_seconds):
        """The probe once its handler finished, or as it stands after the timeout (None if never started)."""
        with self._changed:
            self._changed.wait_for(
                lambda: probe_id in self._probes and self._probes[probe_id].finished, timeout=timeout_seconds
            )
            return self._probes.get(probe_id)


def _termination_event(context):
    """An event set when the RPC terminates; set before the handler returns only on cancellation or deadline."""
    terminated = threading.Event()
    if not context.add_callback(terminated.set):
        terminated.set()  # the RPC had already terminated
    return terminated


def _reply_payload(request):
    if request.response_size > 0:
        return bytes(i % 251 for i in range(request.response_size))
    return request.payload


class InteropService(interop_pb2_grpc.InteropServiceServicer):
    def __init__(self, probes):
        self._probes = probes

    def UnaryEcho(self, request, context):
        if request.compress_response:
            context.set_compression(grpc.Compression.Gzip)
        # grpcio decompresses before the handler runs, so request_compressed stays false here.
        return interop_pb2.EchoResponse(
            message=request.message,
            payload=_reply_payload(request),
            received_size=len(request.payload),
        )

    def ServerStream(self, request, context):
        payload = bytes(i % 251 for i in range(max(request.payload_size, 0)))
        for index in range(request.count):
            yield interop_pb2.EchoResponse(message=f"{request.message}-{index}", sequence=index, payload=payload)

    def ClientStream(self, request_iterator, context):
        messages = []
        received_size = 0
        for request in request_iterator:
            messages.append(request.message)
            received_size += len(request.payload)
        return interop_pb2.EchoResponse(message=",".join(messages), sequence=len(messages), received_size=received_size)

    def BidiEcho(self, request_iterator, context):
        for index, request in enumerate(request_iterator):
            yield interop_pb2.EchoResponse(
                message=request.message, payload=request.payload, sequence=index, received_size=len(request.payload)
            )

    def Fail(self, request, context):
        code = _STATUS_BY_NUMBER.get(request.code, grpc.StatusCode.UNKNOWN)
        if code is grpc.StatusCode.OK:
            # OK cannot end a unary call without a reply; send an empty one.
            return interop_pb2.EchoResponse()
        context.abort(code, request.message)

    def EchoMetadata(self, request, context):
        echoed = [(key, value) for key, value in context.invocation_metadata() if key.startswith(ECHO_PREFIX)]
        context.send_initial_metadata(echoed)
        context.set_trailing_metadata([(TRAILER_PREFIX + key, value) for key, value in echoed])
        return interop_pb2.EchoResponse(message=request.message)

    def Sleep(self, request, context):
        terminated = _termination_event(context)
        probe = self._probes.start(request.probe_id)
        cancelled = terminated.wait(max(request.sleep_ms, 0) / 1000.0)
        self._probes.finish(probe, cancelled)
        return interop_pb2.EchoResponse(message="slept")

    def GetProbe(self, request, context):
        probe = self._probes.wait_finished(request.probe_id, max(request.wait_ms, 0) / 1000.0)
        if probe is None:
            return interop_pb2.ProbeResponse(found=False)
        return interop_pb2.ProbeResponse(found=True, finished=probe.finished, cancelled=probe.cancelled)


class HealthService(health_pb2_grpc.HealthServicer):
    _SERVING_SERVICES = ("", INTEROP_SERVICE_NAME)

    def Check(self, request, context):
        if request.service not in self._SERVING_SERVICES:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service " + request.service)
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)

    def Watch(self, request, context):
        # Per the health protocol, Watch reports SERVICE_UNKNOWN instead of failing, then waits for changes;
        # statuses never change here, so it holds the stream open until the client leaves.
        terminated = _termination_event(context)
        if request.service in self._SERVING_SERVICES:
            yield health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        else:
            yield health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
        terminated.wait()


def _stop_on_stdin_eof(stop):
    def read_until_eof():
        # os.read on the raw descriptor, not sys.stdin: a thread blocked inside sys.stdin holds its
        # buffer lock, which aborts the interpreter at exit when SIGTERM ends the server first.
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=read_until_eof, name="stdin-eof", daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one (default 0)")
    args = parser.parse_args()

    # Sleep and Watch hold a worker each for their whole call, so leave room for concurrent tests.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    interop_pb2_grpc.add_InteropServiceServicer_to_server(InteropService(_ProbeRegistry()), server)
    health_pb2_grpc.add_HealthServicer_to_server(HealthService(), server)
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    if port == 0:
        print(f"cannot bind 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    server.start()
    print(f"PORT {port}", flush=True)
    _stop_on_stdin_eof(stop)

    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
