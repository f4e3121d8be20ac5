"""A default encrypted StorageClass where the cloud's cluster has none."""

from __future__ import annotations

from typing import Any

from aiinfra.components.kubernetes.addons.model import KubeObject

# A default StorageClass where the cloud's cluster has none that is encrypted (EKS ≥ 1.30 marks no default).
STORAGE_CLASSES: dict[str, dict[str, Any] | None] = {
    "aws": {
        "name": "gp3-encrypted",
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "fsType": "ext4"},
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    },
    "gcp": None,  # standard-rwo (pd-balanced, encrypted at rest) is the GKE default
    "azure": None,  # managed-csi is the AKS default
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
