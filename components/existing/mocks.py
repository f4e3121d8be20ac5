"""The offline engine's answers for an existing cluster: none are needed. The program creates only `kubernetes:`
resources (node labels, the platform), which no cloud owns and which keep their inputs as outputs, and no invoke."""

from __future__ import annotations

RESOURCES: dict = {}
INVOKES: dict = {}
