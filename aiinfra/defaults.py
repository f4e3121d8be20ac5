"""Defaults stated once: the spec models and the components both read them, so a direct component user and a
spec user get the same cluster (before, each was written four times and could drift). The Kubernetes version
is the day's, from aiinfra.catalog.kubernetes.default_version."""

from __future__ import annotations


def kubernetes_version() -> str:
    """The default Kubernetes version, for a spec or a component used directly (read from the version table on call)."""
    from aiinfra.catalog.kubernetes import default_version

    return default_version()


DELETION_PROTECTION = True
# Root volume per worker node: room for several large training images and the container's scratch space.
DISK_GIB = 200
# The system pool's nodes run only cluster add-ons (CoreDNS, operators, monitoring).
SYSTEM_DISK_GIB = 50
