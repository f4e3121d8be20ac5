"""AWS's profile: every AWS fact aiinfra needs outside the AWS components (registered in aiinfra.clouds)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.clouds import register
from aiinfra.components.aws.facts import AwsFacts
from aiinfra.components.base.profile import CloudProfile

if TYPE_CHECKING:
    from aiinfra.problems import Problem
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec


def _file_with(path: Path, needle: str) -> bool:
    try:
        return path.is_file() and needle in path.read_text(errors="replace")
    except OSError:
        return False


def eks_kubeconfig(name: Any, endpoint: Any, ca_data: Any, region: Any) -> dict[str, Any]:
    """`aws eks get-token` with the caller's AWS credentials; the region is pinned so the kubeconfig works
    whatever AWS_REGION the user's shell has."""
    from aiinfra.components.kubernetes.kubeconfig import exec_kubeconfig

    return exec_kubeconfig(
        name,
        endpoint,
        ca_data,
        {"command": "aws", "args": ["eks", "get-token", "--cluster-name", name, "--region", region], "installHint": "install the AWS CLI v2"},
    )


@register
class AwsProfile(AwsFacts, CloudProfile):
    def check(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> list[Problem]:
        """A Capacity Block lives in one AZ (the node group's subnets must be there) and holds at most 64 instances."""
        from aiinfra.problems import Problem

        problems = []
        asked = spec.cluster.autoscaling
        chosen = self.default_autoscaler if asked == "auto" else asked
        if any(p.nodes_min < p.nodes_max for p in pools if not p.system):
            from aiinfra.components.aws import karpenter_plan

            checks = {"karpenter": karpenter_plan.version_problems, "cluster-autoscaler": karpenter_plan.cluster_autoscaler_problems}
            problems += checks[chosen](spec.cluster.kubernetes_version) if chosen in checks else []
        for i, pool in enumerate(spec.node_pools):
            if pool.reservation_kind != "capacity-block":
                continue
            if not pool.zone:
                problems.append(
                    Problem(f"node_pools[{i}].zone", "a capacity block is in one availability zone, and the node group must use only that zone's subnet",
                            "set zone: to the block's zone (aws ec2 describe-capacity-reservations --capacity-reservation-ids <id>)")
                )
            if pool.nodes_max > self.capacity_block_max_nodes:
                problems.append(
                    Problem(f"node_pools[{i}].nodes", f"a capacity block holds at most {self.capacity_block_max_nodes} instances; nodes asks for {pool.nodes_max}",
                            f"keep nodes within the block's instance count (at most {self.capacity_block_max_nodes}), or use one pool per block", pool.nodes_max)
                )
        return problems

    def quota_needs(self, env: Any, pool: Any) -> list[Any]:
        from aiinfra.components.aws.quotas import needs

        return needs(pool)

    def quota_lookup(self, env: Any, quotas: list[str]) -> Mapping[str, Any]:
        from aiinfra.components.aws.quotas import lookup

        return lookup(env.spec.region, quotas)

    def credential_source(self, environ: Mapping[str, str], home: Path) -> str | None:
        if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
            return "AWS_ACCESS_KEY_ID"
        if environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") and environ.get("AWS_ROLE_ARN"):
            return "AWS_WEB_IDENTITY_TOKEN_FILE"
        if environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
            return "container credentials"
        creds = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
        config = Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
        if _file_with(creds, "aws_access_key_id"):
            return str(creds)
        if any(_file_with(config, k) for k in ("sso_session", "sso_start_url", "role_arn", "credential_process", "aws_access_key_id")):
            return str(config)
        return None

    def stack_config(self, env: Any) -> dict[str, str]:
        return {"aws:region": env.spec.region}

    def kubeconfig(self, name: Any, endpoint: Any, ca_data: Any, region: Any = None) -> dict[str, Any]:
        return eks_kubeconfig(name, endpoint, ca_data, region)

    def mlflow_env(self, spec: EnvironmentSpec) -> dict[str, str] | None:
        # The MLflow server's S3 client needs a region; the environment's is the bucket's.
        return {"AWS_DEFAULT_REGION": spec.region}

    def artifact_root(self, bucket: str, account: str | None, path: str) -> dict[str, Any]:
        return {"s3": {"enabled": True, "bucket": bucket, "path": path}}

    def provisioned_as(self, env: Any, pool: Any) -> str | None:
        """Autoscaling pools go to Karpenter (no node group); a fixed multi-node EFA pool stays a managed node group in
        one cluster placement group, which keeps a fixed set of instances on one spine."""
        from aiinfra.components.aws.karpenter_plan import karpenter_pools

        if pool.name in {p.name for p in karpenter_pools(env)}:
            floor = f"; Karpenter keeps no minimum, so min {pool.nodes_min} holds only while pods need it" if pool.nodes_min else ""
            return f"Karpenter NodePool {pool.name} + EC2NodeClass (replaces the managed node group){floor}"
        if pool.nodes_min < pool.nodes_max:
            scaler = "the Cluster Autoscaler" if env.autoscaler == "cluster-autoscaler" else "nothing (cluster.autoscaling: none)"
            return f"EKS managed node group {pool.nodes_min}..{pool.nodes_max}, sized by {scaler}"
        if pool.fabric_kind == "efa" and pool.multi_node:
            where = "on its capacity reservation" if pool.reservation else "in a cluster placement group"
            return f"EKS managed node group {where}: a fixed multi-node EFA pool keeps its {pool.nodes_max} nodes on one network spine"
        return "EKS managed node group (fixed size)"

    def fixed_resources(self, env: Any) -> dict[str, int]:
        nats = len(env.zones) if env.spec.network.nat_gateways == "per-zone" else min(1, len(env.zones))
        from aiinfra.components.aws.karpenter_plan import interruption_rules, karpenter_pools

        karpenter = 1 if karpenter_pools(env) else 0
        return {
            "aiinfra:aws:Karpenter": karpenter,
            "aws:sqs/queue:Queue": karpenter,
            "aws:cloudwatch/eventRule:EventRule": karpenter * len(interruption_rules()),
            "aws:eks/cluster:Cluster": 1,
            "aws:ec2/natGateway:NatGateway": nats,
            "aws:kms/key:Key": 2,  # EKS secrets envelope key + the buckets' data key (the storage component always exists)
        }

