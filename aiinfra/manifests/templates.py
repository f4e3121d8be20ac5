"""The template files in apply order, the jinja2 environment, and manifests written one file per object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import yaml

# Which templates each choice renders, in apply order.
BASE_TEMPLATES = ["namespace.yaml.j2", "serviceaccount.yaml.j2", "configmap-allreduce.yaml.j2"]


TRAINING_TEMPLATES: dict[str, list[str]] = {
    "trainer": ["claims.yaml.j2", "trainingruntime.yaml.j2", "trainjob.yaml.j2"],
    "jobset": ["claims.yaml.j2", "jobset.yaml.j2"],
    "none": [],
}


SERVING_TEMPLATES: dict[str, list[str]] = {
    "deployment": ["deployment.yaml.j2", "service.yaml.j2", "hpa.yaml.j2", "pdb.yaml.j2"],
    "kserve": ["inferenceservice.yaml.j2"],
    "none": [],
}


# A replica across nodes (workload.serve_nodes) replaces the Deployment or InferenceService, whatever mlops.serving is.
MULTI_NODE_TEMPLATES = ["leaderworkerset.yaml.j2", "service.yaml.j2", "hpa.yaml.j2", "pdb.yaml.j2"]


# Added where mlops.routing is cache-aware: the Gateway, its route and the pool of vLLM replicas behind it.
ROUTING_TEMPLATES = ["gateway.yaml.j2", "httproute.yaml.j2", "inferencepool.yaml.j2"]


# Added to the serving templates where workload.replicas.min is 0 (aiinfra.resolve.serving); the HPA is left out.
SCALE_TO_ZERO_TEMPLATES = ["podmonitor.yaml.j2", "httpscaledobject.yaml.j2", "scaledobject.yaml.j2"]


def templates_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("aiinfra.templates")))


def _jinja():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = lambda v: json.dumps(v, sort_keys=False)
    env.filters["fromjson"] = json.loads
    env.filters["merge"] = lambda a, b: {**a, **b}
    env.filters["add_selector"] = lambda metric, sel: f"{metric}{{{sel}}}"
    return env


def _render_leaves(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render every string in a data structure as a jinja2 expression (fabric data refers to pool facts)."""
    if isinstance(value, str):
        if "{" not in value:
            return value
        return _jinja().from_string(value).render(**variables)
    if isinstance(value, dict):
        return {k: _render_leaves(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_leaves(v, variables) for v in value]
    return value


def file_name(manifest: Mapping[str, Any]) -> str:
    kind = manifest["kind"].lower()
    return f"{kind}-{manifest['metadata']['name']}.yaml"


def write(manifests: list[dict[str, Any]], out: Path) -> list[Path]:
    """One YAML file per manifest, numbered in apply order."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, m in enumerate(manifests):
        path = out / f"{i:02d}-{file_name(m)}"
        path.write_text(yaml.safe_dump(m, sort_keys=False, default_flow_style=False), encoding="utf-8")
        written.append(path)
    return written


def pod_templates(manifest: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(name, Pod) for each pod a manifest would create, for scanners that ignore custom resources."""
    return [(name, pod) for name, pod in _pods(manifest)]


def _pods(m: Mapping[str, Any]):
    kind = m["kind"]
    name = m["metadata"]["name"]
    ns = m["metadata"].get("namespace")

    def pod(suffix: str, template: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        meta = {"name": f"{name}-{suffix}", "namespace": ns, **{k: v for k, v in (template.get("metadata") or {}).items() if k in ("labels", "annotations")}}
        return meta["name"], {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"]}

    if kind in ("Deployment", "Job"):
        yield pod("pod", m["spec"]["template"])
    elif kind == "RayJob":
        cluster = m["spec"]["rayClusterSpec"]
        yield pod("head", cluster["headGroupSpec"]["template"])
        for group in cluster.get("workerGroupSpecs", []):
            yield pod(group["groupName"], group["template"])
    elif kind == "JobSet":
        for rj in m["spec"]["replicatedJobs"]:
            yield pod(rj["name"], rj["template"]["spec"]["template"])
    elif kind == "TrainJob" and m["spec"].get("runtimePatches"):
        # The pod the torch-distributed runtime's "node" job gets once the trainer fields and patches apply.
        trainer = m["spec"]["trainer"]
        patch = m["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]
        spec = {k: v for k, v in patch["spec"].items() if k != "containers"}
        (node,) = patch["spec"]["containers"]
        container = {
            "name": "node",
            "image": trainer["image"],
            "command": trainer["command"],
            "args": trainer["args"],
            "env": trainer["env"],
            "resources": trainer["resourcesPerNode"],
            **{k: v for k, v in node.items() if k != "name"},
        }
        yield pod("node", {"metadata": patch.get("metadata") or {}, "spec": {**spec, "restartPolicy": "Never", "containers": [container]}})
    elif kind == "LeaderWorkerSet":
        lwt = m["spec"]["leaderWorkerTemplate"]
        if "leaderTemplate" in lwt:
            yield pod("leader", lwt["leaderTemplate"])
        yield pod("worker", lwt["workerTemplate"])
    elif kind == "TrainingRuntime":
        for rj in m["spec"]["template"]["spec"]["replicatedJobs"]:
            yield pod(rj["name"], rj["template"]["spec"]["template"])
