"""The repository must set up on a machine that has never seen it: nothing it tracks may point at this machine."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM_DATA = ("tests/fixtures/",)
# Folders every machine has and examples may name (file:///tmp/ckpt): never this machine's own.
SHARED_FOLDERS = {"", "/", "/tmp", "/var/tmp", "/private/tmp", "/home", "/Users"}


def _tracked() -> list[tuple[str, str]]:
    out = subprocess.run(["git", "ls-files", "-s", "-z"], cwd=ROOT, capture_output=True, check=True, text=True).stdout
    rows = []
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        rows.append((meta.split()[0], path))
    return rows


def _outside(link: Path, root: Path = ROOT) -> bool:
    target = os.readlink(link)
    if os.path.isabs(target):
        return True
    resolved = (link.parent / target).resolve()
    return root.resolve() not in (resolved, *resolved.parents)


def test_no_tracked_symlink_leads_outside_the_repository():
    bad = [f"{path} -> {os.readlink(ROOT / path)}" for mode, path in _tracked() if mode == "120000" and _outside(ROOT / path)]
    assert not bad, f"tracked symlinks that dangle on a fresh clone (git rm --cached them): {bad}"


def test_no_tracked_file_names_a_folder_of_this_machine():
    """The checkout's parent folder and the user's home are this machine's; a fresh clone has neither. The home is
    the account's (pwd), since tests run with HOME pointed elsewhere (tests/conftest.py _no_ambient_kubeconfig)."""
    import pwd

    prefixes = {str(ROOT.resolve().parent), pwd.getpwuid(os.getuid()).pw_dir} - SHARED_FOLDERS
    pattern = re.compile("|".join(re.escape(p) + r"/[\w.-]" for p in sorted(prefixes)))
    bad = []
    for mode, path in _tracked():
        if mode == "120000" or path.startswith(UPSTREAM_DATA):
            continue
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        bad += [f"{path}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert not bad, f"absolute paths of this machine in tracked files ({sorted(prefixes)}): {bad}"


def test_the_checks_catch_what_they_look_for(tmp_path):
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "README.md").write_text("x")
    absolute, escaping, inside = repo / ".venv-checkov", repo / "docs" / "up", repo / "docs" / "readme"
    absolute.symlink_to("/nowhere/venv-checkov")
    escaping.symlink_to("../../elsewhere")
    inside.symlink_to("../README.md")
    assert _outside(absolute, repo) and _outside(escaping, repo)
    assert not _outside(inside, repo)


MAX_SOURCE_LINES = 400
SOURCE_FOLDERS = ("aiinfra", "components", "cli", "workloads", "stacks", "scripts", "benchmarks")


def test_no_source_file_is_over_400_lines():
    """A file over the bar holds several concerns; split it along its seams (as aiinfra/deploy/ was)."""
    long = {
        str(p.relative_to(ROOT)): n
        for folder in SOURCE_FOLDERS
        for p in sorted((ROOT / folder).rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_SOURCE_LINES
    }
    assert long == {}, f"over {MAX_SOURCE_LINES} lines: {long}"
