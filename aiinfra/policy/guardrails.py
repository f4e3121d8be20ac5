"""Budgets and guardrails from the spec's `policy:` section, measured at the environment's maximum size."""

from __future__ import annotations

from aiinfra.policy.model import Facts, Rule


def _budget(total: float, budget: float | None, unit: str, unpriced: tuple[str, ...]) -> list[str]:
    """Fails closed: a total that leaves unpriced items out cannot show the environment is within the budget."""
    if budget is None:
        return []
    items = f"{len(unpriced)} item{'s' if len(unpriced) != 1 else ''} unpriced ({'; '.join(unpriced)})"
    if total > budget:
        if unpriced:
            return [f"costs at least ${total:,.2f}/{unit} at its maximum size, over the budget of ${budget:,.2f}/{unit}, with {items}"]
        return [f"costs up to ${total:,.2f}/{unit} at its maximum size, over the budget of ${budget:,.2f}/{unit}"]
    if unpriced:
        return [f"cannot show the environment is under ${budget:,.2f}/{unit}: {items}; the priced items come to ${total:,.2f}/{unit}"]
    return []


def _hourly(f: Facts) -> list[str]:
    return _budget(f.hourly_usd_max, f.max_hourly_usd, "h", f.unpriced)


def _monthly(f: Facts) -> list[str]:
    return _budget(f.monthly_usd_max, f.max_monthly_usd, "month", f.unpriced)


def _region(f: Facts) -> list[str]:
    if not f.allowed_regions or f.region in f.allowed_regions:
        return []
    return [f"region {f.region} is not one of the allowed regions ({', '.join(f.allowed_regions)})"]


def _accelerators(f: Facts) -> list[str]:
    if not f.allowed_accelerators:
        return []
    allowed = {a.upper() for a in f.allowed_accelerators}
    listed = ", ".join(f.allowed_accelerators)
    return [f"pool {pool} uses {gpu}, not one of the allowed accelerators ({listed})" for pool, gpu in f.accelerators if gpu.upper() not in allowed] + [
        f"pool {pool} pins {name}, whose accelerator aiinfra cannot tell (neither its catalog nor its instance family table has it), "
        f"so it cannot show the pool uses one of the allowed accelerators ({listed})"
        for pool, name in f.unknown_accelerators
    ]


def _carbon(f: Facts) -> list[str]:
    """Fails closed, as the cost budgets do: an unknown accelerator power or grid factor cannot show it is under."""
    budget = f.max_kgco2e_month
    if budget is None:
        return []
    unit = "kgCO2e/month (location-based)"
    if f.carbon_unknown:
        why = f"{len(f.carbon_unknown)} figure{'s' if len(f.carbon_unknown) != 1 else ''} unknown ({'; '.join(f.carbon_unknown)})"
        if f.kgco2e_month_known > budget:
            return [f"emits at least {f.kgco2e_month_known:,.0f} {unit} at its maximum size, over the budget of {budget:,.0f}, with {why}"]
        return [f"cannot show the environment is under {budget:,.0f} {unit}: {why}; the known part comes to {f.kgco2e_month_known:,.0f}"]
    if f.kgco2e_month_max is not None and f.kgco2e_month_max > budget:
        return [f"emits up to {f.kgco2e_month_max:,.0f} {unit} at its maximum size, over the budget of {budget:,.0f}"]
    return []


def _lower_carbon(f: Facts) -> list[str]:
    alt = f.lower_carbon
    if not alt:
        return []
    usd = alt["monthly_usd_difference"]
    price = f"${abs(usd):,.2f}/month {'more' if usd > 0 else 'less'}" if usd else "the same price"
    return [f"{alt['region']} offers the same instance types on a {alt['grid_gco2e_per_kwh']:g} gCO2e/kWh grid: "
            f"{alt['kgco2e_per_month_max']:,.0f} instead of {(f.kgco2e_month_max or 0):,.0f} kgCO2e/month at maximum size "
            f"({alt['kgco2e_per_month_saved']:,.0f} less, location-based), for {price} on the node pools"
            + (f" (priced at another region's figure there: {', '.join(alt['priced_elsewhere'])})" if alt.get("priced_elsewhere") else "")]


def applies(rule: Rule, f: Facts) -> bool:
    """A guardrail counts (passed or not) only where the spec sets it."""
    return {
        "AI-COST-001": f.max_hourly_usd is not None, "AI-COST-002": f.max_monthly_usd is not None,
        "AI-GUARD-001": bool(f.allowed_regions), "AI-GUARD-002": bool(f.allowed_accelerators),
        "AI-CO2-001": f.max_kgco2e_month is not None, "AI-CO2-002": f.suggest_lower_carbon or f.max_kgco2e_month is not None,
    }.get(rule.id, True)


PRICE_IT = "set node_pools[].price_per_hour (or reservation.price_per_hour) where a pool is unpriced, or waive the rule with a reason in policy.waive"

RULES = [
    Rule("AI-COST-001", "Hourly cost at maximum size within budget", "high", "mandatory", (), "lower node_pools[].nodes.max, pick smaller GPUs "
         "or capacity: spot, or raise policy.max_hourly_usd; " + PRICE_IT,
         ("aiinfra cost guardrail (`aiinfra cost`)",), check=_hourly, scope="environment"),
    Rule("AI-COST-002", "Monthly cost at maximum size within budget", "high", "mandatory", (), "lower node_pools[].nodes.max, pick smaller GPUs "
         "or capacity: spot, or raise policy.max_monthly_usd; " + PRICE_IT,
         ("aiinfra cost guardrail (`aiinfra cost`)",), check=_monthly, scope="environment"),
    Rule("AI-GUARD-001", "Region is allowed", "high", "mandatory", (), "change region, or add it to policy.allowed_regions",
         ("aiinfra guardrail",), check=_region, scope="environment"),
    Rule("AI-GUARD-002", "Accelerators are allowed", "high", "mandatory", (), "change node_pools[].gpu, or add the model to policy.allowed_accelerators; "
         "give a pinned type aiinfra cannot tell its gpu: MODEL:N",
         ("aiinfra guardrail",), check=_accelerators, scope="environment"),
    Rule("AI-CO2-001", "Monthly emissions at maximum size within the carbon budget", "high", "mandatory", (),
         "lower node_pools[].nodes.max or node_pools[].utilization, move to a lower-carbon region (`aiinfra offers --sort carbon`), "
         "or raise policy.max_kgco2e_month; a pool whose accelerator has no published power cannot be shown under it: waive the rule with a reason",
         ("aiinfra carbon guardrail (`aiinfra cost`: location-based kgCO2e)",), check=_carbon, scope="environment"),
    Rule("AI-CO2-002", "A lower-carbon region of the same cloud offers the same instance types", "low", "advisory", (),
         "move region: to the one named (check its quota and latency first), or waive the rule with a reason",
         ("aiinfra carbon advice (`aiinfra offers --sort carbon`)",), check=_lower_carbon, scope="environment"),
]
