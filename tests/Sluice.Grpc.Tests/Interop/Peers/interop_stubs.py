"""The Python stubs of the interop contract and grpc.health.v1, for the Python peers.

Generation and caching are shared with the other test peers: tests/Shared/peers/proto_stubs.py.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir, "Shared", "peers"))

import proto_stubs  # noqa: E402

INTEROP_PROTO = "sluice/interop/v1/interop.proto"
HEALTH_PROTO = "grpc/health/v1/health.proto"


def load():
    """Returns (interop_pb2, interop_pb2_grpc, health_pb2, health_pb2_grpc)."""
    repo_root = proto_stubs.find_repo_root(__file__, os.path.join("tests", "protos", INTEROP_PROTO))
    return proto_stubs.load(
        repo_root,
        include_dirs=["protos", os.path.join("tests", "protos")],
        protos=[INTEROP_PROTO, HEALTH_PROTO],
        cache_prefix="sluice-interop-py",
        modules=[
            "sluice.interop.v1.interop_pb2",
            "sluice.interop.v1.interop_pb2_grpc",
            "grpc.health.v1.health_pb2",
            "grpc.health.v1.health_pb2_grpc",
        ],
    )
