import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pricing_server import PriceServer  # noqa: E402


@pytest.fixture
def price_server(monkeypatch, tmp_path):
    """The local price APIs, every AIINFRA_PRICING_URL_* pointed at them, an empty cache dir, no GCP credential."""
    with PriceServer() as server:
        for cloud in ("AWS", "GCP", "AZURE"):
            monkeypatch.setenv(f"AIINFRA_PRICING_URL_{cloud}", server.url)
        monkeypatch.setenv("AIINFRA_CACHE_DIR", str(tmp_path / "cache"))
        for var in ("AIINFRA_GCP_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS"):
            monkeypatch.delenv(var, raising=False)
        yield server
