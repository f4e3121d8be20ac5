"""One home per cloud: every per-cloud module lives in components/<cloud>/, named like its base in components/base/."""

from __future__ import annotations

import re
from pathlib import Path

from aiinfra import clouds
from aiinfra.components import base

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "components" / "base"
CONTRACTS = sorted(p.stem for p in BASE.glob("*.py") if p.stem != "__init__" and p.stem not in base.SHARED)
CLOUDS = clouds.names()


def test_every_base_file_has_a_counterpart_in_every_cloud():
    missing = [
        f"components/{cloud}/{concern}.py"
        for cloud in CLOUDS
        for concern in CONTRACTS
        if not (ROOT / "components" / cloud / f"{concern}.py").is_file() and (cloud, concern) not in base.OPT_OUTS
    ]
    assert missing == [], "add the file (its contract is components/base/<concern>.py) or an opt-out with a reason in components/base/__init__.py"


def test_the_base_lists_name_real_files_and_give_reasons():
    for concern, why in base.SHARED.items():
        assert (BASE / f"{concern}.py").is_file() and why
    for (cloud, concern), why in base.OPT_OUTS.items():
        assert cloud in CLOUDS and concern in CONTRACTS and why
        assert not (ROOT / "components" / cloud / f"{concern}.py").is_file(), f"{cloud}/{concern}.py exists: drop its opt-out"
    for concern, why in base.CLOUD_ONLY.items():
        assert why and any((ROOT / "components" / cloud / f"{concern}.py").is_file() for cloud in CLOUDS)


def test_every_loaded_concern_resolves_through_the_one_loader():
    for cloud in CLOUDS:
        for concern in CONTRACTS:
            if (cloud, concern) not in base.OPT_OUTS:
                assert clouds.module(cloud, concern).__name__ == f"aiinfra.components.{cloud}.{concern}"


def test_no_per_cloud_module_outside_its_cloud_folder():
    """A module named after a cloud (or its Pulumi package) anywhere but components/<cloud>/ is a second home."""
    keys = {k for p in clouds.all_profiles() for k in (p.name, p.pulumi_package.replace("-", "_"))}
    named = re.compile(r"^({})(_|$)".format("|".join(sorted(keys))))
    stray = [
        str(path.relative_to(ROOT))
        for top in ("aiinfra", "components", "cli")
        for path in (ROOT / top).rglob("*.py")
        if named.match(path.stem) and path.parent.parent != ROOT / "components"
    ]
    assert stray == [], f"move these into components/<cloud>/: {stray}"


def test_no_loader_but_the_registrys_imports_a_cloud_module_by_name():
    """`importlib.import_module(f"aiinfra.components.{cloud}...")` elsewhere is a sixth convention."""
    found = [
        f"{path.relative_to(ROOT)}:{i}"
        for top in ("aiinfra", "components", "cli")
        for path in (ROOT / top).rglob("*.py")
        if path != ROOT / "aiinfra" / "clouds.py"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if "import_module(f\"aiinfra.components.{" in line or "import_module(f'aiinfra.components.{" in line
    ]
    assert found == []
