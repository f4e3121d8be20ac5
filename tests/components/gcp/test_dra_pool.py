"""GKE pools whose GPUs go to the NVIDIA DRA driver (issue 25): GKE's driver install and its device plugin are off on
them (GKE "set-up-dra": gpu-driver-version=disabled, label gke-no-default-nvidia-gpu-device-plugin=true) and Google's
COS driver installer runs there instead; other GPU pools, NVLink racks included, keep GKE's managed driver."""

from __future__ import annotations

from pathlib import Path

import pytest
from gcphelpers import PROJECT, T_POOL, run

from aiinfra.components.base.preflight import PLACEHOLDER
from aiinfra.components.gcp import environment
from aiinfra.components.gcp.gpu_pool import NodePool
from aiinfra.components.kubernetes.addons import dra
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.components.kubernetes.addons.tracking import artifact_values
from aiinfra.components.kubernetes.charts import manifest
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "specs"
INSTALLER_REPO = "https://raw.githubusercontent.com/GoogleCloudPlatform/container-engine-accelerators/"


def node_configs_of(env) -> dict[str, dict]:
    """Each worker pool of the environment as the GKE program builds it, under mocks: its node_config by pool name."""

    def program():
        for pool in env.worker_pools:
            NodePool(f"{env.name}-{pool.name}", environment.pool_args(env, pool, PROJECT, {}, cluster=PLACEHOLDER))

    return {r.inputs["name"]: r.inputs["nodeConfig"] for r in run(program).of_type(T_POOL)}


def node_configs(fixture: str) -> dict[str, dict]:
    return node_configs_of(load(SPECS / fixture))


@pytest.fixture(scope="module")
def dra_gke():
    return node_configs("gcp.ok.dra.yaml")


def test_a_dra_pool_has_no_gke_driver_and_no_gke_device_plugin(dra_gke):
    cfg = dra_gke["train"]
    assert cfg["guestAccelerators"] == [{"type": "nvidia-h100-mega-80gb", "count": 8, "gpuDriverInstallationConfig": {"gpuDriverVersion": "INSTALLATION_DISABLED"}}]
    assert cfg["labels"] == {
        "aiinfra.dev/pool": "train",
        "aiinfra.dev/capacity": "on-demand",
        "aiinfra.dev/gpu": "H100",
        "aiinfra.dev/gpu-count": "8",
        "aiinfra.dev/fabric": "tcpxo",
        "aiinfra.dev/dra": "true",  # the DRA driver's kubelet plugin runs here
        "nvidia.com/gpu.deploy.device-plugin": "false",  # and not the GPU operator's device plugin
        "gke-no-default-nvidia-gpu-device-plugin": "true",  # nor GKE's
    }


def test_the_other_gpu_pool_keeps_gkes_driver_and_plugin(dra_gke):
    cfg = dra_gke["serve"]
    assert cfg["guestAccelerators"][0]["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "LATEST"}
    assert not {"aiinfra.dev/dra", "gke-no-default-nvidia-gpu-device-plugin", "nvidia.com/gpu.deploy.device-plugin"} & set(cfg["labels"])


def test_an_nvlink_rack_without_dra_gpus_keeps_gkes_driver():
    """A4X without dra: the DRA driver serves ComputeDomains only; GPUs stay with GKE's plugin (cluster-toolkit gke-a4x)."""
    cfg = node_configs("gcp.ok.gb200.yaml")["rack"]
    assert cfg["guestAccelerators"][0]["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "LATEST"}
    assert cfg["labels"]["aiinfra.dev/dra"] == "true" and "gke-no-default-nvidia-gpu-device-plugin" not in cfg["labels"]


@pytest.mark.parametrize(
    "fixture, installers",
    [
        ("gcp.ok.dra.yaml", ["nvidia-driver-installer-cos"]),
        ("gcp.ok.gb200.yaml", []),  # GKE installs the driver there
        ("aws.ok.gb200-partial.yaml", []),  # the EKS NVIDIA AMI carries it
    ],
)
def test_googles_driver_installer_runs_only_for_gke_dra_pools(fixture, installers):
    plan = addon_plan(load(SPECS / fixture), artifact_root=lambda b: artifact_values(f"gs://{b}"))
    found = [m.key for m in plan.manifests if m.key.startswith("nvidia-driver-installer")]
    assert found == installers
    for key in found:
        url = manifest(key).url
        commit = url.removeprefix(INSTALLER_REPO).split("/", 1)[0]
        assert url.startswith(INSTALLER_REPO) and len(commit) == 40 and url.endswith("/nvidia-driver-installer/cos/daemonset-preloaded-latest.yaml")


def test_an_a4x_dra_pool_gets_the_a4x_installer():
    text = (SPECS / "gcp.bad.dra-mixed-arch.yaml").read_text().replace("  - {name: h100, gpu: \"H100:8\", nodes: 2, dra: true}\n", "")
    from aiinfra.resolve.resolver import resolve
    from aiinfra.spec import parse_spec

    env = resolve(parse_spec(text))
    assert dra.driver_installers(env) == ["nvidia-driver-installer-cos-a4x"]
    assert manifest("nvidia-driver-installer-cos-a4x").url.endswith("/cos/daemonset-preloaded-latest-a4x.yaml")
    cfg = node_configs_of(env)["rack"]
    assert cfg["guestAccelerators"][0]["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "INSTALLATION_DISABLED"}
    assert cfg["labels"]["gke-no-default-nvidia-gpu-device-plugin"] == "true"


def test_dra_pools_of_two_architectures_are_refused_with_the_path():
    from aiinfra.problems import SpecError

    with pytest.raises(SpecError) as err:
        load(SPECS / "gcp.bad.dra-mixed-arch.yaml")
    (p,) = err.value.problems
    assert p.path == "node_pools[1].dra" and "h100 (x86_64), rack (arm64)" in p.message and "remove dra" in p.hint


def test_a_pinned_a4x_max_pool_with_dra_is_refused_since_no_installer_selects_it():
    """Google's A4X installer selects a4x-highgpu-4g nodes only (gcp facts dra_driver_installer_types); A4X Max has none."""
    from aiinfra.problems import SpecError
    from aiinfra.resolve.resolver import resolve
    from aiinfra.spec import parse_spec

    with pytest.raises(SpecError) as err:
        load(SPECS / "gcp.bad.dra-a4x-max.yaml")
    (p,) = err.value.problems
    assert p.path == "node_pools[0].dra" and "a4x-maxgpu-4g-metal nodes would get no driver" in p.message
    assert p.hint.startswith("remove dra: true from pool rack") and p.hint.endswith("or use a4x-highgpu-4g")
    # Without dra the pinned pool keeps GKE's own driver and device plugin, and no installer is planned.
    env = resolve(parse_spec((SPECS / "gcp.bad.dra-a4x-max.yaml").read_text().replace(", dra: true}", "}")))
    assert [p.dra for p in env.worker_pools] == [False] and dra.driver_installers(env) == []
    assert node_configs_of(env)["rack"]["guestAccelerators"][0]["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "LATEST"}
