"""A schema error in one pool does not hide the catalog problems of the pools that parsed (issue 21 item 3)."""

from pathlib import Path

import pytest

from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).parent / "fixtures" / "specs"


def test_syntax_error_and_catalog_errors_in_one_run():
    with pytest.raises(SpecError) as err:
        load(SPECS / "aws.bad.syntax-and-catalog.yaml")
    got = {p.path: p.message for p in err.value.problems}
    assert list(got) == ["node_pools[0].gpu", "node_pools[1].gpu", "node_pools[2].gpu", "node_pools[3].gpu"]
    assert "joined by a colon" in got["node_pools[0].gpu"]
    assert "'Q9000' is not a GPU" in got["node_pools[1].gpu"] and "3 × H100" in got["node_pools[2].gpu"]


def test_no_catalog_checks_when_the_region_did_not_parse(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("name: llm-train\ncloud: aws\nregion: 42\nnode_pools: [{name: a, gpu: 'Q9000:1'}]\n")
    with pytest.raises(SpecError) as err:
        load(spec)
    assert [p.path for p in err.value.problems] == ["region"]
