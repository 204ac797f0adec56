"""Generates, caches and imports the Python stubs of Sluice protos for the test peers.

Stubs are generated with Debian's protoc and grpc_python_plugin into a cache directory under the
system temp dir, keyed by the protos' content, so the peers need nothing from PyPI and never run
stale stubs after a proto change. Used by tests/Sluice.Peers.Tests/Peers/peer_stubs.py
and tests/Sluice.Query.Tests/Peers/query_stubs.py.
"""

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

import grpc

GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"

# Bump when the generation command changes, so old caches are not reused.
_GENERATOR_VERSION = "2"


def find_repo_root(start_file, marker):
    """The nearest ancestor of start_file holding the file `marker` (relative); SLUICE_REPO_ROOT overrides."""
    override = os.environ.get("SLUICE_REPO_ROOT")
    if override:
        return os.path.abspath(override)
    directory = os.path.dirname(os.path.abspath(start_file))
    while True:
        if os.path.isfile(os.path.join(directory, marker)):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            raise RuntimeError("cannot find the repository root (holding " + marker + ") above " + start_file)
        directory = parent


def load(repo_root, include_dirs, protos, cache_prefix, modules):
    """Imports `modules` from stubs of `protos` (paths inside `include_dirs`, relative to the root).

    google/protobuf/*.proto resolve through protoc's own include dir, and their *_pb2 modules ship
    with python3-protobuf, so only Sluice's own protos are generated.
    """
    includes = [os.path.join(repo_root, include) for include in include_dirs]
    digest = hashlib.sha256(_GENERATOR_VERSION.encode())
    for proto in protos:
        digest.update(proto.encode())
        with open(_locate(includes, proto), "rb") as source:
            digest.update(source.read())
    cache_dir = os.path.join(tempfile.gettempdir(), cache_prefix + "-" + digest.hexdigest()[:16])
    if not os.path.isdir(cache_dir):
        _generate(includes, protos, cache_dir)

    if cache_dir not in sys.path:
        sys.path.insert(0, cache_dir)
    # Stubs in a "grpc/..." folder (grpc.health.v1) would be shadowed by the installed grpcio
    # package, which always wins the import; extending its search path makes them resolve.
    generated_grpc = os.path.join(cache_dir, "grpc")
    if os.path.isdir(generated_grpc) and generated_grpc not in grpc.__path__:
        grpc.__path__.append(generated_grpc)
    return tuple(importlib.import_module(module) for module in modules)


def _locate(includes, proto):
    for include in includes:
        path = os.path.join(include, proto)
        if os.path.isfile(path):
            return path
    raise RuntimeError(proto + " is in none of " + ", ".join(includes))


def _generate(includes, protos, cache_dir):
    # Several peers may start at once: generate into a private dir, then rename it into place.
    os.makedirs(os.path.dirname(cache_dir), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=os.path.basename(cache_dir) + ".tmp-", dir=os.path.dirname(cache_dir))
    try:
        command = ["protoc"]
        for include in includes:
            command += ["-I", include]
        command += [
            "--python_out=" + staging,
            "--grpc_python_out=" + staging,
            "--plugin=protoc-gen-grpc_python=" + GRPC_PYTHON_PLUGIN,
            *protos,
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
