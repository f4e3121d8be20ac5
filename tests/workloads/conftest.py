"""Fixtures for the reference workload: real object-store servers (moto for S3,
gcp-storage-emulator for GCS, Azurite for Azure Blob) on free ports, one per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # workloadhelpers, under --import-mode=importlib

from workloadhelpers import AZURITE_KEY, azurite_binary, free_port, wait_http

# gcsfs otherwise asks the GCS control API (gRPC) about hierarchical namespaces, which an HTTP
# emulator cannot answer (a 60 s timeout per bucket). Set before anything imports gcsfs.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield {"url_root": "s3://", "options": {"endpoint_url": f"http://{host}:{port}"},
           "env": {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}}
    server.stop()


@pytest.fixture(scope="session")
def gcs_server():
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    wait_http(f"http://127.0.0.1:{port}/storage/v1/b")
    yield {"url_root": "gs://", "options": {"endpoint_url": f"http://127.0.0.1:{port}", "token": "anon", "project": "aiinfra-test"},
           "env": {"GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}}
    server.stop()


@pytest.fixture(scope="session")
def azure_server(tmp_path_factory):
    binary = azurite_binary()
    if binary is None:
        pytest.skip("Azurite is not installed: npm install --prefix .cache/azurite azurite (or npm install -g azurite)")
    port = free_port()
    log = (tmp_path_factory.mktemp("azurite") / "azurite.log").open("wb")
    proc = subprocess.Popen([binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
                             "--skipApiVersionCheck", "--loose", "--silent"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/devstoreaccount1?comp=list")
        conn = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
                f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;")
        yield {"url_root": "az://", "options": {"connection_string": conn}, "env": {}}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # it waits for clients' keep-alive connections to close
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(params=["s3", "gcs", "azure"])
def store(request):
    """A fresh bucket/container on one of the three servers: (url, env with AIINFRA_STORAGE_OPTIONS)."""
    server = request.getfixturevalue(f"{request.param}_server")
    bucket = f"ckpt-{uuid.uuid4().hex[:12]}"  # valid on all three: lowercase, digits, single hyphens
    env = {**server["env"], "AIINFRA_STORAGE_OPTIONS": json.dumps(server["options"])}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from aiinfra.workloads.reference.storage import filesystem

        fs, _ = filesystem(f"{server['url_root']}{bucket}")
        if not fs.exists(bucket):
            fs.mkdir(bucket)
        yield f"{server['url_root']}{bucket}/run", env
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
