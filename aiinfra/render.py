"""Kubernetes manifests of the reference workload, rendered from templates/*.j2 with jinja2.

Python resolves facts (which pool, which fabric, how many GPUs, what the cloud's identity needs);
the templates lay out the objects; per-fabric pod requirements are data in templates/fabrics.yaml
and per-cloud identity wiring in templates/clouds.yaml.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml

from aiinfra import catalog
from aiinfra.resolve import ResolvedEnvironment, ResolvedPool
from aiinfra.workload import WorkloadPlan, plan

POOL_LABEL = "aiinfra.dev/pool"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
MASTER_PORT = 29500
NONROOT_UID = 10001  # >= 10000: clear of host users (checkov CKV_K8S_40)
# Share of a node the training pod asks for: the rest is for the kubelet, system reserves and DaemonSets.
NODE_SHARE = 0.75
ALLREDUCE_SIZE_MB = 256
ALLREDUCE_ITERS = 20

TrainingOperator = Literal["trainer", "jobset", "none"]
ServingKind = Literal["deployment", "kserve", "none"]

# Which templates each choice renders, in apply order.
BASE_TEMPLATES = ["namespace.yaml.j2", "serviceaccount.yaml.j2"]
TRAINING_TEMPLATES: dict[str, list[str]] = {
    "trainer": ["trainingruntime.yaml.j2", "trainjob.yaml.j2"],
    "jobset": ["jobset.yaml.j2"],
    "none": [],
}
SERVING_TEMPLATES: dict[str, list[str]] = {
    "deployment": ["deployment.yaml.j2", "service.yaml.j2", "hpa.yaml.j2", "pdb.yaml.j2"],
    "kserve": ["inferenceservice.yaml.j2"],
    "none": [],
}


def templates_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("aiinfra.templates")))


@lru_cache(maxsize=1)
def fabric_data() -> dict[str, Any]:
    return yaml.safe_load((templates_dir() / "fabrics.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def cloud_data() -> dict[str, Any]:
    return yaml.safe_load((templates_dir() / "clouds.yaml").read_text(encoding="utf-8"))


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


@dataclass
class Values:
    """What rendering needs from the deployed (or previewed) environment."""

    train_image: str
    serve_image: str
    bucket_urls: dict[str, str]
    storage_options: dict[str, str] = field(default_factory=dict)
    service_account_annotations: dict[str, str] = field(default_factory=dict)
    service_account_labels: dict[str, str] = field(default_factory=dict)
    pod_labels: dict[str, str] = field(default_factory=dict)
    mlflow_tracking_uri: str | None = None
    queue: str = "default"


def fabric_kind(pool: ResolvedPool) -> str:
    return pool.fabric.kind if pool.fabric else "ethernet"


def gpu_network_names(cloud: str, kind: str, interfaces: int) -> list[str]:
    """The Network each GPU NIC attaches to, named as the cloud's network layer names it (catalog fabric_networks)."""
    layout = catalog.cloud_catalog(cloud).fabric_networks.get(kind)
    if layout is None:
        raise ValueError(f"fabric {kind!r} puts GPU NICs on their own networks, but the {cloud} catalog has no fabric_networks.{kind}")
    return layout.gpu_nic_names(interfaces)


def pool_facts(cloud: str, pool: ResolvedPool) -> dict[str, Any]:
    """Everything a pod template needs to land on a pool and use its fabric."""
    data = fabric_data()
    kind = fabric_kind(pool)
    raw = data["fabrics"][kind]
    interfaces = pool.fabric.interfaces if pool.fabric else 0
    net = raw.get("network") or {}
    gpu_nics = [f"eth{net['first_nic'] + i}" for i in range(interfaces)] if net else []
    gpu_networks = gpu_network_names(cloud, kind, interfaces) if net else []
    variables = {
        "interfaces": interfaces,
        "gpus": pool.gpus_per_node,
        "gpu_nics": gpu_nics,
        "gpu_networks": gpu_networks,
        "gpu_interfaces": [{"interfaceName": n, "network": w} for n, w in zip(gpu_nics, gpu_networks)],
    }
    fab = _render_leaves(raw, variables)
    env = {**data["common"]["env"], **fab["env"]}
    cpu = max(1, math.floor(pool.vcpus * NODE_SHARE)) if pool.vcpus else 1
    memory_gib = max(1, math.floor(pool.memory_gib * NODE_SHARE)) if pool.memory_gib else 2
    limits: dict[str, Any] = {"cpu": str(cpu), "memory": f"{memory_gib}Gi"}
    if pool.gpu:
        limits["nvidia.com/gpu"] = str(pool.gpus_per_node)
    limits.update({k: str(v) for k, v in fab["resources"].items()})
    sec = fab["security"]
    pod_security, container_security = security_contexts(sec["run_as_root"], sec["privileged"], sec["add_capabilities"])
    mounts_main = [{"name": h["name"], "mountPath": h["mount"], "readOnly": True} for h in fab["host_paths"] if "main" in h["containers"]]
    mounts_side = [{"name": h["name"], "mountPath": h["mount"]} for h in fab["host_paths"] if "sidecar" in h["containers"]]
    shared = fab.get("shared_dirs") or []
    mounts_main += [{"name": d["name"], "mountPath": d["mount"]} for d in shared]
    mounts_side += [{"name": d["name"], "mountPath": d["mount"]} for d in shared]
    shm_gib = max(1, math.floor((pool.memory_gib or 8) / 8))
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}},
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{shm_gib}Gi"}},
    ]
    volumes += [{"name": h["name"], "hostPath": {"path": h["path"]}} for h in fab["host_paths"]]
    volumes += [{"name": d["name"], "emptyDir": {}} for d in shared]
    mounts_main = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}] + mounts_main
    return {
        "name": pool.name,
        "instance_type": pool.instance_type,
        "fabric": kind,
        "fabric_gbps": pool.fabric.gbps if pool.fabric else _network_gbps(cloud, pool),
        "gpus": pool.gpus_per_node,
        "procs_per_node": pool.gpus_per_node or 1,
        "node_selector": {POOL_LABEL: pool.name},
        "tolerations": ([GPU_TOLERATION] if pool.gpu else []) + catalog.capacity_tolerations(cloud, [pool.capacity]),
        "resources": {"requests": dict(limits), "limits": dict(limits)},
        "env": [{"name": k, "value": str(v)} for k, v in env.items()],
        "annotations": fab["annotations"],
        "volumes": volumes,
        "mounts": mounts_main,
        "sidecars": [_sidecar(s, mounts_side) for s in fab["sidecars"]],
        "env_script": fab["env_script"],
        "pod_security": pod_security,
        "container_security": container_security,
    }


def security_contexts(run_as_root: bool = False, privileged: bool = False, add: list[str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(pod, container) security contexts: non-root, no escalation, read-only root, no capabilities,
    RuntimeDefault seccomp; a fabric widens exactly what fabrics.yaml says it needs."""
    pod: dict[str, Any] = {"seccompProfile": {"type": "RuntimeDefault"}}
    if not run_as_root:
        pod.update({"runAsNonRoot": True, "runAsUser": NONROOT_UID, "runAsGroup": NONROOT_UID, "fsGroup": NONROOT_UID})
    container: dict[str, Any] = {"readOnlyRootFilesystem": True}
    if privileged:
        container.update({"privileged": True, "runAsUser": 0})
        return pod, container
    container.update({"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})
    if add:
        container["capabilities"]["add"] = list(add)
    container.update({"runAsUser": 0, "runAsNonRoot": False} if run_as_root else {"runAsNonRoot": True})
    return pod, container


def _network_gbps(cloud: str, pool: ResolvedPool) -> float | None:
    it = catalog.cloud_catalog(cloud).instance_types.get(pool.instance_type)
    return it.network_gbps if it else None


def _sidecar(raw: dict[str, Any], mounts: list[dict[str, Any]]) -> dict[str, Any]:
    # The RxDM daemons run as root: added capabilities do nothing for a non-root user.
    security: dict[str, Any] = {"privileged": True} if raw["privileged"] else {"allowPrivilegeEscalation": False}
    security.update({"runAsUser": 0, "runAsNonRoot": False})
    if raw["add_capabilities"]:
        security["capabilities"] = {"add": raw["add_capabilities"]}
    return {
        "name": raw["name"],
        "image": raw["image"],
        "command": raw["command"],
        "args": raw["args"],
        "env": [{"name": k, "value": str(v)} for k, v in raw["env"].items()],
        "securityContext": security,
        "volumeMounts": mounts,
    }


def _wrap(command: list[str], env_script: str | None) -> list[str]:
    """Source a fabric's NCCL profile before exec'ing the command, keeping the arguments intact."""
    if not env_script:
        return command
    return ["/bin/bash", "-c", 'source "$0" && exec "$@"', env_script, *command]


def _operator(spec: Any) -> tuple[str, str]:
    """mlops.training / mlops.serving when the spec has them (another section, merged separately)."""
    mlops = getattr(spec, "mlops", None)
    training = getattr(mlops, "training", None) or "trainer"
    if training not in TRAINING_TEMPLATES:
        training = "trainer"  # mlops.training: none renders for `kubectl apply` onto a cluster that has Kubeflow Trainer
    serving = getattr(mlops, "serving", None) or "deployment"
    if serving not in SERVING_TEMPLATES:
        serving = "deployment"
    return training, serving


def train_args(env: ResolvedEnvironment, values: Values, checkpoint_url: str, data_url: str) -> list[str]:
    w = env.spec.workload
    args = ["--data", data_url, "--checkpoint", checkpoint_url, "--steps", str(w.steps), "--checkpoint-every", str(w.checkpoint_every), "--model", w.model]
    if values.mlflow_tracking_uri:
        args.append("--mlflow")
    return args


def context(
    env: ResolvedEnvironment, values: Values, workload: WorkloadPlan | None = None, training: str | None = None, serving: str | None = None
) -> dict[str, Any]:
    """The RenderContext: plain data, so templates need no Python objects. training/serving override mlops.*."""
    spec = env.spec
    wp = workload or plan(env)
    default_training, default_serving = _operator(spec)
    training, serving = training or default_training, serving or default_serving
    if training not in TRAINING_TEMPLATES or serving not in SERVING_TEMPLATES:
        raise ValueError(f"unknown training operator {training!r} or serving kind {serving!r}")
    bucket = values.bucket_urls[wp.checkpoint_bucket].rstrip("/")
    checkpoint_url = f"{bucket}/checkpoints/{spec.name}"
    data_url = spec.workload.data or f"{bucket}/data"
    extra_env = []
    if values.storage_options:
        extra_env.append({"name": "AIINFRA_STORAGE_OPTIONS", "value": json.dumps(values.storage_options, sort_keys=True)})
    if values.mlflow_tracking_uri:
        extra_env.append({"name": "MLFLOW_TRACKING_URI", "value": values.mlflow_tracking_uri})

    def job(name: str, component: str, pool: ResolvedPool, nodes: int, module: str, args: list[str]) -> dict[str, Any]:
        facts = pool_facts(spec.cloud, pool)
        return {
            "name": name,
            "component": component,
            "pool": facts,
            "nodes": nodes,
            "runtime": f"{name}-runtime" if facts["sidecars"] else None,
            "command": _wrap(["torchrun", "--module", module], facts["env_script"]),
            "args": args,
        }

    jobs = [job(f"{spec.name}-train", "training", wp.train_pool, wp.nodes, "aiinfra.workloads.reference.train", train_args(env, values, checkpoint_url, data_url))]
    for pool in wp.fabric_pools:
        facts = pool_facts(spec.cloud, pool)
        args = ["--size-mb", str(ALLREDUCE_SIZE_MB), "--iters", str(ALLREDUCE_ITERS)]
        if facts["fabric_gbps"]:
            args += ["--peak-gbps", f"{facts['fabric_gbps']:g}"]
        nodes = min(2, max(1, pool.nodes_max))
        jobs.append(job(f"allreduce-{pool.name}", "fabric-test", pool, nodes, "aiinfra.workloads.reference.allreduce", args))

    serve_pool = pool_facts(spec.cloud, wp.serve_pool)
    serve_pod_security, serve_container_security = security_contexts()
    serve_limits: dict[str, str] = {"cpu": "2", "memory": "8Gi"}
    if wp.serve_pool.gpu:
        serve_limits["nvidia.com/gpu"] = "1"
    max_replicas = max(1, wp.serve_pool.nodes_max * max(1, wp.serve_pool.gpus_per_node))
    return {
        "env": {"name": spec.name, "cloud": spec.cloud, "region": spec.region, "kubernetes_version": spec.cluster.kubernetes_version},
        "namespace": spec.identity.namespace,
        "service_account": {
            "name": spec.identity.service_account,
            "annotations": dict(values.service_account_annotations),
            "labels": dict(values.service_account_labels),
        },
        "pod_labels": dict(values.pod_labels),
        "queue": values.queue,
        "training_operator": training,
        "serving_kind": serving,
        "images": {"train": values.train_image, "serve": values.serve_image},
        "extra_env_all": extra_env,
        "queue_label": QUEUE_LABEL,
        "nonroot_uid": NONROOT_UID,
        "master_port": MASTER_PORT,
        "jobs": jobs if training != "none" else [],
        "serve": {
            "name": f"{spec.name}-serve",
            "pool": serve_pool,
            "command": ["python", "-m", "aiinfra.workloads.reference.serve"],
            "args": ["--checkpoint", checkpoint_url, "--host", "0.0.0.0", "--port", "8000", "--max-batch-size", "32"],
            "port": 8000,
            "resources": {"requests": dict(serve_limits), "limits": dict(serve_limits)},
            "min_replicas": 1,
            "max_replicas": max_replicas,
            "cpu_utilization": 70,
            "pod_security": serve_pod_security,
            "container_security": serve_container_security,
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "10Gi"}}],
            "mounts": [{"name": "tmp", "mountPath": "/tmp"}],
        },
    }


def render(
    env: ResolvedEnvironment, values: Values, workload: WorkloadPlan | None = None, training: str | None = None, serving: str | None = None
) -> list[dict[str, Any]]:
    """Every manifest as a dict, in apply order (namespace first)."""
    ctx = context(env, values, workload, training, serving)
    names = BASE_TEMPLATES + TRAINING_TEMPLATES[ctx["training_operator"]] + SERVING_TEMPLATES[ctx["serving_kind"]]
    jinja = _jinja()
    out: list[dict[str, Any]] = []
    for name in names:
        text = jinja.get_template(name).render(**ctx)
        try:
            docs = [d for d in yaml.safe_load_all(text) if d]
        except yaml.YAMLError as exc:
            raise ValueError(f"templates/{name} rendered invalid YAML: {exc}\n{text}") from None
        out.extend(docs)
    return out


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


def default_images(env: ResolvedEnvironment, registry_urls: Mapping[str, str]) -> tuple[str, str]:
    """Images named in workload.images, else repositories named train/serve in the environment's
    registry (<repo>:<tag>), else its first repository with train-<tag> / serve-<tag> tags."""
    w = env.spec.workload.images
    repos = list(env.spec.registry.repositories) or [env.spec.name]

    def image(role: str, given: str | None) -> str:
        if given:
            return given
        if role in repos and role in registry_urls:
            return f"{registry_urls[role]}:{w.tag}"
        if repos[0] not in registry_urls:
            raise KeyError(f"registry URL of repository {repos[0]!r} is not in the environment's outputs")
        return f"{registry_urls[repos[0]]}:{role}-{w.tag}"

    return image("train", w.train), image("serve", w.serve)


def values_from_outputs(env: ResolvedEnvironment, outputs: Mapping[str, Any]) -> Values:
    """Values from stack outputs (`aiinfra outputs --json`, or the offline preview's): keys per cloud in templates/clouds.yaml."""
    cloud = cloud_data()[env.spec.cloud]
    missing = [k for k in cloud["required_outputs"] if k not in outputs]
    if missing:
        raise KeyError(f"outputs lack {', '.join(missing)} (needed on {env.spec.cloud})")
    variables = {"outputs": dict(outputs)}
    buckets = outputs["buckets"]
    absent = [b for b in env.spec.storage.buckets if b not in buckets]
    if absent:
        raise KeyError(f"outputs.buckets lacks {', '.join(absent)}")
    bucket_urls = {b: _render_leaves(cloud["bucket_url"], {**variables, "name": buckets[b]}) for b in env.spec.storage.buckets}
    train, serve = default_images(env, outputs.get("registry") or {})
    return Values(
        train_image=train,
        serve_image=serve,
        bucket_urls=bucket_urls,
        storage_options=_render_leaves(cloud["storage_options"], variables),
        service_account_annotations=_render_leaves(cloud["service_account_annotations"], variables),
        service_account_labels=_render_leaves(cloud.get("service_account_labels") or {}, variables),
        pod_labels=_render_leaves(cloud["pod_labels"], variables),
    )


def custom_resources(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    core = {"v1", "apps/v1", "autoscaling/v2", "policy/v1", "batch/v1"}
    return [m for m in manifests if m["apiVersion"] not in core]


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
    elif kind == "TrainingRuntime":
        for rj in m["spec"]["template"]["spec"]["replicatedJobs"]:
            yield pod(rj["name"], rj["template"]["spec"]["template"])
