"""Cloud SDKs are optional extras; say which one to install instead of failing with ImportError."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable


def sdk_modules() -> dict[str, str]:
    """Cloud -> its Pulumi SDK module, from the cloud profiles."""
    from aiinfra import clouds

    return {p.name: p.sdk_module for p in clouds.all_profiles()}


def __getattr__(name: str) -> Any:
    if name == "SDK_MODULES":  # the old constant, derived from the registry
        return sdk_modules()
    raise AttributeError(name)


class MissingExtraError(ImportError):
    def __init__(self, cloud: str, module: str):
        self.cloud = cloud
        super().__init__(
            f"the {cloud} provider SDK ({module}) is not installed; install the extra: pip install 'aiinfra[{cloud}]'"
        )


def require(cloud: str) -> ModuleType:
    from aiinfra import clouds

    module = clouds.get(cloud).sdk_module
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == module:
            raise MissingExtraError(cloud, module) from None
        raise


# What every cloud's component package exports, by module: the same file names on every cloud.
STANDARD_EXPORTS = {
    "Cluster": "cluster", "ClusterArgs": "cluster",
    "NodePool": "gpu_pool", "NodePoolArgs": "gpu_pool",
    "WorkloadIdentity": "identity", "WorkloadIdentityArgs": "identity",
    "Network": "network", "NetworkArgs": "network",
    "ContainerRegistry": "registry", "RegistryArgs": "registry",
    "ObjectStorage": "storage", "StorageArgs": "storage",
}  # fmt: skip


def lazy_exports(package: str, exports: dict[str, str] | None = None) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for a cloud's component package: `from aiinfra.components.<cloud> import Cluster`
    imports the submodule on first use, after checking the cloud's SDK is installed. The classes load on first
    use so that aiinfra.clouds can read the cloud's profile.py without importing its Pulumi SDK."""
    cloud = package.rsplit(".", 1)[-1]
    exports = STANDARD_EXPORTS if exports is None else exports

    def getattr_(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        require(cloud)
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    def dir_() -> list[str]:
        return sorted(exports)

    return getattr_, dir_
