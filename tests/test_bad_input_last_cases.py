"""Bad input, the last cases (issue 21 item 6): control characters exit 2 with a line and column, and
did-you-mean suggestions name only near spellings of things that exist."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.problems import SpecError, nearest
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).parent / "fixtures" / "specs"


@pytest.mark.parametrize(("fixture", "where"), [("aws.bad.nul-byte.yaml", "U+0000) on line 3, column 18"), ("aws.bad.control-character.yaml", "U+0007) on line 1, column 15")])
def test_a_control_character_is_a_problem_with_its_position(fixture, where):
    with pytest.raises(SpecError) as err:
        load(SPECS / fixture)
    [p] = err.value.problems
    assert p.path == "(file)" and where in p.message and p.hint


def test_no_name_is_made_up_from_a_name_that_loses_its_letters():
    with pytest.raises(SpecError) as err:
        load(SPECS / "aws.bad.unicode-name.yaml")
    [p] = err.value.problems
    assert p.path == "name" and "n-c-d-env" not in (p.hint or "") + p.message


def test_another_model_number_is_no_suggestion():
    with pytest.raises(SpecError) as err:
        load(SPECS / "aws.bad.gpu-other-model.yaml")
    [p] = err.value.problems
    assert "RTXPRO4500" not in p.hint and p.hint.startswith("known GPUs: ")
    assert nearest("TPUv9", ["TPU-v6e", "TPU-v5p"], model=True) == [] and nearest("h10", ["H100", "H200"], model=True) == ["H100"]


def test_catalog_lists_the_known_gpus_for_an_unknown_one():
    r = CliRunner().invoke(app, ["catalog", "--gpu", "nonsense"])
    assert r.exit_code == 2
    assert "known GPUs: H100" in r.output
    near = CliRunner().invoke(app, ["catalog", "--gpu", "rtxpro4500x"])
    assert "did you mean RTX-PRO-4500?" in near.output


@pytest.mark.parametrize(
    ("fixture", "path", "hint"),
    [
        ("aws.bad.unquoted-version.yaml", "cluster.kubernetes_version", 'quote it: kubernetes_version: "1.30" (unquoted, YAML reads 1.30 as 1.3)'),
        ("aws.bad.octal-number.yaml", "tags.cost-center", 'quote it: cost-center: "00123" (unquoted, YAML reads 00123 as 83)'),
        ("aws.bad.yes-is-true.yaml", "node_pools[0].name", 'quote it: name: "yes" (unquoted, YAML reads yes as true)'),
    ],
)
def test_a_yaml_trap_gets_a_quote_it_hint(fixture, path, hint):
    with pytest.raises(SpecError) as err:
        load(SPECS / fixture)
    [p] = err.value.problems
    assert (p.path, p.hint) == (path, hint)


def test_a_pool_past_the_cloud_cap_names_the_cap():
    with pytest.raises(SpecError) as err:
        load(SPECS / "aws.bad.pool-over-cap.yaml")
    [p] = err.value.problems
    assert p.path == "node_pools[0].nodes" and "EKS caps a node pool at 450 nodes; nodes asks for 500" in p.message and "nodes per managed node group" in p.hint


def test_each_cloud_states_its_pool_cap_with_a_source():
    from aiinfra import clouds

    caps = {p.name: (p.max_pool_nodes, p.max_pool_nodes_per_zone) for p in clouds.all_profiles()}
    assert caps == {"aws": (450, False), "gcp": (1000, True), "azure": (1000, False), "existing": (None, False)}  # existing creates no pools
    assert all(p.max_pool_nodes_source for p in clouds.all_profiles() if p.max_pool_nodes is not None)


@pytest.mark.parametrize(("fixture", "words"), [("aws.bad.reservation-no-zone.yaml", "EC2 capacity reservation is in one availability zone"), ("gcp.bad.reservation-no-zone.yaml", "Compute Engine reservation is in one zone")])
def test_a_zonal_reservation_needs_the_pool_zone(fixture, words):
    with pytest.raises(SpecError) as err:
        load(SPECS / fixture)
    [p] = err.value.problems
    assert p.path == "node_pools[0].zone" and words in p.message and p.hint.startswith("set zone: to the reservation's zone")


def test_an_azure_reservation_group_needs_no_zone():
    env = load(SPECS / "azure.ok.reservation-group.yaml")
    assert [p for p in env.pools if p.reservation]
