"""Rules over GPU node pools (read per cloud into PoolViews) and over the pods the environment deploys
(the rendered reference workload in its ConfigGroup, or workload objects declared directly).

Pod rules follow security-baseline.md §2 (checkov's Kubernetes checks and the custom GPU checks); what a
GPU fabric legitimately needs (privileged RDMA, IPC_LOCK for InfiniBand, RxDM sidecars) is read from the
same templates/fabrics.yaml the manifests are rendered from, so the allow-list cannot drift from them.
"""

from __future__ import annotations

from typing import Any, Iterator

from aiinfra.components.base import policy as pools
from aiinfra.policy.model import PoolView, Resource, Rule

GPU_TAINT_KEY = "nvidia.com/gpu"
POOL_LABEL = "aiinfra.dev/pool"
WORKLOAD_TYPES = (
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:core/v1:Pod",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:batch/v1:Job",
    "kubernetes:jobset.x-k8s.io/v1alpha2:JobSet",
    "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob",
    "kubernetes:trainer.kubeflow.org/v1alpha1:TrainingRuntime",
    "kubernetes:serving.kserve.io/v1beta1:InferenceService",
)


def _taint_key(p: PoolView) -> str:
    """The taint key of the pool's accelerator family (nvidia.com/gpu, google.com/tpu, ...), from accelerators.yaml."""
    from aiinfra.resolve import accelerators

    return accelerators.family(accelerators.family_of(p.labels.get("aiinfra.dev/gpu")) or accelerators.NVIDIA).taint.key


def _tainted(r: Resource) -> list[str]:
    p = pools.view(r)
    if p is None or not p.gpu:
        return []
    key = _taint_key(p)
    if any(t.split("=")[0].split(":")[0] == key and t.endswith(":NoSchedule") for t in p.taints):
        return []
    return [f"accelerator pool {p.name} has no {key} NoSchedule taint: any pod could land on its accelerators"]


def _spot_to_zero(resources: list[Resource]) -> Iterator[tuple[Resource, str]]:
    """Only where a provisioner acts on the pool (aiinfra.policy.scaling): elsewhere min 0 leaves it empty for ever."""
    from aiinfra.policy.scaling import acting, scaled

    present = acting(resources)
    for r in resources:
        p = pools.view(r)
        if p is not None and p.gpu and p.spot and p.nodes_min > 0 and scaled(p, present):
            yield r, f"spot GPU pool {p.name} keeps {p.nodes_min} node(s) running when idle (min {p.nodes_min})"


def _one_domain(r: Resource) -> list[str]:
    p = pools.view(r)
    if p is None or not p.fabric or p.fabric == "ethernet" or p.nodes_max < 2 or p.placement_domains == 1:
        return []
    where = f"{p.placement_domains} zones/subnets" if p.placement_domains else "the whole region"
    return [f"fabric pool {p.name} ({p.fabric}) spreads over {where}: the fabric does not cross zones"]


# --- pods ---------------------------------------------------------------------------------------------


def manifests(r: Resource) -> list[dict[str, Any]]:
    if r.type == "kubernetes:yaml/v2:ConfigGroup":
        objs = r.get("objs")
        return [m for m in objs if isinstance(m, dict)] if isinstance(objs, list) else []
    return [dict(r.inputs)]


def pods(r: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, pod spec) for every pod the resource's manifests would create."""
    from aiinfra.manifests.templates import pod_templates

    for m in manifests(r):
        if not isinstance(m.get("metadata"), dict) or "kind" not in m:
            continue
        if m["kind"] == "InferenceService":
            predictor = (m.get("spec") or {}).get("predictor") or {}
            if predictor.get("containers"):
                yield f"{m['metadata'].get('name')}-predictor", predictor
            continue
        if m["kind"] == "Pod":
            yield m["metadata"].get("name", "pod"), m.get("spec") or {}
            continue
        try:
            for name, pod in pod_templates(m):
                yield name, pod["spec"]
        except (KeyError, TypeError, IndexError):
            continue


def _grants() -> dict[str, dict[str, Any]]:
    """Per fabric: what its main container and each sidecar may have beyond the baseline (fabrics.yaml)."""
    from aiinfra.manifests.fabric import fabric_data

    out = {}
    for kind, fab in fabric_data()["fabrics"].items():
        sec = fab["security"]
        grant = {"main": {"privileged": sec["privileged"], "root": sec["run_as_root"], "caps": set(sec["add_capabilities"]), "sidecar": False}}
        for side in fab.get("sidecars") or []:
            grant[side["name"]] = {"privileged": side["privileged"], "root": True, "caps": set(side["add_capabilities"]), "sidecar": True}
        out[kind] = grant
    return out


BASELINE = {"privileged": False, "root": False, "caps": set(), "sidecar": False}


def _fabric_of(spec: dict[str, Any], by_pool: dict[str, PoolView]) -> str:
    p = by_pool.get(str((spec.get("nodeSelector") or {}).get(POOL_LABEL)))
    return (p.fabric if p else None) or "ethernet"


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in (spec.get("initContainers") or []) + (spec.get("containers") or []) if isinstance(c, dict)]


def _pod_rule(judge):
    """A stack check over every pod: judge(pod name, pod spec, container, its grant) -> messages."""

    def check(resources: list[Resource]) -> Iterator[tuple[Resource, str]]:
        by_pool = {p.name: p for p in (pools.view(r) for r in resources) if p is not None}
        grants = _grants()
        for r in resources:
            if r.type not in WORKLOAD_TYPES:
                continue
            for name, spec in pods(r):
                fabric = grants.get(_fabric_of(spec, by_pool), grants.get("ethernet", {}))
                for c in _containers(spec):
                    grant = fabric.get(c.get("name") or "", fabric.get("main", BASELINE))
                    for message in judge(name, spec, c, grant):
                        yield r, f"pod {name}, container {c.get('name')}: {message}"

    return check


def _privileged(name: str, spec: dict[str, Any], c: dict[str, Any], grant: dict[str, Any]) -> list[str]:
    sec = c.get("securityContext") or {}
    out = []
    if sec.get("privileged") and not grant["privileged"]:
        out.append("runs privileged, which its pool's fabric does not need")
    extra = set((sec.get("capabilities") or {}).get("add") or []) - grant["caps"]
    if extra:
        out.append(f"adds capabilities {', '.join(sorted(extra))} beyond what its fabric needs ({', '.join(sorted(grant['caps'])) or 'none'})")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            out.append(f"uses {key}")
    return out


def _escalation(name: str, spec: dict[str, Any], c: dict[str, Any], grant: dict[str, Any]) -> list[str]:
    sec = c.get("securityContext") or {}
    out = []
    if not sec.get("privileged") and sec.get("allowPrivilegeEscalation") is not False:
        out.append("allowPrivilegeEscalation is not false")
    seccomp = (sec.get("seccompProfile") or (spec.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        out.append("no RuntimeDefault seccomp profile")
    return out


def _root(name: str, spec: dict[str, Any], c: dict[str, Any], grant: dict[str, Any]) -> list[str]:
    if grant["root"]:
        return []
    sec, pod = c.get("securityContext") or {}, spec.get("securityContext") or {}
    non_root = sec.get("runAsNonRoot", pod.get("runAsNonRoot"))
    uid = sec.get("runAsUser", pod.get("runAsUser"))
    if non_root is not True or uid == 0:
        return ["may run as root (runAsNonRoot is not true)"]
    return []


def _limits(name: str, spec: dict[str, Any], c: dict[str, Any], grant: dict[str, Any]) -> list[str]:
    res = c.get("resources") or {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    # A fabric's RxDM sidecar runs the GPUDirect receive datapath and is left without a CPU limit (fabrics.yaml).
    out = [f"no {k} limit" for k in ("cpu", "memory") if k not in limits and not (k == "cpu" and grant["sidecar"])]
    if GPU_TAINT_KEY in requests and requests[GPU_TAINT_KEY] != limits.get(GPU_TAINT_KEY):
        out.append(f"{GPU_TAINT_KEY} request {requests[GPU_TAINT_KEY]} differs from its limit {limits.get(GPU_TAINT_KEY)}")
    return out


def _gpu_placement(name: str, spec: dict[str, Any], c: dict[str, Any], grant: dict[str, Any]) -> list[str]:
    limits = (c.get("resources") or {}).get("limits") or {}
    if GPU_TAINT_KEY not in limits:
        return []
    out = []
    if not any(t.get("key") == GPU_TAINT_KEY for t in spec.get("tolerations") or []):
        out.append(f"asks for GPUs but does not tolerate the {GPU_TAINT_KEY} taint")
    # aiinfra.dev/pool names the pool; on an existing cluster a pool's nodes are selected by labels they already carry.
    if not spec.get("nodeSelector") and not spec.get("affinity"):
        out.append(f"asks for GPUs but selects no pool (no nodeSelector, e.g. {POOL_LABEL}, and no node affinity)")
    return out


def _default_namespace(resources: list[Resource]) -> Iterator[tuple[Resource, str]]:
    for r in resources:
        for m in manifests(r):
            meta = m.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            if m.get("kind") not in (None, "Namespace", "ClusterRole", "ClusterRoleBinding") and meta.get("namespace") in (None, "default") and r.type in WORKLOAD_TYPES:
                yield r, f"{m.get('kind')} {meta.get('name')} is in the default namespace"


def _shm(name: str, spec: dict[str, Any], c: dict[str, Any], grant: dict[str, Any]) -> list[str]:
    gpus = int(str(((c.get("resources") or {}).get("limits") or {}).get(GPU_TAINT_KEY, "0")) or 0)
    if gpus < 2:
        return []
    memory_dirs = {v.get("name") for v in spec.get("volumes") or [] if (v.get("emptyDir") or {}).get("medium") == "Memory"}
    if any(m.get("mountPath") == "/dev/shm" and m.get("name") in memory_dirs for m in c.get("volumeMounts") or []):
        return []
    return [f"uses {gpus} GPUs without a Memory emptyDir on /dev/shm (NCCL and data loaders need more than 64 MB)"]


TYPES = pools.pool_types()
POD_REFS = "security-baseline.md §2"
WORKLOAD_FIX = "edit templates/ (the reference workload) or the object; a fabric's needs are declared in templates/fabrics.yaml"

RULES = [
    Rule("AI-K8S-001", "Accelerator pools are tainted so only accelerator pods land there", "high", "mandatory", TYPES,
         "aiinfra taints every pool with accelerator: (or gpu:) set with its family's key; keep node_pools[].accelerator on such pools "
         "(edit components/<cloud>/gpu_pool.py if a taint was removed)",
         ("security-baseline.md §2 (custom GPU checks)",), check=_tainted),
    Rule("AI-K8S-002", "Spot GPU pools scale to zero when idle", "medium", "advisory", TYPES,
         "set node_pools[].nodes: {min: 0, max: N} on spot GPU pools", ("aiinfra cost guardrail",), check=_spot_to_zero, scope="stack"),
    Rule("AI-K8S-003", "Fabric pools stay in one placement domain", "high", "mandatory", TYPES,
         "pin the pool to one zone with node_pools[].zone (aiinfra does this unless a zone list was forced)",
         ("gpu-fabrics.md (EFA, GPUDirect and InfiniBand do not cross zones)",), check=_one_domain),
    Rule("AI-K8S-004", "No privileged containers, host namespaces or capabilities beyond what a fabric needs", "critical", "mandatory",
         WORKLOAD_TYPES, WORKLOAD_FIX, ("CKV_K8S_16", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "CKV_K8S_25", "CKV_K8S_37", POD_REFS),
         check=_pod_rule(_privileged), scope="stack"),
    Rule("AI-K8S-005", "No privilege escalation; RuntimeDefault seccomp", "high", "mandatory", WORKLOAD_TYPES, WORKLOAD_FIX,
         ("CKV_K8S_20", "CKV_K8S_31"), check=_pod_rule(_escalation), scope="stack"),
    Rule("AI-K8S-006", "Containers run as non-root unless their fabric needs root", "medium", "mandatory", WORKLOAD_TYPES, WORKLOAD_FIX,
         ("CKV_K8S_23", "CKV_K8S_40"), check=_pod_rule(_root), scope="stack"),
    Rule("AI-K8S-007", "CPU and memory limits; GPU requests equal limits", "medium", "mandatory", WORKLOAD_TYPES, WORKLOAD_FIX,
         ("CKV_K8S_11", "CKV_K8S_13", POD_REFS), check=_pod_rule(_limits), scope="stack"),
    Rule("AI-K8S-008", "GPU pods tolerate the GPU taint and select their pool", "medium", "mandatory", WORKLOAD_TYPES,
         "set workload.train_pool / workload.serve_pool to a GPU pool; " + WORKLOAD_FIX, (POD_REFS,), check=_pod_rule(_gpu_placement), scope="stack"),
    Rule("AI-K8S-009", "Workloads stay out of the default namespace", "low", "mandatory", WORKLOAD_TYPES,
         "set identity.namespace (not default)", ("CKV_K8S_21",), check=_default_namespace, scope="stack"),
    Rule("AI-K8S-010", "Multi-GPU pods get a memory-backed /dev/shm", "low", "advisory", WORKLOAD_TYPES, WORKLOAD_FIX,
         (POD_REFS,), check=_pod_rule(_shm), scope="stack"),
]
