"""Jinja2 templates and fabric/cloud data for the reference workload's Kubernetes manifests (aiinfra.manifests)."""
