"""The pack's policies, importable without starting the policy server (PolicyPack blocks forever)."""

from aiinfra.policy.crossguard import PACK_NAME, policies

POLICIES = policies()
NAME = PACK_NAME
