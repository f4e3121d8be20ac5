"""What scales an EKS environment's autoscaling pools: Karpenter (its IAM roles through EKS Pod Identity, a node role
with an EC2_LINUX access entry, the interruption queue and its EventBridge rules, the upstream charts, one
NodePool + EC2NodeClass per pool), or the upstream Cluster Autoscaler over the managed node groups.

Delete order (`down`): NodePools and EC2NodeClasses depend on the controller, which depends on its roles, queue and
access entry, so Pulumi deletes the NodePools first; they are deleted in the foreground and Karpenter's finalizers
hold them until every instance it launched is terminated. aiinfra.deploy.operations.down also removes them in a
targeted destroy before everything else (CloudProfile.down_first)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from aiinfra.components.aws import karpenter_plan as plan
from aiinfra.components.aws.cluster import Cluster, assume_role_policy
from aiinfra.components.base.util import child, merge_tags
from aiinfra.resolve.result import ResolvedEnvironment

SYSTEM_LABELS = {"aiinfra.dev/role": "system"}
POD_TRUST = ("sts:AssumeRole", "sts:TagSession")
# NodePool deletion waits for Karpenter to drain and terminate its nodes (terminationGracePeriod bounds a drain);
# past this the delete fails and `down` stops before the controller goes, so no instance is left unmanaged.
DELETE_TIMEOUT = "60m"


@dataclass
class AutoscalingArgs:
    env: ResolvedEnvironment
    cluster: Cluster
    vpc_id: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


def _provider(name: str, cluster: Cluster, parent: pulumi.Resource) -> Any:
    import pulumi_kubernetes as k8s

    return k8s.Provider(f"{name}-k8s", kubeconfig=cluster.kubeconfig, delete_unreachable=True, opts=child(parent, depends_on=[cluster.system_pool]))


def _chart(name: str, key: str, values: dict[str, Any], provider: Any, parent: pulumi.Resource, deps: list[pulumi.Resource], skip_crds: bool = False) -> Any:
    import pulumi_kubernetes as k8s

    from aiinfra.components.kubernetes.charts import chart

    ref = chart(key)
    return k8s.helm.v4.Chart(
        f"{name}-{key}",
        name=key,
        chart=ref.chart,
        version=ref.version,
        namespace=ref.namespace,
        repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=ref.repo) if ref.repo else None,
        values=values,
        skip_crds=skip_crds or None,
        opts=child(parent, provider=provider, depends_on=deps),
    )


def _pod_role(name: str, cluster_name: Any, service_account: str, policy: pulumi.Input[str], tags: dict[str, str], parent: pulumi.Resource) -> list[pulumi.Resource]:
    role = aws.iam.Role(name, assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", POD_TRUST), tags=tags, opts=child(parent))
    attached = aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=child(parent))
    association = aws.eks.PodIdentityAssociation(
        name, cluster_name=cluster_name, namespace=plan.NAMESPACE, service_account=service_account, role_arn=role.arn, tags=tags, opts=child(parent)
    )
    return [role, attached, association]


class Karpenter(pulumi.ComponentResource):
    """Karpenter for the environment's autoscaling pools (karpenter_plan.karpenter_pools), on the system node group."""

    pool_names: dict[str, str]
    queue_name: pulumi.Output[str]
    node_role_name: pulumi.Output[str]

    def __init__(self, name: str, args: AutoscalingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:Karpenter", name, None, opts)
        env, cluster, tags = args.env, args.cluster, merge_tags(args.tags)
        partition = aws.get_partition().partition
        account = aws.get_caller_identity().account_id

        node_role = aws.iam.Role(f"{name}-node", assume_role_policy=assume_role_policy("ec2.amazonaws.com"), tags=tags, opts=child(self))
        for i, arn in enumerate(plan.node_role_policies()):
            aws.iam.RolePolicyAttachment(f"{name}-node-{i}", role=node_role.name, policy_arn=plan.substitute(arn, {"AWS::Partition": partition}), opts=child(self))
        access = aws.eks.AccessEntry(f"{name}-node", cluster_name=cluster.name, principal_arn=node_role.arn, type="EC2_LINUX", tags=tags, opts=child(self))

        queue = aws.sqs.Queue(
            f"{name}-interruption",
            name=f"{env.name}-karpenter",
            message_retention_seconds=plan.data()["queue_retention_seconds"],
            sqs_managed_sse_enabled=True,
            tags=tags,
            opts=child(self),
        )
        queue_policy = aws.sqs.QueuePolicy(
            f"{name}-interruption",
            queue_url=queue.id,
            policy=queue.arn.apply(lambda arn: plan.substitute(json.dumps(plan.queue_policy()), {"KarpenterInterruptionQueue.Arn": arn})),
            opts=child(self),
        )
        rules: list[pulumi.Resource] = [queue_policy]
        for rule, pattern in plan.interruption_rules().items():
            r = aws.cloudwatch.EventRule(f"{name}-{rule}", description=f"Karpenter interruption: {rule}", event_pattern=json.dumps(pattern), tags=tags, opts=child(self))
            rules.append(aws.cloudwatch.EventTarget(f"{name}-{rule}", rule=r.name, arn=queue.arn, target_id="KarpenterInterruptionQueueTarget", opts=child(self)))

        role = aws.iam.Role(f"{name}-controller", assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", POD_TRUST), tags=tags, opts=child(self))
        controller: list[pulumi.Resource] = [role]
        for key, template in plan.controller_policies().items():
            values = pulumi.Output.all(cluster.name, node_role.arn, queue.arn).apply(
                lambda v, t=template: plan.substitute(  # type: ignore[misc]  # mypy cannot infer a lambda with a default
                    t,
                    {"ClusterName": v[0], "KarpenterNodeRole.Arn": v[1], "KarpenterInterruptionQueue.Arn": v[2],
                     "AWS::Partition": partition, "AWS::Region": env.region, "AWS::AccountId": account},
                )
            )
            policy = aws.iam.Policy(f"{name}-{key}", description=f"Karpenter controller: {key}", policy=values, tags=tags, opts=child(self))
            controller.append(aws.iam.RolePolicyAttachment(f"{name}-{key}", role=role.name, policy_arn=policy.arn, opts=child(self)))
        controller.append(
            aws.eks.PodIdentityAssociation(
                f"{name}-controller", cluster_name=cluster.name, namespace=plan.NAMESPACE, service_account=plan.SERVICE_ACCOUNT, role_arn=role.arn, tags=tags, opts=child(self)
            )
        )
        # The subnets carry the same tag (NetworkArgs.karpenter_discovery); the EKS-made cluster security group is tagged here.
        sg_tag = aws.ec2.Tag(f"{name}-discovery", resource_id=cluster.security_group_id, key=plan.DISCOVERY_TAG, value=cluster.name, opts=child(self))

        provider = _provider(name, cluster, self)
        crds = _chart(name, "karpenter-crd", {}, provider, self, [])
        release = _chart(
            name, "karpenter", plan.chart_values(cluster.name, queue.name, SYSTEM_LABELS), provider, self, [crds, access, sg_tag, *rules, *controller], skip_crds=True
        )

        self.pool_names = {}
        for pool in plan.karpenter_pools(env):
            self.pool_names[pool.name] = self._pool(name, pool, args, node_role, provider, [release, crds])
        self.queue_name = queue.name
        self.node_role_name = node_role.name
        self.register_outputs({"pool_names": self.pool_names, "queue_name": self.queue_name, "node_role_name": self.node_role_name})

    def _pool(self, name: str, pool: Any, args: AutoscalingArgs, node_role: aws.iam.Role, provider: Any, deps: list[pulumi.Resource]) -> str:
        import pulumi_kubernetes as k8s

        env, cluster, tags = args.env, args.cluster, merge_tags(args.tags)
        key = pool.name
        efa_group = placement = None
        if pool.fabric_kind == "efa":
            from aiinfra.components.aws.gpu_pool import efa_security_group

            efa_group = efa_security_group(f"{name}-{key}", args.vpc_id, tags, self).id
            if not pool.reservation:
                placement = aws.ec2.PlacementGroup(f"{name}-{key}-pg", strategy="cluster", tags=tags, opts=child(self)).name
        body = plan.node_class(pool, key, cluster.name, node_role.name, tags, placement, efa_group)
        opts = dict(provider=provider, custom_timeouts=pulumi.CustomTimeouts(delete=DELETE_TIMEOUT))
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-{key}-nodeclass", api_version=body["apiVersion"], kind=body["kind"], metadata=body["metadata"], spec=body["spec"], opts=child(self, depends_on=deps, **opts)
        )
        body = plan.node_pool(env, pool, key)
        k8s.apiextensions.CustomResource(
            f"{name}-{key}-nodepool", api_version=body["apiVersion"], kind=body["kind"], metadata=body["metadata"], spec=body["spec"],
            opts=child(self, depends_on=[*deps, node_class], **opts),
        )
        return key


class ClusterAutoscaler(pulumi.ComponentResource):
    """The upstream Cluster Autoscaler (cluster.autoscaling: cluster-autoscaler): it finds the managed node groups by
    the tags EKS puts on their ASGs and moves their desired size between min and max."""

    def __init__(self, name: str, args: AutoscalingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:ClusterAutoscaler", name, None, opts)
        env, cluster, tags = args.env, args.cluster, merge_tags(args.tags)
        identity = _pod_role(f"{name}-controller", cluster.name, "cluster-autoscaler", cluster.name.apply(plan.cluster_autoscaler_policy), tags, self)
        values = plan.cluster_autoscaler_values(cluster.name, env.region, env.cluster.kubernetes_version, SYSTEM_LABELS)
        _chart(name, "cluster-autoscaler", values, _provider(name, cluster, self), self, identity)
        self.register_outputs({})
