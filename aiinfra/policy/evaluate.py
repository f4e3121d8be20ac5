"""Run every rule over a preview's resources and the environment's facts; waivers apply here."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Mapping

from aiinfra.policy.model import Facts, Finding, Resource, Rule
from aiinfra.problems import Problem, did_you_mean, shown


@lru_cache(maxsize=1)
def _all() -> tuple[Rule, ...]:
    from aiinfra.components.base import policy as pools
    from aiinfra.policy import guardrails, kubernetes, scaling

    found = [r for m in pools.cloud_modules() for r in m.RULES] + kubernetes.RULES + scaling.RULES + guardrails.RULES
    ids = [r.id for r in found]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate policy rule ids: {', '.join(dupes)}")
    return tuple(found)


def rules() -> list[Rule]:
    return list(_all())


def rule_ids() -> list[str]:
    return [r.id for r in _all()]


def unknown_waivers(rules: Iterable[Any]) -> list[Problem]:
    """Waivers (`policy.waive[i].rule`, in order; None where a waiver has no rule) naming a rule no policy module
    defines, with the nearest id. The resolver reports them with the spec's other problems; the rules (every
    cloud's policy module) are loaded only where there is a waiver to check."""
    rules = list(rules)
    if not any(isinstance(r, str) for r in rules):
        return []
    known = rule_ids()
    out = []
    for i, rule in enumerate(rules):
        if isinstance(rule, str) and rule.strip().upper() not in known:
            rule = rule.strip().upper()
            out.append(Problem(f"policy.waive[{i}].rule", f"unknown policy rule {shown(rule)}", did_you_mean(rule, known) or "list the rules with `aiinfra policy list`", rule))
    return out


def cloud_of(rule: Rule) -> str:
    """The cloud whose resource types a rule reads (by Pulumi package), or "all"."""
    from aiinfra import clouds

    packages = {t.split(":", 1)[0] for t in rule.types}
    names = sorted({p.name for p in clouds.all_profiles() if p.pulumi_package in packages}, key=clouds.names().index)
    return names[0] if len(names) == 1 else "all"


def _applies(rule: Rule, types: set[str], facts: Facts | None) -> bool:
    if rule.scope == "environment":
        from aiinfra.policy.guardrails import applies

        return facts is not None and applies(rule, facts)
    return bool(types & set(rule.types))


def findings(rule: Rule, resources: list[Resource], facts: Facts | None) -> list[Finding]:
    if rule.scope == "environment":
        return rule.on_facts(facts) if facts is not None else []
    return rule.on_stack(resources)


def evaluate(resources: Iterable[Resource | Mapping[str, Any]], facts: Facts | None = None, waivers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `policy` section of `preview --json`: rules that passed, waived rules with what they would have
    reported, and every violation (mandatory ones fail `preview` and stop `up`)."""
    views = [r if isinstance(r, Resource) else Resource.from_preview(r) for r in resources]
    types = {r.type for r in views}
    waivers = dict(waivers or {})
    passed, waived, violations = 0, [], []
    for rule in _all():
        if not _applies(rule, types, facts):
            continue
        found = findings(rule, views, facts)
        if rule.id in waivers:
            waived.append({"id": rule.id, "title": rule.title, "enforcement": rule.enforcement, "reason": waivers[rule.id],
                           "violations": [{"resource": f.resource, "message": f.message} for f in found]})
        elif not found:
            passed += 1
        violations += [] if rule.id in waivers else [
            {"id": rule.id, "severity": rule.severity, "enforcement": rule.enforcement, "resource": f.resource,
             "message": f.message, "remediation": rule.remediation}
            for f in found
        ]
    return {"passed": passed, "waived": waived, "violations": violations}


def mandatory_failed(report: Mapping[str, Any]) -> bool:
    return any(v["enforcement"] == "mandatory" for v in report["violations"])


def waivers_of(spec: Any) -> dict[str, str]:
    policy = getattr(spec, "policy", None)
    return {w.rule: w.reason for w in getattr(policy, "waive", None) or []}


def _carbon(env: Any, policy: Any, energy: Mapping[str, Any] | None) -> dict[str, Any]:
    """The carbon facts, computed only where the spec sets a carbon rule (so other specs pay nothing for them)."""
    budget, advise = getattr(policy, "max_kgco2e_month", None), bool(getattr(policy, "suggest_lower_carbon", False))
    if budget is None and not advise:
        return {}
    from aiinfra.report import energy as model

    e = energy if energy is not None else model.summary(env)
    return {"max_kgco2e_month": budget, "suggest_lower_carbon": advise, "kgco2e_month_max": e["kgco2e_per_month_max"],
            "kgco2e_month_known": e["kgco2e_per_month_max_known"], "carbon_unknown": tuple(e["unknown"]),
            "lower_carbon": model.lower_carbon_region(env) if advise or budget is not None else None}


def facts_from(env: Any, cost: Mapping[str, Any], energy: Mapping[str, Any] | None = None) -> Facts:
    """Facts from a ResolvedEnvironment and its cost summary (preview.cost_summary: min and max size), with its
    energy summary (aiinfra.report.energy) where the spec sets a carbon rule."""
    policy = getattr(env.spec, "policy", None)
    return Facts(
        **_carbon(env, policy, energy),
        name=env.spec.name,
        region=env.spec.region,
        hourly_usd_max=float(cost["hourly_usd_max"]),
        monthly_usd_max=float(cost["monthly_usd_max"]),
        accelerators=tuple((p.name, p.gpu) for p in env.pools if p.gpu),
        max_hourly_usd=getattr(policy, "max_hourly_usd", None),
        max_monthly_usd=getattr(policy, "max_monthly_usd", None),
        allowed_regions=tuple(getattr(policy, "allowed_regions", None) or ()),
        allowed_accelerators=tuple(getattr(policy, "allowed_accelerators", None) or ()),
        unpriced=tuple(i["item"] for i in cost["items"] if i["hourly_usd_each"] is None and i["quantity_max"]),
        unknown_accelerators=tuple((p.name, p.instance_type) for p in env.pools if not getattr(p, "accelerator_known", True)),
    )
