"""Cache-aware routing (mlops.routing: cache-aware): an InferencePool of the vLLM replicas behind the cluster's Gateway
(GKE's managed class on GCP, Istio elsewhere) with an HTTPRoute, the llm-d router's endpoint picker finding the same
pods, the charts and CRDs on the platform, and the bad inputs."""

from __future__ import annotations

import copy

import pytest
from renderhelpers import SPECS, find
from test_validate import crd_errors
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.problems import SpecError
from aiinfra.resolve import fit
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

POOL = "InferencePool"


def chart_defaults(key: str) -> dict:
    """The pinned chart's vendored defaults (tests/fixtures/helm-values)."""
    import yaml

    from aiinfra.components.kubernetes.charts import chart

    return yaml.safe_load((SPECS.parent / "helm-values" / chart(key).values_file).read_text())


@pytest.mark.parametrize(("scenario", "server"), [("route-gcp", "Deployment"), ("route-aws", "LeaderWorkerSet")])
def test_the_route_sends_every_path_through_the_pool_to_the_vllm_replicas(rendered, scenario, server):
    out = rendered[scenario]
    pool, route, gateway = find(out, POOL), find(out, "HTTPRoute"), find(out, "Gateway")
    (rule,) = route["spec"]["rules"]
    assert rule["backendRefs"] == [{"group": "inference.networking.k8s.io", "kind": POOL, "name": pool["metadata"]["name"]}]
    assert route["spec"]["parentRefs"][0]["name"] == gateway["metadata"]["name"]
    # The pool selects the pods that serve HTTP: the Deployment's, or the LeaderWorkerSet's leaders (not its workers).
    obj = find(out, server)
    template = obj["spec"]["template"] if server == "Deployment" else obj["spec"]["leaderWorkerTemplate"]["leaderTemplate"]
    assert pool["spec"]["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
    if server == "LeaderWorkerSet":
        worker = obj["spec"]["leaderWorkerTemplate"]["workerTemplate"]
        assert not pool["spec"]["selector"]["matchLabels"].items() <= worker["metadata"]["labels"].items()
    ports = {p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
    assert [p["number"] for p in pool["spec"]["targetPorts"]] == [8000] and 8000 in ports
    assert "--enable-prefix-caching" in " ".join(str(a) for c in template["spec"]["containers"] for a in c.get("args", []) + c["command"])


def test_gke_uses_its_managed_internal_gateway_and_istio_serves_elsewhere(rendered):
    gke = find(rendered["route-gcp"], "Gateway")
    assert gke["spec"]["gatewayClassName"] == "gke-l7-rilb" and "annotations" not in gke["metadata"]
    assert "timeouts" not in find(rendered["route-gcp"], "HTTPRoute")["spec"]["rules"][0]
    istio = find(rendered["route-aws"], "Gateway")
    assert istio["spec"]["gatewayClassName"] == "istio"
    assert istio["metadata"]["annotations"] == {"networking.istio.io/service-type": "ClusterIP"}  # not a public load balancer
    assert find(rendered["route-aws"], "HTTPRoute")["spec"]["rules"][0]["timeouts"] == {"request": "300s"}


@pytest.mark.parametrize("text", [
    (SPECS / "gcp.ok.cache-aware.yaml").read_text(),
    (SPECS / "aws.ok.cache-aware.yaml").read_text(),
    (SPECS / "gcp.ok.cache-aware.yaml").read_text().replace("serving: vllm", "serving: kserve"),
], ids=["gcp-vllm", "aws-lws", "gcp-kserve"])
def test_the_endpoint_picker_finds_the_pools_pods_and_the_pool_names_the_picker(text):
    """The chart's EPP runs with router.inferencePool.create false (the pool is aiinfra's): its selector, ports and the
    Service name the pool points to must be the pool's, or the Gateway asks a picker that knows other pods."""
    from aiinfra.manifests.templates import file_name
    from aiinfra.resolve.fit_pods import workload_manifests

    env = resolve(parse_spec(text))
    release = addon_plan(env).release("llm-d-router-gateway")
    pool = next(m for m in workload_manifests(env) if m["kind"] == POOL)
    router = release.values["router"]
    assert router["modelServers"]["matchLabels"] == pool["spec"]["selector"]["matchLabels"]
    assert router["modelServers"]["targetPorts"] == pool["spec"]["targetPorts"]
    assert router["inferencePool"] == {"create": False}
    # The chart names its EPP Service <release>-epp (routerlib _helpers.tpl llm-d-router.name) on port extProcPort.
    assert pool["metadata"]["name"] == release.key and pool["spec"]["endpointPickerRef"]["name"] == f"{release.key}-epp"
    assert pool["spec"]["endpointPickerRef"]["port"]["number"] == chart_defaults("llm-d-router-gateway")["router"]["epp"]["extProcPort"]
    assert release.ns == env.namespace == pool["metadata"]["namespace"]
    assert file_name(pool) == "inferencepool-llm-d-router-gateway.yaml"


def test_istio_and_the_crds_are_installed_off_gke_and_gke_brings_its_own():
    aws = addon_plan(load(SPECS / "aws.ok.cache-aware.yaml"))
    releases = {r.key: r for r in aws.releases}
    assert releases["istiod"].values == {"env": {"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true"}}
    assert releases["istiod"].after == ["istio-base"] and releases["llm-d-router-gateway"].after == ["istiod"]
    assert releases["llm-d-router-gateway"].values["provider"] == {"name": "istio"}
    assert [m.key for m in aws.manifests] == ["gateway-api-crds", "inference-extension-crds"]
    assert all("/releases/download/v" in m.url for m in aws.manifests)
    assert releases["llm-d-router-gateway"].ref.chart == "oci://ghcr.io/llm-d/charts/llm-d-router-gateway"
    gcp = addon_plan(load(SPECS / "gcp.ok.cache-aware.yaml"))
    assert not {"istio-base", "istiod"} & {r.key for r in gcp.releases} and gcp.manifests == []
    assert gcp.release("llm-d-router-gateway").values["provider"] == {"name": "gke"}
    # GKE has the InferencePool CRD from 1.34 on; below it aiinfra applies the release manifest.
    old = resolve(parse_spec((SPECS / "gcp.ok.cache-aware.yaml").read_text() + "cluster: {kubernetes_version: '1.33'}\n"))
    assert [m.key for m in addon_plan(old).manifests] == ["inference-extension-crds"]
    assert not {"llm-d-router-gateway", "istiod"} & {r.key for r in addon_plan(load(SPECS / "aws.ok.serve-nodes.yaml")).releases}


def test_the_endpoint_picker_runs_on_the_system_pool_and_fits_it():
    report = fit.check(load(SPECS / "aws.ok.cache-aware.yaml"))
    (row,) = [r for r in report.rows if r["pod"] == "release llm-d-router-gateway: values.router.epp"]
    assert row["fits"] == ["system"] and not report.errors
    assert chart_defaults("llm-d-router-gateway")["router"]["epp"]["resources"]["requests"]["cpu"] == "8"  # why it is set


def test_the_schemas_catch_a_wrong_pool_route_or_gateway(rendered):
    out = rendered["route-aws"]
    pool = copy.deepcopy(find(out, POOL))
    assert crd_errors(pool) == []
    pool["spec"]["endpointPickerRef"]["failureMode"] = "Open"
    del pool["spec"]["targetPorts"]
    errors = crd_errors(pool)
    assert any("failureMode" in e for e in errors) and any("targetPorts" in e for e in errors)
    route = copy.deepcopy(find(out, "HTTPRoute"))
    route["spec"]["rules"][0]["backendRef"] = route["spec"]["rules"][0].pop("backendRefs")
    assert any("backendRef" in e for e in crd_errors(route))
    gateway = copy.deepcopy(find(out, "Gateway"))
    del gateway["spec"]["gatewayClassName"]
    assert crd_errors(gateway)


@pytest.mark.parametrize(("fixture", "path", "says", "hint"), [
    ("azure.bad.cache-aware-scale-to-zero.yaml", "workload.replicas.min", "never through KEDA's interceptor", "mlops.routing: round-robin"),
    ("gcp.bad.cache-aware-reference-server.yaml", "mlops.routing", "the reference server is not vLLM", "set workload.serve_model"),
])
def test_bad_routing_says_path_and_fix_and_exit_2(fixture, path, says, hint):
    with pytest.raises(SpecError) as info:
        load(SPECS / fixture)
    [p] = info.value.problems
    assert p.path == path and says in p.message and hint in (p.hint or ""), p
    result = CliRunner().invoke(app, ["validate", str(SPECS / fixture)])
    assert result.exit_code == 2 and path in result.output and "Traceback" not in result.output


def test_round_robin_renders_no_routing_objects(rendered):
    kinds = {m["kind"] for m in rendered["nodes-aws"]} | {m["kind"] for m in rendered["zero-gcp"]}
    assert not kinds & {POOL, "HTTPRoute", "Gateway"}
