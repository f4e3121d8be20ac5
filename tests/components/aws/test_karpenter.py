"""Karpenter on EKS under mocks: which pools it takes over, the NodePool / EC2NodeClass it writes for them (checked
strictly against the CRDs of the pinned release), its IAM and interruption queue, and the charts' values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from awshelpers import T_ACCESS, T_NG, T_POD_ID, T_RPA, T_SUBNET, doc

from aiinfra.components.aws import karpenter_plan as plan
from aiinfra.components.kubernetes.charts import chart
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

ROOT = Path(__file__).resolve().parents[3]
STACKS = ROOT / "stacks"
T_NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
T_NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
T_CHART = "kubernetes:helm.sh/v4:Chart"
T_RULE = "aws:cloudwatch/eventRule:EventRule"
T_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
T_QUEUE = "aws:sqs/queue:Queue"
T_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
T_POLICY = "aws:iam/policy:Policy"


def spec(pools: str, extra: str = "") -> str:
    return f"name: kpx\ncloud: aws\nregion: us-east-1\nnode_pools:\n{pools}\n{extra}"


@pytest.fixture(scope="module")
def llm():
    env = load(STACKS / "aws-llm.yaml")
    return env, run_offline(env)


@pytest.fixture(scope="module")
def mixed():
    """An autoscaling EFA pool, a reserved (ODCR) pool and a CPU pool with L4/A10G alternatives."""
    env = resolve(parse_spec(spec(
        "  - {name: train, gpu: H100:8, nodes: {min: 0, max: 4}}\n"
        "  - {name: odcr, gpu: H100:8, nodes: {min: 0, max: 2}, capacity: reserved, zone: us-east-1a, reservation: cr-0a1b2c3d4e5f67890}\n"
        "  - {name: serve, gpu: [L4:1, A10G:1], nodes: {min: 0, max: 3}, capacity: spot, labels: {team: ml}}\n"
        "  - {name: cpu, cpus: 8, nodes: {min: 1, max: 5}}\n"
    )))
    return env, run_offline(env)


def test_autoscaling_pools_get_a_nodepool_and_no_node_group_fixed_ones_stay_node_groups(llm):
    env, result = llm
    assert env.autoscaler == "karpenter"
    assert {r.name for r in result.of_type(T_NG)} == {"llm-train-system-ng", "llm-train-train-ng"}
    (pool,) = result.of_type(T_NODEPOOL)
    (node_class,) = result.of_type(T_NODECLASS)
    assert pool.inputs["metadata"]["name"] == node_class.inputs["metadata"]["name"] == "serve"
    assert result.one("aiinfra:index:Environment")  # the tree is whole
    outputs = result.outputs["node_pools"]
    assert outputs["serve"] == "serve" and set(outputs) == {"train", "serve"}


def test_the_serve_nodepool_exactly(llm):
    env, result = llm
    body = result.one(T_NODEPOOL).inputs
    assert body["metadata"]["annotations"] == {"pulumi.com/deletionPropagationPolicy": "foreground"}
    spec_ = body["spec"]
    assert spec_["template"] == {
        "metadata": {"labels": {"aiinfra.dev/pool": "serve", "aiinfra.dev/capacity": "spot", "accelerator": "nvidia", "aiinfra.dev/gpu": "L4", "aiinfra.dev/gpu-count": "1"}},
        "spec": {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "serve"},
            "requirements": [
                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g6.xlarge"]},
                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": env.zones},
            ],
            "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
            "expireAfter": "336h",
            "terminationGracePeriod": "1h",
        },
    }
    # The serve pool serves: consolidated when under-used. 4 × g6.xlarge (4 vCPU, 16 GiB, 1 L4).
    assert spec_["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m", "budgets": [{"nodes": "10%"}]}
    assert spec_["limits"] == {"cpu": "16", "memory": "64Gi", "nvidia.com/gpu": "4"}


def test_the_serve_nodeclass_exactly(llm):
    _, result = llm
    body = result.one(T_NODECLASS).inputs["spec"]
    discovery = [{"tags": {"karpenter.sh/discovery": "llm-train"}}]
    assert body["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    assert body["subnetSelectorTerms"] == discovery and body["securityGroupSelectorTerms"] == discovery
    assert body["metadataOptions"] == {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": 1, "httpTokens": "required"}
    assert body["blockDeviceMappings"] == [
        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "200Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}}
    ]
    assert isinstance(body["role"], str) and body["role"].startswith("llm-train-karpenter-node")
    assert body["tags"]["aiinfra.dev/pool"] == "serve" and body["tags"]["team"] == "ml-platform"
    assert "capacityReservationSelectorTerms" not in body and "networkInterfaces" not in body


def test_subnets_and_the_cluster_security_group_carry_the_discovery_tag(llm):
    _, result = llm
    private = [s for s in result.of_type(T_SUBNET) if "private" in s.name]
    public = [s for s in result.of_type(T_SUBNET) if "public" in s.name]
    assert private and all(s.inputs["tags"]["karpenter.sh/discovery"] == "llm-train" for s in private)
    assert all("karpenter.sh/discovery" not in s.inputs["tags"] for s in public)
    tag = result.one("aws:ec2/tag:Tag", "llm-train-karpenter-discovery")
    assert tag.inputs["key"] == "karpenter.sh/discovery" and tag.inputs["value"] == "llm-train"


def test_every_nodepool_and_nodeclass_is_valid_against_the_pinned_crds(llm, mixed):
    from k8shelpers import cr_errors

    for _, result in (llm, mixed):
        for r in [*result.of_type(T_NODEPOOL), *result.of_type(T_NODECLASS)]:
            body = {"apiVersion": r.inputs["apiVersion"], "kind": r.inputs["kind"], "metadata": r.inputs["metadata"], "spec": r.inputs["spec"]}
            assert cr_errors(body) == [], r.name


def test_crd_validation_catches_a_misspelt_field(llm):
    from k8shelpers import cr_errors

    r = llm[1].one(T_NODEPOOL)
    body = {"apiVersion": r.inputs["apiVersion"], "kind": r.inputs["kind"], "metadata": {}, "spec": {**r.inputs["spec"], "limit": {"cpu": "1"}}}
    assert any("limit" in e for e in cr_errors(body))


def test_efa_pool_gets_every_network_card_one_zone_and_a_placement_group(mixed):
    env, result = mixed
    pool = next(p for p in env.pools if p.name == "train")
    nc = result.one(T_NODECLASS, "kpx-karpenter-train-nodeclass").inputs["spec"]
    nics = nc["networkInterfaces"]
    assert len(nics) == pool.fabric.interfaces + 1
    assert nics[:2] == [{"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"}, {"networkCardIndex": 0, "deviceIndex": 1, "interfaceType": "efa-only"}]
    assert [n["networkCardIndex"] for n in nics[2:]] == list(range(1, pool.fabric.interfaces))
    assert {n["interfaceType"] for n in nics[2:]} == {"efa-only"}
    assert nc["placementGroupSelector"]["name"].startswith("kpx-karpenter-train-pg")
    assert len(nc["securityGroupSelectorTerms"]) == 2  # the cluster's by tag, the EFA group by id
    np = result.one(T_NODEPOOL, "kpx-karpenter-train-nodepool").inputs["spec"]
    (zone,) = [r for r in np["template"]["spec"]["requirements"] if r["key"] == "topology.kubernetes.io/zone"]
    assert len(zone["values"]) == 1
    assert np["template"]["metadata"]["labels"]["vpc.amazonaws.com/efa.present"] == "true"
    # Training: only empty nodes go; a day for a running job to checkpoint when its node expires.
    assert np["disruption"] == {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"}
    assert (np["template"]["spec"]["expireAfter"], np["template"]["spec"]["terminationGracePeriod"]) == ("720h", "24h")
    assert np["limits"] == {"cpu": str(4 * pool.vcpus), "memory": f"{4 * pool.memory_gib:g}Gi", "nvidia.com/gpu": "32"}


def test_reserved_pool_selects_its_reservation_by_id(mixed):
    _, result = mixed
    nc = result.one(T_NODECLASS, "kpx-karpenter-odcr-nodeclass").inputs["spec"]
    assert nc["capacityReservationSelectorTerms"] == [{"id": "cr-0a1b2c3d4e5f67890"}]
    assert "placementGroupSelector" not in nc  # a reservation lives where it was made
    req = result.one(T_NODEPOOL, "kpx-karpenter-odcr-nodepool").inputs["spec"]["template"]["spec"]["requirements"]
    assert {r["key"]: r["values"] for r in req}["karpenter.sh/capacity-type"] == ["reserved"]
    assert {r["key"]: r["values"] for r in req}["topology.kubernetes.io/zone"] == ["us-east-1a"]


def test_gpu_alternatives_widen_the_instance_types_and_drop_the_single_gpu_label(mixed):
    env, result = mixed
    serve = next(p for p in env.pools if p.name == "serve")
    assert [a.instance_type for a in serve.alternatives] == ["g5.xlarge"]
    np = result.one(T_NODEPOOL, "kpx-karpenter-serve-nodepool").inputs["spec"]
    req = {r["key"]: r["values"] for r in np["template"]["spec"]["requirements"]}
    assert req["node.kubernetes.io/instance-type"] == [serve.instance_type, "g5.xlarge"]
    labels = np["template"]["metadata"]["labels"]
    assert "aiinfra.dev/gpu" not in labels and labels["team"] == "ml" and labels["aiinfra.dev/pool"] == "serve"
    # Limits take the larger type of the alternatives.
    assert np["limits"]["memory"] == f"{3 * max(serve.memory_gib, serve.alternatives[0].memory_gib):g}Gi"
    cpu = result.one(T_NODEPOOL, "kpx-karpenter-cpu-nodepool").inputs["spec"]
    assert "taints" not in cpu["template"]["spec"] and set(cpu["limits"]) == {"cpu", "memory"}


def test_interruption_rules_carry_the_upstream_event_patterns(llm):
    _, result = llm
    patterns = {r.name.removeprefix("llm-train-karpenter-"): json.loads(r.inputs["eventPattern"]) for r in result.of_type(T_RULE)}
    assert patterns == {
        "ScheduledChangeRule": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
        "SpotInterruptionRule": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
        "RebalanceRule": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
        "InstanceStateChangeRule": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
        "CapacityReservationInterruptionRule": {"source": ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"]},
    }
    targets = result.of_type(T_TARGET)
    assert len(targets) == 5 and {t.inputs["targetId"] for t in targets} == {"KarpenterInterruptionQueueTarget"}
    queue = result.one(T_QUEUE)
    assert queue.inputs["name"] == "llm-train-karpenter"
    assert queue.inputs["messageRetentionSeconds"] == 300 and queue.inputs["sqsManagedSseEnabled"] is True
    qp = doc(result.one(T_QUEUE_POLICY).inputs["policy"])
    allow, deny = qp["Statement"]
    assert allow["Principal"]["Service"] == ["events.amazonaws.com", "sqs.amazonaws.com"] and allow["Action"] == "sqs:SendMessage"
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    assert "${" not in json.dumps(qp)


def test_controller_role_through_pod_identity_with_the_upstream_policies(llm):
    _, result = llm
    assoc = result.one(T_POD_ID, "llm-train-karpenter-controller").inputs
    assert (assoc["namespace"], assoc["serviceAccount"]) == ("kube-system", "karpenter")
    role = result.one("aws:iam/role:Role", "llm-train-karpenter-controller")
    assert doc(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    policies = {p.name.removeprefix("llm-train-karpenter-"): doc(p.inputs["policy"]) for p in result.of_type(T_POLICY) if "karpenter" in p.name}
    assert set(policies) == {"NodeLifecyclePolicy", "IAMIntegrationPolicy", "EKSIntegrationPolicy", "InterruptionPolicy", "ZonalShiftPolicy", "ResourceDiscoveryPolicy"}
    text = json.dumps(policies)
    assert "${" not in text and "kubernetes.io/cluster/llm-train" in text and ":us-east-1:" in text
    discovery = {s["Sid"]: s for s in policies["ResourceDiscoveryPolicy"]["Statement"]}
    assert "ec2:DescribeCapacityReservations" in discovery["AllowRegionalReadActions"]["Action"]
    node_access = result.one(T_ACCESS, "llm-train-karpenter-node").inputs
    assert node_access["type"] == "EC2_LINUX"
    attached = [r.inputs["policyArn"] for r in result.of_type(T_RPA) if r.name.startswith("llm-train-karpenter-node-")]
    assert sorted(a.rsplit("/", 1)[1] for a in attached) == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonSSMManagedInstanceCore"]


def test_charts_are_the_pinned_ones_on_the_system_nodes_and_known_to_their_defaults(llm):
    from k8shelpers import defaults, unknown_keys

    _, result = llm
    charts = {r.inputs["name"]: r for r in result.of_type(T_CHART) if r.name.startswith("llm-train-karpenter-")}
    assert set(charts) == {"karpenter", "karpenter-crd"}
    for key, r in charts.items():
        assert (r.inputs["chart"], r.inputs["version"], r.inputs["namespace"]) == (chart(key).chart, "1.14.1", "kube-system")
        assert unknown_keys(key, r.inputs.get("values") or {}, defaults(chart(key).values_file)) == []
    values = charts["karpenter"].inputs["values"]
    assert charts["karpenter"].inputs["skipCrds"] is True
    assert values["nodeSelector"] == {"kubernetes.io/os": "linux", "aiinfra.dev/role": "system"}
    assert values["settings"] == {"clusterName": "llm-train", "interruptionQueue": "llm-train-karpenter"}
    assert values["serviceAccount"] == {"name": "karpenter"}
    # The chart's own affinity keeps the controller off every node a NodePool launched.
    default = defaults(chart("karpenter").values_file)
    assert default["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"] == [
        {"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}
    ]
    assert "values" not in charts["karpenter-crd"].inputs or not charts["karpenter-crd"].inputs["values"]


def test_nodepools_wait_for_the_controller_and_the_controller_for_its_roles_and_queue(llm):
    _, result = llm
    urn = {r.name: r.urn for r in result.resources}
    pool_deps = result.one(T_NODEPOOL).options["depends_on"]
    assert urn["llm-train-karpenter-karpenter"] in pool_deps and urn["llm-train-karpenter-serve-nodeclass"] in pool_deps
    controller_deps = result.one(T_CHART, "llm-train-karpenter-karpenter").options["depends_on"]
    for name in ("llm-train-karpenter-node", "llm-train-karpenter-controller", "llm-train-karpenter-interruption", "llm-train-karpenter-karpenter-crd"):
        assert any(d.endswith("::" + name) for d in controller_deps), name


@pytest.mark.parametrize(("kubernetes", "release"), [("1.30", "1.14.1"), ("1.33", "1.14.1"), ("1.34", "1.14.1"), ("1.36", "1.14.1"), ("1.29", None), ("1.37", None)])
def test_the_release_follows_the_compatibility_matrix(kubernetes, release):
    assert plan.choose_version(kubernetes) == release
    assert bool(plan.version_problems(kubernetes)) is (release is None)


def test_the_release_is_the_newest_that_supports_the_version(monkeypatch):
    data = {**plan.data(), "releases": ["1.8.0", "1.14.1", "1.5.2"]}
    monkeypatch.setattr(plan, "data", lambda: data)
    assert plan.choose_version("1.33") == "1.14.1"
    assert plan.choose_version("1.34") == "1.14.1"
    data["releases"] = ["1.5.2", "1.8.0"]
    assert (plan.choose_version("1.33"), plan.choose_version("1.34"), plan.choose_version("1.35")) == ("1.8.0", "1.8.0", None)


def test_every_listed_release_is_pinned():
    assert plan.data()["releases"] == [chart("karpenter").version] == [chart("karpenter-crd").version]


def test_cluster_autoscaler_keeps_the_node_groups_and_installs_the_upstream_chart():
    from k8shelpers import defaults, unknown_keys

    env = load(STACKS / "aws-llm.yaml")
    env = resolve(env.spec.model_copy(update={"cluster": env.spec.cluster.model_copy(update={"autoscaling": "cluster-autoscaler"})}))
    result = run_offline(env)
    assert result.of_type(T_NODEPOOL) == [] and result.of_type(T_RULE) == []
    ng = result.one(T_NG, "llm-train-serve-ng").inputs
    assert ng["scalingConfig"] == {"minSize": 1, "maxSize": 4, "desiredSize": 1}
    (ca,) = [r for r in result.of_type(T_CHART) if r.inputs["name"] == "cluster-autoscaler"]
    values = ca.inputs["values"]
    assert values["autoDiscovery"] == {"clusterName": "llm-train"} and values["image"]["tag"].startswith(f"v{env.spec.cluster.kubernetes_version}.")
    assert values["nodeSelector"] == {"aiinfra.dev/role": "system"}
    assert unknown_keys("cluster-autoscaler", values, defaults(chart("cluster-autoscaler").values_file)) == []
    assoc = result.one(T_POD_ID, "llm-train-cluster-autoscaler-controller").inputs
    assert (assoc["namespace"], assoc["serviceAccount"]) == ("kube-system", "cluster-autoscaler")
    policy = doc(result.one("aws:iam/rolePolicy:RolePolicy", "llm-train-cluster-autoscaler-controller").inputs["policy"])
    assert policy["Statement"][1]["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/llm-train": "owned"}}


def test_fixed_pools_only_no_karpenter():
    env = resolve(parse_spec(spec("  - {name: train, gpu: H100:8, nodes: 2}\n")))
    result = run_offline(env)
    assert result.of_type(T_NODEPOOL) == [] and result.of_type(T_QUEUE) == [] and not [r for r in result.of_type(T_CHART) if "karpenter" in r.name]
    assert all("karpenter.sh/discovery" not in s.inputs["tags"] for s in result.of_type(T_SUBNET))


def test_karpenter_on_a_version_it_does_not_support_is_a_problem_exit_2():
    from typer.testing import CliRunner

    from aiinfra.cli.main import app

    r = CliRunner().invoke(app, ["validate", "--json", str(ROOT / "tests" / "fixtures" / "specs" / "aws.bad.karpenter-kubernetes-version.yaml")])
    assert r.exit_code == 2, r.output
    problems = [p for p in json.loads(r.stdout)["problems"] if p["path"] == "cluster.kubernetes_version"]
    # EKS itself no longer offers 1.29 (aiinfra/catalog/data/kubernetes.yaml), so that problem comes too; every version EKS
    # offers today is one Karpenter 1.14.1 supports, which test_the_release_follows_the_kubernetes_version checks by matrix.
    assert any("Karpenter 1.14.1 does not support Kubernetes 1.29" in p["message"] and "cluster-autoscaler" in p["hint"] for p in problems)


def test_cluster_autoscaler_on_a_version_without_an_image_is_a_problem():
    text = spec("  - {name: work, cpus: 8, nodes: {min: 0, max: 3}}\n", "cluster: {kubernetes_version: '1.29', autoscaling: cluster-autoscaler}\n")
    with pytest.raises(Exception, match="no Cluster Autoscaler image for Kubernetes 1.29"):
        resolve(parse_spec(text))
    assert plan.cluster_autoscaler_problems("1.33") == []


def test_cost_lists_the_queue_rules_and_controller_at_no_charge_with_why(llm):
    from aiinfra.report.preview import estimate

    env, _ = llm
    items = {i["item"]: i for i in estimate(env)["cost"]["items"]}
    queue = items["SQS interruption queue (Karpenter)"]
    assert (queue["quantity_max"], queue["hourly_usd_each"]) == (1, 0) and "free tier" in queue["note"]
    rules = items["EventBridge rules (Karpenter interruption events)"]
    assert rules["quantity_max"] == 5 and rules["hourly_usd_each"] == 0 and rules["note"]
    controller = items["Karpenter controller (2 pods on the system node group)"]
    assert controller["hourly_usd_each"] == 0 and "system pool" in controller["note"]
    fixed = resolve(parse_spec(spec("  - {name: train, gpu: H100:8, nodes: 2}\n")))
    assert not [i for i in estimate(fixed)["cost"]["items"] if "Karpenter" in i["item"]]
