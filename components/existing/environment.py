"""Assemble one environment on a cluster that already exists: no cloud resources. The cluster is a placeholder
component. Pods select each pool's nodes by labels they already carry; only a pool whose nodes no label selects
exactly gets aiinfra's pool labels (server-side apply of metadata.labels alone: `down` removes exactly those labels
and nothing else of the node)."""

from __future__ import annotations

import pulumi

from aiinfra.components.base.built import BuiltEnvironment, WorkloadBinding
from aiinfra.components.base.util import child
from aiinfra.components.existing.cluster import Cluster, ClusterArgs
from aiinfra.components.existing.profile import provider_kubeconfig
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool


class NodeLabels(pulumi.ComponentResource):
    """aiinfra's pool labels on the existing nodes of a pool that no label of theirs selects exactly (the fallback)."""

    def __init__(self, name: str, env: ResolvedEnvironment, pool: ResolvedPool, provider: pulumi.ProviderResource, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:existing:NodeLabels", name, None, opts)
        import pulumi_kubernetes as k8s

        from aiinfra.resolve.node_shapes import node_labels

        labels = node_labels(env, pool)
        self.nodes = list(pool.selected_nodes)
        for node in self.nodes:
            k8s.core.v1.NodePatch(f"{name}-{node}", metadata={"name": node, "labels": labels}, opts=child(self, provider=provider))
        self.register_outputs({"nodes": self.nodes, "labels": labels})


def build(env: ResolvedEnvironment, tags: dict[str, str], parent: pulumi.Resource) -> BuiltEnvironment:
    import pulumi_kubernetes as k8s

    spec = env.spec
    kubeconfig = provider_kubeconfig(spec)  # as written where the provider expands it: the same on every machine
    cluster = Cluster(spec.name, ClusterArgs(context=spec.region, kubeconfig=kubeconfig), opts=child(parent))
    # Only where no label the nodes carry selects exactly a pool's nodes (ResolvedPool.node_selector is empty).
    labelled = [p for p in env.pools if p.selected_nodes and not p.node_selector]
    pools = {}
    if labelled:
        provider = k8s.Provider(f"{spec.name}-nodes-k8s", kubeconfig=kubeconfig, context=spec.region, opts=child(parent, depends_on=[cluster]))
        pools = {p.name: NodeLabels(f"{spec.name}-{p.name}", env, p, provider, opts=child(parent, depends_on=[cluster])) for p in labelled}
    store = spec.existing.object_store
    buckets = {b: pulumi.Output.from_input(f"s3://{b}") for b in spec.storage.buckets}
    outputs = {
        "cluster": {"context": spec.region, "kubeconfig": kubeconfig},
        "nodes": {name: list(p.selected_nodes) for name, p in ((q.name, q) for q in env.pools) if p.selected_nodes},
        "buckets": {b: b for b in spec.storage.buckets},
        "kubeconfig": pulumi.Output.from_input(kubeconfig),
    }
    if store:
        outputs["object_store"] = store.endpoint
    return BuiltEnvironment(
        outputs=outputs,
        kubeconfig=cluster.kubeconfig,
        cluster=cluster,
        node_pools=pools,  # type: ignore[arg-type]
        workload=WorkloadBinding(spec.identity.namespace, spec.identity.service_account),
        bucket_urls=buckets,
        storage_options={"endpoint_url": store.endpoint} if store else {},
        kube_context=spec.region,
    )
