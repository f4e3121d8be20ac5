"""Defaults stated once: the spec models and the components both read them, so a direct component user and a
spec user get the same cluster (before, each was written four times and could drift)."""

DELETION_PROTECTION = True
# Root volume per worker node: room for several large training images and the container's scratch space.
DISK_GIB = 200
# The system pool's nodes run only cluster add-ons (CoreDNS, operators, monitoring).
SYSTEM_DISK_GIB = 50


def __getattr__(name: str) -> str:
    """KUBERNETES_VERSION is the day's default from the versions table (aiinfra.kubernetes_versions), not a constant."""
    if name == "KUBERNETES_VERSION":
        from aiinfra.kubernetes_versions import default_version

        return default_version()
    raise AttributeError(name)
