"""Entry point the Pulumi CLI runs for `--policy-pack policy-pack`: serve every aiinfra rule."""

from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pulumi_policy import PolicyPack  # noqa: E402

from policies import NAME, POLICIES  # noqa: E402

PolicyPack(name=NAME, policies=POLICIES)
