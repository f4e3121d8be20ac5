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
