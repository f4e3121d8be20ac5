"""The spec's `gcp:` section; its patterns and how errors word them live in profile.py."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from aiinfra.components.gcp.facts import PROJECT_PATTERN


class GcpSettings(BaseModel):
    """Where a GCP environment lives; ignored on other clouds, so a spec moves by editing cloud and region."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    project: str | None = Field(
        default=None,
        pattern=PROJECT_PATTERN,
        description="GCP project ID (e.g. my-ml-project); else $GOOGLE_CLOUD_PROJECT, $CLOUDSDK_CORE_PROJECT or the gcloud "
        "configuration; offline commands use a placeholder, `up` needs a real one",
    )
