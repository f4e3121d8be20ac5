"""Karpenter on EKS as plain data: which release, the controller's values, its IAM policies and interruption rules
(read from the vendored getting-started template), and one NodePool + EC2NodeClass per autoscaling pool. No Pulumi
here, so every choice is testable from a resolved spec; karpenter.py turns it into resources."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

NODEPOOL_API = "karpenter.sh/v1"
NODECLASS_API = "karpenter.k8s.aws/v1"
DISCOVERY_TAG = "karpenter.sh/discovery"
SERVICE_ACCOUNT = "karpenter"
NAMESPACE = "kube-system"
# pulumi-kubernetes (>= 4.12, PR #3011): delete in the foreground, so `down` waits for the NodeClaims (and so the
# EC2 instances, behind Karpenter's termination finalizer) before the NodePool counts as gone.
FOREGROUND = {"pulumi.com/deletionPropagationPolicy": "foreground"}
CAPACITY_TYPES = {"on-demand": "on-demand", "spot": "spot", "reserved": "reserved"}


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(resources.files("aiinfra.components.aws").joinpath("karpenter.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def cloudformation() -> dict[str, Any]:
    """The upstream template with its intrinsic functions kept as markers: !Sub text, !GetAtt / !Ref names."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def scalar(loader: Any, node: yaml.Node) -> str:
        assert isinstance(node, yaml.ScalarNode), node
        return str(loader.construct_scalar(node))

    Loader.add_constructor("!Sub", scalar)
    Loader.add_constructor("!GetAtt", lambda l, n: "${" + scalar(l, n) + "}")
    Loader.add_constructor("!Ref", lambda l, n: "${" + scalar(l, n) + "}")
    text = resources.files("aiinfra.components.aws").joinpath("karpenter-cloudformation.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=Loader)["Resources"]


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def choose_version(kubernetes: str) -> str | None:
    """The newest listed Karpenter release that supports the Kubernetes minor (the compatibility matrix)."""
    oldest = data()["compatibility"].get(kubernetes)
    if oldest is None:
        return None
    fit = [r for r in data()["releases"] if _version(r) >= _version(oldest)]
    return max(fit, key=_version) if fit else None


def version_problems(kubernetes: str) -> list[Problem]:
    if choose_version(kubernetes):
        return []
    supported = [k for k in data()["compatibility"] if choose_version(k)]
    return [
        Problem(
            "cluster.kubernetes_version",
            f"Karpenter {', '.join(data()['releases'])} does not support Kubernetes {kubernetes} (it supports {supported[0]} to {supported[-1]})",
            f"set cluster.kubernetes_version to one of {', '.join(supported)}, or cluster.autoscaling: cluster-autoscaler",
            kubernetes,
        )
    ]


def cluster_autoscaler_problems(kubernetes: str) -> list[Problem]:
    """The Cluster Autoscaler's minor must match the cluster's: a version with no image listed is refused."""
    images = data()["cluster_autoscaler_images"]
    if kubernetes in images:
        return []
    return [Problem("cluster.kubernetes_version", f"aiinfra lists no Cluster Autoscaler image for Kubernetes {kubernetes}",
                    f"set cluster.kubernetes_version to one of {', '.join(images)}", kubernetes)]


def substitute(template: str, values: Mapping[str, str]) -> str:
    """CloudFormation's ${Name} substitution; a name with no value is an error, not left in a policy."""

    def one(m: re.Match[str]) -> str:
        return values[m.group(1)]

    return re.sub(r"\$\{([A-Za-z0-9:.]+)\}", one, template)


def controller_policies() -> dict[str, str]:
    """The template's controller policies (NodeLifecycle, IAMIntegration, EKSIntegration, Interruption, ZonalShift,
    ResourceDiscovery) by resource name, as JSON text with ${...} placeholders."""
    return {k: r["Properties"]["PolicyDocument"] for k, r in cloudformation().items() if r["Type"] == "AWS::IAM::ManagedPolicy"}


def node_role_policies() -> list[str]:
    """The node role's managed policies, as ARN templates (${AWS::Partition})."""
    return list(cloudformation()["KarpenterNodeRole"]["Properties"]["ManagedPolicyArns"])


def interruption_rules() -> dict[str, dict[str, Any]]:
    """EventBridge rule name -> event pattern (spot interruption, rebalance, scheduled change, state change,
    capacity-reservation interruption), exactly as the template has them."""
    return {k: r["Properties"]["EventPattern"] for k, r in cloudformation().items() if r["Type"] == "AWS::Events::Rule"}


def queue_policy() -> dict[str, Any]:
    """The queue policy document with ${KarpenterInterruptionQueue.Arn} left for substitution."""
    return cloudformation()["KarpenterInterruptionQueuePolicy"]["Properties"]["PolicyDocument"]


def karpenter_pools(env: ResolvedEnvironment) -> list[ResolvedPool]:
    """The pools Karpenter provisions: every worker pool that autoscales, where cluster.autoscaling chose it."""
    if env.autoscaler != "karpenter":
        return []
    return [p for p in env.worker_pools if p.nodes_min < p.nodes_max]


def role(env: ResolvedEnvironment, pool: ResolvedPool) -> str:
    """training for accelerator pools no serving workload uses; serving for the serve pool and CPU pools."""
    plan = env.workload
    if plan is not None and plan.train_pool.name == pool.name:
        return "training"
    if (plan is not None and plan.serve_pool.name == pool.name) or not pool.gpu:
        return "serving"
    return "training"


def chart_values(cluster_name: Any, queue_name: Any, system_labels: Mapping[str, str]) -> dict[str, Any]:
    """On the system node group (nodeSelector; the chart's default affinity already keeps it off Karpenter nodes)."""
    c = data()["controller"]
    return {
        "settings": {"clusterName": cluster_name, "interruptionQueue": queue_name},
        "serviceAccount": {"name": SERVICE_ACCOUNT},
        "replicas": c["replicas"],
        "nodeSelector": {"kubernetes.io/os": "linux", **system_labels},
        "controller": {"resources": {"requests": dict(c["requests"]), "limits": {"memory": c["requests"]["memory"]}}},
    }


def _efa_interfaces(count: int) -> list[dict[str, Any]]:
    """As the managed node groups' launch template (gpu_pool.efa_network_interfaces): card 0 has the ENA interface and
    an efa-only one, every other card one efa-only interface (k8s-ai-2026.md §1.5)."""
    nic = lambda card, device, kind: {"networkCardIndex": card, "deviceIndex": device, "interfaceType": kind}  # noqa: E731
    return [nic(0, 0, "interface"), nic(0, 1, "efa-only")] + [nic(card, 0, "efa-only") for card in range(1, count)]


def zones(env: ResolvedEnvironment, pool: ResolvedPool) -> list[str]:
    """The network's zones that offer the type; one zone for a fabric (EFA) pool, the pinned one where set."""
    if pool.zone:
        return [pool.zone]
    offered = [z for z in env.zones if z in pool.zones] or list(env.zones)
    return offered[:1] if pool.fabric_kind == "efa" else offered


def _labels_and_taints(pool: ResolvedPool) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The labels and taints the pool's managed node group has; GPU labels only where every type has the same GPU."""
    from aiinfra.components.aws.gpu_pool import NodePoolArgs, node_labels

    efa = pool.fabric.interfaces if pool.fabric and pool.fabric_kind == "efa" else 0
    args = NodePoolArgs.from_resolved(pool, cluster_name="", node_role_arn="", cluster_security_group_id="", vpc_id="", subnets={}, instance_type=pool.instance_type, efa_interfaces=efa)
    labels = node_labels(pool.name, args)
    if any((a.gpu, a.gpus_per_node) != (pool.gpu, pool.gpus_per_node) for a in pool.alternatives):
        # Karpenter labels each node with its own karpenter.k8s.aws/instance-gpu-name and -count.
        labels.pop("aiinfra.dev/gpu", None)
        labels.pop("aiinfra.dev/gpu-count", None)
    t = args.taint(("nvidia.com/gpu", "true", "NoSchedule"))
    taints = [{"key": t[0], "value": t[1], "effect": t[2]}] if t else []
    taints += [{"key": x.key, "value": x.value, "effect": x.effect} for x in pool.taints]
    return labels, taints


def limits(pool: ResolvedPool) -> dict[str, Any]:
    """max × the largest type's resources: the NodePool never launches more than the pool's max of them."""
    shapes = [(pool.vcpus, pool.memory_gib, pool.gpus_per_node), *((a.vcpus, a.memory_gib, a.gpus_per_node) for a in pool.alternatives)]
    out: dict[str, Any] = {
        "cpu": str(pool.nodes_max * max(s[0] for s in shapes)),
        "memory": f"{pool.nodes_max * max(s[1] for s in shapes):g}Gi",
    }
    if pool.gpu:
        out[pool.accelerator_resource or "nvidia.com/gpu"] = str(pool.nodes_max * max(s[2] for s in shapes))
    return out


def node_pool(env: ResolvedEnvironment, pool: ResolvedPool, name: str) -> dict[str, Any]:
    labels, taints = _labels_and_taints(pool)
    d = data()["disruption"][role(env, pool)]
    requirements = [
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": [pool.instance_type, *(a.instance_type for a in pool.alternatives)]},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": [CAPACITY_TYPES[pool.capacity]]},
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones(env, pool)},
    ]
    spec: dict[str, Any] = {
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": name},
                "requirements": requirements,
                "taints": taints,
                "expireAfter": d["expireAfter"],
                "terminationGracePeriod": d["terminationGracePeriod"],
            },
        },
        "disruption": {k: d[k] for k in ("consolidationPolicy", "consolidateAfter", "budgets") if k in d},
        "limits": limits(pool),
    }
    if not taints:
        del spec["template"]["spec"]["taints"]
    return {"apiVersion": NODEPOOL_API, "kind": "NodePool", "metadata": {"name": name, "annotations": dict(FOREGROUND)}, "spec": spec}


def node_class(
    pool: ResolvedPool, name: str, cluster_name: Any, node_role: Any, tags: Mapping[str, Any], placement_group: Any = None, efa_group: Any = None
) -> dict[str, Any]:
    discovery = {"tags": {DISCOVERY_TAG: cluster_name}}
    spec: dict[str, Any] = {
        "amiSelectorTerms": [{"alias": data()["ami_alias"]}],
        "role": node_role,
        "subnetSelectorTerms": [discovery],
        "securityGroupSelectorTerms": [discovery, *([{"id": efa_group}] if efa_group is not None else [])],
        "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": 1, "httpTokens": "required"},
        "blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"volumeSize": f"{pool.disk_gib}Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}}
        ],
        "tags": {**tags, "aiinfra.dev/pool": pool.name},
    }
    if pool.capacity == "reserved" and pool.reservation:
        # ODCRs and Capacity Blocks alike: Karpenter never open-matches a reservation, each one is selected (§1.5).
        spec["capacityReservationSelectorTerms"] = [{"id": pool.reservation}]
    if pool.fabric and pool.fabric_kind == "efa":
        spec["networkInterfaces"] = _efa_interfaces(pool.fabric.interfaces)
    if placement_group is not None:
        spec["placementGroupSelector"] = {"name": placement_group}
    return {"apiVersion": NODECLASS_API, "kind": "EC2NodeClass", "metadata": {"name": name, "annotations": dict(FOREGROUND)}, "spec": spec}


def cluster_autoscaler_values(cluster_name: Any, region: str, kubernetes: str, system_labels: Mapping[str, str]) -> dict[str, Any]:
    """Auto-discovery by the tags EKS puts on every managed node group's ASG; its image follows the cluster's minor."""
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "image": {"tag": data()["cluster_autoscaler_images"][kubernetes]},
        "rbac": {"serviceAccount": {"name": "cluster-autoscaler"}},
        "nodeSelector": dict(system_labels),
    }


def cluster_autoscaler_policy(cluster_name: str) -> str:
    import json

    return substitute(json.dumps(data()["cluster_autoscaler_policy"]), {"ClusterName": cluster_name})
