"""Workloads that run on an aiinfra environment; installs as aiinfra.workloads."""
