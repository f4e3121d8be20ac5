"""Every rule, on every cloud it applies to: passes on the cloud's reference preview (or after the one-property
fix an advisory rule asks for) and fails after one resource property is changed, with the same verdict from
aiinfra's runner and from the CrossGuard policy of the pack."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from policyhelpers import BASE, aiinfra_verdict, crossguard_verdict, pack_policies

from aiinfra import clouds, policy

GPU = "nvidia.com/gpu"
SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}

# A pod that passes every pod rule, added to the environment's ConfigGroup; pod rules break one field of it.
PROBE = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe", "namespace": "ml"},
    "spec": {
        "nodeSelector": {"aiinfra.dev/pool": "POOL"},
        "tolerations": [{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "main", "image": "registry.example/probe:1",
            "resources": {"limits": {"cpu": "1", "memory": "1Gi", GPU: "2"}, "requests": {"cpu": "1", "memory": "1Gi", GPU: "2"}},
            "securityContext": SECURE, "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}],
        }],
        "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory"}}],
    },
}
GPU_POOL = {"aws": "serve", "gcp": "serve", "azure": "system"}  # pools without a fabric that widens pod rights
CONTAINER = ("objs", -1, "spec", "containers", 0)
POD = ("objs", -1, "spec")

# (type, name part, path, value): one property change. A path starting with "@options" edits resource options.
Change = tuple[str, str, tuple, Any]

# Rules whose failing case is not the first `Expect.bad` of the rule: the property to break, per cloud.
BREAK: dict[tuple[str, str], list[Change]] = {
    ("AI-AWS-001", "aws"): [("eks/cluster", "", ("vpcConfig", "endpointPublicAccess"), True)],
    ("AI-AWS-010", "aws"): [("rolePolicyAttachment", "node-worker", ("policyArn",), "arn:aws:iam::aws:policy/AdministratorAccess")],
    ("AI-AWS-011", "aws"): [("iam/role:Role", "node", ("assumeRolePolicy",), '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}')],
    ("AI-AWS-015", "aws"): [("bucketPolicy", "datasets", ("policy",), '{"Statement": []}')],
    ("AI-AWS-017", "aws"): [("bucketLogging", "datasets", ("targetBucket",), "")],
    ("AI-AWS-020", "aws"): [("s3/bucket:Bucket", "datasets", ("forceDestroy",), True)],
    ("AI-AWS-021", "aws"): [("eks/addon", "vpc-cni", ("configurationValues",), None)],
    ("AI-GCP-001", "gcp"): [("container/cluster", "", ("privateClusterConfig", "enablePrivateEndpoint"), False)],
    ("AI-GCP-003", "gcp"): [("nodePool", "serve", ("nodeConfig", "workloadMetadataConfig", "mode"), "GCE_METADATA")],
    ("AI-GCP-004", "gcp"): [("nodePool", "serve", ("management", "autoRepair"), False)],
    ("AI-GCP-005", "gcp"): [("container/cluster", "", ("enableShieldedNodes",), False)],
    ("AI-GCP-006", "gcp"): [("nodePool", "serve", ("nodeConfig", "imageType"), "UBUNTU_CONTAINERD")],
    ("AI-GCP-008", "gcp"): [("container/cluster", "", ("datapathProvider",), "LEGACY_DATAPATH")],
    ("AI-GCP-012", "gcp"): [("storage/bucket:Bucket", "checkpoints", ("logging",), None)],
    ("AI-GCP-013", "gcp"): [("bucketIAMMember", "workload", ("member",), "allUsers")],
    ("AI-GCP-014", "gcp"): [("storage/bucket:Bucket", "checkpoints", ("forceDestroy",), True)],
    ("AI-GCP-017", "gcp"): [("cryptoKey:CryptoKey", "", ("rotationPeriod",), "31536000s")],
    ("AI-AZ-001", "azure"): [("ManagedCluster", "", ("apiServerAccessProfile", "enablePrivateCluster"), False)],
    ("AI-AZ-002", "azure"): [("AgentPool", "nd", ("enableNodePublicIP",), True)],
    ("AI-AZ-006", "azure"): [("AgentPool", "nd", ("enableEncryptionAtHost",), False)],
    ("AI-AZ-012", "azure"): [("StorageAccount", "", ("networkRuleSet", "defaultAction"), "Allow")],
    ("AI-AZ-016", "azure"): [("StorageAccount", "", ("@options", "protect"), False)],
    ("AI-K8S-001", "aws"): [("nodeGroup", "serve", ("taints",), [])],
    ("AI-K8S-001", "gcp"): [("nodePool", "serve", ("nodeConfig", "taints"), [])],
    ("AI-K8S-001", "azure"): [("AgentPool", "nd", ("nodeTaints",), [])],
    ("AI-K8S-002", "aws"): [("nodeGroup", "serve", ("scalingConfig", "minSize"), 1)],
    ("AI-K8S-002", "gcp"): [("nodePool", "serve", ("nodeConfig", "spot"), True)],
    ("AI-K8S-002", "azure"): [("AgentPool", "nd", ("scaleSetPriority",), "Spot"), ("AgentPool", "nd", ("minCount",), 1)],
    ("AI-K8S-003", "aws"): [("nodeGroup", "train", ("subnetIds",), ["subnet-a", "subnet-b"])],
    ("AI-K8S-011", "aws"): [("kubernetes:helm.sh/v4:Chart", "cluster-autoscaler", ("chart",), "metrics-server")],
    ("AI-K8S-011", "gcp"): [("nodePool", "serve", ("queuedProvisioning", "enabled"), True)],
    ("AI-K8S-011", "azure"): [("ManagedCluster", "", ("nodeProvisioningProfile", "mode"), "Auto")],
    ("AI-K8S-003", "gcp"): [("nodePool", "mega", ("nodeLocations",), ["us-central1-a", "us-central1-b"])],
    ("AI-K8S-003", "azure"): [("AgentPool", "nd", ("availabilityZones",), ["1", "2"])],
    **{(rule, cloud): [("ConfigGroup", "", path, value)] for cloud in ("aws", "gcp", "azure") for rule, path, value in [
        ("AI-K8S-004", (*CONTAINER, "securityContext", "privileged"), True),
        ("AI-K8S-005", (*CONTAINER, "securityContext", "allowPrivilegeEscalation"), True),
        ("AI-K8S-006", (*POD, "securityContext", "runAsNonRoot"), False),
        ("AI-K8S-007", (*CONTAINER, "resources", "requests", GPU), "1"),
        ("AI-K8S-008", (*POD, "tolerations"), []),
        ("AI-K8S-009", ("objs", -1, "metadata", "namespace"), "default"),
        ("AI-K8S-010", (*CONTAINER, "volumeMounts"), []),
    ]},
}

# A resource added as is ("@add"): what one property cannot give, such as a chart the stack lacks.
ADD_CLUSTER_AUTOSCALER: Change = ("@add", "", (), {
    "type": "kubernetes:helm.sh/v4:Chart", "name": "cluster-autoscaler", "urn": "urn:test::cluster-autoscaler",
    "inputs": {"chart": "cluster-autoscaler", "repositoryOpts": {"repo": "https://kubernetes.github.io/autoscaler"}}, "options": {},
})

# Advisory rules the reference preview breaks by default: the one property that makes it pass.
FIX: dict[tuple[str, str], list[Change]] = {
    ("AI-AWS-021", "aws"): [("eks/addon", "vpc-cni", ("configurationValues",), '{"enableNetworkPolicy": "true"}')],
    ("AI-AZ-010", "azure"): [("ManagedCluster", "", ("addonProfiles", "omsagent"), {"enabled": True})],
    ("AI-K8S-002", "aws"): [("nodeGroup", "serve", ("scalingConfig", "minSize"), 0), ADD_CLUSTER_AUTOSCALER],
}


def _set(data: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        data = data.setdefault(step, {}) if isinstance(data, dict) else data[step]
    if value is None and isinstance(data, dict):
        data.pop(path[-1], None)
    else:
        data[path[-1]] = value


def apply(resources: list[dict], changes: list[Change]) -> list[dict]:
    out = copy.deepcopy(resources)
    for rtype, part, path, value in changes:
        if rtype == "@add":
            out.append(copy.deepcopy(value))
            continue
        target = next((r for r in out if rtype in r["type"] and part in r["name"]), None)
        assert target is not None, f"no {rtype} named *{part}* in the preview"
        if path[0] == "@options":
            _set(target.setdefault("options", {}), path[1:], value)
        else:
            _set(target["inputs"], path, value)
    return out


def with_probe(resources: list[dict], cloud: str) -> list[dict]:
    out = copy.deepcopy(resources)
    group = next(r for r in out if r["type"] == "kubernetes:yaml/v2:ConfigGroup")
    probe = copy.deepcopy(PROBE)
    probe["spec"]["nodeSelector"]["aiinfra.dev/pool"] = GPU_POOL[cloud]
    group["inputs"]["objs"].append(probe)
    return out


def auto_break(rule: policy.Rule, resources: list[dict]) -> list[Change]:
    """The first Expect with a `bad` value, applied to the first resource of the rule's types."""
    expect = next(e for e in rule.expect if e.bad is not None or e.path == "remoteAccess")
    target = next(r for r in resources if r["type"] in rule.types)
    path = tuple(0 if p == "[]" else p for p in expect.path.replace("[]", ".[]").split("."))
    return [(target["type"], target["name"], path, expect.bad)]


def cases():
    for rule in policy.rules():
        if rule.scope == "environment":
            continue
        owner = policy.cloud_of(rule)
        # cloud: existing has no reference preview here (BASE): its examples run no workload for these rules to read.
        for cloud in [c for c in clouds.names() if c in BASE] if owner == "all" else [owner]:
            yield pytest.param(rule.id, cloud, id=f"{rule.id}-{cloud}")


@pytest.fixture(scope="module")
def pack():
    return pack_policies()


@pytest.fixture(autouse=True)
def _no_spec(monkeypatch):
    monkeypatch.delenv("AIINFRA_SPEC", raising=False)


@pytest.mark.parametrize("rule_id, cloud", list(cases()))
def test_rule_passes_then_fails_the_same_through_both_runners(rule_id, cloud, previews, pack):
    rule = next(r for r in policy.rules() if r.id == rule_id)
    passing = apply(with_probe(previews[cloud]["resources"], cloud), FIX.get((rule_id, cloud), []))
    assert any(r["type"] in rule.types for r in passing), f"{rule_id}: no resource it reads on {cloud}"
    assert aiinfra_verdict(rule_id, passing) == [], "passes on the reference preview"
    assert crossguard_verdict(pack[rule_id], rule, passing) == []

    failing = apply(passing, BREAK.get((rule_id, cloud)) or auto_break(rule, passing))
    found = aiinfra_verdict(rule_id, failing)
    assert found, f"{rule_id} did not catch the change on {cloud}"
    assert crossguard_verdict(pack[rule_id], rule, failing) == found, "one rule, one verdict, whichever runner"


def test_flex_start_pools_need_no_auto_repair_which_gke_refuses_them():
    rule = next(r for r in policy.rules() if r.id == "AI-GCP-004")
    pool = {"management": {"autoRepair": False, "autoUpgrade": True}, "nodeConfig": {"flexStart": True}}
    assert rule.on_resource(policy.Resource("gcp:container/nodePool:NodePool", "p", pool)) == []
    pool["nodeConfig"]["flexStart"] = False
    assert rule.on_resource(policy.Resource("gcp:container/nodePool:NodePool", "p", pool)) == ["management.autoRepair must be true"]


@pytest.mark.parametrize(
    ("cloud", "model", "taint"),
    [
        ("aws", "Trainium", {"key": "aws.amazon.com/neuron", "value": "true", "effect": "NO_SCHEDULE"}),
        ("gcp", "TPU-v5p", {"key": "google.com/tpu", "value": "present", "effect": "NO_SCHEDULE"}),
        ("azure", "MI300X", "amd.com/gpu=present:NoSchedule"),
    ],
)
def test_accelerator_pools_need_their_own_familys_taint_not_nvidias(cloud, model, taint):
    rule = next(r for r in policy.rules() if r.id == "AI-K8S-001")
    labels = {"aiinfra.dev/pool": "acc", "aiinfra.dev/gpu": model}
    wrong = {"key": GPU, "value": "present", "effect": "NO_SCHEDULE"} if cloud != "azure" else f"{GPU}=present:NoSchedule"
    shapes = {
        "aws": ("aws:eks/nodeGroup:NodeGroup", lambda t: {"labels": labels, "taints": [t], "scalingConfig": {"minSize": 0, "maxSize": 2}}),
        "gcp": ("gcp:container/nodePool:NodePool", lambda t: {"nodeConfig": {"labels": labels, "taints": [t]}, "autoscaling": {}}),
        "azure": ("azure-native:containerservice:AgentPool", lambda t: {"nodeLabels": labels, "nodeTaints": [t]}),
    }
    rtype, build = shapes[cloud]
    assert rule.on_resource(policy.Resource(rtype, "acc", build(taint))) == []
    found = rule.on_resource(policy.Resource(rtype, "acc", build(wrong)))
    assert found and taint_key(taint) in found[0]


def taint_key(taint: Any) -> str:
    return taint["key"] if isinstance(taint, dict) else taint.split("=")[0]


def test_shared_key_access_is_allowed_only_for_a_lustre_import_account():
    rule = next(r for r in policy.rules() if r.id == "AI-AZ-011")
    base = {"enableHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False}
    account = "azure-native:storage:StorageAccount"
    assert rule.on_resource(policy.Resource(account, "a", {**base, "allowSharedKeyAccess": False})) == []
    lustre = {**base, "allowSharedKeyAccess": True, "tags": {"aiinfra.dev/shared-key": "lustre-hsm-import"}}
    assert rule.on_resource(policy.Resource(account, "a", lustre)) == []
    assert rule.on_resource(policy.Resource(account, "a", {**base, "allowSharedKeyAccess": True})) == ["allowSharedKeyAccess must be false (got True)"]
    assert rule.on_resource(policy.Resource(account, "a", base)) == ["allowSharedKeyAccess must be false (got None)"]
