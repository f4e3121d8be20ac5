"""The two runners of one rule: aiinfra's evaluation, and the CrossGuard policy called directly with the
args object the Pulumi CLI would build (no policy server, no CLI)."""

from __future__ import annotations

# The reference preview per cloud that the rule tables read (conftest.previews).
BASE = {"aws": "aws.ok.workload-efa.yaml", "gcp": "gcp.ok.workload-gke-fabrics.yaml", "azure": "azure.ok.workload-infiniband.yaml"}

import copy
from typing import Any, Iterable

from aiinfra import policy
from aiinfra.policy import crossguard


def aiinfra_verdict(rule_id: str, resources: list[dict[str, Any]]) -> list[str]:
    report = policy.evaluate(resources)
    return [v["message"] for v in report["violations"] if v["id"] == rule_id]


def _opts(resource: dict[str, Any]):
    from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions

    return PolicyResourceOptions(
        protect=bool((resource.get("options") or {}).get("protect")), ignore_changes=[], delete_before_replace=None,
        aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
    )


def crossguard_verdict(pack_policy: Any, rule: policy.Rule, resources: list[dict[str, Any]]) -> list[str]:
    from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
    from pulumi_policy.proxy import unknown_checking_proxy

    def props(r: dict[str, Any]) -> Any:
        """The props as the analyzer hands them over: wrapped in pulumi_policy's unknown-checking proxies."""
        return unknown_checking_proxy(copy.deepcopy(r["inputs"]))

    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if rule.scope == "resource":
        for r in resources:
            args = ResourceValidationArgs(r["type"], props(r), r["urn"], r["name"], _opts(r), None, {}, {})
            pack_policy.validate(args, report)
    else:
        stack = [PolicyResource(r["type"], props(r), r["urn"], r["name"], _opts(r), None, None, [], {}) for r in resources]
        pack_policy.validate(StackValidationArgs(stack, {}, {}), report)
    return found


def by_id(policies: Iterable[Any]) -> dict[str, Any]:
    return {p.name.upper(): p for p in policies}


def pack_policies() -> dict[str, Any]:
    return by_id(crossguard.policies())
