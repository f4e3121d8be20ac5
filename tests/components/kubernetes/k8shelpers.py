"""Offline checks for what the platform hands to Helm and the API server: values against the pinned chart
defaults and values.schema.json, custom resources against their pinned CRD schemas."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from aiinfra.resolve.resolver import resolve
from aiinfra.resolve.result import ResolvedEnvironment
from aiinfra.spec import parse_spec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
HELM_VALUES = FIXTURES / "helm-values"
CRDS = FIXTURES / "crds"

T_CHART = "kubernetes:helm.sh/v4:Chart"
T_PROVIDER = "pulumi:providers:kubernetes"
T_PLATFORM = "aiinfra:kubernetes:Platform"
T_NS = "kubernetes:core/v1:Namespace"
T_SA = "kubernetes:core/v1:ServiceAccount"
T_CONFIGMAP = "kubernetes:core/v1:ConfigMap"
T_STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
T_FLAVOR = "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor"
T_CLUSTER_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue"
T_LOCAL_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue"
T_PG = "kubernetes:postgresql.cnpg.io/v1:Cluster"
T_CONFIGFILE = "kubernetes:yaml/v2:ConfigFile"

SECRET_SIG = "4dabf18193072939515e22adb298388d"

# Value paths (dot-separated, from the chart root) where a chart accepts keys of the user's choosing: the
# pinned default there is an empty or example map, so an unknown-key check cannot apply below them.
# Lists are replaced wholesale by Helm and are checked by the chart schema (where one exists), not here.
FREE_FORM: dict[str, set[str]] = {
    "kube-prometheus-stack": {"prometheus.prometheusSpec.storageSpec"},
    "gpu-operator": {"dcgmExporter.serviceMonitor.additionalLabels"},
    "aws-efa-k8s-device-plugin": {"nodeSelector"},
    "mlflow": {"extraEnvVars", "extraPodLabels"},
    "amd-gpu-operator": {"deviceConfig.spec.selector", "deviceConfig.spec.metricsExporter.prometheus.serviceMonitor.labels"},
    "kuberay-operator": {"metrics.serviceMonitor.additionalLabels"},
    "karpenter": {"controller.resources", "nodeSelector"},
    "cluster-autoscaler": {"nodeSelector"},
    "dra-driver-nvidia-gpu": {"kubeletPlugin.nodeSelector"},
    "istiod": {"env"},
    # matchLabels is required and commented out upstream ("# matchLabels: # REQUIRED"); affinity is an empty map.
    "llm-d-router-gateway": {"router.modelServers", "router.epp.affinity"},
}


def spec_env(text: str) -> ResolvedEnvironment:
    return resolve(parse_spec(text))


def gcp_env(machine: str = "a3-megagpu-8g", extra: str = "") -> ResolvedEnvironment:
    return spec_env(
        f"""
name: gke-train
cloud: gcp
region: us-central1
gcp: {{project: my-ml-project}}
node_pools:
  - {{name: train, instance_type: {machine}, nodes: 2}}
  - {{name: serve, gpu: "L4:1", nodes: {{min: 0, max: 3}}}}
storage: {{buckets: [datasets, artifacts]}}
{extra}
"""
    )


def azure_env(extra: str = "") -> ResolvedEnvironment:
    return spec_env(
        f"""
name: aks-train
cloud: azure
region: eastus
node_pools:
  - {{name: train, instance_type: Standard_ND96isr_H100_v5, nodes: 2}}
  - {{name: serve, gpu: "A10:1", nodes: 2}}
storage: {{buckets: [checkpoints]}}
{extra}
"""
    )


ISTIO_DEFAULTS = "_internal_defaults_do_not_set"


@cache
def defaults(values_file: str) -> dict[str, Any]:
    # An empty values.yaml (kserve-crd) loads as None: no defaults.
    d = yaml.load((HELM_VALUES / values_file).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    # Istio's charts keep their defaults under one key that templates/zzz_profile.yaml merges the user's values over:
    # users set `env`, never `_internal_defaults_do_not_set.env`.
    return {**d.pop(ISTIO_DEFAULTS), **d} if ISTIO_DEFAULTS in d else d


@cache
def values_schema(schema_file: str) -> dict[str, Any]:
    return json.loads((HELM_VALUES / schema_file).read_text())


def key_paths(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for k, v in values.items():
        path = f"{prefix}{k}"
        yield path, v
        if isinstance(v, Mapping):
            yield from key_paths(v, path + ".")


def unknown_keys(chart_key: str, values: Mapping[str, Any], default: Mapping[str, Any]) -> list[str]:
    """Every path aiinfra sets must exist in the chart's defaults, except below a FREE_FORM path."""
    free = FREE_FORM.get(chart_key, set())
    bad: list[str] = []

    def walk(ours: Mapping[str, Any], theirs: Any, prefix: str) -> None:
        for k, v in ours.items():
            path = f"{prefix}{k}"
            if not isinstance(theirs, Mapping) or k not in theirs:
                bad.append(path)
                continue
            if path in free:
                continue
            if isinstance(v, Mapping):
                if isinstance(theirs[k], Mapping) and not theirs[k] and v:
                    bad.append(path + " (an empty map upstream: list it in FREE_FORM if the chart takes any key)")
                    continue
                walk(v, theirs[k], path + ".")

    walk(values, default, "")
    return bad


def merged(default: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing: maps merge, everything else (lists included) is replaced."""
    out = copy.deepcopy(dict(default))
    for k, v in values.items():
        out[k] = merged(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else copy.deepcopy(v)
    return out


def schema_errors(schema: Mapping[str, Any], instance: Any) -> list[str]:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in cls(schema).iter_errors(instance))


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        # RE2 (the API server's regex) takes flags after ^; Python's re only at the start: the same pattern.
        if isinstance(out.get("pattern"), str) and out["pattern"].startswith("^(?i)"):
            out["pattern"] = "(?i)^" + out["pattern"][5:]
        if "properties" in out and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def crd_schema(file: str, version: str) -> dict[str, Any]:
    crd = json.loads((CRDS / file).read_text())
    (v,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = copy.deepcopy(v["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {"type": "object"}
    return _strict(schema)


CRD_FILES = {
    ("kueue.x-k8s.io", "ResourceFlavor"): "kueue.x-k8s.io_resourceflavors.json",
    ("kueue.x-k8s.io", "ClusterQueue"): "kueue.x-k8s.io_clusterqueues.json",
    ("kueue.x-k8s.io", "LocalQueue"): "kueue.x-k8s.io_localqueues.json",
    ("mellanox.com", "NicClusterPolicy"): "mellanox.com_nicclusterpolicies.json",
    ("postgresql.cnpg.io", "Cluster"): "postgresql.cnpg.io_clusters.json",
    ("karpenter.sh", "NodePool"): "karpenter.sh_nodepools.json",
    ("karpenter.k8s.aws", "EC2NodeClass"): "karpenter.k8s.aws_ec2nodeclasses.json",
    ("kueue.x-k8s.io", "AdmissionCheck"): "kueue.x-k8s.io_admissionchecks.json",
    ("kueue.x-k8s.io", "ProvisioningRequestConfig"): "kueue.x-k8s.io_provisioningrequestconfigs.json",
    ("karpenter.azure.com", "AKSNodeClass"): "karpenter.azure.com_aksnodeclasses.json",
    ("kueue.x-k8s.io", "Topology"): "kueue.x-k8s.io_topologies.json",
    ("resource.nvidia.com", "ComputeDomain"): "resource.nvidia.com_computedomains.json",
}
# Schemas that are a kind's openAPIV3Schema itself (datreeio/CRDs-catalog), not a CustomResourceDefinition.
SCHEMA_FILES = {("cloud.google.com", "ComputeClass"): "cloud.google.com_computeclasses.json"}


@cache
def plain_schema(file: str) -> dict[str, Any]:
    schema = json.loads((CRDS / file).read_text())
    schema["properties"]["metadata"] = {"type": "object"}
    return _strict(schema)


def cr_errors(body: Mapping[str, Any]) -> list[str]:
    group, _, version = body["apiVersion"].partition("/")
    key = (group, body["kind"])
    schema = plain_schema(SCHEMA_FILES[key]) if key in SCHEMA_FILES else crd_schema(CRD_FILES[key], version)
    return schema_errors(schema, dict(body))


def unsecret(value: Any) -> Any:
    return value["value"] if isinstance(value, dict) and SECRET_SIG in value else value
