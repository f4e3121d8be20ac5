"""The cloud-neutral cluster platform: GPU stack, fabric plugins, monitoring, queueing, training,
tracking and serving, from upstream Helm charts, on any cloud's cluster."""

from aiinfra.components.kubernetes.platform import Platform, PlatformArgs

__all__ = ["Platform", "PlatformArgs"]
