"""Kubernetes manifests of the reference workload, rendered from templates/*.j2 with jinja2.

Python resolves facts (which pool, which fabric, how many GPUs, what the cloud's identity needs);
the templates lay out the objects; per-fabric pod requirements are data in templates/fabrics.yaml
and per-cloud identity wiring in templates/clouds.yaml."""

from __future__ import annotations

from aiinfra.manifests.context import (  # noqa: F401
    ALLREDUCE_ITERS,
    ALLREDUCE_SIZE_MB,
    MASTER_PORT,
    QUEUE_LABEL,
    Values,
    context,
    default_images,
    render,
    train_args,
    values_from_outputs,
)
from aiinfra.manifests.fabric import (  # noqa: F401
    GPU_TOLERATION,
    NODE_SHARE,
    NONROOT_UID,
    POOL_LABEL,
    cloud_data,
    fabric_data,
    fabric_kind,
    gpu_network_names,
    pool_facts,
    security_contexts,
)
from aiinfra.manifests.templates import (  # noqa: F401
    BASE_TEMPLATES,
    SERVING_TEMPLATES,
    TRAINING_TEMPLATES,
    ServingKind,
    TrainingOperator,
    custom_resources,
    file_name,
    pod_templates,
    templates_dir,
    write,
)
