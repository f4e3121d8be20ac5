"""Fuzzing `validate --json` with mutated example specs: whatever the input, exit 0 or 2, JSON out, no traceback.

Mutations are drawn from a seeded RNG so a failure reproduces; the failing case's text is in the message.
"""

import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from aiinfra.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "stacks").glob("*.yaml") if not p.name.startswith("Pulumi."))
CASES_PER_EXAMPLE = 80
ODD_VALUES: list[Any] = [
    None, True, 0, -1, 10**30, -(10**20), 1.5, 1e308, float("inf"), "", " ", "x" * 5000, "ünïcødé-名前-🚀", "\u202eevil",
    "10.0.0.300/16", "H100:8:8", "::", [], {}, [None], {"min": 5, "max": 2}, {"deep": [[[[[[1]]]]]]}, "null", "yes",
]
KEY_RENAMES = [lambda k: k.replace("_", "-"), str.upper, lambda k: k[:-1], lambda k: k + "s", lambda k: " " + k, lambda k: "1" + k]


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple) -> tuple[Any, Any]:
    for part in path[:-1]:
        data = data[part]
    return data, path[-1]


def mutate(data: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        paths = _paths(data)
        if not paths:
            return data
        parent, key = _parent(data, rng.choice(paths))
        op = rng.choice(["delete", "swap", "swap", "rename", "nest", "add"])
        if op == "delete":
            del parent[key]
        elif op == "swap":
            parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif op == "rename" and isinstance(parent, dict):
            parent[rng.choice(KEY_RENAMES)(str(key))] = parent.pop(key)
        elif op == "nest":
            value = parent[key]
            for _ in range(rng.choice([2, 10, 30])):
                value = [value] if rng.random() < 0.5 else {"x": value}
            parent[key] = value
        elif op == "add" and isinstance(parent, dict):
            parent[rng.choice(["node-pools", "gpu", "extra", "name", "nodes", "zone"])] = rng.choice(ODD_VALUES[:14])
    return data


def text_mutations(text: str, rng: random.Random) -> str:
    """Mutations that only exist as text: duplicate keys, broken indentation, truncation, stray bytes."""
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    op = rng.choice(["duplicate", "duplicate", "indent", "truncate", "tab", "anchor"])
    if op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "indent":
        lines[i] = "   " + lines[i]
    elif op == "truncate":
        return text[: rng.randrange(len(text))]
    elif op == "tab":
        lines[i] = "\t" + lines[i]
    else:
        width = rng.choice([3, 10])
        lines += [f"a0: &a0 [{', '.join(['1'] * width)}]"]
        lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * width)}]" for k in range(1, rng.choice([2, 6]))]
    return "\n".join(lines) + "\n"


def cases() -> list[tuple[str, int, str]]:
    rng = random.Random(11)
    out = []
    for example in EXAMPLES:
        text = example.read_text()
        data = yaml.safe_load(text)
        for n in range(CASES_PER_EXAMPLE):
            if n % 4 == 3:
                mutated = text_mutations(text, rng)
            else:
                mutated = yaml.safe_dump(mutate(data, rng), allow_unicode=True, sort_keys=False)
            out.append((example.name, n, mutated))
    return out


def test_validate_json_never_crashes_on_mutated_examples(tmp_path):
    runner = CliRunner()
    spec = tmp_path / "fuzz.yaml"
    seen = {0: 0, 2: 0}
    for example, n, text in cases():
        spec.write_text(text, encoding="utf-8")
        r = runner.invoke(app, ["validate", "--json", str(spec)])
        where = f"{example} case {n}:\n{text[:2000]}\n--- output:\n{r.output[-2000:]}"
        assert r.exception is None or isinstance(r.exception, SystemExit), where + repr(r.exception)
        assert r.exit_code in (0, 2), where
        assert "Traceback" not in r.output, where
        data = json.loads(r.stdout)
        if r.exit_code == 2:
            assert data["valid"] is False and data["problems"], where
            for p in data["problems"]:
                assert p["path"] and p["message"] and "Input should" not in p["message"], where
        else:
            assert data["valid"] is True, where
        seen[r.exit_code] += 1
    assert seen[2] > len(EXAMPLES) * CASES_PER_EXAMPLE // 2, seen  # the mutations really break specs
