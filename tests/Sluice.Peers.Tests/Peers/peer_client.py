"""Real grpcio client of the Sluice all-in-one host, for Sluice.Peers.Tests.

Usage: /usr/bin/python3 peer_client.py --scenario NAME --gateway H:P --ingestion H:P --query H:P --validation H:P
Runs one scenario (README.md) against the host's listeners and prints one JSON object of
observations on stdout; the C# tests assert on them. Exits 0 whenever the scenario ran, even if
calls ended with a gRPC error status; a non-zero exit means the peer itself crashed.
peer_client.js runs the same scenarios with grpc-js and prints the same keys.
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
import google.protobuf  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory  # noqa: E402
from google.protobuf.internal import api_implementation  # noqa: E402

import peer_stubs  # noqa: E402
from query_json import field_json  # noqa: E402  (on the path the stubs module sets)

stubs = peer_stubs.load()
query_pb2, query_pb2_grpc = stubs.query_pb2, stubs.query_pb2_grpc
validation_pb2, validation_pb2_grpc = stubs.validation_pb2, stubs.validation_pb2_grpc
health_pb2, health_pb2_grpc = stubs.health_pb2, stubs.health_pb2_grpc

# Every call gets a deadline so a broken server fails the scenario instead of hanging the test.
CALL_TIMEOUT_SECONDS = 30.0
LISTENERS = ("gateway", "ingestion", "query", "validation")
QUERY_SERVICE = "sluice.query.v1.QueryService"
VALIDATION_SERVICE = "sluice.validation.v1.ValidationService"
HEALTH_SERVICE = "grpc.health.v1.Health"
UNKNOWN_HEALTH_SERVICE = "sluice.nothing.v1.Nothing"
STATUS_DETAILS_KEY = "grpc-status-details-bin"

# The validation scenario's schema: an object that needs a name and whose age is a small integer.
PERSON_SCHEMA = json.dumps({
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "maximum": 150}},
})
VALID_PERSON = json.dumps({"name": "Ada", "age": 36})
INVALID_PERSON = json.dumps({"age": 200})
NOT_JSON = "{not json"
UNKNOWN_SCHEMA = "no-such-schema-" + uuid.uuid4().hex

# The query scenario: a parameterized aggregate on the demo sales table.
QUERY_SQL = ("SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM sales "
             "WHERE amount > :min GROUP BY region ORDER BY region")
QUERY_PARAMETERS = (("min", "1000"),)

# The gzip scenario: a large, very compressible document with one bad item at the end.
GZIP_ITEMS = 20000
GZIP_SCHEMA = json.dumps({
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"type": "integer", "maximum": 9}}},
})
GZIP_DOCUMENT = json.dumps({"items": [7] * GZIP_ITEMS + [10]})

# What a grpcurl user would send to each service found by reflection, as JSON.
DYNAMIC_CALLS = {
    HEALTH_SERVICE: ("Check", {"service": ""}),
    QUERY_SERVICE: ("ExecuteStatement", {
        "sql": "SELECT COUNT(*) AS n FROM sales WHERE amount > :min",
        "database": "dev",
        "parameters": [{"name": "min", "value": "1000"}],
    }),
    VALIDATION_SERVICE: ("ValidateDocument", {"schema_json": '{"type": "string"}', "document_json": "42"}),
}


def _error(error):
    """A failed call's status name, message and raw grpc-status-details-bin (base64, or None)."""
    details_bin = None
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY:
            details_bin = base64.b64encode(value).decode("ascii")
    return {"status": error.code().name, "details": error.details(), "details_bin": details_bin}


# ---- version ---------------------------------------------------------------------------------

def scenario_version(targets):
    with grpc.insecure_channel(targets["query"]) as channel:
        check = _check(health_pb2_grpc.HealthStub(channel), "")
    return {
        "language": "python",
        "implementation": "grpcio",
        "grpc_version": grpc.__version__,
        "protobuf_version": google.protobuf.__version__,
        "protobuf_implementation": api_implementation.Type(),
        "runtime_version": sys.version.split()[0],
        "check": check,
    }


# ---- health ----------------------------------------------------------------------------------

def _check(stub, service):
    try:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return error.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def _watch_first(stub, service):
    """The first status a Watch sends; the call is then cancelled (Watch never ends by itself)."""
    call = stub.Watch(health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT_SECONDS)
    try:
        first = next(call)
        return {"status": "OK", "first": health_pb2.HealthCheckResponse.ServingStatus.Name(first.status)}
    except grpc.RpcError as error:
        return {"status": error.code().name, "first": None}
    except StopIteration:
        return {"status": "ENDED", "first": None}
    finally:
        call.cancel()


def scenario_health(targets):
    observed = {}
    for listener in LISTENERS:
        with grpc.insecure_channel(targets[listener]) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            observed[listener] = {
                "check": {service: _check(stub, service) for service in ("", QUERY_SERVICE, VALIDATION_SERVICE)},
                "check_unknown": _check(stub, UNKNOWN_HEALTH_SERVICE),
                "watch": _watch_first(stub, ""),
            }
    return observed


# ---- deadline --------------------------------------------------------------------------------

def scenario_deadline(targets):
    """Watch never ends by itself: a 300 ms deadline must end it with DEADLINE_EXCEEDED."""
    with grpc.insecure_channel(targets["gateway"]) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        # Connect first, so that the deadline measures the call and not the connection.
        _check(stub, "")
        started = time.monotonic()
        messages = 0
        status = "OK"
        try:
            for _ in stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=0.3):
                messages += 1
        except grpc.RpcError as error:
            status = error.code().name
        return {"status": status, "messages": messages, "elapsed_ms": round((time.monotonic() - started) * 1000)}


# ---- validation ------------------------------------------------------------------------------

def _validation_errors(reply):
    return [
        {"instance_location": e.instance_location, "keyword": e.keyword, "schema_location": e.schema_location,
         "message": e.message}
        for e in reply.errors
    ]


def _validate(stub, request, **kwargs):
    try:
        reply = stub.ValidateDocument(request, timeout=CALL_TIMEOUT_SECONDS, **kwargs)
    except grpc.RpcError as error:
        return {**_error(error), "valid": None, "errors": None}
    return {"status": "OK", "valid": reply.valid, "errors": _validation_errors(reply)}


def scenario_validation(targets):
    with grpc.insecure_channel(targets["validation"]) as channel:
        stub = validation_pb2_grpc.ValidationServiceStub(channel)
        observed = {
            "valid": _validate(stub, validation_pb2.ValidateDocumentRequest(schema_json=PERSON_SCHEMA, document_json=VALID_PERSON)),
            "invalid": _validate(stub, validation_pb2.ValidateDocumentRequest(schema_json=PERSON_SCHEMA, document_json=INVALID_PERSON)),
            "bad_field": _validate(stub, validation_pb2.ValidateDocumentRequest(schema_json=PERSON_SCHEMA, document_json=NOT_JSON)),
        }
        try:
            stub.GetSchema(validation_pb2.GetSchemaRequest(name=UNKNOWN_SCHEMA), timeout=CALL_TIMEOUT_SECONDS)
            observed["unknown_schema"] = {"status": "OK", "details": None, "details_bin": None}
        except grpc.RpcError as error:
            observed["unknown_schema"] = _error(error)
        observed["unknown_schema"]["name"] = UNKNOWN_SCHEMA
        return observed


# ---- gzip ------------------------------------------------------------------------------------

def scenario_gzip(targets):
    with grpc.insecure_channel(targets["validation"]) as channel:
        stub = validation_pb2_grpc.ValidationServiceStub(channel)
        request = validation_pb2.ValidateDocumentRequest(schema_json=GZIP_SCHEMA, document_json=GZIP_DOCUMENT)
        observed = _validate(stub, request, compression=grpc.Compression.Gzip)
        observed["request_bytes"] = request.ByteSize()
    with grpc.insecure_channel(targets["query"], compression=grpc.Compression.Gzip) as channel:
        observed["health_check"] = _check(health_pb2_grpc.HealthStub(channel), "")
    return observed


# ---- query -----------------------------------------------------------------------------------

def scenario_query(targets):
    with grpc.insecure_channel(targets["query"]) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        observed = {"execute": None, "watch": None, "stream": None}
        request = query_pb2.ExecuteStatementRequest(
            sql=QUERY_SQL, database="dev",
            parameters=[query_pb2.SqlParameter(name=name, value=value) for name, value in QUERY_PARAMETERS])
        try:
            reply = stub.ExecuteStatement(request, timeout=CALL_TIMEOUT_SECONDS)
            observed["execute"] = {"status": "OK", "id": reply.id, "database": reply.database}
        except grpc.RpcError as error:
            observed["execute"] = {**_error(error), "id": None, "database": None}
        statement_id = observed["execute"]["id"]

        if statement_id:
            watch = {"status": "OK", "statuses": []}
            try:
                for change in stub.WatchStatement(query_pb2.WatchStatementRequest(id=statement_id), timeout=CALL_TIMEOUT_SECONDS):
                    watch["statuses"].append(query_pb2.StatementStatus.Name(change.statement.status))
            except grpc.RpcError as error:
                watch.update(_error(error))
            observed["watch"] = watch

            stream = {"status": "OK", "message_kinds": [], "columns": None, "total_num_rows": None, "records": []}
            try:
                for message in stub.StreamStatementResult(
                        query_pb2.StreamStatementResultRequest(id=statement_id), timeout=CALL_TIMEOUT_SECONDS):
                    kind = message.WhichOneof("payload")
                    stream["message_kinds"].append(kind)
                    if kind == "metadata":
                        stream["columns"] = [column.name for column in message.metadata.column_metadata]
                        stream["total_num_rows"] = message.metadata.total_num_rows
                    elif kind == "batch":
                        stream["records"] += [[field_json(f) for f in record.fields] for record in message.batch.records]
            except grpc.RpcError as error:
                stream.update(_error(error))
            observed["stream"] = stream

        unknown = str(uuid.uuid4())
        try:
            stub.DescribeStatement(query_pb2.DescribeStatementRequest(id=unknown), timeout=CALL_TIMEOUT_SECONDS)
            observed["unknown_describe"] = "OK"
        except grpc.RpcError as error:
            observed["unknown_describe"] = error.code().name
        try:
            for _ in stub.WatchStatement(query_pb2.WatchStatementRequest(id=unknown), timeout=CALL_TIMEOUT_SECONDS):
                pass
            observed["unknown_watch"] = "OK"
        except grpc.RpcError as error:
            observed["unknown_watch"] = error.code().name
        return observed


# ---- unimplemented ---------------------------------------------------------------------------

def _raw_unary_status(channel, path):
    """Calls `path` with an empty message, as a client with other stubs than the server's would."""
    call = channel.unary_unary(path, request_serializer=lambda m: m, response_deserializer=lambda b: b)
    try:
        call(b"", timeout=CALL_TIMEOUT_SECONDS)
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


def scenario_unimplemented(targets):
    with grpc.insecure_channel(targets["query"]) as query, grpc.insecure_channel(targets["validation"]) as validation:
        return {
            "unknown_method": _raw_unary_status(query, f"/{QUERY_SERVICE}/NoSuchMethod"),
            "unknown_service": _raw_unary_status(query, "/sluice.nothing.v1.Nothing/Call"),
            "validation_on_query_listener": _raw_unary_status(query, f"/{VALIDATION_SERVICE}/GetSchema"),
            "query_on_validation_listener": _raw_unary_status(validation, f"/{QUERY_SERVICE}/DescribeStatement"),
            # Control: the same raw call shape on the right listener reaches the service.
            "validation_on_validation_listener": _raw_unary_status(validation, f"/{VALIDATION_SERVICE}/GetSchema"),
        }


# ---- reflection ------------------------------------------------------------------------------

class _Conversation:
    """One ServerReflectionInfo stream, used as grpcurl does: a request, then its answer."""

    def __init__(self, stub):
        self._requests = queue.Queue()
        self._responses = stub.ServerReflectionInfo(iter(self._requests.get, None), timeout=CALL_TIMEOUT_SECONDS)

    def ask(self, request):
        self._requests.put(request)
        return next(self._responses)

    def close(self):
        self._requests.put(None)
        for _ in self._responses:
            pass


def _load_files(serialized_files):
    """A descriptor pool of the files (in any order: each is added once its dependencies are)."""
    protos = [descriptor_pb2.FileDescriptorProto.FromString(data) for data in serialized_files]
    pool = descriptor_pool.DescriptorPool()
    added = set()
    pending = list(protos)
    while pending:
        ready = [p for p in pending if all(d in added for d in p.dependency)]
        if not ready:
            raise RuntimeError("unresolvable dependencies: " + ", ".join(p.name for p in pending))
        for proto in ready:
            pool.Add(proto)
            added.add(proto.name)
            pending.remove(proto)
    return protos, pool


def _message_class(pool, descriptor):
    get_message_class = getattr(message_factory, "GetMessageClass", None)
    if get_message_class is not None:
        return get_message_class(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def _streaming(protos, service_name):
    """{method: [client_streaming, server_streaming]} as the service's FileDescriptorProto declares them."""
    for proto in protos:
        for service in proto.service:
            if f"{proto.package}.{service.name}" == service_name:
                return {method.name: [method.client_streaming, method.server_streaming] for method in service.method}
    return None


def _dynamic_call(channel, pool, service_name):
    """Builds the method from the reflected descriptors only and calls it with a JSON request."""
    if service_name not in DYNAMIC_CALLS:
        return None
    method_name, request_json = DYNAMIC_CALLS[service_name]
    method = pool.FindServiceByName(service_name).methods_by_name[method_name]
    request_class = _message_class(pool, method.input_type)
    response_class = _message_class(pool, method.output_type)
    call = channel.unary_unary(f"/{service_name}/{method_name}",
                               request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=response_class.FromString)
    try:
        reply = call(json_format.ParseDict(request_json, request_class()), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {"method": method_name, **_error(error), "response": None}
    return {"method": method_name, "status": "OK",
            "response": json_format.MessageToDict(reply, preserving_proto_field_name=True)}


def _reflect(channel, pb2, pb2_grpc):
    conversation = _Conversation(pb2_grpc.ServerReflectionStub(channel))
    observed = {"status": "OK", "services": None, "symbols": {}, "unknown_symbol_error_code": None, "by_filename": None}
    try:
        listed = conversation.ask(pb2.ServerReflectionRequest(list_services=""))
        observed["services"] = [service.name for service in listed.list_services_response.service]
        for service_name in observed["services"]:
            answer = conversation.ask(pb2.ServerReflectionRequest(file_containing_symbol=service_name))
            if answer.WhichOneof("message_response") != "file_descriptor_response":
                observed["symbols"][service_name] = {"error_code": answer.error_response.error_code}
                continue
            protos, pool = _load_files(answer.file_descriptor_response.file_descriptor_proto)
            service = pool.FindServiceByName(service_name)
            observed["symbols"][service_name] = {
                "files": [proto.name for proto in protos],
                "file": service.file.name,
                "methods": [method.name for method in service.methods],
                "streaming": _streaming(protos, service_name),
                "dynamic_call": _dynamic_call(channel, pool, service_name),
            }
        unknown = conversation.ask(pb2.ServerReflectionRequest(file_containing_symbol="sluice.nothing.v1.Nothing"))
        observed["unknown_symbol_error_code"] = (
            unknown.error_response.error_code if unknown.WhichOneof("message_response") == "error_response" else 0)
        # Each file a service was found in, asked for again by its name.
        observed["by_filename"] = {}
        for filename in sorted({symbol["file"] for symbol in observed["symbols"].values() if "file" in symbol}):
            by_name = conversation.ask(pb2.ServerReflectionRequest(file_by_filename=filename))
            observed["by_filename"][filename] = (
                [descriptor_pb2.FileDescriptorProto.FromString(f).name for f in by_name.file_descriptor_response.file_descriptor_proto]
                if by_name.WhichOneof("message_response") == "file_descriptor_response"
                else {"error_code": by_name.error_response.error_code})
        conversation.close()
    except grpc.RpcError as error:
        observed.update(_error(error))
    return observed


def scenario_reflection(targets):
    observed = {}
    for listener in LISTENERS:
        with grpc.insecure_channel(targets[listener]) as channel:
            observed[listener] = {
                "v1alpha": _reflect(channel, stubs.reflection_v1alpha_pb2, stubs.reflection_v1alpha_pb2_grpc),
                "v1": _reflect(channel, stubs.reflection_v1_pb2, stubs.reflection_v1_pb2_grpc),
            }
    return observed


SCENARIOS = {
    "version": scenario_version,
    "health": scenario_health,
    "deadline": scenario_deadline,
    "validation": scenario_validation,
    "gzip": scenario_gzip,
    "query": scenario_query,
    "unimplemented": scenario_unimplemented,
    "reflection": scenario_reflection,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    for listener in LISTENERS:
        parser.add_argument("--" + listener, required=True, help=f"host:port of the {listener} listener")
    args = parser.parse_args()
    observed = SCENARIOS[args.scenario]({listener: getattr(args, listener) for listener in LISTENERS})
    print(json.dumps(observed), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
