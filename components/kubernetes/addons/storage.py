"""A default encrypted StorageClass where the cloud's cluster has none."""

from __future__ import annotations

from typing import Any

from aiinfra import clouds
from aiinfra.components.kubernetes.addons.model import KubeObject

# A default StorageClass where the cloud's cluster has none that is encrypted: each profile's storage_class.
STORAGE_CLASSES: dict[str, dict[str, Any] | None] = {
    p.name: dict(p.storage_class) if p.storage_class is not None else None for p in clouds.all_profiles()
}


def storage_class_object(sc: dict[str, Any]) -> KubeObject:
    body = {k: v for k, v in sc.items() if k != "name"}
    return KubeObject(
        "storage-class",
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": sc["name"], "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            **body,
        },
    )
