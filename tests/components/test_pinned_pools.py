"""Pinned GPU types outside the catalog under mocks (issue 21): on every cloud the pool is a GPU pool with the
accelerator, image (the arm64 one on Grace hosts) and taint its family needs, never a CPU pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra.components.aws import NodePoolArgs
from aiinfra.components.aws.gpu_pool import check
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


def pool(fixture: str, token: str, name: str) -> dict:
    (found,) = [r.inputs for r in run_offline(load(SPECS / fixture)).resources if r.type == token and r.name == name]
    return found


def test_eks_grace_pool_gets_the_arm64_nvidia_ami_and_the_gpu_taint():
    ng = pool("aws.ok.pinned-grace.yaml", "aws:eks/nodeGroup:NodeGroup", "grace-env-train-ng")
    assert ng["amiType"] == "AL2023_ARM_64_NVIDIA" and ng["instanceTypes"] == ["p6e-gb300.36xlarge"]
    assert ng["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert (ng["labels"]["aiinfra.dev/gpu"], ng["labels"]["aiinfra.dev/gpu-count"], ng["labels"]["accelerator"]) == ("GB300", "4", "nvidia")


@pytest.mark.parametrize(
    "fixture, name, machine, accelerator",
    [
        ("gcp.ok.pinned-a2-ultragpu-4g.yaml", "a2-env-train-np", "a2-ultragpu-4g", "nvidia-a100-80gb"),
        ("gcp.ok.pinned-grace.yaml", "a4x-env-train-np", "a4x-maxgpu-4g-metal", "nvidia-gb300"),
    ],
)
def test_gke_pinned_pool_attaches_its_family_s_accelerator_with_the_driver_and_taint(fixture, name, machine, accelerator):
    cfg = pool(fixture, "gcp:container/nodePool:NodePool", name)["nodeConfig"]
    assert cfg["machineType"] == machine
    assert cfg["guestAccelerators"] == [{"type": accelerator, "count": 4, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}]
    assert cfg["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]


def test_aks_pinned_pool_gets_the_driver_and_the_gpu_taint():
    ap = pool("azure.ok.pinned-nc24rs-v3.yaml", "azure-native:containerservice:AgentPool", "v100-env-train-pool")
    assert ap["vmSize"] == "Standard_NC24rs_v3" and ap["gpuProfile"] == {"driver": "Install"}
    assert ap["nodeTaints"] == ["nvidia.com/gpu=true:NoSchedule"]


def _args(**kw) -> NodePoolArgs:
    return NodePoolArgs(cluster_name="c", node_role_arn="arn", cluster_security_group_id="sg", vpc_id="vpc", subnets={"us-east-1a": "s"}, **kw)


def test_eks_has_no_arm64_neuron_ami_so_such_a_pool_is_refused():
    assert check(_args(gpu="B200", gpus_per_node=4, architecture="arm64")) == []
    (p,) = check(_args(gpu="Trainium", gpus_per_node=16, family="neuron", architecture="arm64"))
    assert p.path == "family" and "no accelerated AMI for neuron accelerators on arm64" in p.message
    assert [p.path for p in check(_args(architecture="sparc"))] == ["architecture", "family"]
