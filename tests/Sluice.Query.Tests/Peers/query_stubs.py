"""The Python stubs of sluice.query.v1, for query_client.py.

Generation and caching are shared with the other test peers: tests/Shared/peers/proto_stubs.py.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "Shared", "peers"))

import proto_stubs  # noqa: E402

QUERY_PROTO = "sluice/query/v1/query.proto"


def load():
    """Returns (query_pb2, query_pb2_grpc)."""
    repo_root = proto_stubs.find_repo_root(__file__, os.path.join("protos", QUERY_PROTO))
    return proto_stubs.load(
        repo_root,
        include_dirs=["protos"],
        protos=[QUERY_PROTO],
        cache_prefix="sluice-query-py",
        modules=["sluice.query.v1.query_pb2", "sluice.query.v1.query_pb2_grpc"],
    )
