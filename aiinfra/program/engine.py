"""The offline engine: runs the real Pulumi program in-process under Pulumi's mocks.

Every resource is captured as the provider would receive it (type token, camelCase inputs)
together with its resource options, and the mocks answer with realistic outputs (ARNs, IDs,
endpoints) so that code which reads them runs as it would on `pulumi up`. Nothing leaves
the machine and no credentials are needed.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from aiinfra.components.base.mocks import CloudMocks

__all__ = ["CapturedResource", "CloudMocks", "RunResult", "run"]

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass
class CapturedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "options": self.options,
        }


@dataclass
class RunResult:
    resources: list[CapturedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)

    def of_type(self, token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> CapturedResource:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {token}{' named ' + name if name else ''}, found {len(found)}")
        return found[0]

    def children_of(self, urn: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.parent == urn]

    def outside(self, root: CapturedResource) -> list[str]:
        """Resources whose parent chain does not reach root (or loops): `down` of root would miss them."""
        urns = {r.urn: r for r in self.resources}
        lost = []
        for r in self.resources:
            seen, cur = set(), r
            while cur.urn != root.urn and cur.parent in urns and cur.urn not in seen:
                seen.add(cur.urn)
                cur = urns[cur.parent]
            if cur.urn != root.urn:
                lost.append(f"{r.type} {r.name}")
        return lost


COMPUTED = "<computed>"


def _clean(value: Any) -> Any:
    """Wire values as JSON-friendly data: integral floats back to ints, unknowns named, map keys sorted.

    A value known only after deploy arrives as the wire sentinel (update mode) or as a
    `pulumi.output.Unknown` (preview mode); both print as "<computed>". Wire maps carry no order
    (protobuf Struct), so keys are sorted to make two runs byte-identical. Secrets keep the wire
    form ({<secret sig>: ..., "value": ...}) that the component tests read.
    """
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return COMPUTED
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _clean(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value == UNKNOWN:
        return COMPUTED
    return value


def run(program: Callable[[], Any], mocks: CloudMocks, project: str = "aiinfra", stack: str = "dev", preview: bool = True) -> RunResult:
    """Run a Pulumi program under mocks and return what it registered, with options, and its outputs."""
    import pulumi
    from pulumi.runtime import mocks as pmocks
    from pulumi.runtime import settings

    lock = threading.Lock()
    captured: dict[str, CapturedResource] = {}

    class _Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            rid, out = mocks.outputs(args.typ, args.name, args.inputs)
            return (rid if args.custom else None), out

        def call(self, args: pulumi.runtime.MockCallArgs):
            return mocks.invoke(args.token, dict(args.args))

    class _Monitor(pmocks.MockMonitor):
        def RegisterResource(self, request):
            from pulumi.runtime import rpc

            response = super().RegisterResource(request)
            raw_inputs = rpc.deserialize_properties(request.object)
            with lock:
                captured[response.urn] = CapturedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent or None,
                    custom=bool(request.custom),
                    inputs=_clean(raw_inputs),
                    options={
                        "protect": request.protect if request.HasField("protect") else None,
                        "retain_on_delete": request.retainOnDelete if request.HasField("retainOnDelete") else None,
                        "ignore_changes": list(request.ignoreChanges),
                        "depends_on": sorted(request.dependencies),  # a set in the SDK: its order follows string hashing
                        "additional_secret_outputs": list(request.additionalSecretOutputs),
                        "provider": request.provider or None,
                        "providers": dict(sorted(request.providers.items())),
                    },
                )
            return response

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    m = _Mocks()
    outputs: dict[str, Any] = {}
    secret: set[str] = set()
    try:
        pulumi.runtime.set_mocks(m, project=project, stack=stack, preview=preview, monitor=_Monitor(m))

        async def collect(result: dict[str, Any]) -> None:
            """Each output on its own, unknowns included: one unknown value must not drop the others."""
            for key, value in result.items():
                out = pulumi.Output.from_input(value)
                known = await out.is_known()
                got = await out.future(with_unknowns=True)
                outputs[key] = COMPUTED if got is None and not known else got
                if await out.is_secret():
                    secret.add(key)

        def body() -> Any:
            return collect(dict(program() or {}))

        pulumi.runtime.test(body)()
    finally:
        settings.reset_options()
        asyncio.set_event_loop(None)
        loop.close()
    return RunResult(resources=_tree_order(captured), outputs=_clean(outputs), secret_outputs=secret)


def _tree_order(captured: dict[str, CapturedResource]) -> list[CapturedResource]:
    """Parents before children, siblings by type and name: registration order depends on thread timing."""
    kids: dict[str | None, list[CapturedResource]] = {}
    for r in captured.values():
        if r.type == "pulumi:pulumi:Stack":
            continue
        parent = r.parent if r.parent in captured and captured[r.parent].type != "pulumi:pulumi:Stack" else None
        kids.setdefault(parent, []).append(r)
    out: list[CapturedResource] = []

    def walk(parent: str | None) -> None:
        for r in sorted(kids.get(parent, []), key=lambda r: (not r.custom, r.type, r.name)):
            out.append(r)
            walk(r.urn)

    walk(None)
    return out
