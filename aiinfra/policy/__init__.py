"""Policy: security and cost rules checked on every preview and before every `up`, and by the CrossGuard pack
in policy-pack/ under the plain Pulumi CLI. Rules are data (aiinfra.policy.model.Rule) with plain check
functions over a neutral view of each resource; this package runs them, the pack wraps the same functions."""

from __future__ import annotations

from aiinfra.policy.evaluate import cloud_of, evaluate, facts_from, mandatory_failed, rule_ids, rules, unknown_waivers, waivers_of  # noqa: F401
from aiinfra.policy.model import Facts, Finding, PoolView, Resource, Rule  # noqa: F401
