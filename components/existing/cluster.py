"""The cluster that is already there: a component with no children, so that the platform's releases still order
themselves after "the cluster" and `down` has nothing cloud-side to delete."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from aiinfra.problems import Problem


@dataclass
class ClusterArgs:
    context: str  # the kubeconfig context
    kubeconfig: str  # the kubeconfig's path as the provider takes it (never its contents; `~/` unexpanded)


def check(args: ClusterArgs) -> list[Problem]:
    return [Problem(path, f"{path} is empty") for path in ("context", "kubeconfig") if not getattr(args, path)]


class Cluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]
    context: str

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:existing:Cluster", name, None, opts)
        from aiinfra.components.base.errors import raise_if

        raise_if("aiinfra:existing:Cluster", name, check(args))
        self.kubeconfig = pulumi.Output.from_input(args.kubeconfig)
        self.context = args.context
        self.register_outputs({"context": args.context, "kubeconfig": args.kubeconfig})
