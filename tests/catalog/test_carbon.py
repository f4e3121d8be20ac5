"""The energy and carbon data cover the whole catalog: every region a grid factor (or an explicit unknown),
every accelerator model a board power (or an explicit unknown), every cloud its PUE and CPU figures."""

from __future__ import annotations

import pytest

from aiinfra import catalog, clouds
from aiinfra.catalog import carbon


def _runs_in_its_own_data_centres(cloud: str) -> bool:
    """A cloud whose program creates cloud resources (tests/test_clouds.py asks its mocks the same); cloud: existing
    creates none: it runs where its owner's cluster is."""
    return bool(clouds.module(cloud, "mocks").RESOURCES)


@pytest.mark.parametrize("cloud", clouds.names())
def test_every_catalog_region_has_a_factor_or_is_listed_unknown(cloud):
    data = carbon.grid()
    if not _runs_in_its_own_data_centres(cloud):
        return  # checked below: no figures at all
    unknown = data.unknown.get(cloud, {})
    for region in catalog.cloud_catalog(cloud).regions:
        figure = carbon.grid_factor(cloud, region)
        assert (figure is None) == (region in unknown), f"{cloud} {region}: neither a factor nor listed unknown (or both)"
        if figure is not None:
            assert figure.gco2e_per_kwh > 0 and figure.year >= 2024
            assert figure.source in data.sources and figure.zone


@pytest.mark.parametrize("cloud", clouds.names())
def test_every_cloud_has_pue_and_cpu_figures(cloud):
    if not _runs_in_its_own_data_centres(cloud):
        # cloud: existing runs where its owner's cluster is: no PUE, grid or CPU figure, so unknown, never zero
        assert carbon.pue(cloud, clouds.facts(cloud).example_region) == (None, "unknown", "")
        assert carbon.grid_factor(cloud, clouds.facts(cloud).example_region) is None
        return
    power = carbon.energy().clouds[cloud]
    assert 1 < power.fleet_pue.pue < 2 and power.fleet_pue.source
    assert 0 < power.cpu_watts_per_vcpu.min < power.cpu_watts_per_vcpu.max
    for region in catalog.cloud_catalog(cloud).regions:
        value, scope, source = carbon.pue(cloud, region)
        assert scope in ("region", "fleet") and source and value.year >= 2023


def test_every_gcp_region_has_googles_figure_and_cfe():
    for region in catalog.cloud_catalog("gcp").regions:
        g = carbon.google(region)
        assert g is not None and g.year == 2024 and 0 <= g.cfe_pct <= 100, region


def test_every_accelerator_model_has_power_or_is_explicitly_unknown():
    table = carbon.energy().accelerators
    assert set(table) == set(catalog.gpus()), "energy.yaml accelerators must name exactly the models of gpus.yaml"
    unknown = {m for m, e in table.items() if e.watts == "unknown"}
    assert {"TPU-v5e", "TPU-v5p", "TPU-v6e", "Trainium", "Trainium2", "Inferentia2", "B300"} <= unknown
    assert carbon.accelerator_watts("TPU-v6e") is None and carbon.accelerator_watts("H100") == 700.0
    assert all(table[m].source for m in table)


def test_grid_file_carries_its_odbl_attribution():
    from importlib import resources

    text = resources.files("aiinfra.catalog").joinpath("data", "carbon.yaml").read_text(encoding="utf-8")
    assert "Open Database License" in text and "Electricity Maps" in text
    assert carbon.grid().licence.startswith("ODbL")
