"""One served model across nodes (workload.serve_nodes): a LeaderWorkerSet running vLLM with tensor parallelism over each
node's GPUs and pipeline parallelism across the nodes, over the same fabric facts the training pods get, fitted like
every pod, with the LWS chart on the platform; and the bad inputs."""

from __future__ import annotations

import copy
import json

import pytest
from renderhelpers import SPECS, env_of, find, pods
from test_validate import crd_errors, validate_core
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.problems import SpecError
from aiinfra.report.preview import estimate
from aiinfra.resolve import fit
from aiinfra.resolve.resolver import load

LWS = "LeaderWorkerSet"


def group(manifests: list[dict]) -> tuple[dict, dict, dict]:
    lws = find(manifests, LWS)
    t = lws["spec"]["leaderWorkerTemplate"]
    return lws, t["leaderTemplate"], t["workerTemplate"]


def training_pod(manifests: list[dict]) -> dict:
    """The training job's node pod on the same pool (the fabric facts the serving group must share)."""
    return next(p for n, p in pods(manifests).items() if "train" in n and "allreduce" not in n)


def test_a_group_of_n_nodes_runs_vllm_tensor_parallel_per_node_and_pipeline_parallel_across(rendered):
    lws, leader, worker = group(rendered["nodes-aws"])
    assert lws["spec"]["leaderWorkerTemplate"]["size"] == 2 and lws["spec"]["replicas"] == 1
    assert lws["spec"]["leaderWorkerTemplate"]["restartPolicy"] == "RecreateGroupOnPodRestart"
    (lead,) = leader["spec"]["containers"]
    (work,) = worker["spec"]["containers"]
    script = lead["command"][-1]
    assert "--tensor-parallel-size 8 --pipeline-parallel-size 2" in script and "--model meta-llama/Llama-3.1-405B-Instruct" in script
    assert script.startswith("bash /vllm-workspace/examples/online_serving/multi-node-serving.sh leader") and "$LWS_GROUP_SIZE" in script
    assert work["command"][-1] == 'exec bash /vllm-workspace/examples/online_serving/multi-node-serving.sh worker --ray_address="$LWS_LEADER_ADDRESS"'
    assert lead["image"] == work["image"] == "vllm/vllm-openai:v0.21.0"
    assert lead["readinessProbe"]["httpGet"] == lead["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    # The Service (and so KEDA's interceptor and any router) reaches the leaders only: workers serve no HTTP.
    svc = find(rendered["nodes-aws"], "Service")
    assert svc["spec"]["selector"].items() <= leader["metadata"]["labels"].items()
    assert not svc["spec"]["selector"].items() <= worker["metadata"]["labels"].items()
    assert not {"Deployment", "InferenceService"} & {m["kind"] for m in rendered["nodes-aws"]}
    assert find(rendered["nodes-aws"], "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"] == {
        "apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": LWS, "name": "serve-nodes-serve"}


@pytest.mark.parametrize(("scenario", "device", "count"), [("nodes-aws", "vpc.amazonaws.com/efa", "32"), ("nodes-azure", "rdma/ib", "8")])
def test_every_pod_of_the_group_takes_a_whole_node_with_the_training_pods_fabric(rendered, scenario, device, count):
    manifests = rendered[scenario]
    train = training_pod(manifests)
    (node,) = [c for c in train["spec"]["containers"] if c["name"] == "node"]
    _, leader, worker = group(manifests)
    for p in (leader, worker):
        (c,) = p["spec"]["containers"]
        assert c["resources"] == node["resources"] and c["resources"]["limits"][device] == count
        assert c["resources"]["limits"]["nvidia.com/gpu"] == "8"
        fabric_env = {k: v for k, v in env_of(node).items() if k.startswith(("NCCL_", "FI_", "UCX_"))}
        assert fabric_env and fabric_env.items() <= env_of(c).items()
        assert p["spec"]["nodeSelector"] == train["spec"]["nodeSelector"] and p["spec"]["securityContext"] == train["spec"]["securityContext"]


def test_on_gke_the_group_gets_the_gpu_nics_and_the_tcpxo_sidecar(rendered):
    manifests = rendered["nodes-gcp"]
    train = training_pod(manifests)
    _, leader, worker = group(manifests)
    for p in (leader, worker):
        assert p["metadata"]["annotations"] == train["metadata"]["annotations"]
        assert "networking.gke.io/interfaces" in p["metadata"]["annotations"]
        assert [s["name"] for s in p["spec"]["initContainers"]] == [s["name"] for s in train["spec"]["initContainers"]]
        # The NCCL profile of the fabric is sourced before the command, as for training.
        assert p["spec"]["containers"][0]["command"][:4] == train["spec"]["containers"][0]["command"][:4]


def test_kserve_environments_serve_the_group_beside_kserve(rendered):
    out = rendered["nodes-aws-kserve"]
    assert find(out, LWS) and "InferenceService" not in {m["kind"] for m in out}
    assert find(out, "Service")["metadata"]["name"] == "serve-nodes-serve"


def test_keda_scales_the_leaderworkerset_on_vllms_queue(rendered):
    out = rendered["nodes-gcp"]
    so = find(out, "ScaledObject")
    ref = {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": LWS, "name": "serve-nodes-gcp-serve"}
    assert so["spec"]["scaleTargetRef"] == ref and (so["spec"]["minReplicaCount"], so["spec"]["maxReplicaCount"]) == (0, 2)
    query = next(t for t in so["spec"]["triggers"] if t["type"] == "prometheus")["metadata"]["query"]
    assert "vllm:num_requests_waiting{" in query and "vllm:num_requests_running{" in query and "aiinfra_serve" not in query
    hso = find(out, "HTTPScaledObject")
    assert {k: hso["spec"]["scaleTargetRef"][k] for k in ref} == ref
    assert find(out, LWS)["spec"]["replicas"] == 0
    # Busy: both replicas, two nodes each.
    s = estimate(load(SPECS / "gcp.ok.serve-nodes.yaml"))["cost"]["serving"]
    assert s["busy_nodes"] == 4


@pytest.mark.parametrize("scenario", ["nodes-aws", "nodes-gcp", "nodes-azure"])
def test_one_disruption_budget_covers_every_pod_of_every_group(rendered, scenario):
    """Evicting any pod restarts its whole group: one eviction at a time over all of them is one group at a time."""
    manifests = rendered[scenario]
    pdb = find(manifests, "PodDisruptionBudget")
    validate_core(pdb, "1.35.0")
    lws, leader, worker = group(manifests)
    assert pdb["metadata"]["name"] == lws["metadata"]["name"]
    assert pdb["spec"]["maxUnavailable"] == 1 and pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    # The label LWS's controller puts on every pod of the set, leaders and workers (not in the templates) ...
    assert pdb["spec"]["selector"]["matchLabels"] == {"leaderworkerset.sigs.k8s.io/name": lws["metadata"]["name"]}
    # ... and that no other pod of the environment (training, fabric test) carries.
    assert not [n for n, p in pods(manifests).items() if "leaderworkerset.sigs.k8s.io/name" in p["metadata"].get("labels", {})]


def test_the_lws_schema_catches_a_wrong_field(rendered):
    lws = copy.deepcopy(find(rendered["nodes-aws"], LWS))
    assert crd_errors(lws) == []
    lws["spec"]["leaderWorkerTemplate"]["size"] = "2"
    lws["spec"]["leaderWorkerTemplate"]["restartPolicyy"] = "None"
    errors = crd_errors(lws)
    assert any("size" in e for e in errors) and any("restartPolicyy" in e for e in errors)
    del lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    assert any("workerTemplate" in e for e in crd_errors(lws))


def test_the_fit_check_sees_both_pods_of_the_group():
    env = load(SPECS / "aws.ok.serve-nodes.yaml")
    report = fit.check(env, platform=False)
    rows = {r["pod"]: r["fits"] for r in report.rows if r["pod"].startswith(f"{LWS} ")}
    assert len(rows) == 2 and all(f == ["gpu"] for f in rows.values()) and not report.errors
    # A group pod that asks for more than a node has fails the check, naming the object.
    manifests = fit.fit_pods.workload_manifests(env)
    lws = next(m for m in manifests if m["kind"] == LWS)
    res = lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]["resources"]
    res["requests"]["nvidia.com/gpu"] = res["limits"]["nvidia.com/gpu"] = "16"
    bad = fit.check(env, manifests, platform=False)
    assert [p.path for p in bad.errors] == [f"{LWS} serve-nodes-serve: spec.leaderWorkerTemplate.workerTemplate.spec"]


def test_the_lws_chart_is_installed_only_for_a_multi_node_server():
    releases = {r.key: r for r in addon_plan(load(SPECS / "aws.ok.serve-nodes.yaml")).releases}
    assert releases["lws"].ref.chart == "oci://registry.k8s.io/lws/charts/lws" and releases["lws"].ref.version == "0.10.0"
    assert releases["lws"].ns == "lws-system"
    assert "lws" not in {r.key for r in addon_plan(load(SPECS / "aws.ok.scale-to-zero.yaml")).releases}


@pytest.mark.parametrize(("fixture", "says", "hint"), [
    ("aws.bad.serve-nodes-above-pool.yaml", "4 nodes a replica, but pool gpu grows to 2", "set serve_nodes: 2 or less"),
    ("gcp.bad.serve-nodes-cpu-pool.yaml", "pool cpu has no GPUs", "serve on a GPU pool"),
    ("aws.bad.serve-nodes-no-model.yaml", "run vLLM, which loads a model by name", "set workload.serve_model"),
])
def test_bad_serve_nodes_say_path_and_fix_and_exit_2(fixture, says, hint):
    with pytest.raises(SpecError) as info:
        load(SPECS / fixture)
    [p] = info.value.problems
    assert p.path == "workload.serve_nodes" and says in p.message and hint in (p.hint or ""), p
    result = CliRunner().invoke(app, ["validate", str(SPECS / fixture), "--json"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert json.loads(result.output)["problems"][0]["path"] == "workload.serve_nodes"


def test_a_group_larger_than_two_nodes_a_replica_limits_the_replicas():
    text = (SPECS / "gcp.ok.serve-nodes.yaml").read_text().replace("max: 2}", "max: 3}")
    from aiinfra.resolve.resolver import resolve
    from aiinfra.spec import parse_spec

    with pytest.raises(SpecError) as info:
        resolve(parse_spec(text))
    [p] = info.value.problems
    assert p.path == "workload.replicas" and "holds 2 (2 nodes each" in p.message


def test_vllm_needs_an_nvidia_gpu_pool_even_one_device_a_replica():
    from aiinfra.resolve.resolver import resolve
    from aiinfra.spec import parse_spec

    text = (SPECS / "gcp.bad.serve-nodes-cpu-pool.yaml").read_text().replace("serve_nodes: 2, ", "")
    with pytest.raises(SpecError) as info:
        resolve(parse_spec(text))
    [p] = info.value.problems
    assert p.path == "workload.serve_model" and "pool cpu has no GPUs" in p.message and "nvidia" in p.hint


@pytest.mark.parametrize("scenario", ["nodes-aws", "nodes-gcp", "nodes-azure"])
def test_workers_are_probed_on_their_raylet_and_the_leader_on_vllms_health(rendered, scenario):
    _, leader, worker = group(rendered[scenario])
    (lead,) = leader["spec"]["containers"]
    (work,) = worker["spec"]["containers"]
    assert {k for k in lead if k.endswith("Probe")} == {k for k in work if k.endswith("Probe")} == {"startupProbe", "livenessProbe", "readinessProbe"}
    assert lead["startupProbe"]["httpGet"]["path"] == "/health" and lead["startupProbe"]["failureThreshold"] * lead["startupProbe"]["periodSeconds"] == 1800
    commands = {json.dumps(work[k]["exec"]["command"]) for k in ("startupProbe", "livenessProbe", "readinessProbe")}
    (command,) = commands
    assert json.loads(command)[:2] == ["python3", "-c"] and "raylet" in json.loads(command)[2]
    # The worker waits for the leader's Ray head (the script retries 300 s) before its raylet runs.
    assert work["startupProbe"]["failureThreshold"] * work["startupProbe"]["periodSeconds"] >= 600
    assert work["livenessProbe"]["failureThreshold"] * work["livenessProbe"]["periodSeconds"] <= 60


def test_one_disruption_budget_spans_every_pod_of_the_set(rendered):
    """Not one per group: replicas change (HPA, KEDA), and each group restarts whole, so drains go a pod at a time."""
    out = rendered["nodes-aws"]
    (pdb,) = [m for m in out if m["kind"] == "PodDisruptionBudget"]
    lws = find(out, LWS)
    assert pdb["spec"] == {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow",
                           "selector": {"matchLabels": {"leaderworkerset.sigs.k8s.io/name": lws["metadata"]["name"]}}}
    assert pdb["metadata"]["namespace"] == lws["metadata"]["namespace"]
    # A single-node server's budget still selects its Deployment's pods.
    single = next(m for m in rendered["efa"] if m["kind"] == "PodDisruptionBudget")
    assert single["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "wl-aws-serve", "app.kubernetes.io/component": "serving"}

