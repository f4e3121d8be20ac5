"""Reading a spec file safely: only regular, readable, UTF-8 files of sane size; YAML without duplicate keys,
absurd nesting or alias bombs. Every refusal is a Problem, never a traceback."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

from aiinfra.problems import Problem, SpecError, join_path, shown

MAX_BYTES = 1024 * 1024  # the largest example is about 2 KiB; a megabyte is a mistake, not a spec
MAX_DEPTH = 20  # the deepest real path (workload.images.tag) is 3 levels
MAX_NODES = 20_000  # mappings, lists and scalars together, aliases counted each time they are used
# C0 and C1 controls, DEL and the UTF-16 non-characters, but not tab, newline and carriage return (YAML's own).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
EXAMPLE_HINT = "pass the path of an environment YAML, e.g. stacks/aws-llm.yaml"


def read_text(path: str | Path) -> str:
    """The file's text, or SpecError saying why it cannot be a spec (missing, a directory, a device, too big, not UTF-8)."""
    p = Path(path)
    source = str(path)

    def fail(message: str, hint: str | None = EXAMPLE_HINT) -> SpecError:
        return SpecError(source, [Problem("(file)", message, hint, source)])

    try:
        st = p.stat()
    except FileNotFoundError:
        raise fail(f"no such file: {source}") from None
    except NotADirectoryError:
        raise fail(f"no such file: {source} (a part of the path is a file, not a folder)") from None
    except PermissionError:
        raise fail(f"cannot reach {source}: permission denied", "check the permissions of the folders on the path") from None
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise fail(f"{source} is a directory, not a spec file", f"name a YAML file in it, e.g. {Path(source) / 'aws-llm.yaml'}")
    if not stat.S_ISREG(st.st_mode):
        raise fail(f"{source} is not a regular file (a device, pipe or socket)", "save the spec to a file and pass its path")
    if st.st_size > MAX_BYTES:
        raise fail(f"{source} is {st.st_size / 1024 / 1024:.1f} MiB; a spec is at most {MAX_BYTES // 1024} KiB", "is this the right file? specs are a few KiB")
    try:
        with open(p, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except PermissionError:
        raise fail(f"cannot read {source}: permission denied", f"make it readable, e.g. chmod u+r {source}") from None
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise fail(f"{source} is larger than {MAX_BYTES // 1024} KiB", "is this the right file? specs are a few KiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(
            f"{source} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded",
            "save the file as UTF-8 (most editors: File > Save with encoding > UTF-8)",
        ) from None
    bad = CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise SpecError(
            source,
            [Problem("(file)", f"a control character (U+{ord(bad[0]):04X}) on line {line}, column {column}: a spec is plain text", "delete it (a NUL byte often means the file is UTF-16 or binary: save it as UTF-8)", source)],
        )
    return text


def _yaml_problem(exc: Exception) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown position"
    problem = getattr(exc, "problem", None) or str(exc)
    if "expected a single document" in str(exc):
        return Problem("(yaml)", f"more than one YAML document (a second one starts at {where})", "keep one environment per file: remove the '---' line and what follows")
    if "could not determine a constructor for the tag" in problem:
        tag = problem.rsplit("tag:yaml.org,2002:", 1)[-1].rstrip("'")
        return Problem("(yaml)", f"the YAML tag !!{tag} at {where} is not allowed: a spec is plain YAML", "remove the tag and write the value itself")
    if "\\t" in problem or "\t" in problem:
        return Problem("(yaml)", f"not valid YAML at {where}: a tab character", "indent with spaces: YAML does not allow tabs")
    return Problem("(yaml)", f"not valid YAML at {where}: {problem}", "check indentation and quoting")


def load_yaml(text: str, source: str) -> tuple[Any, list[Problem], dict[str, str]]:
    """Compose the YAML node graph, check it (duplicate keys, depth, size), then build Python data from it.

    Duplicate keys come back with the data, so that they are reported together with the spec's other problems,
    and so does the text of every unquoted scalar YAML turned into a number or true/false (see quote_hints)."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise SpecError(source, [Problem("(yaml)", f"nested too deeply (more than {MAX_DEPTH} levels)", "a spec is a few levels deep; check for runaway brackets")]) from None
        except yaml.YAMLError as exc:
            raise SpecError(source, [_yaml_problem(exc)]) from None
        if node is None:
            return None, [], {}
        problems, fatal = check_nodes(node)
        if fatal:
            raise SpecError(source, problems)
        try:
            return loader.construct_document(node), problems, typed_scalars(node)
        except yaml.YAMLError as exc:
            raise SpecError(source, [*problems, _yaml_problem(exc)]) from None
    finally:
        loader.dispose()


def _key_text(node: Any) -> str | None:
    import yaml

    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def check_nodes(root: Any) -> tuple[list[Problem], bool]:
    """Walk the node graph without recursion: duplicate keys with both lines, nesting depth, total size.
    The flag says the graph must not be built at all (too deep, too big, unhashable keys)."""
    import yaml

    problems: list[Problem] = []
    fatal = False
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    seen = 0
    while stack:
        node, path = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return [Problem("(yaml)", f"the document has more than {MAX_NODES:,} values (aliases count each time they are used)", "a spec has a few dozen values; check for runaway anchors (&) and aliases (*)")], True
        if len(path) > MAX_DEPTH:
            return [Problem(join_path(path[:MAX_DEPTH]), f"nested too deeply (more than {MAX_DEPTH} levels)", "a spec is a few levels deep; check for runaway brackets or indentation")], True
        if isinstance(node, yaml.SequenceNode):
            stack += [(child, (*path, i)) for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = _key_text(key_node)
                if key is None:
                    fatal = True
                    problems.append(Problem(join_path(path), f"a key must be a plain name, not a {'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'} (line {key_node.start_mark.line + 1})", "write keys as plain words, e.g. name: value"))
                    continue
                line = key_node.start_mark.line + 1
                if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, path))
                    continue
                if key in first_line:
                    problems.append(
                        Problem(
                            join_path((*path, key)),
                            f"the key {shown(key)} appears twice, on lines {first_line[key]} and {line}; YAML would silently keep only the last",
                            "delete one of them, or merge their contents",
                            key,
                        )
                    )
                    continue
                first_line[key] = line
                stack.append((value_node, (*path, key)))
    return problems, fatal



_TYPED = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")


def typed_scalars(root: Any) -> dict[str, str]:
    """Field path -> the text of each unquoted value YAML read as a number or true/false (1.30, 00123, yes)."""
    import yaml

    out: dict[str, str] = {}
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            stack += [(child, (*path, i)) for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            stack += [(v, (*path, str(k.value))) for k, v in node.value if isinstance(k, yaml.ScalarNode) and len(path) < MAX_DEPTH]
        elif isinstance(node, yaml.ScalarNode) and node.style is None and node.tag in _TYPED:
            out[join_path(path)] = node.value
    return out


def quote_hints(problems: list[Problem], typed: dict[str, str]) -> list[Problem]:
    """A text field that got a number or true/false from an unquoted scalar: the hint says to quote it, with
    what YAML made of it (`kubernetes_version: 1.30` is the number 1.3, `00123` the octal 83, `yes` true)."""
    out = []
    for p in problems:
        raw = typed.get(p.path)
        if raw is not None and p.message.startswith("expected text"):
            field = p.path.rsplit(".", 1)[-1]
            p = Problem(p.path, p.message, f'quote it: {field}: "{raw}" (unquoted, YAML reads {raw} as {shown(p.value)})', p.value)
        out.append(p)
    return out
