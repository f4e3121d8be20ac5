"""What every spec section shares: the strict model base and the {min, max} range node pools and replicas use."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aiinfra.problems import Invalid
from aiinfra.spec.limits import MAX_POOL_NODES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Range(_Strict):
    """Autoscaling bounds; a fixed size is written as a plain number."""

    min: int = Field(ge=0, le=MAX_POOL_NODES)
    max: int = Field(ge=1, le=MAX_POOL_NODES)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise Invalid(f"min ({self.min}) is greater than max ({self.max})", f"swap them: {{min: {self.max}, max: {self.min}}}")
        return self
