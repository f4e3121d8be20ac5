"""Tags become valid GCP labels (components/gcp/labels.py)."""

import re

import pytest

from aiinfra.components.gcp.labels import gcp_labels, label_key

LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def test_default_tags_become_valid_labels():
    labels = gcp_labels({"aiinfra.dev/environment": "llm-train", "managed-by": "aiinfra", "Team": "ML Platform"})
    assert labels == {"aiinfra-dev_environment": "llm-train", "managed-by": "aiinfra", "team": "ml-platform"}
    assert all(LABEL.match(k) and re.match(r"^[a-z0-9_-]{0,63}$", v) for k, v in labels.items())


def test_keys_start_with_a_letter_and_fit_63():
    assert LABEL.match(label_key("9lives"))
    assert len(label_key("x" * 100)) == 63


def test_collisions_are_errors():
    with pytest.raises(ValueError, match="both become"):
        gcp_labels({"Team": "a", "team": "b"})
