"""Real grpcio client for Sluice's interop tests.

Usage: /usr/bin/python3 python_client.py --target 127.0.0.1:PORT --scenario NAME
Runs exactly one scenario and prints one JSON object of observations on stdout (the C# test
asserts on them). Exits 0 whenever the scenario ran, even if the call ended with a gRPC error
status; a non-zero exit means the peer itself crashed. See README.md for the scenarios and keys.
"""

import argparse
import base64
import json
import queue
import sys
import time
import uuid

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import grpc  # noqa: E402

import interop_stubs  # noqa: E402

interop_pb2, interop_pb2_grpc, health_pb2, health_pb2_grpc = interop_stubs.load()

# Every call gets a deadline so a broken server fails the scenario instead of hanging the test.
CALL_TIMEOUT_SECONDS = 30.0
MIB = 1024 * 1024
ECHO_KEY_PREFIXES = ("x-echo-", "trailer-")
NON_ASCII_STATUS_MESSAGE = "Ünïcödé ✓ 数据 100% done\r\nline2"


def _error_fields(error):
    return {"status": error.code().name, "details": error.details()}


def _metadata_dict(metadata):
    observed = {}
    for key, value in metadata or ():
        if key.startswith(ECHO_KEY_PREFIXES):
            observed[key] = base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
    return observed


def _probe_fields(stub, probe_id):
    try:
        probe = stub.GetProbe(interop_pb2.ProbeRequest(probe_id=probe_id, wait_ms=5000), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {"probe": None, "probe_status": error.code().name}
    return {
        "probe": {"found": probe.found, "finished": probe.finished, "cancelled": probe.cancelled},
        "probe_status": "OK",
    }


def scenario_unary(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    request = interop_pb2.EchoRequest(message="héllo wörld", payload=bytes(range(256)))
    try:
        reply = stub.UnaryEcho(request, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {**_error_fields(error), "message": None, "payload_b64": None, "received_size": None}
    return {
        "status": "OK",
        "message": reply.message,
        "payload_b64": base64.b64encode(reply.payload).decode("ascii"),
        "received_size": reply.received_size,
    }


def scenario_server_stream(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    observed = {"status": "OK", "messages": [], "sequences": [], "payload_sizes": []}
    try:
        for reply in stub.ServerStream(
            interop_pb2.StreamRequest(message="m", count=5, payload_size=10), timeout=CALL_TIMEOUT_SECONDS
        ):
            observed["messages"].append(reply.message)
            observed["sequences"].append(reply.sequence)
            observed["payload_sizes"].append(len(reply.payload))
    except grpc.RpcError as error:
        observed.update(_error_fields(error))
    return observed


def scenario_client_stream(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    requests = (interop_pb2.EchoRequest(message=text) for text in ("a", "b", "c"))
    try:
        reply = stub.ClientStream(requests, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {**_error_fields(error), "message": None, "sequence": None}
    return {"status": "OK", "message": reply.message, "sequence": reply.sequence}


def scenario_bidi(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    outgoing = queue.Queue()

    def requests():
        # Yields only what the scenario has queued, so each write waits for the previous reply.
        while (request := outgoing.get()) is not None:
            yield request

    call = stub.BidiEcho(requests(), timeout=CALL_TIMEOUT_SECONDS)
    observed = {"status": "OK", "messages": [], "sequences": []}
    try:
        for text in ("one", "two", "three"):
            outgoing.put(interop_pb2.EchoRequest(message=text))
            reply = next(call)
            observed["messages"].append(reply.message)
            observed["sequences"].append(reply.sequence)
        outgoing.put(None)  # half-close
        for reply in call:  # anything the server sends after the half-close is observed too
            observed["messages"].append(reply.message)
            observed["sequences"].append(reply.sequence)
    except grpc.RpcError as error:
        observed.update(_error_fields(error))
    except StopIteration:
        observed["status"] = call.code().name
    finally:
        outgoing.put(None)
    return observed


def scenario_status_non_ascii(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    try:
        stub.Fail(interop_pb2.FailRequest(code=9, message=NON_ASCII_STATUS_MESSAGE), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {**_error_fields(error), "code": error.code().value[0]}
    return {"status": "OK", "code": 0, "details": None}


def scenario_metadata(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    metadata = (("x-echo-text", "hello world"), ("x-echo-data-bin", bytes([0, 1, 2, 254, 255])))
    try:
        _, call = stub.EchoMetadata.with_call(
            interop_pb2.EchoRequest(message="md"), metadata=metadata, timeout=CALL_TIMEOUT_SECONDS
        )
        status = "OK"
        details = None
    except grpc.RpcError as error:
        call = error  # the error is also the call: it still carries the metadata received
        status, details = error.code().name, error.details()
    observed = {
        "status": status,
        "headers": _metadata_dict(call.initial_metadata()),
        "trailers": _metadata_dict(call.trailing_metadata()),
    }
    if details is not None:
        observed["details"] = details
    return observed


def scenario_deadline(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    probe_id = str(uuid.uuid4())
    try:
        stub.Sleep(interop_pb2.SleepRequest(probe_id=probe_id, sleep_ms=10000), timeout=0.5)
        observed = {"status": "OK"}
    except grpc.RpcError as error:
        observed = _error_fields(error)
    return {**observed, **_probe_fields(stub, probe_id)}


def scenario_cancel(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    probe_id = str(uuid.uuid4())
    future = stub.Sleep.future(
        interop_pb2.SleepRequest(probe_id=probe_id, sleep_ms=10000), timeout=CALL_TIMEOUT_SECONDS
    )
    time.sleep(0.3)  # the scenario itself: cancel a call that is in flight
    future.cancel()
    observed = {"status": future.code().name}
    return {**observed, **_probe_fields(stub, probe_id)}


def scenario_large_accepted(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    try:
        reply = stub.UnaryEcho(interop_pb2.EchoRequest(payload=bytes(3 * MIB)), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {**_error_fields(error), "received_size": None, "payload_len": None}
    return {"status": "OK", "received_size": reply.received_size, "payload_len": len(reply.payload)}


def scenario_large_rejected(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    try:
        stub.UnaryEcho(interop_pb2.EchoRequest(payload=bytes(5 * MIB)), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return _error_fields(error)
    return {"status": "OK", "details": None}


def scenario_gzip(channel):
    stub = interop_pb2_grpc.InteropServiceStub(channel)
    payload = b"sluice gzip " * (100 * 1024 // 12) + b"x" * (100 * 1024 % 12)
    request = interop_pb2.EchoRequest(message="gzip", payload=payload, compress_response=True)
    try:
        reply = stub.UnaryEcho(request, compression=grpc.Compression.Gzip, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {**_error_fields(error), "received_size": None, "payload_len": None, "payload_ok": False,
                "request_compressed": None}
    return {
        "status": "OK",
        "received_size": reply.received_size,
        "payload_len": len(reply.payload),
        "payload_ok": reply.payload == payload,
        "request_compressed": reply.request_compressed,
    }


def scenario_unknown_method(channel):
    request_bytes = interop_pb2.EchoRequest(message="nobody home").SerializeToString()

    def call_status(path):
        # No serializers: the generic call sends and receives raw bytes.
        try:
            channel.unary_unary(path)(request_bytes, timeout=CALL_TIMEOUT_SECONDS)
            return "OK"
        except grpc.RpcError as error:
            return error.code().name

    return {
        "method_status": call_status("/sluice.interop.v1.InteropService/NoSuchMethod"),
        "service_status": call_status("/sluice.interop.v1.NoSuchService/UnaryEcho"),
    }


def scenario_health(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    observed = {}
    try:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=CALL_TIMEOUT_SECONDS)
        observed["status"] = "OK"
        observed["serving_status"] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    except grpc.RpcError as error:
        observed.update(_error_fields(error))
        observed["serving_status"] = None
    try:
        stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=CALL_TIMEOUT_SECONDS)
        observed["unknown_status"] = "OK"
    except grpc.RpcError as error:
        observed["unknown_status"] = error.code().name
    return observed


SCENARIOS = {
    "unary": scenario_unary,
    "server_stream": scenario_server_stream,
    "client_stream": scenario_client_stream,
    "bidi": scenario_bidi,
    "status_non_ascii": scenario_status_non_ascii,
    "metadata": scenario_metadata,
    "deadline": scenario_deadline,
    "cancel": scenario_cancel,
    "large_accepted": scenario_large_accepted,
    "large_rejected": scenario_large_rejected,
    "gzip": scenario_gzip,
    "unknown_method": scenario_unknown_method,
    "health": scenario_health,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="host:port of the server, e.g. 127.0.0.1:5001")
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    args = parser.parse_args()

    with grpc.insecure_channel(args.target) as channel:
        observed = SCENARIOS[args.scenario](channel)
    print(json.dumps(observed), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
