"""A spec on an existing cluster installs its snapshot's catalog for the process (aiinfra.catalog.install): each test
here leaves the shipped one behind, so tests elsewhere see the catalog they expect."""

import pytest


@pytest.fixture(autouse=True)
def shipped_catalog_after():
    yield
    from aiinfra import catalog

    catalog._INSTALLED.clear()
