"""Per-cloud and per-fabric pod requirements, read from templates/fabrics.yaml and templates/clouds.yaml."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import yaml

from aiinfra.manifests.templates import _render_leaves, templates_dir
from aiinfra.resolve.result import ResolvedPool

COMPUTE_CLASS_LABEL = "cloud.google.com/compute-class"


GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


NONROOT_UID = 10001  # >= 10000: clear of host users (checkov CKV_K8S_40)


# Share of a node the training pod asks for: the rest is for the kubelet, system reserves and DaemonSets.
NODE_SHARE = 0.75


@lru_cache(maxsize=1)
def fabric_data() -> dict[str, Any]:
    return yaml.safe_load((templates_dir() / "fabrics.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def cloud_data() -> dict[str, Any]:
    return yaml.safe_load((templates_dir() / "clouds.yaml").read_text(encoding="utf-8"))


def fabric_kind(pool: ResolvedPool) -> str:
    return pool.fabric.kind if pool.fabric else "ethernet"


def gpu_network_names(cloud: str, pool: ResolvedPool) -> list[str]:
    """The Network each GPU NIC attaches to, named as the cloud's network layer names it (the pool's resolved
    fabric_networks, from the catalog)."""
    layout = pool.fabric_networks
    kind = fabric_kind(pool)
    if layout is None:
        raise ValueError(f"fabric {kind!r} puts GPU NICs on their own networks, but the {cloud} catalog has no fabric_networks.{kind}")
    return layout.gpu_nic_names(pool.fabric.interfaces if pool.fabric else 0)


def pool_facts(cloud: str, pool: ResolvedPool, accel: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a pod template needs to land on a pool and use its fabric; `accel` is the pool's accelerator
    (aiinfra.resolve.accelerators.pod_facts), NVIDIA's where not given."""
    data = fabric_data()
    kind = fabric_kind(pool)
    raw = data["fabrics"][kind]
    interfaces = pool.fabric.interfaces if pool.fabric else 0
    net = raw.get("network") or {}
    gpu_nics = [f"eth{net['first_nic'] + i}" for i in range(interfaces)] if net else []
    gpu_networks = gpu_network_names(cloud, pool) if net else []
    variables = {
        "interfaces": interfaces,
        "gpus": pool.gpus_per_node,
        "gpu_nics": gpu_nics,
        "gpu_networks": gpu_networks,
        "gpu_interfaces": [{"interfaceName": n, "network": w} for n, w in zip(gpu_nics, gpu_networks)],
    }
    fab = _render_leaves(raw, variables)
    accel = accel or nvidia_facts(pool)
    env = {**data["common"]["env"], **fab["env"], **accel["env"]}
    cpu = max(1, math.floor(pool.vcpus * NODE_SHARE)) if pool.vcpus else 1
    memory_gib = max(1, math.floor(pool.memory_gib * NODE_SHARE)) if pool.memory_gib else 2
    limits: dict[str, Any] = {"cpu": str(cpu), "memory": f"{memory_gib}Gi"}
    if pool.gpu and not pool.dra:  # DRA GPUs come through a ResourceClaim (aiinfra.manifests.claims), not the device plugin
        limits[accel["resource"]] = str(pool.gpus_per_node)
    limits.update({k: str(v) for k, v in fab["resources"].items()})
    sec = fab["security"]
    pod_security, container_security = security_contexts(sec["run_as_root"], sec["privileged"], sec["add_capabilities"])
    mounts_main = [{"name": h["name"], "mountPath": h["mount"], "readOnly": True} for h in fab["host_paths"] if "main" in h["containers"]]
    mounts_side = [{"name": h["name"], "mountPath": h["mount"]} for h in fab["host_paths"] if "sidecar" in h["containers"]]
    shared = fab.get("shared_dirs") or []
    mounts_main += [{"name": d["name"], "mountPath": d["mount"]} for d in shared]
    mounts_side += [{"name": d["name"], "mountPath": d["mount"]} for d in shared]
    shm_gib = max(1, math.floor((pool.memory_gib or 8) / 8))
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}},
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{shm_gib}Gi"}},
    ]
    volumes += [{"name": h["name"], "hostPath": {"path": h["path"]}} for h in fab["host_paths"]]
    volumes += [{"name": d["name"], "emptyDir": {}} for d in shared]
    mounts_main = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}] + mounts_main
    return {
        "name": pool.name,
        "instance_type": pool.instance_type,
        "fabric": kind,
        "fabric_gbps": pool.fabric.gbps if pool.fabric else pool.network_gbps,
        "gpus": pool.gpus_per_node,
        "procs_per_node": accel["ranks"],
        "node_selector": {**pool.selector, **pool.accelerator_labels, **class_selector(pool), **arch_selector(pool)},
        "tolerations": ([accel["toleration"]] if pool.gpu else []) + pool.tolerations,
        "family": accel["family"],
        "backend": accel["backend"],
        "vendor_image": accel["image"],
        "scheduler_name": accel["scheduler_name"],
        "multi_host_slice": pool.multi_host_slice,
        "resources": {"requests": dict(limits), "limits": dict(limits)},
        "env": [{"name": k, "value": str(v)} for k, v in env.items()],
        "annotations": fab["annotations"],
        "volumes": volumes,
        "mounts": mounts_main,
        "sidecars": [_sidecar(s, mounts_side) for s in fab["sidecars"]],
        "env_script": fab["env_script"],
        "pod_security": pod_security,
        "container_security": container_security,
    }


ARCH_LABEL = "kubernetes.io/arch"


def arch_selector(pool: ResolvedPool) -> dict[str, str]:
    """arm64 pools (NVIDIA Grace, Graviton) select their architecture, so the kubelet pulls the arm64 variant of a
    multi-arch image and an amd64-only image fails to schedule rather than to start."""
    return {ARCH_LABEL: "arm64"} if pool.architecture == "arm64" else {}


def class_selector(pool: ResolvedPool) -> dict[str, str]:
    """GKE provisions a ComputeClass's fallbacks only for pending pods that select the class."""
    return {COMPUTE_CLASS_LABEL: pool.compute_class} if pool.compute_class else {}


def nvidia_facts(pool: ResolvedPool) -> dict[str, Any]:
    """A pool's accelerator as a pod sees it, for NVIDIA and CPU pools; aiinfra.resolve.accelerators.pod_facts gives the
    same shape for every family (passed in by the caller: this module stays free of the catalog)."""
    return {
        "family": "nvidia" if pool.gpu else None,
        "resource": "nvidia.com/gpu",
        "toleration": dict(GPU_TOLERATION),
        "ranks": pool.gpus_per_node or 1,
        "env": {},
        "backend": "nccl" if pool.gpu else "gloo",
        "image": None,
        "scheduler_name": None,
    }


def security_contexts(run_as_root: bool = False, privileged: bool = False, add: list[str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(pod, container) security contexts: non-root, no escalation, read-only root, no capabilities,
    RuntimeDefault seccomp; a fabric widens exactly what fabrics.yaml says it needs."""
    pod: dict[str, Any] = {"seccompProfile": {"type": "RuntimeDefault"}}
    if not run_as_root:
        pod.update({"runAsNonRoot": True, "runAsUser": NONROOT_UID, "runAsGroup": NONROOT_UID, "fsGroup": NONROOT_UID})
    container: dict[str, Any] = {"readOnlyRootFilesystem": True}
    if privileged:
        container.update({"privileged": True, "runAsUser": 0})
        return pod, container
    container.update({"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})
    if add:
        container["capabilities"]["add"] = list(add)
    container.update({"runAsUser": 0, "runAsNonRoot": False} if run_as_root else {"runAsNonRoot": True})
    return pod, container


def _sidecar(raw: dict[str, Any], mounts: list[dict[str, Any]]) -> dict[str, Any]:
    # The RxDM daemons run as root: added capabilities do nothing for a non-root user.
    security: dict[str, Any] = {"privileged": True} if raw["privileged"] else {"allowPrivilegeEscalation": False}
    security.update({"runAsUser": 0, "runAsNonRoot": False})
    if raw["add_capabilities"]:
        security["capabilities"] = {"add": raw["add_capabilities"]}
    return {
        "name": raw["name"],
        "image": raw["image"],
        "command": raw["command"],
        "args": raw["args"],
        "env": [{"name": k, "value": str(v)} for k, v in raw["env"].items()],
        "securityContext": security,
        "volumeMounts": mounts,
    }


def _wrap(command: list[str], env_script: str | None) -> list[str]:
    """Source a fabric's NCCL profile before exec'ing the command, keeping the arguments intact."""
    if not env_script:
        return command
    return ["/bin/bash", "-c", 'source "$0" && exec "$@"', env_script, *command]
