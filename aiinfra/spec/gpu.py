"""A GPU request (`H100:8`) parsed once into a typed value, instead of a regex here, a partition there and a
split in the CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The grammar, also the spec's field pattern: an accelerator name, a colon, a count per node.
GPU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.-]*:[0-9]+$"
_GPU = re.compile(GPU_PATTERN)


@dataclass(frozen=True)
class GpuRequest:
    model: str = ""
    count: int = 0

    @classmethod
    def parse(cls, text: str) -> "GpuRequest":
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
