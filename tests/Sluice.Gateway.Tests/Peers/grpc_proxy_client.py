"""Real grpcio client of the gateway's gRPC proxy listener, for Sluice.Gateway.Tests (GrpcProxyTests).

Usage: /usr/bin/python3 grpc_proxy_client.py --target H:P --scenario NAME [--key K] [--disabled-key K]
           [--unplanned-key K] [--count N]
Runs one scenario through the proxy with the API key in the `x-api-key` metadata and prints one
JSON object of what it observed on stdout; the C# tests assert on it. Exits 0 whenever the
scenario ran, even when calls ended with an error status; non-zero only if the client crashed.

Scenarios:
  query     ExecuteStatement, DescribeStatement until the statement ends, StreamStatementResult.
  refusals  one call per refusal: no key, an unknown key, a disabled key, a key in no plan, a
            method not on the allow-list, a service no backend owns, the gateway's admin service.
  throttle  `--count` DescribeStatement calls in a row; the status of each.
"""

import argparse
import json
import os
import sys
import time
import uuid

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "Shared", "peers"))

import grpc  # noqa: E402

import proto_stubs  # noqa: E402

QUERY_PROTO = "sluice/query/v1/query.proto"
QUERY_SERVICE = "sluice.query.v1.QueryService"
# Every call gets a deadline so a broken proxy fails the scenario instead of hanging the test.
CALL_TIMEOUT_SECONDS = 30.0
# The query scenario: the demo sales table's rows over 1000, as the sample data API serves them.
QUERY_SQL = "SELECT region, amount FROM sales WHERE amount > :min ORDER BY amount"
ENDED = ("STATEMENT_STATUS_FINISHED", "STATEMENT_STATUS_FAILED", "STATEMENT_STATUS_ABORTED")


def load_stubs():
    root = proto_stubs.find_repo_root(__file__, os.path.join("protos", QUERY_PROTO))
    return proto_stubs.load(root, include_dirs=["protos"], protos=[QUERY_PROTO], cache_prefix="sluice-gateway-proxy-py",
                            modules=["sluice.query.v1.query_pb2", "sluice.query.v1.query_pb2_grpc"])


def with_key(key):
    return [] if key is None else [("x-api-key", key)]


def error_of(error):
    return {"status": error.code().name, "details": error.details()}


def raw_unary(channel, path, payload, key):
    """A unary call of `path` with raw bytes: the status name and message (refusals need no stubs)."""
    call = channel.unary_unary(path, request_serializer=lambda m: m, response_deserializer=lambda b: b)
    try:
        call(payload, metadata=with_key(key), timeout=CALL_TIMEOUT_SECONDS)
        return {"status": "OK", "details": None}
    except grpc.RpcError as error:
        return error_of(error)


def scenario_query(channel, args):
    query_pb2, query_pb2_grpc = load_stubs()
    stub = query_pb2_grpc.QueryServiceStub(channel)
    metadata = with_key(args.key)
    observed = {"execute": None, "describe": None, "stream": None}
    request = query_pb2.ExecuteStatementRequest(sql=QUERY_SQL, database="dev", parameters=[query_pb2.SqlParameter(name="min", value="1000")])
    try:
        reply = stub.ExecuteStatement(request, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
        observed["execute"] = {"status": "OK", "id": reply.id}
    except grpc.RpcError as error:
        observed["execute"] = {**error_of(error), "id": None}
        return observed
    statement_id = observed["execute"]["id"]

    # Polls (bounded) until the statement ends: what a Data API client does.
    describe = {"status": "OK", "statuses": [], "result_rows": None}
    give_up = time.monotonic() + CALL_TIMEOUT_SECONDS
    try:
        while time.monotonic() < give_up:
            reply = stub.DescribeStatement(query_pb2.DescribeStatementRequest(id=statement_id), metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
            status = query_pb2.StatementStatus.Name(reply.status)
            if not describe["statuses"] or describe["statuses"][-1] != status:
                describe["statuses"].append(status)
            if status in ENDED:
                describe["result_rows"] = reply.result_rows
                break
            time.sleep(0.05)
    except grpc.RpcError as error:
        describe.update(error_of(error))
    observed["describe"] = describe

    stream = {"status": "OK", "messages": 0, "total_num_rows": None, "amounts": []}
    try:
        for message in stub.StreamStatementResult(query_pb2.StreamStatementResultRequest(id=statement_id), metadata=metadata,
                                                  timeout=CALL_TIMEOUT_SECONDS):
            stream["messages"] += 1
            if message.WhichOneof("payload") == "metadata":
                stream["total_num_rows"] = message.metadata.total_num_rows
            else:
                for record in message.batch.records:
                    field = record.fields[1]
                    kind = field.WhichOneof("value")
                    stream["amounts"].append(float(getattr(field, kind)) if kind else None)
    except grpc.RpcError as error:
        stream.update(error_of(error))
    observed["stream"] = stream
    return observed


def scenario_refusals(channel, args):
    describe = "/" + QUERY_SERVICE + "/DescribeStatement"
    # DescribeStatementRequest{id: "..."} by hand: field 1, length-delimited.
    statement = str(uuid.uuid4()).encode()
    payload = bytes([0x0A, len(statement)]) + statement
    return {
        "no_key": raw_unary(channel, describe, payload, None),
        "unknown_key": raw_unary(channel, describe, payload, "not-a-key-" + uuid.uuid4().hex),
        "disabled_key": raw_unary(channel, describe, payload, args.disabled_key),
        "unplanned_key": raw_unary(channel, describe, payload, args.unplanned_key),
        "not_allowed": raw_unary(channel, "/sluice.ingestion.v1.IngestionService/ListSources", b"", args.key),
        "unknown_service": raw_unary(channel, "/sluice.nothing.v1.Nothing/Do", b"", args.key),
        "admin_service": raw_unary(channel, "/sluice.gateway.v1.GatewayAdminService/ListApiKeys", b"", args.key),
        "allowed": raw_unary(channel, describe, payload, args.key),
    }


def scenario_throttle(channel, args):
    statement = str(uuid.uuid4()).encode()
    payload = bytes([0x0A, len(statement)]) + statement
    calls = [raw_unary(channel, "/" + QUERY_SERVICE + "/DescribeStatement", payload, args.key) for _ in range(args.count)]
    return {"statuses": [c["status"] for c in calls], "exhausted": [c["details"] for c in calls if c["status"] == "RESOURCE_EXHAUSTED"]}


SCENARIOS = {"query": scenario_query, "refusals": scenario_refusals, "throttle": scenario_throttle}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--key")
    parser.add_argument("--disabled-key")
    parser.add_argument("--unplanned-key")
    parser.add_argument("--count", type=int, default=5)
    args = parser.parse_args()
    with grpc.insecure_channel(args.target) as channel:
        observed = SCENARIOS[args.scenario](channel, args)
    observed["grpc_version"] = grpc.__version__
    json.dump(observed, sys.stdout)


if __name__ == "__main__":
    main()
