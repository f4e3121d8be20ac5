"""The spec's `policy:` section: budgets and guardrails checked as mandatory rules, and waivers of rules.

Kept out of aiinfra.spec so that the section's checks stay in one place. Whether a waived rule exists is the policy
package's knowledge, so the resolver asks it (aiinfra.policy.unknown_waivers): the spec imports nothing above it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aiinfra.problems import Invalid
from aiinfra.spec.limits import MAX_REGION

REASON_EXAMPLE = 'reason: "dev cluster, public endpoint limited by the VPN (SEC-123)"'


def waived_rules(data: Any) -> list[Any]:
    """The rule of each `policy.waive` entry of a spec that did not parse (None where there is none), so that an
    unknown rule is reported together with the schema's problems."""
    policy = data.get("policy") if isinstance(data, dict) else None
    waive = policy.get("waive") if isinstance(policy, dict) else None
    return [w.get("rule") if isinstance(w, dict) else None for w in waive] if isinstance(waive, list) else []


class Waiver(BaseModel):
    """One rule this environment does not follow, and why; it still shows in preview, marked waived."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    rule: str = Field(max_length=32, description="the rule id, as `aiinfra policy list` shows it (e.g. AI-K8S-002)")
    reason: str = Field(max_length=500, description="why the rule does not apply here (required; reviewers read it)")

    @field_validator("rule")
    @classmethod
    def _normal(cls, v: str) -> str:
        return v.strip().upper()

    @field_validator("reason")
    @classmethod
    def _said(cls, v: str) -> str:
        if not v.strip():
            raise Invalid("a waiver needs a reason", f"say why the rule does not apply, e.g. {REASON_EXAMPLE}")
        return v.strip()


class Policy(BaseModel):
    """Budgets and guardrails (mandatory rules, measured at the environment's maximum size) and waivers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_hourly_usd: float | None = Field(default=None, gt=0, description="most the environment may cost per hour at its maximum size")
    max_monthly_usd: float | None = Field(default=None, gt=0, description="most it may cost per month (730 h) at its maximum size")
    max_kgco2e_month: float | None = Field(
        default=None, gt=0, description="most the environment may emit per month (730 h, kgCO2e, location-based) at its maximum size; unknown power or grid figures fail it"
    )
    suggest_lower_carbon: bool = Field(default=False, description="advise a lower-carbon region of the same cloud that offers the same instance types (on with max_kgco2e_month)")
    allowed_regions: list[Annotated[str, Field(max_length=MAX_REGION)]] = Field(default_factory=list, max_length=100, description="regions it may run in")
    allowed_accelerators: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=100, description="GPU models its pools may use, e.g. [L4, H100]"
    )
    waive: list[Waiver] = Field(default_factory=list, max_length=100, description="rules this environment does not follow, each with its reason")

    @model_validator(mode="after")
    def _waived_once(self) -> Policy:
        ids = [w.rule for w in self.waive]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise Invalid(f"policy.waive lists {', '.join(twice)} more than once", "keep one waiver per rule")
        return self
