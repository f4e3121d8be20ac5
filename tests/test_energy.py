"""The energy and carbon model (aiinfra.report.energy) against figures worked out by hand, one environment per
cloud. Per node and hour: kWh = (accelerators × W × u + vCPUs × (min + u × (max − min)) + GiB × 0.392) × PUE / 1000,
kgCO2e = kWh × grid g/kWh / 1000; a month is 730 h. The inputs are the data files' figures, written out below."""

from __future__ import annotations

import pytest

from aiinfra.report.energy import default_utilization, summary
from aiinfra.resolve.resolver import load


def env_of(tmp_path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return load(path)


def pool(e: dict, name: str) -> dict:
    return next(p for p in e["pools"] if p["name"] == name)


def test_aws_us_east_1_p5_and_g6_at_the_default_half_load(tmp_path):
    e = summary(env_of(tmp_path, """\
name: carbon-aws
cloud: aws
region: us-east-1
node_pools:
  - {name: train, instance_type: p5.48xlarge, nodes: 2}
  - {name: serve, instance_type: g6.xlarge, nodes: {min: 1, max: 4}, capacity: spot}
"""))
    # grid: Electricity Maps 2025, zone US-MIDA-PJM, 418 g/kWh; PUE: AWS us-east-1 2024, 1.15; AWS CPU 0.74..3.5 W/vCPU.
    assert (e["grid_gco2e_per_kwh"], e["pue"], e["pue_scope"]) == (418, 1.15, "region")
    train = pool(e, "train")
    # p5.48xlarge: 8 × H100 700 W × 0.5 = 2800; 192 vCPU × (0.74 + 0.5 × 2.76) = 407.04; 2048 GiB × 0.392 = 802.816
    # IT 4009.856 W × 1.15 = 4611.3344 W -> 4.6113 kWh/h; × 0.418 = 1.92754 kgCO2e/h; × 2 nodes × 730 h = 2814.21 kg/month
    assert (train["cpu_watts_per_node"], train["memory_watts_per_node"], train["it_watts_per_node"]) == (407.0, 802.8, 4009.9)
    assert train["kwh_per_node_hour"] == 4.6113 and train["kgco2e_per_node_hour"] == 1.9275
    assert train["kgco2e_per_month_max"] == pytest.approx(4.6113344 * 0.418 * 2 * 730, abs=0.01) == 2814.21
    serve = pool(e, "serve")
    # g6.xlarge: 1 × L4 72 W × 0.5 = 36; 4 × 2.12 = 8.48; 16 × 0.392 = 6.272; IT 50.752 × 1.15 = 58.3648 W
    # -> 0.0584 kWh/h per node; 0.0583648 × 0.418 = 0.024396 kg/h; min 1 node, max 4 nodes
    assert serve["kwh_per_node_hour"] == 0.0584 and serve["kgco2e_per_hour_min"] == 0.0244 and serve["kgco2e_per_hour_max"] == 0.0976
    assert serve["kgco2e_per_month_min"] == 17.81 and serve["kgco2e_per_month_max"] == 71.24  # 0.0243965 × 730 (× 4)
    system = pool(e, "system")
    sys_kwh = system["it_watts_per_node"] * 1.15 / 1000
    # totals: 2 × 4.6113344 + 4 × 0.0583648 + the system pool at its 2 nodes
    assert e["kwh_per_hour_max"] == pytest.approx(2 * 4.6113344 + 4 * 0.0583648 + 2 * sys_kwh, abs=1e-3)
    assert e["kgco2e_per_month_max"] == pytest.approx(e["kwh_per_hour_max"] * 0.418 * 730, abs=0.05)
    assert e["unknown"] == [] and "location-based" in e["basis"]


def test_gcp_europe_north1_a3_at_the_pool_s_own_utilization(tmp_path):
    e = summary(env_of(tmp_path, """\
name: carbon-gcp
cloud: gcp
region: europe-north1
gcp: {project: my-ml-project}
node_pools:
  - {name: train, instance_type: a3-highgpu-8g, nodes: 1, utilization: 0.8}
"""))
    # grid: Electricity Maps 2025, zone FI, 68 g/kWh; PUE: Google campus europe-north1, 1.09; GCP CPU 0.68..4.11 W/vCPU.
    # a3-highgpu-8g at u = 0.8: 8 × 700 × 0.8 = 4480; 208 × (0.68 + 0.8 × 3.43) = 712.192; 1872 × 0.392 = 733.824
    # IT 5926.016 W × 1.09 = 6459.357 W -> 6.4594 kWh/h; × 0.068 = 0.43924 kgCO2e/h; × 730 = 320.64 kg/month
    train = pool(e, "train")
    assert (train["utilization"], train["utilization_from"]) == (0.8, "pool")
    assert train["kwh_per_node_hour"] == 6.4594 and train["kgco2e_per_node_hour"] == 0.4392
    assert train["kgco2e_per_month_max"] == pytest.approx(6.45935744 * 0.068 * 730, abs=0.01)
    # Google's own figure beside it: 2024, 39.32 g/kWh (direct, not lifecycle), CFE 98 %
    assert (e["google_gco2e_per_kwh"], e["google_cfe_pct"], e["google_year"]) == (39.32, 98, 2024)
    assert pool(e, "system")["utilization"] == 0.5


def test_azure_swedencentral_mi300x_at_a_command_line_utilization(tmp_path):
    env = env_of(tmp_path, """\
name: carbon-azure
cloud: azure
region: swedencentral
node_pools:
  - {name: train, instance_type: Standard_ND96isr_MI300X_v5, nodes: {min: 0, max: 2}}
""")
    with default_utilization(0.3):
        e = summary(env)
    # grid: Electricity Maps 2025, zone SE-SE3, 20 g/kWh; PUE: Microsoft swedencentral 2023, 1.16; Azure CPU 0.74..3.54.
    # ND96isr_MI300X_v5 at u = 0.3: 8 × MI300X 750 × 0.3 = 1800; 96 × (0.74 + 0.3 × 2.8) = 151.68; 1850 × 0.392 = 725.2
    # IT 2676.88 W × 1.16 = 3105.18 W -> 3.1052 kWh/h; × 0.020 = 0.062104 kgCO2e/h; max 2 nodes × 730 h = 90.67 kg/month
    train = pool(e, "train")
    assert (train["utilization"], train["utilization_from"]) == (0.3, "--utilization")
    assert train["kwh_per_node_hour"] == 3.1052 and train["kgco2e_per_hour_min"] == 0.0 and train["kgco2e_per_hour_max"] == 0.1242
    assert train["kgco2e_per_month_max"] == pytest.approx(3.1051808 * 0.020 * 2 * 730, abs=0.01) == 90.67
    assert (e["pue"], e["grid_gco2e_per_kwh"]) == (1.16, 20)
    assert pool(summary(env), "train")["utilization"] == 0.5  # the override holds only inside its scope


def test_unknown_power_stays_unknown_never_zero(tmp_path):
    e = summary(env_of(tmp_path, """\
name: carbon-tpu
cloud: gcp
region: us-central1
gcp: {project: my-ml-project}
node_pools:
  - {name: serve, gpu: "TPU-v6e:8", nodes: 1}
"""))
    serve = pool(e, "serve")
    assert serve["accelerator_watts_each"] is None and serve["kwh_per_node_hour"] is None and serve["kgco2e_per_month_max"] is None
    assert e["kwh_per_hour_max"] is None and e["kgco2e_per_month_max"] is None and e["kgco2e_per_month_min"] is None
    assert any("TPU-v6e" in u for u in e["unknown"])
    assert e["kgco2e_per_month_max_known"] > 0  # the system pool, known: what the total is at least
