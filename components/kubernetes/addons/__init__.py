"""What the platform installs on one environment's cluster, as plain data: releases with their values,
custom resources, manifests and namespaces. No Pulumi here, so every cloud's choices can be tested
from a resolved spec alone; platform.py turns a Plan into resources.

Per-cloud facts follow shared/reference/ (the folder beside the checkout): mlops-addons.md §1 and gpu-fabrics.md §1.6, §2.6, §3.3."""

from __future__ import annotations

from aiinfra.components.kubernetes.addons.gpu import (  # noqa: F401
    DOCA_DRIVER,
    GPU_OPERATOR_INFINIBAND_VALUES,
    GPU_OPERATOR_VALUES,
    MELLANOX_IB_DEVICES,
    MELLANOX_LABEL,
    MELLANOX_PCI_VENDOR,
    NCCL_INSTALLERS,
    NVIDIA_RUNTIME_CLASS,
    SRIOV_DEVICE_PLUGIN,
    efa_plugin_values,
    gke_network_objects,
    gpu_operator_values,
    gpu_stack,
    infiniband_objects,
    infiniband_pools,
    network_operator_values,
)
from aiinfra.components.kubernetes.addons.model import (  # noqa: F401
    CONTROL_PLANE_TOLERATION,
    GPU_RESOURCE,
    GPU_TOLERATION,
    POOL_LABEL,
    PRIVILEGED,
    GpuNetwork,
    KubeObject,
    Manifest,
    Plan,
    Release,
    deep_merge,
    fabric_kinds,
    pool_selector,
    taint_tolerations,
)
from aiinfra.components.kubernetes.addons.monitoring import (  # noqa: F401
    GRAFANA_DASHBOARD_LABEL,
    PROMETHEUS_RELEASE,
    dashboard_json,
    dashboard_object,
)
from aiinfra.components.kubernetes.addons.plan import (  # noqa: F401
    plan,
)
from aiinfra.components.kubernetes.addons.scheduling import (  # noqa: F401
    KUEUE_API,
    LOCAL_QUEUE,
    kueue_objects,
    kueue_values,
)
from aiinfra.components.kubernetes.addons.serving import (  # noqa: F401
    vllm_values,
)
from aiinfra.components.kubernetes.addons.storage import (  # noqa: F401
    STORAGE_CLASSES,
    storage_class_object,
)
from aiinfra.components.kubernetes.addons.tracking import (  # noqa: F401
    ARTIFACT_BUCKET_PREFERENCE,
    MLFLOW_ARTIFACT_PATH,
    MLFLOW_DB,
    ArtifactStore,
    artifact_values,
    choose_artifact_bucket,
    mlflow_database,
    mlflow_url,
    mlflow_values,
)
