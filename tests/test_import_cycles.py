"""Import cycles among aiinfra/, components/ and cli/ (installed as aiinfra, aiinfra.components, aiinfra.cli).

Neither module-level imports nor imports inside functions form any (LAZY_CYCLES lists accepted exceptions:
none); a new one (say resolve ⇄ workload again) fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (("aiinfra", "aiinfra"), ("components", "aiinfra.components"), ("cli", "aiinfra.cli"))

# Cycles held together by imports inside functions, each waiting for its own change: none are left.
LAZY_CYCLES: list[set[str]] = []


def modules() -> dict[str, Path]:
    out = {}
    for folder, prefix in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts if p != "__init__"]
            out[".".join([prefix, *parts])] = path
    return out


def _statements(tree: ast.Module, lazy: bool) -> list[ast.stmt]:
    """Top-level statements (into if/try blocks), or every statement; never `if TYPE_CHECKING:` blocks."""
    typing_only = {id(n) for b in ast.walk(tree) if isinstance(b, ast.If) and "TYPE_CHECKING" in ast.unparse(b.test) for n in ast.walk(b)}
    if lazy:
        return [n for n in ast.walk(tree) if isinstance(n, ast.stmt) and id(n) not in typing_only]
    out, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if id(node) in typing_only:
            continue
        if isinstance(node, (ast.If, ast.Try)):
            todo += node.body + node.orelse + [s for h in getattr(node, "handlers", []) for s in h.body] + getattr(node, "finalbody", [])
        else:
            out.append(node)
    return out


def graph(lazy: bool) -> dict[str, set[str]]:
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _statements(ast.parse(path.read_text(encoding="utf-8")), lazy):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            # A package importing its own submodule (kubernetes/__init__ -> platform) is not a cycle.
            edges[name] |= {t for t in targets if t in mods and t != name and not name.startswith(t + ".")}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.add(w)
                if w == v:
                    break
            if len(scc) > 1:
                found.append(scc)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_module_level_imports_form_no_cycle():
    assert cycles(graph(lazy=False)) == []


def test_function_level_imports_close_only_the_known_cycles():
    new = [sorted(c) for c in cycles(graph(lazy=True)) if c not in LAZY_CYCLES]
    assert new == [], "new import cycles (move the shared piece into its own module, as aiinfra/resolve/result.py does)"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_resolve_and_workload_no_longer_import_each_other():
    edges = graph(lazy=True)
    assert "aiinfra.resolve" not in edges["aiinfra.resolve.workload"] and "aiinfra.resolve" not in edges["aiinfra.resolve.pinned"]
    assert not any(m.startswith("aiinfra.catalog") for c in ("aiinfra.resolve.result", "aiinfra.program") for m in edges[c])
