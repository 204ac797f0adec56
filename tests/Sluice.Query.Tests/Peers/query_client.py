"""Real grpcio client of sluice.query.v1.QueryService for Sluice's query interop tests.

Usage: /usr/bin/python3 query_client.py --target 127.0.0.1:PORT --database NAME
Runs the one scenario described in README.md (a parameterized SELECT on the demo `sales` table,
watched to its end, described, read whole through StreamStatementResult and again page by page
through GetStatementResult, plus two calls that must fail) and prints one JSON object of
observations on stdout; the C# test asserts on them. Exits 0 whenever the scenario ran, even if
calls ended with a gRPC error status; a non-zero exit means the peer itself crashed.
"""

import argparse
import json
import sys
import uuid

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import grpc  # noqa: E402

import query_stubs  # noqa: E402
from query_json import field_json  # noqa: E402  (on the path the stubs module sets)

query_pb2, query_pb2_grpc = query_stubs.load()

# Every call gets a deadline so a broken server fails the scenario instead of hanging the test.
CALL_TIMEOUT_SECONDS = 30.0
SQL = "SELECT id, region, amount FROM sales WHERE amount > :min ORDER BY id"
PARAMETERS = (("min", "1000"),)
# Decodes as base64 but is no token the server issued.
INVALID_NEXT_TOKEN = "bm90LWEtdG9rZW4="


def _status_name(value):
    return query_pb2.StatementStatus.Name(value)


def _records(records):
    return [[field_json(field) for field in record.fields] for record in records]


def _ids(records):
    """The first column as numbers, as a reader of `SELECT id, ...` would use it (None if not a long)."""
    return [
        record.fields[0].long_value if record.fields and record.fields[0].WhichOneof("value") == "long_value" else None
        for record in records
    ]


def _column_names(column_metadata):
    return [column.name for column in column_metadata]


def _execute(stub, database):
    request = query_pb2.ExecuteStatementRequest(
        sql=SQL,
        database=database,
        parameters=[query_pb2.SqlParameter(name=name, value=value) for name, value in PARAMETERS],
    )
    try:
        reply = stub.ExecuteStatement(request, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {"status": error.code().name, "details": error.details(), "id": None}
    return {"status": "OK", "id": reply.id}


def _watch(stub, statement_id):
    """Read to its end: the server sends every state change and closes the stream after the terminal one."""
    observed = {"status": "OK", "statuses": []}
    try:
        for change in stub.WatchStatement(
            query_pb2.WatchStatementRequest(id=statement_id), timeout=CALL_TIMEOUT_SECONDS
        ):
            observed["statuses"].append(_status_name(change.statement.status))
    except grpc.RpcError as error:
        observed.update(status=error.code().name, details=error.details())
    return observed


def _describe(stub, statement_id):
    try:
        reply = stub.DescribeStatement(query_pb2.DescribeStatementRequest(id=statement_id), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return {"status": error.code().name, "details": error.details(), "statement_status": None,
                "result_rows": None, "has_result_set": None, "query_parameters": None}
    return {
        "status": "OK",
        "statement_status": _status_name(reply.status),
        "result_rows": reply.result_rows,
        "has_result_set": reply.has_result_set,
        "query_parameters": [{"name": p.name, "value": p.value} for p in reply.query_parameters],
    }


def _stream(stub, statement_id):
    observed = {"status": "OK", "message_kinds": [], "columns": None, "total_num_rows": None,
                "batches": 0, "batch_rows": [], "records": [], "ids": []}
    try:
        for message in stub.StreamStatementResult(
            query_pb2.StreamStatementResultRequest(id=statement_id), timeout=CALL_TIMEOUT_SECONDS
        ):
            kind = message.WhichOneof("payload")
            observed["message_kinds"].append(kind)
            if kind == "metadata":
                observed["columns"] = _column_names(message.metadata.column_metadata)
                observed["total_num_rows"] = message.metadata.total_num_rows
            elif kind == "batch":
                records = message.batch.records
                observed["batches"] += 1
                observed["batch_rows"].append(len(records))
                observed["records"] += _records(records)
                observed["ids"] += _ids(records)
    except grpc.RpcError as error:
        observed.update(status=error.code().name, details=error.details())
    return observed


def _pages(stub, statement_id):
    observed = {"status": "OK", "pages": 0, "page_rows": [], "page_columns": [], "page_total_num_rows": [],
                "records": [], "ids": []}
    next_token = ""
    try:
        while True:
            page = stub.GetStatementResult(
                query_pb2.GetStatementResultRequest(id=statement_id, next_token=next_token), timeout=CALL_TIMEOUT_SECONDS
            )
            observed["pages"] += 1
            observed["page_rows"].append(len(page.records))
            observed["page_columns"].append(_column_names(page.column_metadata))
            observed["page_total_num_rows"].append(page.total_num_rows)
            observed["records"] += _records(page.records)
            observed["ids"] += _ids(page.records)
            next_token = page.next_token
            if not next_token:
                break
    except grpc.RpcError as error:
        observed.update(status=error.code().name, details=error.details())
    return observed


def _unary_status(call):
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


def _stream_status(call):
    """A server stream's final status: the stream is read to its end, since that is where it arrives."""
    try:
        for _ in call():
            pass
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


def _unknown_id(stub):
    unknown = str(uuid.uuid4())
    return {
        "describe": _unary_status(lambda: stub.DescribeStatement(
            query_pb2.DescribeStatementRequest(id=unknown), timeout=CALL_TIMEOUT_SECONDS)),
        "get_result": _unary_status(lambda: stub.GetStatementResult(
            query_pb2.GetStatementResultRequest(id=unknown), timeout=CALL_TIMEOUT_SECONDS)),
        "stream_result": _stream_status(lambda: stub.StreamStatementResult(
            query_pb2.StreamStatementResultRequest(id=unknown), timeout=CALL_TIMEOUT_SECONDS)),
    }


def _invalid_token(stub, statement_id):
    try:
        stub.GetStatementResult(
            query_pb2.GetStatementResultRequest(id=statement_id, next_token=INVALID_NEXT_TOKEN),
            timeout=CALL_TIMEOUT_SECONDS,
        )
    except grpc.RpcError as error:
        return {"status": error.code().name, "details": error.details()}
    return {"status": "OK", "details": None}


def run(channel, database):
    stub = query_pb2_grpc.QueryServiceStub(channel)
    execute = _execute(stub, database)
    statement_id = execute["id"]
    # Without a statement the calls on it cannot run: their keys stay null.
    on_statement = (lambda step: step(stub, statement_id)) if statement_id is not None else (lambda step: None)
    return {
        "execute": execute,
        "watch": on_statement(_watch),
        "describe": on_statement(_describe),
        "stream": on_statement(_stream),
        "paged": on_statement(_pages),
        "invalid_next_token": on_statement(_invalid_token),
        "unknown_id": _unknown_id(stub),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="host:port of the query service, e.g. 127.0.0.1:5001")
    parser.add_argument("--database", required=True, help="database holding the demo sales table, e.g. dev")
    args = parser.parse_args()

    with grpc.insecure_channel(args.target) as channel:
        observed = run(channel, args.database)
    print(json.dumps(observed), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
