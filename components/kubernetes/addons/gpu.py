"""The GPU stack per cloud and fabric: GPU operator, EFA plugin, Network Operator for InfiniBand, GKE GPU NIC networks."""

from __future__ import annotations

import copy
import json
from typing import Any

from aiinfra import clouds
from aiinfra.components.kubernetes.addons.model import (
    CONTROL_PLANE_TOLERATION,
    GPU_TOLERATION,
    GpuNetwork,
    KubeObject,
    accelerator_toleration,
    deep_merge,
    family_pools,
    taint_tolerations,
    unique_tolerations,
)
from aiinfra.components.kubernetes.addons.monitoring import PROMETHEUS_RELEASE
from aiinfra.components.kubernetes.charts import chart
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

MELLANOX_PCI_VENDOR = "15b3"


# ConnectX-6 / ConnectX-7 device IDs of the ND A100 v4 / H100 v5 InfiniBand HCAs (gpu-fabrics.md §3.3).
MELLANOX_IB_DEVICES = ["101c", "101e"]


MELLANOX_LABEL = f"feature.node.kubernetes.io/pci-{MELLANOX_PCI_VENDOR}.present"


DOCA_DRIVER = {"repository": "nvcr.io/nvidia/mellanox", "image": "doca-driver", "version": "doca3.2.0-25.10-1.2.8.0-2"}


# The sriov device plugin image the pinned network-operator 26.4.1 chart ships (its values.yaml, sriov-network-operator.images).
SRIOV_DEVICE_PLUGIN = {"repository": "nvcr.io/nvidia/mellanox", "image": "sriov-network-device-plugin", "version": "network-operator-v26.4.1"}


# How each cloud installs the NVIDIA driver, and so what the GPU operator must leave alone. Keyed by
# Who installs driver and toolkit on GPU nodes, per cloud (and on AKS per azure.gpu_driver): the rows are
# each cloud profile's gpu_operator_values, keyed by its gpu_stack(env.gpu_driver) (components/<cloud>/profile.py).
GPU_OPERATOR_VALUES: dict[str, Any] = {row: values for p in clouds.all_profiles() for row, values in p.gpu_operator_values.items()}


# On InfiniBand the Network Operator runs NFD and the DOCA/MOFED driver that GPUDirect RDMA needs; the operator's
# driver loads nvidia-peermem against it (resolve refuses azure.gpu_driver aks with InfiniBand).
GPU_OPERATOR_INFINIBAND_VALUES = {"nfd": {"enabled": False}, "driver": {"rdma": {"enabled": True}}}


# Does the GPU node carry an `nvidia` RuntimeClass? Only where the operator installs the toolkit (it creates one).
NVIDIA_RUNTIME_CLASS: dict[str, bool] = {row: has for p in clouds.all_profiles() for row, has in p.nvidia_runtime_class.items()}


# Fabric kind -> manifests (GKE) installing the NCCL network plugin on those nodes.
NCCL_INSTALLERS: dict[str, list[str]] = {
    "tcpx": ["nri-device-injector", "nccl-tcpx-installer"],
    "tcpxo": ["nri-device-injector", "nccl-tcpxo-installer"],
    "rdma": ["nccl-rdma-installer"],
}


def gpu_stack(env: ResolvedEnvironment) -> str:
    """The row of GPU_OPERATOR_VALUES / NVIDIA_RUNTIME_CLASS: who installs driver and toolkit on the GPU nodes."""
    return clouds.get(env.cloud).gpu_stack(env.gpu_driver)


def gpu_operator_values(env: ResolvedEnvironment, monitoring: bool) -> dict[str, Any]:
    values = copy.deepcopy(GPU_OPERATOR_VALUES[gpu_stack(env)])
    nvidia = family_pools(env, "nvidia")
    if "infiniband" in {p.fabric_kind for p in nvidia}:
        values = deep_merge(values, GPU_OPERATOR_INFINIBAND_VALUES)
    service_monitor: dict[str, Any] = {"enabled": monitoring}
    if monitoring:
        service_monitor["additionalLabels"] = {"release": PROMETHEUS_RELEASE}
    values = deep_merge(values, {"dcgmExporter": {"serviceMonitor": service_monitor}})
    spot = taint_tolerations(env, nvidia)
    if spot:
        # Helm replaces lists: the chart defaults, plus the taints the cloud puts on the GPU pools' nodes.
        values["daemonsets"] = {"tolerations": [GPU_TOLERATION, *spot]}
        values["node-feature-discovery"] = {"worker": {"tolerations": [CONTROL_PLANE_TOLERATION, GPU_TOLERATION, *spot]}}
    return values


def efa_plugin_values(env: ResolvedEnvironment | None = None) -> dict[str, Any]:
    # Only EFA nodes, and past their accelerator taints (the chart tolerates nothing by default).
    pools = [p for p in env.gpu_pools if p.fabric_kind == "efa"] if env else []
    return {"nodeSelector": {"vpc.amazonaws.com/efa.present": "true"}, "tolerations": unique_tolerations([accelerator_toleration(p) for p in pools]) or [GPU_TOLERATION]}



def infiniband_pools(env: ResolvedEnvironment) -> list[ResolvedPool]:
    return [p for p in env.gpu_pools if p.fabric_kind == "infiniband"]


def network_operator_values(env: ResolvedEnvironment) -> dict[str, Any]:
    # aiinfra applies its own NodeFeatureRule for the InfiniBand HCAs (gpu-fabrics.md §3.3).
    values: dict[str, Any] = {"nfd": {"deployNodeFeatureRules": False}}
    # The chart's NFD worker tolerates the NVIDIA taint; other accelerators' IB pools (MI300X) need theirs added.
    others = [t for t in unique_tolerations([accelerator_toleration(p) for p in infiniband_pools(env)]) if t != GPU_TOLERATION]
    spot = others + taint_tolerations(env, infiniband_pools(env))
    if spot:
        # The chart's NFD worker tolerations, plus the cloud's taints on the InfiniBand pools' nodes.
        defaults = [
            {"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
            GPU_TOLERATION,
        ]
        values["node-feature-discovery"] = {"worker": {"tolerations": [*defaults, *spot]}}
    return values


def infiniband_objects(env: ResolvedEnvironment) -> list[KubeObject]:
    """AKS InfiniBand: label the HCAs' nodes, then a NicClusterPolicy with the DOCA driver and the SR-IOV
    RDMA device plugin (one `rdma/ib` per HCA; request 8 with 8 GPUs). gpu-fabrics.md §3.3."""
    rule = {
        "apiVersion": "nfd.k8s-sigs.io/v1alpha1",
        "kind": "NodeFeatureRule",
        "metadata": {"name": "mellanox-infiniband", "namespace": chart("network-operator").namespace},
        "spec": {
            "rules": [
                {
                    "name": "mellanox infiniband hca",
                    "labels": {MELLANOX_LABEL: "true"},
                    "matchFeatures": [
                        {
                            "feature": "pci.device",
                            "matchExpressions": {
                                "vendor": {"op": "In", "value": [MELLANOX_PCI_VENDOR]},
                                "device": {"op": "In", "value": MELLANOX_IB_DEVICES},
                            },
                        }
                    ],
                }
            ]
        },
    }
    sriov_config = {
        "resourceList": [
            {
                "resourcePrefix": "rdma",
                "resourceName": "ib",
                "selectors": {"vendors": [MELLANOX_PCI_VENDOR], "linkTypes": ["infiniband"], "isRdma": True},
            }
        ]
    }
    policy = {
        "apiVersion": "mellanox.com/v1alpha1",
        "kind": "NicClusterPolicy",
        "metadata": {"name": "nic-cluster-policy"},
        "spec": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": MELLANOX_LABEL, "operator": "In", "values": ["true"]}]}]
                }
            },
            "tolerations": unique_tolerations([GPU_TOLERATION, *[accelerator_toleration(p) for p in infiniband_pools(env)], *taint_tolerations(env, infiniband_pools(env))]),
            "ofedDriver": {
                **DOCA_DRIVER,
                # Workaround for an openibd restart race on NDm A100 v4 (Mellanox/doca-driver-build#52).
                "env": [{"name": "OFED_BLACKLIST_MODULES_FILE", "value": "/host/etc/modprobe.d/blacklist-ofed-modules.conf"}],
                "upgradePolicy": {
                    "autoUpgrade": True,
                    "maxParallelUpgrades": 1,
                    "drain": {"enable": True, "force": True, "deleteEmptyDir": True, "timeoutSeconds": 300},
                },
            },
            "sriovDevicePlugin": {**SRIOV_DEVICE_PLUGIN, "config": json.dumps(sriov_config, sort_keys=True)},
        },
    }
    return [KubeObject("nfd-rule-infiniband", rule, ["network-operator"]), KubeObject("nic-cluster-policy", policy, ["network-operator", "nfd-rule-infiniband"])]


def gke_network_objects(networks: list[GpuNetwork]) -> list[KubeObject]:
    """GKE multi-networking: a GKENetworkParamSet and a Network per extra GPU NIC network (gpu-fabrics.md §1.3)."""
    objs = []
    for n in networks:
        objs.append(
            KubeObject(
                f"netparams-{n.name}",
                {
                    "apiVersion": "networking.gke.io/v1",
                    "kind": "GKENetworkParamSet",
                    "metadata": {"name": n.name},
                    "spec": {"vpc": n.vpc, "vpcSubnet": n.subnet, "deviceMode": n.device_mode},
                },
            )
        )
        objs.append(
            KubeObject(
                f"network-{n.name}",
                {
                    "apiVersion": "networking.gke.io/v1",
                    "kind": "Network",
                    "metadata": {"name": n.name},
                    "spec": {"type": "Device", "parametersRef": {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": n.name}},
                },
                [f"netparams-{n.name}"],
            )
        )
    return objs
