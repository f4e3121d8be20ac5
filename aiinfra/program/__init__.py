"""The one Pulumi program of an environment, for every entry point: `preview` and `render` run it offline under
mocks, `up` inline through the Automation API, and stacks/__main__.py under the plain Pulumi CLI.

Its only input is the ResolvedEnvironment (no catalog, no spec rewriting), so what preview shows is what `up`
builds. The offline mocks answer zone lookups from the zones the resolver found for each pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from aiinfra.resolve.result import ResolvedEnvironment

if TYPE_CHECKING:  # Pulumi, the SDKs and the engine load only when a program runs
    from aiinfra.components import Environment
    from aiinfra.program import engine

# Outputs a deployed stack keeps secret and preview prints as [secret].
SECRET_OUTPUTS = frozenset({"kubeconfig"})

View = Callable[["Environment"], dict[str, Any]]


def build(env: ResolvedEnvironment) -> Environment:
    """The environment's component tree; call it inside a running Pulumi program."""
    from aiinfra.components import Environment

    return Environment(env.spec.name, env)


def program(env: ResolvedEnvironment, view: View | None = None, export: bool = False) -> Callable[[], dict[str, Any]]:
    """The program as a callable. It returns the environment's outputs (or what `view` picks from the built
    component, e.g. `render`'s manifests); with export, it also exports the outputs, the kubeconfig as a secret
    (the deployed stacks' outputs)."""

    def run() -> dict[str, Any]:
        built = build(env)
        if export:
            import pulumi

            for key, value in built.outputs.items():
                pulumi.export(key, pulumi.Output.secret(value) if key in SECRET_OUTPUTS else value)
        return view(built) if view else built.outputs

    return run


def offered_zones(env: ResolvedEnvironment) -> Callable[[str], list[str]]:
    """What the mocks answer for 'which zones offer this type': the zones the resolver found for the pools on it
    (by catalog name or API machine name); a type no pool uses is offered in all the region's zones."""
    by_type: dict[str, list[str]] = {}
    for pool in env.pools:
        by_type.setdefault(pool.instance_type, list(pool.zones))
        by_type.setdefault(pool.machine_type, list(pool.zones))
    return lambda instance_type: list(by_type.get(instance_type, env.region_zones))


def mock_settings(env: ResolvedEnvironment) -> dict[str, Any]:
    """Account facts the mocks put into IDs (GCP project, Azure subscription/resource group): every cloud profile's
    settings section, merged, as the mocks read them by key."""
    from aiinfra import clouds

    return {k: v for p in clouds.all_profiles() for k, v in p.mock_settings(env).items()}


def mocks(env: ResolvedEnvironment) -> engine.CloudMocks:
    from aiinfra.program import engine

    return engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, offered_zones(env), mock_settings(env))


def run_offline(env: ResolvedEnvironment, view: View | None = None) -> engine.RunResult:
    """The program under mocks: what it would register, with options, and its outputs (or view's)."""
    from aiinfra.program import engine

    return engine.run(program(env, view), mocks(env), stack=env.spec.name)
