"""Budgets and guardrails from the spec's `policy:` section, measured at the environment's maximum size."""

from __future__ import annotations

from aiinfra.policy.model import Facts, Rule


def _hourly(f: Facts) -> list[str]:
    if f.max_hourly_usd is None or f.hourly_usd_max <= f.max_hourly_usd:
        return []
    return [f"costs up to ${f.hourly_usd_max:,.2f}/h at its maximum size, over the budget of ${f.max_hourly_usd:,.2f}/h"]


def _monthly(f: Facts) -> list[str]:
    if f.max_monthly_usd is None or f.monthly_usd_max <= f.max_monthly_usd:
        return []
    return [f"costs up to ${f.monthly_usd_max:,.2f}/month at its maximum size, over the budget of ${f.max_monthly_usd:,.2f}/month"]


def _region(f: Facts) -> list[str]:
    if not f.allowed_regions or f.region in f.allowed_regions:
        return []
    return [f"region {f.region} is not one of the allowed regions ({', '.join(f.allowed_regions)})"]


def _accelerators(f: Facts) -> list[str]:
    if not f.allowed_accelerators:
        return []
    allowed = {a.upper() for a in f.allowed_accelerators}
    return [f"pool {pool} uses {gpu}, not one of the allowed accelerators ({', '.join(f.allowed_accelerators)})"
            for pool, gpu in f.accelerators if gpu.upper() not in allowed]


def applies(rule: Rule, f: Facts) -> bool:
    """A guardrail counts (passed or not) only where the spec sets it."""
    return {
        "AI-COST-001": f.max_hourly_usd is not None, "AI-COST-002": f.max_monthly_usd is not None,
        "AI-GUARD-001": bool(f.allowed_regions), "AI-GUARD-002": bool(f.allowed_accelerators),
    }.get(rule.id, True)


RULES = [
    Rule("AI-COST-001", "Hourly cost at maximum size within budget", "high", "mandatory", (), "lower node_pools[].nodes.max, pick smaller GPUs "
         "or capacity: spot, or raise policy.max_hourly_usd", ("aiinfra cost guardrail (`aiinfra cost`)",), check=_hourly, scope="environment"),
    Rule("AI-COST-002", "Monthly cost at maximum size within budget", "high", "mandatory", (), "lower node_pools[].nodes.max, pick smaller GPUs "
         "or capacity: spot, or raise policy.max_monthly_usd", ("aiinfra cost guardrail (`aiinfra cost`)",), check=_monthly, scope="environment"),
    Rule("AI-GUARD-001", "Region is allowed", "high", "mandatory", (), "change region, or add it to policy.allowed_regions",
         ("aiinfra guardrail",), check=_region, scope="environment"),
    Rule("AI-GUARD-002", "Accelerators are allowed", "high", "mandatory", (), "change node_pools[].gpu, or add the model to policy.allowed_accelerators",
         ("aiinfra guardrail",), check=_accelerators, scope="environment"),
]
