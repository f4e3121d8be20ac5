"""Scale to zero (workload.replicas: {min: 0, max: N}): KEDA's ScaledObject and HTTPScaledObject beside the server,
scaling on request concurrency and queue depth (never CPU), the add-ons they need, the idle cost, and bad input."""

from __future__ import annotations

import copy
import json

import pytest
from renderhelpers import SPECS, find
from test_validate import crd_errors
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.problems import SpecError
from aiinfra.report.preview import estimate
from aiinfra.resolve.resolver import load


def test_a_deployment_scales_from_zero_on_concurrency_and_queue_depth(rendered):
    out = rendered["zero-gcp"]
    kinds = [m["kind"] for m in out]
    assert "HorizontalPodAutoscaler" not in kinds  # KEDA makes its own
    dep = find(out, "Deployment", "serve-zero-gcp-serve")
    assert dep["spec"]["replicas"] == 0
    so = find(out, "ScaledObject")
    assert so["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "serve-zero-gcp-serve"}
    assert (so["spec"]["minReplicaCount"], so["spec"]["maxReplicaCount"]) == (0, 2)
    triggers = {t["type"]: t["metadata"] for t in so["spec"]["triggers"]}
    assert set(triggers) == {"external-push", "prometheus"}  # no cpu trigger
    assert triggers["external-push"] == {"scalerAddress": "keda-add-ons-http-external-scaler.keda:9090", "httpScaledObject": "serve-zero-gcp-serve"}
    query = triggers["prometheus"]["query"]
    assert "aiinfra_serve_queue_depth{" in query and "aiinfra_serve_running{" in query and 'pod=~"serve-zero-gcp-serve-.*"' in query
    hso = find(out, "HTTPScaledObject")
    assert hso["metadata"]["annotations"] == {"httpscaledobject.keda.sh/skip-scaledobject-creation": "true"}
    assert hso["spec"]["replicas"] == {"min": 0, "max": 2}
    assert hso["spec"]["scaleTargetRef"]["service"] == find(out, "Service")["metadata"]["name"]
    pm = find(out, "PodMonitor")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert pm["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ports = {p["name"] for p in dep["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert pm["spec"]["podMetricsEndpoints"][0]["port"] in ports


def test_kserve_hands_its_predictor_to_keda(rendered):
    out = rendered["zero-aws-kserve"]
    isvc = find(out, "InferenceService")
    assert isvc["metadata"]["annotations"] == {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "external"}
    assert isvc["spec"]["predictor"]["minReplicas"] == 0 and "scaleMetric" not in isvc["spec"]["predictor"]
    assert find(out, "ScaledObject")["spec"]["scaleTargetRef"]["name"] == "serve-zero-serve-predictor"
    assert find(out, "HTTPScaledObject")["spec"]["scaleTargetRef"]["service"] == "serve-zero-serve-predictor"
    assert find(out, "PodMonitor")["spec"]["selector"]["matchLabels"] == {"serving.kserve.io/inferenceservice": "serve-zero-serve"}


def test_without_replicas_the_hpa_stays_and_no_keda_object_is_rendered(rendered):
    kinds = {m["kind"] for m in rendered["efa"]}
    assert "HorizontalPodAutoscaler" in kinds and not kinds & {"ScaledObject", "HTTPScaledObject", "PodMonitor"}
    assert find(rendered["efa"], "Deployment")["spec"]["replicas"] == 1


def test_the_keda_schemas_catch_a_wrong_field(rendered):
    so = copy.deepcopy(find(rendered["zero-gcp"], "ScaledObject"))
    so["spec"]["minReplicaCount"] = "0"
    so["spec"]["triggers"][0]["metdata"] = {}
    errors = crd_errors(so)
    assert any("minReplicaCount" in e for e in errors) and any("metdata" in e for e in errors)
    hso = copy.deepcopy(find(rendered["zero-gcp"], "HTTPScaledObject"))
    del hso["spec"]["scaleTargetRef"]
    assert crd_errors(hso)


def test_keda_and_its_http_add_on_are_installed_only_for_scale_to_zero():
    releases = {r.key: r for r in addon_plan(load(SPECS / "aws.ok.scale-to-zero.yaml")).releases}
    assert releases["keda-add-ons-http"].after == ["keda"] and releases["keda"].ref.version == "2.20.2"
    assert releases["keda-add-ons-http"].values == {"interceptor": {"readinessTimeout": "600s"}}
    assert not {"keda", "keda-add-ons-http"} & {r.key for r in addon_plan(load(SPECS / "aws.ok.training-serving.yaml")).releases}


def test_cost_shows_the_idle_cost_beside_the_busy_one():
    env = load(SPECS / "aws.ok.scale-to-zero.yaml")
    cost = estimate(env)["cost"]
    s = cost["serving"]
    l4 = env.workload.serve_pool.hourly_usd_per_node
    assert s["idle_hourly_usd"] == cost["hourly_usd_min"]  # no replica, no GPU node
    assert s["busy_nodes"] == 4 and s["busy_hourly_usd"] == pytest.approx(s["idle_hourly_usd"] + 4 * l4, abs=1e-3)
    assert "serving" not in estimate(load(SPECS / "aws.ok.training-serving.yaml"))["cost"]
    text = CliRunner().invoke(app, ["cost", str(SPECS / "aws.ok.scale-to-zero.yaml")], terminal_width=200).output
    assert "Serving scales to zero (pool serve, 0..4 replicas): idle $" in text


@pytest.mark.parametrize(("fixture", "path", "says", "hint"), [
    ("aws.bad.replicas-min-gt-max.yaml", "workload.replicas", "min (4) is greater than max (1)", "swap them"),
    ("aws.bad.replicas-above-pool.yaml", "workload.replicas", "8 replicas, but pool serve holds 2", "lower the max to 2"),
    ("gcp.bad.scale-to-zero-serving-none.yaml", "workload.replicas.min", "mlops.serving is none", "mlops.serving: kserve"),
    ("azure.bad.scale-to-zero-pool-min.yaml", "workload.replicas.min", "pool serve keeps 1 node(s)", "nodes: {min: 0, max: 2}"),
    ("aws.bad.scale-to-zero-no-monitoring.yaml", "workload.replicas.min", "mlops.monitoring is off", "mlops.monitoring: true"),
])
def test_bad_scale_to_zero_specs_say_path_and_fix_and_exit_2(fixture, path, says, hint):
    with pytest.raises(SpecError) as info:
        load(SPECS / fixture)
    [p] = info.value.problems
    assert p.path == path and says in p.message and hint in (p.hint or ""), p
    result = CliRunner().invoke(app, ["cost", str(SPECS / fixture), "--json"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert path in json.dumps(json.loads(result.output)) if result.output.strip().startswith("{") else path in result.output
