"""The Kubernetes provider and the state get existing.kubeconfig as written where the provider expands it itself
(`~/...`: pulumi-kubernetes parseKubeconfigString), so `preview --json` and an `up` from another machine are the
same; aiinfra's own reads (contexts, drift, the credential check) still expand it against HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiinfra.components.existing.profile import kubeconfig_path, provider_kubeconfig

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = {"existing-onprem-h100": "~/.kube/config", "existing-coreweave": "~/.kube/cw-prod.yaml"}


def preview(spec: Path) -> dict:
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load

    return build(load(spec))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_provider_and_the_outputs_get_the_path_as_written(name):
    data = preview(ROOT / "stacks" / f"{name}.yaml")
    providers = [r["inputs"] for r in data["resources"] if r["type"] == "pulumi:providers:kubernetes"]
    assert providers and {p["kubeconfig"] for p in providers} == {EXAMPLES[name]}
    assert data["outputs"]["cluster"]["kubeconfig"] == EXAMPLES[name]
    assert os.path.expanduser("~") not in str(data)


def test_aiinfra_itself_reads_the_expanded_path_and_the_provider_keeps_what_it_cannot_expand(tmp_path):
    from aiinfra.spec import EnvironmentSpec

    def spec(kubeconfig: str) -> EnvironmentSpec:
        return EnvironmentSpec.model_validate({"name": "kcfg", "cloud": "existing", "region": "ctx", "existing": {"kubeconfig": kubeconfig, "snapshot": "s.json"}})

    home = os.path.expanduser("~")
    assert kubeconfig_path(spec("~/.kube/config")) == f"{home}/.kube/config"
    assert provider_kubeconfig(spec("~/.kube/config")) == "~/.kube/config"
    assert provider_kubeconfig(spec(f"{tmp_path}/kc")) == f"{tmp_path}/kc"
    # The provider expands no ~user and reads a relative path against its own working directory: resolved here.
    import pwd

    user = pwd.getpwuid(os.getuid()).pw_name
    assert provider_kubeconfig(spec(f"~{user}/kc")) == os.path.expanduser(f"~{user}/kc")
    source = tmp_path / "env.yaml"
    source.write_text("")
    assert provider_kubeconfig(spec("kube/kc"), str(source)) == str(tmp_path / "kube" / "kc")


def test_previews_are_the_same_under_two_homes(tmp_path):
    """Two processes with different HOMEs (neither has the kubeconfig, so both read the snapshot only)."""
    outs = []
    for home in ("a", "b"):
        (tmp_path / home).mkdir()
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"} | {"HOME": str(tmp_path / home)}
        p = subprocess.run([sys.executable, "-m", "aiinfra", "preview", "--json", str(ROOT / "stacks" / "existing-onprem-h100.yaml")],
                           env=env, capture_output=True, cwd=ROOT, timeout=120)
        assert p.returncode == 0, p.stderr.decode()
        assert str(tmp_path).encode() not in p.stdout
        outs.append(p.stdout)
    assert outs[0] == outs[1]
