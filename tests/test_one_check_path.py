"""One check path (issue 21 item 3): whatever `validate` accepts, `preview` (the real program under mocks)
accepts too, for every fixture and example; and the components' checks reach `validate` with spec paths."""

from pathlib import Path

import pytest

from aiinfra.components.base.errors import ComponentInputError
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "tests" / "fixtures" / "specs").glob("*.yaml")) + sorted(p for p in (ROOT / "stacks").glob("*.yaml") if not p.name.startswith("Pulumi"))


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_preview_refuses_nothing_that_validate_accepts(spec):
    from aiinfra.report.preview import build

    try:
        env = load(spec)
    except SpecError:
        return  # validate refused it: exit 2 on every command
    try:
        build(env, check_policy=False)
    except (ComponentInputError, SpecError) as err:
        pytest.fail(f"validate accepts {spec.name} but preview refuses it: {err}")


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_a_public_endpoint_without_ranges_is_refused_by_validate(cloud):
    with pytest.raises(SpecError) as err:
        load(ROOT / "tests" / "fixtures" / "specs" / f"{cloud}.bad.public-endpoint-no-cidrs.yaml")
    [p] = err.value.problems
    assert p.path == "cluster.public_access_cidrs" and "public endpoint needs public_access_cidrs" in p.message and p.hint
