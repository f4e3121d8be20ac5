"""The NVIDIA DRA driver (kubernetes-sigs/dra-driver-nvidia-gpu) where a pool needs it: ComputeDomains on GB200/GB300
NVLink pools (IMEX channels for multi-node NVLink) and whole GPUs on pools with `dra: true`.

Its kubelet plugin runs only on the nodes labelled aiinfra.dev/dra (components.base.gpu_pool.DRA_LABEL); the GPU
operator's device plugin is off on DRA GPU nodes (their nvidia.com/gpu.deploy.device-plugin=false label), so each node
has one device manager (k8s-ai-2026.md §5.2, §9.2). Facts: k8s-ai-2026.md §5.2-5.4; the chart's values at v0.4.1."""

from __future__ import annotations

from typing import Any

from aiinfra.components.base.gpu_pool import DRA_LABEL
from aiinfra.components.kubernetes.addons.gpu import gpu_stack
from aiinfra.components.kubernetes.addons.model import GPU_TOLERATION, accelerator_toleration, taint_tolerations, unique_tolerations
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

RELEASE = "dra-driver-nvidia-gpu"
RESOURCE_API = "resource.k8s.io/v1"


def driver_root(env: ResolvedEnvironment) -> str:
    """Where the NVIDIA driver lives on the host, per gpu_stack row (who installs it; each cloud's facts.py
    dra_driver_root): the EKS and AKS images carry it under / (EKS user guide ml-eks-nvidia-ultraserver;
    AKS-installed driver), GKE's installer under /home/kubernetes/bin/nvidia (cluster-toolkit kubectl-apply
    nvidia_dra_driver), the GPU operator's driver container under /run/nvidia/driver (the chart's values.yaml
    comment); k8s-ai-2026.md §5.2."""
    from aiinfra import clouds

    return clouds.facts(env.cloud).dra_driver_root[gpu_stack(env)]
# The DeviceClass of a ComputeDomain's IMEX channel (chart template deviceclass-compute-domain-default-channel.yaml).
CHANNEL_CLASS = "compute-domain-default-channel.nvidia.com"
GPU_CLASS = "gpu.nvidia.com"


def dra_pools(env: ResolvedEnvironment) -> list[ResolvedPool]:
    return [p for p in env.gpu_pools if p.dra_driver]


def driver_resources(env: ResolvedEnvironment) -> dict[str, bool]:
    """Which of the chart's `resources` are on: ComputeDomains where an NVLink pool is, GPUs where a pool asks for
    them (Kueue maps the DeviceClasses of exactly these, addons/scheduling.py)."""
    pools = dra_pools(env)
    return {"gpus": any(p.dra for p in pools), "computeDomains": any(p.nvlink_domain is not None for p in pools)}


def dra_values(env: ResolvedEnvironment) -> dict[str, Any]:
    """ComputeDomains where an NVLink pool is, DRA GPUs where a pool asks for them (the chart refuses GPUs without
    gpuResourcesEnabledOverride, as GPU allocation is not yet officially supported upstream); the kubelet plugin on the
    DRA pools' nodes only, past their accelerator and cloud taints; the v1 API named, as resolve requires 1.34."""
    pools = dra_pools(env)
    on = driver_resources(env)
    gpus = on["gpus"]
    values: dict[str, Any] = {
        "nvidiaDriverRoot": driver_root(env),
        "resourceApiVersion": RESOURCE_API,
        "resources": {name: {"enabled": enabled} for name, enabled in on.items()},
        "kubeletPlugin": {"nodeSelector": {DRA_LABEL: "true"}, "tolerations": unique_tolerations([GPU_TOLERATION, *[accelerator_toleration(p) for p in pools], *taint_tolerations(env, pools)])},
    }
    if gpus:
        values["gpuResourcesEnabledOverride"] = True
    return values



def driver_installers(env: ResolvedEnvironment) -> list[str]:
    """The manifests that install the NVIDIA driver on `dra: true` pools where the cloud installs none (GKE), one per
    host architecture there (gcp facts dra_driver_installers); the cloud's preflight refuses two that collide."""
    from aiinfra import clouds

    table = clouds.facts(env.cloud).dra_driver_installers
    return list(dict.fromkeys(table[p.architecture] for p in dra_pools(env) if p.dra and p.architecture in table))
