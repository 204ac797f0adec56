"""Generates and imports the Python stubs of sluice.query.v1 for query_client.py.

Stubs are generated once per proto content with Debian's protoc and grpc_python_plugin into a
cache directory under the system temp dir, so the peer needs nothing from PyPI and never runs
stale stubs after a proto change.
"""

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

QUERY_PROTO = "sluice/query/v1/query.proto"
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"

# Bump when the generation command changes, so old caches are not reused.
_GENERATOR_VERSION = "1"


def find_repo_root():
    """The nearest ancestor of this script holding protos/ (works from a build output copy too)."""
    override = os.environ.get("SLUICE_REPO_ROOT")
    if override:
        return os.path.abspath(override)
    directory = os.path.dirname(os.path.abspath(__file__))
    while True:
        if os.path.isfile(os.path.join(directory, "protos", QUERY_PROTO)):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            raise RuntimeError("cannot find the repository root (protos/" + QUERY_PROTO + ") above " + __file__)
        directory = parent


def _generate(repo_root, cache_dir):
    # Several peers may start at once: generate into a private dir, then rename it into place.
    os.makedirs(os.path.dirname(cache_dir), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=os.path.basename(cache_dir) + ".tmp-", dir=os.path.dirname(cache_dir))
    try:
        # google/protobuf/timestamp.proto resolves through protoc's own include dir, and its
        # timestamp_pb2 module ships with python3-protobuf, so only query.proto is generated.
        command = [
            "protoc",
            "-I", os.path.join(repo_root, "protos"),
            "--python_out=" + staging,
            "--grpc_python_out=" + staging,
            "--plugin=protoc-gen-grpc_python=" + GRPC_PYTHON_PLUGIN,
            QUERY_PROTO,
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
    """Returns (query_pb2, query_pb2_grpc)."""
    repo_root = find_repo_root()
    digest = hashlib.sha256(_GENERATOR_VERSION.encode())
    with open(os.path.join(repo_root, "protos", QUERY_PROTO), "rb") as proto:
        digest.update(proto.read())
    cache_dir = os.path.join(tempfile.gettempdir(), "sluice-query-py-" + digest.hexdigest()[:16])
    if not os.path.isdir(cache_dir):
        _generate(repo_root, cache_dir)

    if cache_dir not in sys.path:
        sys.path.insert(0, cache_dir)
    return (
        importlib.import_module("sluice.query.v1.query_pb2"),
        importlib.import_module("sluice.query.v1.query_pb2_grpc"),
    )
