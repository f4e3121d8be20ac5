"""The wheel carries the design layout under the aiinfra package, with its data files."""

import subprocess
import sys
import zipfile
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_source_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *rel)))
    assert found <= listed, f"packages missing from pyproject: {sorted(found - listed)}"


def test_wheel_installs_and_imports_from_anywhere(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheel_dir.glob("aiinfra-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for must in ("aiinfra/components/aws/gpu_pool.py", "aiinfra/cli/main.py", "aiinfra/catalog/data/aws.yaml", "aiinfra/catalog/data/gpus.yaml",
                 "aiinfra/components/kubernetes/charts.yaml", "aiinfra/components/kubernetes/gpu-dashboard.json",
                 "aiinfra/components/gcp/gpu_pool.py", "aiinfra/components/gcp/mocks.py", "aiinfra/components/base/policy.py", "aiinfra/components/azure/gpu_pool.py",
                 "aiinfra/templates/fabrics.yaml", "aiinfra/templates/trainjob.yaml.j2"):
        assert must in names, must
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True, capture_output=True)
    probe = (
        "import aiinfra, aiinfra.components, aiinfra.cli.main, aiinfra.catalog as c;"
        f"assert aiinfra.__file__.startswith({str(target)!r}), aiinfra.__file__;"
        "assert 'p5.48xlarge' in c.cloud_catalog('aws').instance_types;"
        "print(aiinfra.components.__file__)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(target))
