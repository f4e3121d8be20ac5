"""The non-NVIDIA accelerator stacks of a plan, each only where its family's pools are: the Neuron device plugin,
scheduler extension and neuron-monitor; the AMD GPU operator (with the cert-manager it needs). GKE runs the TPU
device plugin itself, so TPU pools add nothing here."""

from __future__ import annotations

from aiinfra.components.kubernetes.addons import amd, neuron
from aiinfra.components.kubernetes.addons.model import Plan, Release, family_pools
from aiinfra.resolve import accelerators
from aiinfra.resolve.result import ResolvedEnvironment


def accelerator_stacks(env: ResolvedEnvironment, out: Plan, after: list[str], monitoring: bool) -> None:
    if family_pools(env, neuron.FAMILY):
        out.releases.append(Release(neuron.RELEASE, neuron.neuron_values(env), after=list(after)))
        image = accelerators.family(neuron.FAMILY).image
        assert image, "accelerators.yaml: the neuron family names its image"
        out.objects += neuron.monitor_objects(env, image, monitoring)
    if family_pools(env, amd.FAMILY):
        if not out.has("cert-manager"):
            out.releases.append(Release("cert-manager"))
        out.releases.append(Release(amd.RELEASE, amd.amd_operator_values(env, monitoring), after=[*after, "cert-manager"]))
        out.notes.append(amd.NOTE)
