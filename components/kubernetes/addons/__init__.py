"""What the platform installs on one environment's cluster, as plain data: releases with their values,
custom resources, manifests and namespaces. No Pulumi here, so every cloud's choices can be tested
from a resolved spec alone; platform.py turns a Plan into resources.

Import each name from the module that defines it (plan.plan, model.Plan, tracking.artifact_values, ...):
this package re-exports nothing, so importing one module does not load them all.

Per-cloud facts follow shared/reference/ (the folder beside the checkout): mlops-addons.md §1 and gpu-fabrics.md §1.6, §2.6, §3.3."""
