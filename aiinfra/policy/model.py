"""The shapes every rule shares: a neutral view of one resource, a rule as data, and what a check finds.

Rules read the resource as the provider receives it (type token, camelCase wire inputs, resource options):
the same view `aiinfra preview` captures under mocks and a CrossGuard policy gets as `args.props`/`args.opts`.
Nothing here imports Pulumi, pydantic or a cloud SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Mapping

Severity = Literal["critical", "high", "medium", "low"]
Enforcement = Literal["mandatory", "advisory"]
Scope = Literal["resource", "stack", "environment"]
SEVERITIES = ("critical", "high", "medium", "low")
MISSING = object()


@dataclass(frozen=True)
class Resource:
    """One resource as a policy sees it."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    urn: str = ""

    @property
    def label(self) -> str:
        return f"{self.type} {self.name}"

    @classmethod
    def from_preview(cls, data: Mapping[str, Any]) -> Resource:
        return cls(data["type"], data["name"], data.get("inputs") or {}, data.get("options") or {}, data.get("urn", ""))

    def get(self, path: str, default: Any = None) -> Any:
        got = lookup(self.inputs, path)
        return default if got is MISSING else got

    def all(self, path: str) -> list[Any]:
        """Every value at a path whose `[]` steps fan out over lists ("agentPoolProfiles[].enableNodePublicIP")."""
        return fan_out(self.inputs, path)


def lookup(data: Any, path: str) -> Any:
    cur = data
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def fan_out(data: Any, path: str) -> list[Any]:
    head, sep, rest = path.partition("[].")
    if not sep:
        head = path[:-2] if path.endswith("[]") else path
        got = lookup(data, head)
        if got is MISSING:
            return []
        return list(got) if path.endswith("[]") and isinstance(got, list) else [got]
    items = lookup(data, head)
    if not isinstance(items, list):
        return []
    return [v for item in items for v in fan_out(item, rest)]


@dataclass(frozen=True)
class Expect:
    """One property a resource must have: the wire path, a test of its value, and what a failure says."""

    path: str
    ok: Callable[[Any], bool]
    says: str
    bad: Any = None  # a value that fails, for tests that break one property

    def failures(self, r: Resource) -> list[str]:
        values = r.all(self.path) if "[]" in self.path else [r.get(self.path, MISSING)]
        return [f"{self.path} {self.says} (got {_shown(v)})" for v in values if not self.ok(None if v is MISSING else v)]


def _shown(v: Any) -> str:
    return "nothing" if v is MISSING or v is None else repr(v)


def taint_text(t: dict[str, Any]) -> str:
    """A provider's taint ({key, value, effect: NO_SCHEDULE}) as kubectl writes it: key=value:NoSchedule."""
    effect = "".join(w.capitalize() for w in str(t.get("effect", "")).split("_"))
    return f"{t.get('key')}={t.get('value')}:{effect}" if t.get("value") else f"{t.get('key')}:{effect}"


@dataclass(frozen=True)
class PoolView:
    """A node pool read from its cloud's resource by that cloud's policy module."""

    name: str
    gpu: bool
    spot: bool
    nodes_min: int
    nodes_max: int
    taints: tuple[str, ...]  # "key=value:Effect" or "key:Effect", effect in Kubernetes spelling
    fabric: str | None
    placement_domains: int  # zones (or subnets) the pool's nodes may land in; 0: anywhere in the region
    labels: Mapping[str, str] = field(default_factory=dict)
    # What must act on the pool for it to change size (aiinfra/policy/scaling.py): "built-in" (the cloud's own
    # autoscaler), "cluster-autoscaler" (a chart in the stack), "karpenter" (its controller or AKS NAP),
    # "provisioning-request" (Kueue's ProvisioningRequest check, GKE queued provisioning).
    needs: str = "cluster-autoscaler"


@dataclass(frozen=True)
class Facts:
    """What environment rules read: the spec's guardrails and the environment's size and cost at its maximum."""

    name: str
    region: str
    hourly_usd_max: float
    monthly_usd_max: float
    accelerators: tuple[tuple[str, str], ...]  # (pool, GPU model) per GPU pool
    max_hourly_usd: float | None = None
    max_monthly_usd: float | None = None
    allowed_regions: tuple[str, ...] = ()
    allowed_accelerators: tuple[str, ...] = ()
    unpriced: tuple[str, ...] = ()  # cost items at maximum size that have no price (counted as $0 in the totals)
    unknown_accelerators: tuple[tuple[str, str], ...] = ()  # (pool, instance type) whose accelerator aiinfra cannot tell
    max_kgco2e_month: float | None = None
    suggest_lower_carbon: bool = False
    kgco2e_month_max: float | None = None  # location-based, at maximum size; None while any figure is unknown
    kgco2e_month_known: float = 0.0  # the part with known figures (what the total is at least)
    carbon_unknown: tuple[str, ...] = ()  # why a figure is unknown (accelerator power, grid factor)
    lower_carbon: Mapping[str, Any] | None = None  # aiinfra.report.energy.lower_carbon_region, where the rule is on


@dataclass(frozen=True)
class Finding:
    resource: str
    message: str


ResourceCheck = Callable[[Resource], Iterable[str]]
StackCheck = Callable[[list[Resource]], Iterable[tuple[Resource, str]]]
EnvironmentCheck = Callable[[Facts], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    enforcement: Enforcement
    types: tuple[str, ...]
    remediation: str
    refs: tuple[str, ...] = ()
    expect: tuple[Expect, ...] = ()
    check: Callable[..., Iterable[Any]] | None = None
    scope: Scope = "resource"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES or self.enforcement not in ("mandatory", "advisory"):
            raise ValueError(f"{self.id}: severity {self.severity!r} / enforcement {self.enforcement!r}")
        if self.scope == "resource" and not (self.expect or self.check):
            raise ValueError(f"{self.id}: a resource rule needs expect or check")

    def on_resource(self, r: Resource) -> list[str]:
        """Violations of one resource (resource-scoped rules)."""
        if r.type not in self.types:
            return []
        out = [m for e in self.expect for m in e.failures(r)]
        if self.check is not None:
            out += list(self.check(r))
        return out

    def on_stack(self, resources: list[Resource]) -> list[Finding]:
        if self.scope == "resource":
            return [Finding(r.label, m) for r in resources for m in self.on_resource(r)]
        if self.scope == "stack":  # the check sees every resource: pods need their pool's fabric
            return [Finding(r.label, m) for r, m in self.check(resources)]  # type: ignore[misc]
        return []

    def on_facts(self, facts: Facts) -> list[Finding]:
        if self.scope != "environment":
            return []
        return [Finding(f"environment {facts.name}", m) for m in self.check(facts)]  # type: ignore[misc]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "severity": self.severity, "enforcement": self.enforcement,
            "scope": self.scope, "resource_types": list(self.types), "remediation": self.remediation, "refs": list(self.refs),
        }


def is_true(v: Any) -> bool:
    return v is True or v == "true"


def is_false(v: Any) -> bool:
    return v is False or v == "false"


def absent_or_false(v: Any) -> bool:
    return v is None or is_false(v)


def equals(*allowed: Any) -> Callable[[Any], bool]:
    return lambda v: v in allowed


def non_empty(v: Any) -> bool:
    return bool(v)


def protected(r: Resource) -> list[str]:
    """Data safety (security-baseline.md §3): kept by `down` unless asked, and never emptied by a destroy."""
    out = []
    if not r.options.get("protect"):
        out.append("is not protected (resource option protect), so a destroy or replace would delete it")
    if "retain_on_delete" in r.options and not r.options["retain_on_delete"]:  # CrossGuard does not pass this option
        out.append("is not retained on delete (resource option retain_on_delete)")
    if is_true(r.get("forceDestroy")):
        out.append("forceDestroy is true: deleting it would also delete every object in it")
    return out
