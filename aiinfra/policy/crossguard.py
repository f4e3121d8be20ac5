"""The same rules as a Pulumi CrossGuard policy pack (policy-pack/): one ResourceValidationPolicy or
StackValidationPolicy per rule, each calling the rule's own check through the neutral Resource view.

Environment rules (budgets, regions, accelerators) and waivers need the aiinfra spec the stack deploys: the
pack reads it from the policy config `spec` or from $AIINFRA_SPEC; without one they are skipped, said once.
CrossGuard's PolicyResourceOptions carries `protect` but not `retain_on_delete` (pulumi-policy 1.21), so
under the pack the data-safety rules check protect and forceDestroy only.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from aiinfra.policy.evaluate import cloud_of, facts_from, rules, waivers_of
from aiinfra.policy.model import Facts, Resource, Rule

PACK_NAME = "aiinfra"
SPEC_VAR = "AIINFRA_SPEC"


COMPUTED = "<computed>"  # what aiinfra's engine shows for a value known only after deploy


def plain(value: Any) -> Any:
    """CrossGuard's props (proxies that raise on a value unknown during preview) as plain dicts and lists,
    unknowns as "<computed>", the way `aiinfra preview` captures them: rules see one shape from both runners."""
    from pulumi_policy.proxy import UnknownValueError

    def get(container: Any, key: Any) -> Any:
        try:
            return plain(container[key])
        except UnknownValueError:
            return COMPUTED

    if isinstance(value, Mapping):
        return {k: get(value, k) for k in list(value.keys())}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [get(value, i) for i in range(len(value))]
    return value


def view(resource_type: str, name: str, props: Mapping[str, Any], opts: Any, urn: str) -> Resource:
    """A CrossGuard resource (args or PolicyResource) as the neutral view the rules read."""
    return Resource(resource_type, name, plain(props or {}), {"protect": bool(getattr(opts, "protect", False))}, urn)


@lru_cache(maxsize=8)
def _environment(spec: str) -> tuple[Facts, dict[str, str]]:
    from aiinfra.report.preview import estimate
    from aiinfra.resolve.resolver import load

    env = load(Path(spec))
    data = estimate(env)
    return facts_from(env, data["cost"], data["energy"]), waivers_of(env.spec)


def environment(config: Mapping[str, Any] | None) -> tuple[Facts | None, dict[str, str]]:
    spec = (config or {}).get("spec") or os.environ.get(SPEC_VAR)
    return _environment(str(spec)) if spec else (None, {})


def _resource_policy(rule: Rule, pp: Any) -> Any:
    def validate(args: Any, report_violation: Callable[[str, str | None], None]) -> None:
        if rule.id in environment(args.get_config() if hasattr(args, "get_config") else None)[1]:
            return
        for message in rule.on_resource(view(args.resource_type, args.name, args.props, args.opts, args.urn)):
            report_violation(message, args.urn)

    return pp.ResourceValidationPolicy(name=rule.id.lower(), description=_describe(rule), validate=validate, **_levels(rule, pp))


def _stack_policy(rule: Rule, pp: Any) -> Any:
    def validate(args: Any, report_violation: Callable[[str, str | None], None]) -> None:
        facts, waived = environment(args.get_config() if hasattr(args, "get_config") else None)
        if rule.id in waived:
            return
        if rule.scope == "environment":
            for f in rule.on_facts(facts) if facts is not None else []:
                report_violation(f.message, None)
            return
        views = [view(r.resource_type, r.name, r.props, r.opts, r.urn) for r in args.resources]
        urns = {v.label: v.urn for v in views}
        for f in rule.on_stack(views):
            report_violation(f.message, urns.get(f.resource))

    return pp.StackValidationPolicy(name=rule.id.lower(), description=_describe(rule), validate=validate, **_levels(rule, pp))


def _describe(rule: Rule) -> str:
    return f"{rule.title} ({', '.join(rule.refs)})" if rule.refs else rule.title


def _levels(rule: Rule, pp: Any) -> dict[str, Any]:
    return {
        "enforcement_level": pp.EnforcementLevel(rule.enforcement),
        "severity": pp.Severity(rule.severity),
        "remediation_steps": rule.remediation,
        "tags": [cloud_of(rule)],
        "config_schema": pp.PolicyConfigSchema(properties={"spec": {"type": "string"}}),
    }


def policies() -> list[Any]:
    """Every rule as a CrossGuard policy, named by its id in lower case (e.g. ai-aws-001)."""
    import pulumi_policy as pp

    return [_resource_policy(r, pp) if r.scope == "resource" else _stack_policy(r, pp) for r in rules()]
