"""Import cycles among aiinfra/, components/ and cli/ (installed as aiinfra, aiinfra.components, aiinfra.cli).

Neither module-level imports nor imports inside functions form any (LAZY_CYCLES lists accepted exceptions:
none); a new one (say resolve ⇄ workload again) fails here. Counting `if TYPE_CHECKING:` imports too, the spec,
the resolver and the registry form none among themselves (the registry is at the bottom), and the whole tree
only the TYPED_CYCLES listed with their reasons (none)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (("aiinfra", "aiinfra"), ("components", "aiinfra.components"), ("cli", "aiinfra.cli"))

# Cycles held together by imports inside functions, each waiting for its own change: none are left.
LAZY_CYCLES: list[set[str]] = []

# Cycles that need `if TYPE_CHECKING:` imports to close, each waiting for its own change: none are left (the last,
# a policy waiver's rule id checked by the spec against aiinfra.policy, is now the resolver's question to the policy
# package, and deploy's Target has its own module).
TYPED_CYCLES: dict[frozenset[str], str] = {}

# The registry: aiinfra.clouds, the facts and profile contracts and each cloud's facts, settings and profile.
REGISTRY = ("aiinfra.clouds", "aiinfra.components.base.facts", "aiinfra.components.base.profile")
CLOUD_REGISTRY = ("facts", "settings", "profile")


def modules() -> dict[str, Path]:
    out = {}
    for folder, prefix in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts if p != "__init__"]
            out[".".join([prefix, *parts])] = path
    return out


def _statements(tree: ast.Module, lazy: bool, typing: bool = False) -> list[ast.stmt]:
    """Top-level statements (into if/try blocks), or every statement; `if TYPE_CHECKING:` blocks only with `typing`."""
    typing_only = set() if typing else {id(n) for b in ast.walk(tree) if isinstance(b, ast.If) and "TYPE_CHECKING" in ast.unparse(b.test) for n in ast.walk(b)}
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


def graph(lazy: bool, typing: bool = False) -> dict[str, set[str]]:
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _statements(ast.parse(path.read_text(encoding="utf-8")), lazy, typing):
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


def _bottom(name: str) -> bool:
    """The spec, the resolver and the registry."""
    parts = name.split(".")
    cloud_file = len(parts) == 4 and parts[:2] == ["aiinfra", "components"] and parts[2] != "base" and parts[3] in CLOUD_REGISTRY
    return name in REGISTRY or cloud_file or any(name == p or name.startswith(p + ".") for p in ("aiinfra.spec", "aiinfra.resolve"))


def test_the_spec_the_resolver_and_the_registry_form_no_cycle_even_through_type_imports():
    edges = graph(lazy=True, typing=True)
    among = {m: {t for t in targets if _bottom(t)} for m, targets in edges.items() if _bottom(m)}
    assert "aiinfra.components.aws.profile" in among and "aiinfra.components.base.facts" in among
    assert [sorted(c) for c in cycles(among)] == [], "the registry names no spec or resolved type; hooks live in components/base/profile.py"


def test_type_imports_close_only_the_known_cycles():
    new = [sorted(c) for c in cycles(graph(lazy=True, typing=True)) if frozenset(c) not in TYPED_CYCLES]
    assert new == []


def test_the_registry_imports_nothing_above_it():
    edges = graph(lazy=True, typing=True)
    assert {t for t in edges["aiinfra.clouds"] if t.startswith("aiinfra.")} == {"aiinfra.components.base.facts"}
    assert not any(t.startswith(("aiinfra.spec", "aiinfra.resolve")) for t in edges["aiinfra.components.base.facts"])


def test_importing_the_spec_loads_no_profile_or_component():
    """The spec's schema needs the clouds' facts and settings models only: no hook, no Pulumi component."""
    code = "import sys, aiinfra.spec; print(' '.join(sorted(m for m in sys.modules if m.startswith('aiinfra.components'))))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    allowed = {"aiinfra.components", "aiinfra.components.base", "aiinfra.components.base.facts", "aiinfra.components.base.sdk"}
    strays = {m for m in loaded - allowed if not (m.count(".") == 2 or m.rsplit(".", 1)[1] in ("facts", "settings"))}
    assert "aiinfra.components.aws.facts" in loaded and strays == set(), "the spec needs only facts.py and settings.py of each cloud"
