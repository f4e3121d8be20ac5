"""Which accelerator stack is installed where (issue 14): the Neuron chart only with Neuron pools, the AMD GPU operator
only with AMD pools, the NVIDIA GPU operator only with NVIDIA pools; Kueue quotas in each accelerator's resource; a
mixed cluster gets both stacks, each tolerating only its own nodes' taint."""

from __future__ import annotations

from pathlib import Path

from k8shelpers import spec_env

from aiinfra.components.kubernetes.addons.model import PRIVILEGED
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.components.kubernetes.addons.tracking import artifact_values
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[3] / "stacks"
NEURON = {"key": "aws.amazon.com/neuron", "operator": "Exists", "effect": "NoSchedule"}
AMD = {"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
TPU = {"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}
NVIDIA = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def keys(plan):
    return [r.key for r in plan.releases]


def queue(plan):
    spec = plan.object("cluster-queue").body["spec"]["resourceGroups"][0]
    return spec["coveredResources"], {f["name"]: {q["name"]: q["nominalQuota"] for q in f["resources"]} for f in spec["flavors"]}


def test_trainium_gets_the_neuron_stack_and_no_nvidia_one():
    p = addon_plan(load(STACKS / "aws-trainium.yaml"))
    assert "neuron-helm-chart" in keys(p) and "gpu-operator" not in keys(p)
    assert p.release("neuron-helm-chart").values == {"scheduler": {"enabled": True}, "npd": {"enabled": False}}
    assert p.release("neuron-helm-chart").ns == "kube-system"
    assert p.release("aws-efa-k8s-device-plugin").values["tolerations"] == [NEURON]
    assert not any(o.key == "gpu-dashboard" for o in p.objects)
    ds = p.object("neuron-monitor").body
    assert ds["kind"] == "DaemonSet" and ds["spec"]["template"]["spec"]["nodeSelector"] == {"accelerator": "neuron"}
    assert ds["spec"]["template"]["spec"]["tolerations"] == [NEURON]
    assert p.object("neuron-monitor-scrape").kind == "PodMonitor"
    covered, flavors = queue(p)
    assert covered == ["cpu", "memory", "aws.amazon.com/neuron"]
    assert flavors["train"]["aws.amazon.com/neuron"] == 32 and flavors["serve"]["aws.amazon.com/neuron"] == 4
    assert p.object("flavor-train").body["spec"]["tolerations"] == [NEURON]


def test_mi300x_gets_the_amd_operator_with_cert_manager_and_the_network_operator():
    p = addon_plan(load(STACKS / "azure-mi300x.yaml"), artifact_root=lambda b: artifact_values(f"az://{b}", "s"))
    ks = keys(p)
    assert "amd-gpu-operator" in ks and "gpu-operator" not in ks and "network-operator" in ks
    assert ks.index("cert-manager") < ks.index("amd-gpu-operator") and ks.count("cert-manager") == 1
    assert {"kserve-crd", "kserve-resources"} <= set(ks)  # serving still installs beside the operator's cert-manager
    r = p.release("amd-gpu-operator")
    assert "cert-manager" in r.after and r.ns == "kube-amd-gpu" and p.namespaces["kube-amd-gpu"] == PRIVILEGED
    spec = r.values["deviceConfig"]["spec"]
    assert spec["selector"] == {"feature.node.kubernetes.io/amd-gpu": None, "accelerator": "amd"}
    assert spec["devicePlugin"]["devicePluginTolerations"] == [AMD] == spec["metricsExporter"]["tolerations"]
    assert spec["metricsExporter"]["prometheus"]["serviceMonitor"]["enable"] is True
    assert AMD in r.values["node-feature-discovery"]["worker"]["tolerations"]
    assert AMD in p.object("nic-cluster-policy").body["spec"]["tolerations"]
    assert AMD in p.release("network-operator").values["node-feature-discovery"]["worker"]["tolerations"]
    covered, flavors = queue(p)
    assert covered == ["cpu", "memory", "amd.com/gpu"] and flavors["train"]["amd.com/gpu"] == 16
    assert any("amdgpu" in n for n in p.notes)


def test_tpus_need_no_device_stack_but_get_tpu_quotas():
    p = addon_plan(load(STACKS / "gcp-tpu.yaml"), artifact_root=lambda b: artifact_values(f"gs://{b}"))
    assert not {"gpu-operator", "neuron-helm-chart", "amd-gpu-operator"} & set(keys(p))
    covered, flavors = queue(p)
    assert covered == ["cpu", "memory", "google.com/tpu"]
    assert flavors["slice"]["google.com/tpu"] == 8 and flavors["serve"]["google.com/tpu"] == 16
    assert p.object("flavor-slice").body["spec"]["tolerations"] == [TPU]


def test_a_mixed_cluster_gets_both_stacks_each_on_its_own_nodes():
    env = spec_env("name: mixed\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: h, gpu: 'H100:8'}, {name: trn, accelerator: 'Trainium:16'}]\n")
    p = addon_plan(env)
    assert {"gpu-operator", "neuron-helm-chart", "aws-efa-k8s-device-plugin"} <= set(keys(p))
    assert "aws.amazon.com/neuron" not in str(p.release("gpu-operator").values)
    assert p.release("aws-efa-k8s-device-plugin").values["tolerations"] == [NVIDIA, NEURON]
    covered, flavors = queue(p)
    assert covered == ["cpu", "memory", "nvidia.com/gpu", "aws.amazon.com/neuron"]
    assert flavors["h"]["nvidia.com/gpu"] == 8 and flavors["h"]["aws.amazon.com/neuron"] == 0
    assert flavors["trn"]["nvidia.com/gpu"] == 0 and flavors["trn"]["aws.amazon.com/neuron"] == 16
    assert p.object("flavor-h").body["spec"]["tolerations"] == [NVIDIA] and p.object("flavor-trn").body["spec"]["tolerations"] == [NEURON]


def test_the_accelerator_stack_switch_turns_every_family_off():
    env = spec_env("name: stack-off\ncloud: aws\nregion: us-east-1\nmlops: {gpu_operator: false}\nnode_pools: [{name: trn, accelerator: 'Trainium:16'}]\n")
    assert "neuron-helm-chart" not in keys(addon_plan(env))
