from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).parent / "fixtures" / "specs"


@pytest.fixture
def spec_dir() -> Path:
    return SPECS


@pytest.fixture
def repo_root() -> Path:
    return ROOT

# Tests run with --import-mode=importlib so that tests/components/<cloud>/test_network.py can share
# names across clouds; per-cloud helper modules (awshelpers, gcphelpers, ...) are imported by name.
import sys  # noqa: E402

for _helpers in sorted((Path(__file__).parent / "components").glob("*/*helpers.py")):
    if str(_helpers.parent) not in sys.path:
        sys.path.insert(0, str(_helpers.parent))


@pytest.fixture(autouse=True)
def _no_refreshed_prices_and_a_fixed_day(monkeypatch, tmp_path_factory):
    """A developer's `aiinfra catalog refresh` overlay must not change prices in tests, and freshness wording
    ("snapshot of 2026-07-20, 129 days old") needs a fixed today (aiinfra.catalog.freshness)."""
    empty = tmp_path_factory.getbasetemp() / "no-price-overlay"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("AIINFRA_CACHE_DIR", str(empty))
    monkeypatch.setenv("AIINFRA_TODAY", "2026-11-26")


@pytest.fixture(autouse=True)
def _no_ambient_cloud_accounts(monkeypatch, tmp_path_factory):
    """A developer's gcloud project or az subscription must not change what tests resolve (aiinfra.components.base.accounts)."""
    for var in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "CLOUDSDK_ACTIVE_CONFIG_NAME", "AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID"):
        monkeypatch.delenv(var, raising=False)
    empty = tmp_path_factory.getbasetemp() / "no-cloud-config"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(empty))
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(empty))


@pytest.fixture(autouse=True)
def _no_local_stacks(monkeypatch, tmp_path_factory):
    """A developer's own stacks (their recorded placements, aiinfra.resolve.placement) must not change what preview shows."""
    empty = tmp_path_factory.getbasetemp() / "no-data-dir"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("AIINFRA_DATA_DIR", str(empty))


@pytest.fixture(autouse=True)
def _shipped_catalog_after():
    """A spec on an existing cluster installs its snapshot's catalog for the process (aiinfra.catalog.install):
    every test leaves the shipped one behind, so the next sees the catalog it expects whatever the order."""
    yield
    from aiinfra import catalog

    catalog._INSTALLED.clear()
