"""The data layer in rendered manifests: training pods mount each file system's claim (and, with mount_buckets,
each bucket's) and read the prepared shards; with mlops.data: ray, a RayJob prepares them.

Claims are named by aiinfra.resolve.result (fs-<name>) and components/kubernetes/addons/data.py (bucket-<name>), and
created by the platform; nothing here names a cloud.
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping

from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

BUCKET_MOUNT_ROOT = "/mnt/buckets"
DATASETS_BUCKET = "datasets"
RAY_WORKERS = 2
RAY_CPU = 2.0  # per Ray pod, at most: what one tokenizer process uses
RAY_MEMORY_GIB = 4.0
RAY_SHARE = 0.75  # of one node's allocatable, at most, where the node is smaller


def data_volumes(env: ResolvedEnvironment) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """(volumes, mounts, pod annotations) for every pod that reads the environment's data."""
    from aiinfra.catalog.filesystems import cloud_data

    volumes, mounts = [], []
    for fs in env.filesystems:
        volumes.append({"name": fs.claim_name, "persistentVolumeClaim": {"claimName": fs.claim_name}})
        mounts.append({"name": fs.claim_name, "mountPath": fs.mount_path})
    annotations: dict[str, str] = {}
    if env.spec.storage.mount_buckets:
        for b in env.spec.storage.buckets:
            volumes.append({"name": f"bucket-{b}", "persistentVolumeClaim": {"claimName": f"bucket-{b}"}})
            mounts.append({"name": f"bucket-{b}", "mountPath": f"{BUCKET_MOUNT_ROOT}/{b}"})
        annotations.update(cloud_data(env.spec.cloud).mount_pod_annotations)
    return volumes, mounts, annotations


def with_data(pool: Mapping[str, Any], env: ResolvedEnvironment) -> dict[str, Any]:
    """A pool's pod facts plus the data volumes; unchanged (the same dict) when there are none."""
    volumes, mounts, annotations = data_volumes(env)
    if not volumes:
        return dict(pool)
    return {**pool, "volumes": [*pool["volumes"], *volumes], "mounts": [*pool["mounts"], *mounts], "annotations": {**pool["annotations"], **annotations}}


def datasets_bucket(env: ResolvedEnvironment) -> str | None:
    buckets = list(env.spec.storage.buckets)
    return DATASETS_BUCKET if DATASETS_BUCKET in buckets else (buckets[0] if buckets else None)


def shards_url(env: ResolvedEnvironment, bucket_urls: Mapping[str, str]) -> str | None:
    """Where prepared shards live: on the first file system when there is one (pods read them at file-system
    speed), else beside the data in the datasets bucket. None: no data layer preprocessing."""
    if env.spec.mlops.data != "ray":
        return None
    if env.filesystems:
        return f"{env.filesystems[0].mount_path}/shards/{env.spec.name}"
    bucket = datasets_bucket(env)
    return f"{bucket_urls[bucket].rstrip('/')}/shards/{env.spec.name}" if bucket else None


def data_pool(env: ResolvedEnvironment) -> ResolvedPool:
    """Where the Ray pods run: the first pool of the ClusterQueue's flavor order (CPU pools first, by name; then GPU
    pools), so Kueue admits them on the same flavor; the system pool only where there is no other pool."""
    pools = sorted(env.worker_pools, key=lambda p: (bool(p.gpu), p.name))
    return pools[0] if pools else env.system_pool


def ray_resources(env: ResolvedEnvironment, pool: ResolvedPool) -> dict[str, dict[str, str]]:
    """RAY_CPU and RAY_MEMORY_GIB per pod, cut to RAY_SHARE of what one of the pool's nodes can give pods (its
    allocatable: aiinfra.resolve.node_shapes), so the pods never wait for a node that cannot hold them."""
    from aiinfra.resolve.node_shapes import shapes

    alloc = shapes(env, pool)[0].allocatable
    cpu, mem = RAY_CPU, RAY_MEMORY_GIB
    if alloc_cpu := alloc.get("cpu"):
        cpu = min(cpu, int(alloc_cpu * RAY_SHARE * 10) / 10)
    if alloc_memory := alloc.get("memory"):
        mem = min(mem, int(alloc_memory * RAY_SHARE / 2**28) / 4)
    size = {"cpu": f"{round(cpu * 1000)}m" if cpu % 1 else str(int(cpu)), "memory": f"{round(mem * 1024)}Mi" if mem % 1 else f"{int(mem)}Gi"}
    return {"requests": dict(size), "limits": dict(size)}


def placement(pool: ResolvedPool) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(nodeSelector, tolerations) of a pod placed on the pool: its selector (ResolvedPool.selector), its accelerator's and the cloud's taints."""
    from aiinfra.resolve import accelerators

    tolerations = ([accelerators.pod_facts(pool)["toleration"]] if pool.gpu else []) + pool.tolerations
    return {**pool.selector, **pool.accelerator_labels}, tolerations


def prepare_job(env: ResolvedEnvironment, bucket_urls: Mapping[str, str], source: str | None, image: str) -> dict[str, Any] | None:
    """What rayjob.yaml.j2 needs: the entrypoint (the same module `workload prepare --local` runs) and sizes. The
    source is workload.data, else the datasets bucket's data/ prefix."""
    output = shards_url(env, bucket_urls)
    bucket = datasets_bucket(env)
    if output is None or bucket is None:
        return None
    source = source or f"{bucket_urls[bucket].rstrip('/')}/data"
    volumes, mounts, annotations = data_volumes(env)
    pool = data_pool(env)
    selector, tolerations = placement(pool)
    entry = ["python", "-m", "aiinfra.workloads.reference.prepare", "--source", source, "--output", output]
    return {
        "name": f"{env.spec.name}-prepare",
        "entrypoint": shlex.join(entry),
        "image": image,
        "source": source,
        "output": output,
        "workers": RAY_WORKERS,
        "volumes": volumes,
        "mounts": mounts,
        "annotations": annotations,
        "pool": pool.name,
        "node_selector": selector,
        "tolerations": tolerations,
        "resources": ray_resources(env, pool),
    }
