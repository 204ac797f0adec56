"""Generates and imports the Python stubs of the interop contract for the Python peers.

Stubs are generated once per proto content with Debian's protoc and grpc_python_plugin into a
cache directory under the system temp dir, so the peers need nothing from PyPI and never run
stale stubs after a proto change.
"""

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

import grpc

INTEROP_PROTO = "sluice/interop/v1/interop.proto"
HEALTH_PROTO = "grpc/health/v1/health.proto"
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"

# Bump when the generation command changes, so old caches are not reused.
_GENERATOR_VERSION = "1"


def find_repo_root():
    """The nearest ancestor of this script holding both proto roots (works from a build output copy too)."""
    override = os.environ.get("SLUICE_REPO_ROOT")
    if override:
        return os.path.abspath(override)
    directory = os.path.dirname(os.path.abspath(__file__))
    while True:
        if os.path.isfile(os.path.join(directory, "protos", HEALTH_PROTO)) and os.path.isfile(
            os.path.join(directory, "tests", "protos", INTEROP_PROTO)
        ):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            raise RuntimeError("cannot find the repository root (protos/ and tests/protos/) above " + __file__)
        directory = parent


def _generate(repo_root, cache_dir):
    include_dirs = [os.path.join(repo_root, "protos"), os.path.join(repo_root, "tests", "protos")]
    # Several peers may start at once: generate into a private dir, then rename it into place.
    os.makedirs(os.path.dirname(cache_dir), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=os.path.basename(cache_dir) + ".tmp-", dir=os.path.dirname(cache_dir))
    try:
        command = ["protoc"]
        for include in include_dirs:
            command += ["-I", include]
        command += [
            "--python_out=" + staging,
            "--grpc_python_out=" + staging,
            "--plugin=protoc-gen-grpc_python=" + GRPC_PYTHON_PLUGIN,
            INTEROP_PROTO,
            HEALTH_PROTO,
        ]
        subprocess.run(command, check=True, capture_output=True, text=True)
        try:
            os.rename(staging, cache_dir)
        except OSError:
            if not os.path.isdir(cache_dir):
                raise
            # Another peer won the race with identical content.
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)


def load():
    """Returns (interop_pb2, interop_pb2_grpc, health_pb2, health_pb2_grpc)."""
    repo_root = find_repo_root()
    digest = hashlib.sha256(_GENERATOR_VERSION.encode())
    for relative in (os.path.join("tests", "protos", INTEROP_PROTO), os.path.join("protos", HEALTH_PROTO)):
        with open(os.path.join(repo_root, relative), "rb") as proto:
            digest.update(proto.read())
    cache_dir = os.path.join(tempfile.gettempdir(), "sluice-interop-py-" + digest.hexdigest()[:16])
    if not os.path.isdir(cache_dir):
        _generate(repo_root, cache_dir)

    if cache_dir not in sys.path:
        sys.path.insert(0, cache_dir)
    # The health stubs live in a "grpc/health/v1" folder, but "grpc" is the installed grpcio package,
    # which always wins the import; extending its search path makes grpc.health.v1 resolve to the stubs.
    generated_grpc = os.path.join(cache_dir, "grpc")
    if generated_grpc not in grpc.__path__:
        grpc.__path__.append(generated_grpc)

    return (
        importlib.import_module("sluice.interop.v1.interop_pb2"),
        importlib.import_module("sluice.interop.v1.interop_pb2_grpc"),
        importlib.import_module("grpc.health.v1.health_pb2"),
        importlib.import_module("grpc.health.v1.health_pb2_grpc"),
    )
