"""What the templates see: resolved facts about pools, fabric, identity, images and storage; and render() itself."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from aiinfra.manifests.claims import job_claims, tas_annotations
from aiinfra.manifests.data import datasets_bucket, prepare_job, with_data
from aiinfra.manifests.fabric import (
    NONROOT_UID,
    _wrap,
    pool_facts,
)
from aiinfra.manifests.serving import serve_context
from aiinfra.manifests.templates import (
    BASE_TEMPLATES,
    MULTI_NODE_TEMPLATES,
    ROUTING_TEMPLATES,
    SCALE_TO_ZERO_TEMPLATES,
    SERVING_TEMPLATES,
    TRAINING_TEMPLATES,
    _jinja,
    _render_leaves,
)
from aiinfra.resolve import accelerators
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool
from aiinfra.resolve.workload import WorkloadPlan, plan

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


MASTER_PORT = 29500


ALLREDUCE_SIZE_MB = 256


ALLREDUCE_ITERS = 20


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


SCRIPT_DIR = "/opt/aiinfra"
SCRIPT_CONFIGMAP = "aiinfra-allreduce"


def allreduce_script() -> str:
    from importlib import resources

    return resources.files("aiinfra.workloads.reference").joinpath("allreduce.py").read_text(encoding="utf-8")


def with_script(facts: dict[str, Any]) -> dict[str, Any]:
    """Pool facts plus the ConfigMap volume that carries allreduce.py into a vendor image."""
    return {
        **facts,
        "volumes": [*facts["volumes"], {"name": "aiinfra-script", "configMap": {"name": SCRIPT_CONFIGMAP}}],
        "mounts": [*facts["mounts"], {"name": "aiinfra-script", "mountPath": SCRIPT_DIR, "readOnly": True}],
    }


def tpu_worker_env(name: str, nodes: int) -> list[dict[str, Any]]:
    """What a multi-host TPU slice's workers need to find each other: their index and every worker's hostname
    (JobSet pod hostnames <jobset>-<job>-<replica>-<index>.<subdomain>)."""
    hosts = ",".join(f"{name}-node-0-{i}.{name}" for i in range(nodes))
    index = {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}
    return [{"name": "TPU_WORKER_ID", "valueFrom": index}, {"name": "TPU_WORKER_HOSTNAMES", "value": hosts}]


# Seconds a SIGTERM'd trainer may take to finish its step and write a checkpoint (workloads/reference/preempt.py),
# per model preset: tiny writes well under a second (benchmarks/bench_preempt.py); gpt2-124m's model + AdamW state is
# about 124M x 12 B = 1.5 GB, 30 s at an assumed 50 MB/s single-stream object-store write (unverified), doubled.
CHECKPOINT_BUDGET_S = {"tiny": 30, "gpt2-124m": 60}
# After torchrun's workers have left: torchrun's own exit and the container's.
EXIT_MARGIN_S = 30


def preemption_budget(model: str) -> tuple[int, int]:
    """(torchrun's shutdown timeout, the pod's terminationGracePeriodSeconds): torchrun waits that long for its
    workers' SIGTERM checkpoint before SIGKILL (TORCH_ELASTIC_SHUTDOWN_TIMEOUT), and the kubelet waits longer."""
    budget = CHECKPOINT_BUDGET_S.get(model, max(CHECKPOINT_BUDGET_S.values()))
    return budget, budget + EXIT_MARGIN_S


def train_args(env: ResolvedEnvironment, values: Values, checkpoint_url: str, data_url: str, model: str) -> list[str]:
    w = env.spec.workload
    args = ["--data", data_url, "--checkpoint", checkpoint_url, "--steps", str(w.steps), "--checkpoint-every", str(w.checkpoint_every), "--model", model]
    if values.mlflow_tracking_uri:
        args.append("--mlflow")
    return args


# Provisioners that are Karpenter (EKS; AKS node auto-provisioning) and honour its pod annotation.
KARPENTER_PROVISIONERS = ("karpenter", "nap")
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"


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
    data_url = spec.workload.data or f"{values.bucket_urls[datasets_bucket(env) or wp.checkpoint_bucket].rstrip('/')}/data"
    prepare = prepare_job(env, values.bucket_urls, spec.workload.data, values.train_image)
    if prepare is not None:
        data_url = prepare["output"]  # the trainer reads the shards the RayJob writes
    extra_env = []
    if values.storage_options:
        extra_env.append({"name": "AIINFRA_STORAGE_OPTIONS", "value": json.dumps(values.storage_options, sort_keys=True)})
    if values.mlflow_tracking_uri:
        extra_env.append({"name": "MLFLOW_TRACKING_URI", "value": values.mlflow_tracking_uri})

    def job(name: str, component: str, pool: ResolvedPool, nodes: int, module: str, args: list[str], vendor: bool = False) -> dict[str, Any]:
        facts = with_data(pool_facts(spec.cloud, pool, accelerators.pod_facts(pool)), env)
        shutdown, grace = preemption_budget(wp.model)
        facts["env"] = facts["env"] + [{"name": "TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "value": str(shutdown)}]
        if env.autoscaler in KARPENTER_PROVISIONERS and pool.nodes_min < pool.nodes_max:
            # Karpenter would otherwise consolidate or drift a node under a running job; expiry still drains it
            # after the NodePool's terminationGracePeriod.
            facts["annotations"] = {**facts["annotations"], DO_NOT_DISRUPT: "true"}
        facts["annotations"] = {**facts["annotations"], **tas_annotations(pool)}
        claims = job_claims(name, pool)
        entry = ["torchrun", "--module", module]
        image = values.train_image
        if vendor and facts["vendor_image"]:
            # The acceptance test runs in the vendor's PyTorch image, with the reference script from a ConfigMap.
            facts = with_script(facts)
            entry, image = ["torchrun", f"{SCRIPT_DIR}/allreduce.py"], facts["vendor_image"]
        return {
            "name": name,
            "component": component,
            "grace_seconds": grace,
            "pool": facts,
            "nodes": nodes,
            "image": image,
            # TPU slices run as a JobSet whatever the training operator: one pod per host with the TPU worker variables.
            "operator": "jobset" if facts["family"] == "tpu" else training,
            "extra_env": tpu_worker_env(name, nodes) if facts["family"] == "tpu" else [],
            # TrainJob runtime patches cannot add sidecars, a scheduler or resourceClaims: those jobs get a TrainingRuntime.
            "runtime": f"{name}-runtime" if facts["sidecars"] or facts["scheduler_name"] or claims["resource_claims"] else None,
            **claims,
            "command": _wrap(entry, facts["env_script"]),
            "args": args,
        }

    jobs = [job(f"{spec.name}-train", "training", wp.train_pool, wp.nodes, "aiinfra.workloads.reference.train", train_args(env, values, checkpoint_url, data_url, wp.model))]
    accel_pools = [p for p in wp.fabric_pools] + [p for p in env.worker_pools if p.gpu and p.family not in (None, "nvidia") and p not in wp.fabric_pools]
    for pool in accel_pools:
        facts = pool_facts(spec.cloud, pool, accelerators.pod_facts(pool))
        args = ["--size-mb", str(ALLREDUCE_SIZE_MB), "--iters", str(ALLREDUCE_ITERS)]
        if facts["fabric_gbps"]:
            args += ["--peak-gbps", f"{facts['fabric_gbps']:g}"]
        if facts["backend"] == "xla":
            args += ["--backend", "xla"]
        nodes = pool.nodes_max if pool.multi_host_slice else min(2, max(1, pool.nodes_max))
        jobs.append(job(f"allreduce-{pool.name}", "fabric-test", pool, nodes, "aiinfra.workloads.reference.allreduce", args, vendor=True))

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
        "prepare": prepare,
        "nonroot_uid": NONROOT_UID,
        "master_port": MASTER_PORT,
        "jobs": jobs if training != "none" else [],
        "allreduce_script": allreduce_script() if any(j["image"] != values.train_image for j in jobs) and training != "none" else None,
        "serve": serve_context(env, wp, serving, values.serve_image, checkpoint_url, extra_env),
    }


def render(
    env: ResolvedEnvironment, values: Values, workload: WorkloadPlan | None = None, training: str | None = None, serving: str | None = None
) -> list[dict[str, Any]]:
    """Every manifest as a dict, in apply order (namespace first)."""
    ctx = context(env, values, workload, training, serving)
    training_templates = TRAINING_TEMPLATES[ctx["training_operator"]]
    if any(j["operator"] == "jobset" for j in ctx["jobs"]) and "jobset.yaml.j2" not in training_templates:
        training_templates = [*training_templates, "jobset.yaml.j2"]
    serving_templates = SERVING_TEMPLATES[ctx["serving_kind"]]
    if ctx["serve"]["multi_node"] and serving_templates:
        serving_templates = MULTI_NODE_TEMPLATES
    if ctx["serve"]["scale_to_zero"] and serving_templates:
        serving_templates = [t for t in serving_templates if t != "hpa.yaml.j2"] + SCALE_TO_ZERO_TEMPLATES  # KEDA makes its own HPA
    if ctx["serve"]["routing"] and serving_templates:
        serving_templates = [*serving_templates, *ROUTING_TEMPLATES]
    names = BASE_TEMPLATES + (["rayjob.yaml.j2"] if ctx["prepare"] else []) + training_templates + serving_templates
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
    from aiinfra import clouds

    cloud = clouds.get(env.spec.cloud).binding()
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
