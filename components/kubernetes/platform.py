"""The Platform component: one Kubernetes provider per environment and the add-ons of addons.plan()."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi

from aiinfra.components.base.util import child
from aiinfra.components.kubernetes.addons.model import GpuNetwork, KubeObject, Release
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.components.kubernetes.addons.tracking import artifact_values, mlflow_url
from aiinfra.resolve.result import ResolvedEnvironment

if TYPE_CHECKING:
    from aiinfra.components.base.built import BuiltEnvironment, WorkloadBinding



@dataclass
class PlatformArgs:
    env: ResolvedEnvironment
    kubeconfig: pulumi.Input[str]
    workload: WorkloadBinding
    bucket_urls: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    storage_options: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    gpu_networks: list[GpuNetwork] = field(default_factory=list)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    storage_addons: list[str] = field(default_factory=list)
    storage_objects: list[dict[str, Any]] = field(default_factory=list)
    depends_on: list[pulumi.Resource] = field(default_factory=list, metadata={"doc": "cluster and node pools: add-ons go before them on down"})
    kube_context: str | None = None

    @classmethod
    def from_env(cls, env: ResolvedEnvironment, built: BuiltEnvironment) -> PlatformArgs:
        return cls(
            env=env,
            kubeconfig=built.kubeconfig,
            workload=built.workload,
            bucket_urls=dict(built.bucket_urls),
            storage_options=dict(built.storage_options),
            gpu_networks=list(built.gpu_networks),
            volumes=dict(built.volumes),
            storage_addons=list(built.storage_addons),
            storage_objects=list(built.storage_objects),
            depends_on=[built.cluster, *built.node_pools.values(), *built.storage_grants],
            kube_context=built.kube_context,
        )


def _artifact_root(args: PlatformArgs):
    account = args.storage_options.get("account_name")

    def root(bucket: str) -> pulumi.Output[dict[str, Any]]:
        return pulumi.Output.all(args.bucket_urls[bucket], account).apply(lambda a: artifact_values(a[0], a[1]))

    return root


class Platform(pulumi.ComponentResource):
    """The cluster services of one environment. Every child talks to the cluster through `provider`, which
    waits for the cluster and its node pools, so on `down` the add-ons go first; once the cluster is gone
    the provider drops its objects from state instead of wedging (delete_unreachable)."""

    provider: Any
    releases: dict[str, dict[str, str]]
    namespaces: list[str]
    mlflow_url: str | None
    notes: list[str]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:kubernetes:Platform", name, None, opts)
        import pulumi_kubernetes as k8s

        env = args.env
        if not (env.mlops.any_on or args.volumes):
            raise ValueError("every mlops service is off and there are no volumes; do not create a Platform")
        if args.workload.namespace != env.namespace:
            raise ValueError("the workload binding's namespace differs from spec.identity.namespace")
        plan = addon_plan(
            env,
            bucket_names=list(args.bucket_urls),
            artifact_root=_artifact_root(args),
            pod_labels=args.workload.pod_labels,
            gpu_networks=args.gpu_networks,
            volumes=args.volumes,
            storage_addons=args.storage_addons,
            storage_objects=args.storage_objects,
        )
        base = list(args.depends_on)
        self.provider = k8s.Provider(f"{name}-k8s", kubeconfig=args.kubeconfig, context=args.kube_context, delete_unreachable=True, opts=child(self, depends_on=base))

        def child_opts(*deps: pulumi.Resource) -> pulumi.ResourceOptions:
            return child(self, provider=self.provider, depends_on=[*base, *deps])

        namespaces = {
            ns: k8s.core.v1.Namespace(f"{name}-ns-{ns}", metadata={"name": ns, "labels": labels or None}, opts=child_opts())
            for ns, labels in sorted(plan.namespaces.items())
        }
        wl = args.workload
        account = k8s.core.v1.ServiceAccount(
            f"{name}-workload-sa",
            metadata={"name": wl.service_account, "namespace": wl.namespace, "annotations": wl.annotations or None, "labels": wl.labels or None},
            opts=child_opts(namespaces[wl.namespace]),
        )

        created: dict[str, pulumi.Resource] = {}
        pending: list[Release | KubeObject] = [*plan.releases, *plan.objects]
        while pending:
            ready = [p for p in pending if all(a in created for a in p.after)]
            if not ready:
                raise ValueError(f"add-ons wait for something never installed: {sorted({a for p in pending for a in p.after} - set(created))}")
            for item in ready:
                deps = [created[a] for a in item.after]
                if isinstance(item, Release):
                    if item.ns in namespaces:
                        deps.append(namespaces[item.ns])
                    if item.key == "mlflow":
                        deps.append(account)
                    created[item.key] = self._release(name, item, child_opts(*deps))
                else:
                    ns = item.body.get("metadata", {}).get("namespace")
                    if ns in namespaces:
                        deps.append(namespaces[ns])
                    created[item.key] = self._object(name, item, child_opts(*deps))
                pending.remove(item)
        for m in plan.manifests:
            created[m.key] = k8s.yaml.v2.ConfigFile(f"{name}-{m.key}", file=m.url, opts=child_opts(*(created[a] for a in m.after)))

        self.releases = {r.key: {"chart": r.ref.chart, "version": r.ref.version, "namespace": r.ns} for r in plan.releases}
        self.namespaces = sorted(plan.namespaces)
        self.mlflow_url = mlflow_url(env) if plan.has("mlflow") else None
        self.notes = plan.notes
        self.register_outputs({"releases": self.releases, "namespaces": self.namespaces, "mlflow_url": self.mlflow_url, "notes": self.notes})

    @staticmethod
    def _release(name: str, r: Release, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        import pulumi_kubernetes as k8s

        ref = r.ref
        return k8s.helm.v4.Chart(
            f"{name}-{r.key}",
            name=r.key,
            chart=ref.chart,
            version=ref.version,
            namespace=r.ns,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=ref.repo) if ref.repo else None,
            values=r.values,
            opts=opts,
        )

    @staticmethod
    def _object(name: str, o: KubeObject, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        import pulumi_kubernetes as k8s

        body = o.body
        if o.kind == "ConfigMap":
            return k8s.core.v1.ConfigMap(f"{name}-{o.key}", metadata=body["metadata"], data=body["data"], opts=opts)
        if o.kind == "StorageClass":
            return k8s.storage.v1.StorageClass(
                f"{name}-{o.key}",
                metadata=body["metadata"],
                provisioner=body["provisioner"],
                parameters=body.get("parameters"),
                volume_binding_mode=body.get("volumeBindingMode"),
                allow_volume_expansion=body.get("allowVolumeExpansion"),
                opts=opts,
            )
        if o.kind == "PersistentVolume":
            return k8s.core.v1.PersistentVolume(f"{name}-{o.key}", metadata=body["metadata"], spec=body["spec"], opts=opts)
        if o.kind == "PersistentVolumeClaim":
            return k8s.core.v1.PersistentVolumeClaim(f"{name}-{o.key}", metadata=body["metadata"], spec=body["spec"], opts=opts)
        return k8s.apiextensions.CustomResource(f"{name}-{o.key}", api_version=o.api_version, kind=o.kind, metadata=body["metadata"], spec=body["spec"], opts=opts)
