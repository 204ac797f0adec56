"""The Python stubs the peers of Sluice.Peers.Tests use: Sluice's services, grpc.health.v1 and
server reflection (v1alpha and v1, from the protos @grpc/reflection ships in deploy/node).

Generation and caching are shared with the other test peers: tests/Shared/peers/proto_stubs.py.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "Shared", "peers"))

import proto_stubs  # noqa: E402

QUERY_PROTO = "sluice/query/v1/query.proto"
VALIDATION_PROTO = "sluice/validation/v1/validation.proto"
HEALTH_PROTO = "grpc/health/v1/health.proto"
REFLECTION_V1ALPHA_PROTO = "grpc/reflection/v1alpha/reflection.proto"
REFLECTION_V1_PROTO = "grpc/reflection/v1/reflection.proto"
# The reflection protos as @grpc/reflection ships them (deploy/install-deps.sh installs it).
REFLECTION_INCLUDE = os.path.join("deploy", "node", "node_modules", "@grpc", "reflection", "build", "proto")


class Stubs:
    """The generated modules, by what they are."""

    def __init__(self, modules):
        (
            self.query_pb2,
            self.query_pb2_grpc,
            self.validation_pb2,
            self.validation_pb2_grpc,
            self.health_pb2,
            self.health_pb2_grpc,
            self.reflection_v1alpha_pb2,
            self.reflection_v1alpha_pb2_grpc,
            self.reflection_v1_pb2,
            self.reflection_v1_pb2_grpc,
        ) = modules


def repo_root():
    return proto_stubs.find_repo_root(__file__, os.path.join("protos", QUERY_PROTO))


def load():
    """Returns a Stubs of every module the peers need (generated once per content of the protos)."""
    modules = []
    for proto in (QUERY_PROTO, VALIDATION_PROTO, HEALTH_PROTO, REFLECTION_V1ALPHA_PROTO, REFLECTION_V1_PROTO):
        module = proto[: -len(".proto")].replace("/", ".")
        modules += [module + "_pb2", module + "_pb2_grpc"]
    return Stubs(
        proto_stubs.load(
            repo_root(),
            include_dirs=["protos", REFLECTION_INCLUDE],
            protos=[QUERY_PROTO, VALIDATION_PROTO, HEALTH_PROTO, REFLECTION_V1ALPHA_PROTO, REFLECTION_V1_PROTO],
            cache_prefix="sluice-peers-py",
            modules=modules,
        )
    )
