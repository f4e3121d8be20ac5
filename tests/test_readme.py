"""The README's Prices section names only sources, files and variables that exist (it once described flags and
sources the catalog had dropped)."""

import re
from pathlib import Path

from aiinfra import catalog

ROOT = Path(__file__).resolve().parents[1]
CLOUDS = ("aws", "gcp", "azure")


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def _code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for folder in ("aiinfra", "components", "cli") for p in (ROOT / folder).rglob("*.py"))


def test_prices_names_real_sources_files_and_variables():
    prices = _section("Prices")
    names = re.findall(r"`([^`]+)`", prices)
    sources = {k for c in CLOUDS for k in catalog.cloud_catalog(c).sources}
    keys = [n for n in names if re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9*]+)+", n)]
    assert keys, "the section names its sources"
    for key in keys:
        assert any(re.fullmatch(key.replace("*", "[A-Z0-9-]+"), s) for s in sources), key
    for path in (n for n in names if "/" in n and " " not in n):
        for cloud in CLOUDS if "<cloud>" in path else ("",):
            assert (ROOT / path.replace("<cloud>", cloud)).exists(), path
    code = _code()
    for var in set(re.findall(r"AIINFRA_[A-Z_|]+", prices)):
        stem, _, rest = var.partition("|")
        assert stem.rstrip("_") in code or stem.rsplit("_", 1)[0] in code, var
    assert "none is today" not in prices or catalog.price_flag_words() == {}


def test_prices_names_the_fields_a_spec_and_the_catalog_have():
    prices = _section("Prices")
    from aiinfra.catalog.models import InstanceType

    for field in ("price_source", "spot_source"):
        assert field in prices and field in InstanceType.model_fields
    assert "price_per_hour" in prices
