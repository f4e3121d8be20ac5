"""How many of each priced fixed resource (control plane, NAT gateway, KMS key, ...) an environment
creates, from the resolved spec alone, so that `cost` needs no run of the Pulumi program.

Each cloud's counts are its profile's `fixed_resources()`: they restate what aiinfra.components.<cloud>
creates, and tests/test_fixed_costs.py checks them against the resources the real program registers.
"""

from __future__ import annotations

from aiinfra import clouds
from aiinfra.resolve.result import ResolvedEnvironment


def resource_counts(env: ResolvedEnvironment) -> dict[str, int]:
    """Resource type token -> how many the program creates, for the types that carry a fixed price."""
    return clouds.get(env.spec.cloud).fixed_resources(env)
