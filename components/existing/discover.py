"""`aiinfra discover`: a cluster's snapshot, read with read-only calls through the Kubernetes Python client
(the `existing` extra): its nodes (labels, taints, allocatable), the Helm releases it runs (chart and version
only: a release's values are decoded in memory and dropped), whether the credentials may install cluster-wide
objects (SelfSubjectAccessReview), and the kube-system namespace's UID, the cluster's identity.

The file is a v1 List of Nodes as `kubectl get nodes -o json` prints it, plus an `aiinfra` key kubectl ignores;
it is sorted and written the same way every time, so a re-discovery diffs cleanly."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
from pathlib import Path
from typing import Any, Iterator

from aiinfra.problems import Problem

PAGE = 500
# What `up` creates cluster-wide: namespaces, the charts' CRDs and ClusterRoles.
CLUSTER_WIDE = (("", "namespaces"), ("apiextensions.k8s.io", "customresourcedefinitions"), ("rbac.authorization.k8s.io", "clusterroles"))
NODE_STATUS = ("allocatable", "capacity")
NODE_INFO = ("architecture", "kubeletVersion", "osImage", "containerRuntimeVersion")


class DiscoverError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def client_for(kubeconfig: str, context: str) -> Any:
    """An API client on the context; a context the kubeconfig lacks is bad input naming the ones it has."""
    try:
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        raise DiscoverError([Problem("--context", "the Kubernetes Python client is not installed", "pip install 'aiinfra[existing]'")]) from None
    path = os.path.expanduser(kubeconfig)
    if not Path(path).is_file():
        raise DiscoverError([Problem("--kubeconfig", f"{kubeconfig} does not exist", "pass --kubeconfig PATH or set $KUBECONFIG", kubeconfig)])
    try:
        contexts, _ = config.list_kube_config_contexts(config_file=path)
    except ConfigException as err:
        raise DiscoverError([Problem("--kubeconfig", f"{kubeconfig} is not a usable kubeconfig ({err})", "check it with kubectl config view", kubeconfig)]) from None
    names = [c["name"] for c in contexts or []]
    if context not in names:
        raise DiscoverError([Problem("--context", f"context {context!r} is not in {kubeconfig} (contexts: {', '.join(names) or 'none'})", "kubectl config get-contexts lists them", context)])
    return config.new_client_from_config(config_file=path, context=context)


def _raw(api: Any, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """One call with the JSON as the server sent it: the client's models cost seconds on a thousand nodes."""
    response = getattr(api, method)(*args, _preload_content=False, _request_timeout=30, **kwargs)
    return json.loads(response.data)


def nodes(core: Any) -> list[dict[str, Any]]:
    out, token = [], None
    while True:
        page = _raw(core, "list_node", limit=PAGE, **({"_continue": token} if token else {}))
        out += [_node(i) for i in page.get("items") or []]
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return sorted(out, key=lambda n: n["metadata"]["name"])


def _node(item: dict[str, Any]) -> dict[str, Any]:
    """What the resolver reads of a node; addresses, images and conditions stay behind."""
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    info = status.get("nodeInfo") or {}
    kept_spec = {k: spec[k] for k in ("taints", "unschedulable") if spec.get(k)}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": meta.get("name"), "labels": dict(sorted((meta.get("labels") or {}).items()))},
        "spec": kept_spec,
        "status": {**{k: status[k] for k in NODE_STATUS if k in status}, "nodeInfo": {k: info[k] for k in NODE_INFO if k in info}},
    }


def helm_releases(core: Any) -> list[dict[str, str]]:
    """Deployed Helm releases: release name, namespace, chart and its version."""
    found = _raw(core, "list_secret_for_all_namespaces", label_selector="owner=helm,status=deployed")
    out = []
    for secret in found.get("items") or []:
        meta = secret.get("metadata") or {}
        chart = _chart_of((secret.get("data") or {}).get("release", ""))
        out.append({"name": str((meta.get("labels") or {}).get("name", meta.get("name"))), "namespace": str(meta.get("namespace")), **chart})
    return sorted(out, key=lambda r: (r["namespace"], r["name"]))


def _chart_of(payload: str) -> dict[str, str]:
    """Helm 3 stores a release as base64(base64(gzip(JSON))) in the Secret; only chart name and version are kept."""
    try:
        data = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(payload))))
        meta = (data.get("chart") or {}).get("metadata") or {}
        return {"chart": str(meta.get("name", "")), "version": str(meta.get("version", ""))}
    except (ValueError, OSError):
        return {"chart": "", "version": ""}


def cluster_wide(auth: Any) -> bool:
    """May these credentials create every cluster-scoped kind `up` installs?"""
    for group, resource in CLUSTER_WIDE:
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"verb": "create", "group": group, "resource": resource}}}
        review = _raw(auth, "create_self_subject_access_review", body)
        if not (review.get("status") or {}).get("allowed"):
            return False
    return True


@contextlib.contextmanager
def _answers(context: str) -> Iterator[None]:
    """An API error or an unreachable server as DiscoverError, naming the context."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as err:
        hint = "the credentials need list on nodes and secrets (read-only)" if err.status in (401, 403) else "check the cluster is reachable: kubectl --context " + context + " get nodes"
        raise DiscoverError([Problem("--context", f"the API server of {context!r} answered HTTP {err.status} {err.reason}", hint, context)]) from None
    except (HTTPError, OSError) as err:
        raise DiscoverError([Problem("--context", f"cannot reach the API server of {context!r} ({type(err).__name__})", f"kubectl --context {context} get nodes", context)]) from None


def live_nodes(kubeconfig: str, context: str) -> list[dict[str, Any]]:
    """The nodes alone, as discover() records them: what a live preview compares with the snapshot (drift.py)."""
    from kubernetes import client

    with client_for(kubeconfig, context) as api, _answers(context):
        return nodes(client.CoreV1Api(api))


def discover(kubeconfig: str, context: str) -> dict[str, Any]:
    from kubernetes import client

    with client_for(kubeconfig, context) as api, _answers(context):  # the client's connection pool closed after
        core = client.CoreV1Api(api)
        listed = nodes(core)
        releases = helm_releases(core)
        wide = cluster_wide(client.AuthorizationV1Api(api))
        uid = (_raw(core, "read_namespace", "kube-system").get("metadata") or {}).get("uid")
        version = _raw(client.VersionApi(api), "get_code").get("gitVersion")
    return {
        "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": listed,
        "aiinfra": {"context": context, "cluster_uid": uid, "server_version": version, "cluster_wide": wide, "helm_releases": releases},
    }


def write(snapshot: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
