import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_HOME = os.path.expanduser("~")  # before any test's fixture changes HOME (_no_ambient_kubeconfig)
SPECS = Path(__file__).parent / "fixtures" / "specs"


@pytest.fixture
def spec_dir() -> Path:
    return SPECS


@pytest.fixture
def repo_root() -> Path:
    return ROOT

# Tests run with --import-mode=importlib so that tests/components/<cloud>/test_network.py can share
# names across clouds; per-cloud helper modules (awshelpers, gcphelpers, ...) are imported by name.
import sys  # noqa: E402

for _helpers in sorted((Path(__file__).parent / "components").glob("*/*helpers.py")):
    if str(_helpers.parent) not in sys.path:
        sys.path.insert(0, str(_helpers.parent))


@pytest.fixture(autouse=True)
def _no_refreshed_prices_and_a_fixed_day(monkeypatch, tmp_path_factory):
    """A developer's `aiinfra catalog refresh` overlay must not change prices in tests, and freshness wording
    ("snapshot of 2026-07-20, 129 days old") needs a fixed today (aiinfra.catalog.freshness)."""
    empty = tmp_path_factory.getbasetemp() / "no-price-overlay"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("AIINFRA_CACHE_DIR", str(empty))
    monkeypatch.setenv("AIINFRA_TODAY", "2026-11-26")


@pytest.fixture(autouse=True)
def _no_ambient_cloud_accounts(monkeypatch, tmp_path_factory):
    """A developer's gcloud project or az subscription must not change what tests resolve (aiinfra.components.base.accounts)."""
    for var in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "CLOUDSDK_ACTIVE_CONFIG_NAME", "AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID"):
        monkeypatch.delenv(var, raising=False)
    empty = tmp_path_factory.getbasetemp() / "no-cloud-config"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(empty))
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(empty))


@pytest.fixture(autouse=True)
def _no_ambient_kubeconfig(monkeypatch, tmp_path_factory):
    """A developer's kubeconfigs must not decide what tests see: cloud: existing resolves existing.kubeconfig (default
    ~/.kube/config, stacks/existing-coreweave.yaml ~/.kube/cw-prod.yaml) with os.path.expanduser, and a file there
    turns a preview into a live drift check (components/existing/drift.py); `up` and `discover` read $KUBECONFIG.
    HOME becomes a folder that links every entry of the real home except .kube, so the tools that keep their
    settings there (pip, git, checkov's caches) still find them."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(_home_without_kube(tmp_path_factory)))
    monkeypatch.setenv("AIINFRA_TEST_REAL_HOME", REAL_HOME)  # what it stands in for (tests/components/existing/test_drift.py)


def _home_without_kube(tmp_path_factory) -> Path:
    home = tmp_path_factory.getbasetemp() / "home-without-kube"
    if home.is_dir():
        return home
    home.mkdir()
    real = Path(REAL_HOME)
    if real.is_dir() and real != real.parent:  # a HOME of "/" (some containers) gets an empty folder, not links to /proc
        for entry in sorted(real.iterdir()):
            if entry.name != ".kube":
                (home / entry.name).symlink_to(entry)
    return home


@pytest.fixture(autouse=True)
def _no_local_stacks(monkeypatch, tmp_path_factory):
    """A developer's own stacks (their recorded placements, aiinfra.resolve.placement) must not change what preview shows."""
    empty = tmp_path_factory.getbasetemp() / "no-data-dir"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("AIINFRA_DATA_DIR", str(empty))


# The slow tier: `pytest -m "not slow"` (the fast tier, CONTRIBUTING.md) leaves these out. A module, or one test
# function of it ("path::name"), each with what makes it slow; modules may also set `pytestmark = pytest.mark.slow`
# (tests/workloads/ do). Times: benchmarks/bench_tiers.py and `pytest --durations=0`.
SLOW = {
    "tests/test_one_check_path.py": "validate and preview of every example and fixture",
    "tests/test_fixed_costs.py": "the program under mocks for every example",
    "tests/test_fit.py::test_the_labels_the_check_expects_are_the_labels_the_program_sets": "the program for every example",
    "tests/test_packaging.py::test_wheel_installs_and_imports_from_anywhere": "builds and installs the wheel",
    "tests/test_placement.py::test_the_stack_program_builds_the_pool_where_the_record_says": "the stack program under mocks",
    "tests/test_placement.py::test_the_stack_program_ignores_a_record_the_spec_no_longer_allows": "the stack program under mocks",
    "tests/test_engine.py::test_full_environment_is_stable_across_runs": "builds a whole environment twice",
    "tests/test_resolved.py::test_the_system_pool_disk_comes_from_the_resolver_on_every_cloud": "a whole environment per cloud",
    "tests/test_resolved.py::test_components_build_from_a_resolved_environment_without_the_catalog": "whole environments",
    "tests/test_spec_errors.py::test_deeper_than_the_parser_can_go_is_a_clean_error": "a spec nested past the parser's limit",
    "tests/components/test_filesystems.py": "whole environments with file systems on every cloud",
    "tests/components/test_accelerator_pools.py": "whole environments per accelerator family",
    "tests/components/test_pinned_pools.py": "whole environments with pinned types",
    "tests/components/test_workload_deployment.py": "a whole environment with the workload",
    "tests/components/aws/test_environment.py": "whole EKS environments",
    "tests/components/aws/test_filesystem.py": "whole environments with FSx",
    "tests/components/aws/test_capacity.py::test_capacity_block_node_group_has_its_own_capacity_type_and_no_instance_types": "a whole environment",
    "tests/components/azure/test_environment.py": "whole AKS environments, every AWS example on Azure",
    "tests/components/azure/test_filesystem.py": "whole environments with AMLFS",
    "tests/components/azure/test_nap.py": "whole AKS environments with and without NAP",
    "tests/components/azure/test_network.py::test_resource_group_protection_follows_cluster_and_data": "whole environments",
    "tests/components/gcp/test_environment.py": "whole GKE environments, every AWS example on GCP",
    "tests/components/gcp/test_filesystem.py": "whole environments with Managed Lustre",
    "tests/components/gcp/test_capacity.py": "whole GKE environments per capacity type",
    "tests/components/kubernetes/test_platform.py": "the platform of a whole environment per cloud",
    "tests/cli/test_azure.py": "preview of the Azure examples, in process and in subprocesses",
    "tests/cli/test_gcp.py": "preview of the GCP examples, in process and in subprocesses",
    "tests/cli/test_main.py": "the CLI in a subprocess for every fixture",
    "tests/cli/test_graph.py": "the graph of every example and fixture, SVG through Graphviz",
    "tests/cli/test_output.py": "preview and cost tables of every example at several widths",
    "tests/cli/test_offers_cmd.py": "offers of every example at two widths",
    "tests/cli/test_preview_summary.py": "preview --summary of every example",
    "tests/cli/test_deterministic.py": "preview --json of the examples in subprocesses under different hash seeds",
    "tests/cli/test_read_only_commands.py": "cost and validate of the examples in a subprocess",
    "tests/cli/test_ci_summary.py": "the CI summary steps through bash and the installed entry point",
    "tests/cli/test_fuzz.py": "validate --json of many mutated example specs",
    "tests/cli/test_errors.py": "validate of every bad fixture through the CLI, and subprocesses",
    "tests/cli/test_render_cmd.py": "render runs the program under mocks",
    "tests/deploy/test_stacks_project.py": "the stack project's program under mocks",
    "tests/policy/test_rules.py": "the rules over a whole preview per cloud",
    "tests/policy/test_scaling.py": "the rules over whole previews",
    "tests/policy/test_karpenter_pools.py": "whole previews with Karpenter",
    "tests/policy/test_cli.py": "preview and cost through the CLI with policies",
    "tests/cli/test_component_errors.py": "component errors under the engine and through the CLI, whole programs",
    "tests/components/aws/test_karpenter.py": "whole EKS environments with Karpenter, validated against the CRDs",
    "tests/cli/test_polish.py::test_completion_completes_commands_options_and_choices": "the installed entry point in a subprocess, per case",
    "tests/deploy/test_deploy_plumbing.py::test_delete_data_program_lifts_protection_retention_and_empties_buckets": "a whole program under mocks",
    "tests/deploy/test_deploy_plumbing.py::test_inline_program_builds_the_environment_and_keeps_the_kubeconfig_secret": "a whole program under mocks",
    "tests/deploy/test_deploy_cli.py": "up, down and outputs through the Automation API and a stand-in Pulumi CLI",
    "tests/components/existing/test_kubeconfig_path.py::test_previews_are_the_same_under_two_homes": "two previews, each in a subprocess",
    "tests/deploy/test_existing_up.py": "up and down on an existing cluster through the Automation API, a stand-in Pulumi CLI and Kubernetes API server",
    "tests/deploy/test_deploy_policy.py": "up refused by policy, through the CLI and the real program",
    "tests/deploy/test_down_order.py": "down through the Automation API",
    "tests/deploy/test_failover.py": "up through the Automation API, failing over zones",
    "tests/deploy/test_placement_memory.py": "failover then a second up, through the Automation API",
    "tests/policy/test_crossguard.py": "the CrossGuard pack through pulumi-policy",
    "tests/render/test_checkov.py": "checkov over the rendered manifests, in its own virtualenv",
    "tests/render/test_validate.py": "every rendered manifest through kubernetes-validate and the CRD schemas",
    "tests/workloads/test_train.py": "torchrun over gloo: training, checkpoints, restarts",
    "tests/workloads/test_serve.py": "the model server in a subprocess",
    "tests/workloads/test_prepare.py": "Ray preprocessing, also through the object-store emulators",
    "tests/workloads/test_stores.py": "checkpoints through the object-store emulators",
    "tests/workloads/test_model.py": "trains and samples the reference model with torch",
    "tests/workloads/test_batching.py": "the server's batched decoding with torch",
    "tests/workloads/test_ray_probe.py": "starts a Ray node and kills its raylet",
    "tests/workloads/test_allreduce.py": "the fabric test over torchrun and gloo",
}


def pytest_ignore_collect(collection_path, config):
    """The fast tier does not even import a module that is slow as a whole (torch, whole environments)."""
    if config.getoption("markexpr", "") == "not slow":
        try:
            return collection_path.relative_to(ROOT).as_posix() in SLOW or None
        except ValueError:
            return None
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        if path in SLOW or f"{path}::{getattr(item, 'originalname', item.name)}" in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _shipped_catalog_after():
    """A spec on an existing cluster installs its snapshot's catalog for the process (aiinfra.catalog.install):
    every test leaves the shipped one behind, so the next sees the catalog it expects whatever the order."""
    yield
    from aiinfra import catalog

    catalog._INSTALLED.clear()
