"""No cloud rules on an existing cluster: it has no cloud resources. The Kubernetes rules (aiinfra/policy/kubernetes.py)
apply to the platform and workloads as on every cloud; node pools are the cluster's nodes, not resources of the stack."""

from __future__ import annotations

RULES: list = []
POOLS: dict = {}
