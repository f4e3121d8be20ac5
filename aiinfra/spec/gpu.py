"""A GPU request (`H100:8`) parsed once into a typed value, instead of a regex here, a partition there and a
split in the CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiinfra.spec.limits import GPU_PATTERN

_GPU = re.compile(GPU_PATTERN)


@dataclass(frozen=True)
class GpuRequest:
    model: str = ""
    count: int = 0

    @classmethod
    def parse(cls, text: str) -> GpuRequest:
        """`MODEL:COUNT` as written (the model keeps the user's spelling; catalog.canonical_gpu maps it).
        Raises ValueError saying what is wrong, for callers that turn it into a Problem."""
        text = text.strip()
        if not _GPU.match(text):
            model, sep, count = text.partition(":")
            if not sep or not count:
                raise ValueError(f"{text!r} does not say how many GPUs per node; write MODEL:COUNT, e.g. {model or 'H100'}:8")
            raise ValueError(f"{text!r} is not MODEL:COUNT, e.g. H100:8")
        model, _, count = text.partition(":")
        return cls(model, int(count))

    @staticmethod
    def model_of(text: str) -> str:
        """The model part of a request or of a bare model (`--gpu H100` or `--gpu H100:8`), as written."""
        return text.strip().partition(":")[0]

    def __str__(self) -> str:
        return f"{self.model}:{self.count}"


MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.-]*$"


def query_model():
    """The spec's `gpu: {total: 16, models: [...]}` / `gpu: {per_node: 8, min_memory_gib: 80}` form, built on first use
    so that this module stays free of pydantic for callers that only parse `MODEL:COUNT`."""
    return _query_model()


def _query_model():
    global _QUERY
    if _QUERY is None:
        from typing import Annotated

        from pydantic import BaseModel, ConfigDict, Field, model_validator

        from aiinfra.problems import Invalid
        from aiinfra.spec.limits import MAX_POOL_NODES

        class GpuQuery(BaseModel):
            """GPUs asked for by what they add up to: a total over the pool (nodes follow from the shape chosen), a
            count per node, models in order of preference, a least memory per GPU. The resolver picks the shape."""

            model_config = ConfigDict(extra="forbid", frozen=True)
            total: int | None = Field(default=None, ge=1, le=MAX_POOL_NODES * 16, description="GPUs over the whole pool; any shape that gives it (2 × 8, 4 × 4, …); nodes follow")
            per_node: int | None = Field(default=None, ge=1, le=16, description="GPUs per node")
            models: list[Annotated[str, Field(pattern=MODEL_PATTERN)]] = Field(default_factory=list, description="GPU models in order of preference; default: every NVIDIA model that fits min_memory_gib")
            min_memory_gib: float | None = Field(default=None, gt=0, le=1024, description="at least this much memory per GPU")

            @model_validator(mode="after")
            def _sized(self) -> GpuQuery:
                if self.total is None and self.per_node is None:
                    raise Invalid("a gpu: request by what it adds up to needs total: or per_node:", "e.g. gpu: {total: 16, models: [H100]} or gpu: {per_node: 8, min_memory_gib: 80}")
                if self.total and self.per_node and self.total % self.per_node:
                    raise Invalid(f"total: {self.total} is not a whole number of nodes of per_node: {self.per_node}", f"e.g. total: {self.total - self.total % self.per_node or self.per_node}")
                return self

            def __str__(self) -> str:
                parts = [f"total: {self.total}" if self.total else "", f"per_node: {self.per_node}" if self.per_node else "",
                         f"models: [{', '.join(self.models)}]" if self.models else "", f"min_memory_gib: {self.min_memory_gib:g}" if self.min_memory_gib else ""]
                return "{" + ", ".join(p for p in parts if p) + "}"

        _QUERY = GpuQuery
    return _QUERY


_QUERY = None
