"""Rendered manifests with the data layer: training pods mount the file system and bucket claims and read the
shards the RayJob writes there (schema validation of the same manifests: test_validate.py)."""

from __future__ import annotations

import pytest
from renderhelpers import SCENARIOS, SPECS, find, pods, render_scenario

from aiinfra.resolve.resolver import load

CLOUDS = ("aws", "gcp", "azure")


@pytest.fixture(scope="module", params=CLOUDS)
def data(request):
    return request.param, render_scenario(f"data-{request.param}")


def test_training_pods_mount_the_file_system_and_the_buckets(data):
    cloud, manifests = data
    env = f"wl-data-{cloud}"
    (pod,) = [p for n, p in pods(manifests).items() if n.startswith(f"{env}-train")]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"] if "persistentVolumeClaim" in v}
    assert claims == {"fs-scratch": "fs-scratch", "bucket-datasets": "bucket-datasets", "bucket-checkpoints": "bucket-checkpoints"}
    mounts = {m["name"]: m["mountPath"] for c in pod["spec"]["containers"] for m in c["volumeMounts"]}
    assert mounts["fs-scratch"] == "/mnt/scratch" and mounts["bucket-datasets"] == "/mnt/buckets/datasets"
    gcsfuse = pod["metadata"].get("annotations", {}).get("gke-gcsfuse/volumes")
    assert gcsfuse == ("true" if cloud == "gcp" else None)


def test_the_trainer_reads_the_shards_the_rayjob_writes(data):
    cloud, manifests = data
    env = f"wl-data-{cloud}"
    job = find(manifests, "RayJob", f"{env}-prepare")
    entry = job["spec"]["entrypoint"].split()
    assert entry[:3] == ["python", "-m", "aiinfra.workloads.reference.prepare"]
    source, output = entry[entry.index("--source") + 1], entry[entry.index("--output") + 1]
    assert "datasets" in source and source.endswith("/data")
    assert output == f"/mnt/scratch/shards/{env}"
    train = find(manifests, "TrainJob", f"{env}-train")["spec"]["trainer"]["args"]
    assert train[train.index("--data") + 1] == output
    ray_pods = [p for n, p in pods(manifests).items() if n.startswith(f"{env}-prepare-")]
    assert len(ray_pods) == 2  # head and the tokenize group
    assert all(any(v.get("persistentVolumeClaim", {}).get("claimName") == "fs-scratch" for v in p["spec"]["volumes"]) for p in ray_pods)


def test_the_rayjob_queues_like_training_on_the_first_flavors_pool(data):
    """Kueue admits the Ray cluster in the training jobs' queue; its pods select the pool of the ClusterQueue's first
    flavor and tolerate that pool's taints themselves (the flavor's nodeLabels and tolerations), so Kueue admits
    them on that flavor and, without Kueue, they still land on a pool whose nodes can hold them (aiinfra.resolve.fit)."""
    from aiinfra.manifests.data import data_pool
    cloud, manifests = data
    env = f"wl-data-{cloud}"
    job = find(manifests, "RayJob", f"{env}-prepare")
    train = find(manifests, "TrainJob", f"{env}-train")
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == train["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "default"
    pool = data_pool(load(SPECS / SCENARIOS[f"data-{cloud}"]))
    cluster = job["spec"]["rayClusterSpec"]
    templates = [cluster["headGroupSpec"]["template"], *(g["template"] for g in cluster["workerGroupSpecs"])]
    for t in templates:
        assert t["spec"]["nodeSelector"] == {"aiinfra.dev/pool": pool.name, **pool.accelerator_labels}
        assert {x["key"] for x in t["spec"]["tolerations"]} == ({pool.accelerator_taint.key} if pool.gpu else set()) | {x.key for x in pool.taints}
    assert job["spec"]["shutdownAfterJobFinishes"] is True, "Kueue's RayJob integration requires it"


def test_without_the_data_layer_nothing_changes():
    manifests = render_scenario("ethernet")
    assert not [m for m in manifests if m["kind"] == "RayJob"]
    for pod in pods(manifests).values():
        assert not [v for v in pod["spec"]["volumes"] if "persistentVolumeClaim" in v]
