"""The test tiers and CI's command stay true: every SLOW entry names a real module or test function (a renamed
test would fall silently into the fast tier), and the README's test command is the one .ci/run runs."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _slow() -> dict:
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    [node] = [n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "SLOW" for t in n.targets)]
    return ast.literal_eval(node.value)


def test_every_slow_entry_names_a_module_or_function_and_says_why():
    slow = _slow()
    assert slow
    for key, why in slow.items():
        path, _, name = key.partition("::")
        assert (ROOT / path).is_file(), key
        assert why.strip(), key
        if name:
            assert re.search(rf"^def {re.escape(name)}\(", (ROOT / path).read_text(encoding="utf-8"), re.M), key


def test_the_readme_runs_the_tests_as_ci_does():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [command] = re.findall(r"^(\.venv/bin/python -m pytest[^\n]*)$", ci, re.M)
    assert f"\n{command}\n" in readme, command
    assert "scripts/typecheck" in ci
