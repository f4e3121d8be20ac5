"""Kubernetes manifests of the reference workload, rendered from templates/*.j2 with jinja2.

Python resolves facts (which pool, which fabric, how many GPUs, what the cloud's identity needs);
the templates lay out the objects; per-fabric pod requirements are data in templates/fabrics.yaml
and per-cloud identity wiring in templates/clouds.yaml.

Import each name from the module that defines it (context.render, templates.write, fabric.pool_facts, ...):
this package re-exports nothing."""
