"""Cloud SDKs are optional extras; say which one to install instead of failing with ImportError."""

from __future__ import annotations

import importlib
from types import ModuleType

SDK_MODULES = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "azure": "pulumi_azure_native"}


class MissingExtraError(ImportError):
    def __init__(self, cloud: str, module: str):
        self.cloud = cloud
        super().__init__(
            f"the {cloud} provider SDK ({module}) is not installed; install the extra: pip install 'aiinfra[{cloud}]'"
        )


def require(cloud: str) -> ModuleType:
    module = SDK_MODULES[cloud]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == module:
            raise MissingExtraError(cloud, module) from None
        raise
