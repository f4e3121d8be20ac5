"""Entry point the Pulumi CLI runs for `--policy-pack policy-pack`: serve every aiinfra rule."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from policies import NAME, POLICIES  # noqa: E402
from pulumi_policy import PolicyPack  # noqa: E402

PolicyPack(name=NAME, policies=POLICIES)
