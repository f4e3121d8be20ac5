"""The Pulumi CLI, stack configuration and the Automation API stack for one environment."""

from __future__ import annotations

import dataclasses
import subprocess
from typing import Any, Callable

from aiinfra.deploy.backends import is_cloud_service
from aiinfra.deploy.errors import (
    INSTALL_PULUMI,
    PASSPHRASE_FILE_VAR,
    PASSPHRASE_VAR,
    PROJECT,
    DeployError,
    NoSuchEnvironment,
    PassphraseMissing,
    PulumiMissing,
    StackBusy,
)
from aiinfra.deploy.state import describe_lock, lock_holders
from aiinfra.deploy.target import Target
from aiinfra.resolve.result import ResolvedEnvironment


def pulumi_command(reads_state: bool = False):
    """The Pulumi CLI on PATH, or PulumiMissing saying how to install it. Called before anything else. A command
    that reads the state (down, refresh, outputs, status) says it cannot, not that nothing is deployed."""
    from pulumi import automation as auto

    try:
        return auto.PulumiCommand()
    except (FileNotFoundError, PermissionError):
        missing = "the Pulumi CLI is not installed (no `pulumi` on PATH)"
        raise PulumiMissing(
            f"{missing}: the environment's state cannot be read without it, so what is deployed is unknown; nothing was changed"
            if reads_state
            else f"{missing}; nothing was deployed",
            fixes=INSTALL_PULUMI,
            notes=["`aiinfra preview SPEC` and `aiinfra cost SPEC` work without it."],
        ) from None
    except subprocess.CalledProcessError as exc:
        raise PulumiMissing(f"`pulumi version` failed (exit {exc.returncode}); reinstall the Pulumi CLI", fixes=INSTALL_PULUMI) from None
    except auto.errors.InvalidVersionError as exc:
        raise PulumiMissing(f"unsupported Pulumi CLI: {exc}", fixes=INSTALL_PULUMI) from None


def stack_config(env: ResolvedEnvironment) -> dict[str, str]:
    """Provider configuration of the environment's stack."""
    from aiinfra import clouds

    return clouds.get(env.spec.cloud).stack_config(env)


def with_data_deleted(env: ResolvedEnvironment) -> ResolvedEnvironment:
    """The same environment with `storage.delete_with_environment` on: data unprotected, not retained, force-destroyed."""
    storage = env.spec.storage.model_copy(update={"delete_with_environment": True})
    return dataclasses.replace(env, spec=env.spec.model_copy(update={"storage": storage}))


# ComponentInputErrors the inline program raised, newest last (Pulumi turns them into a CommandError).
INPUT_ERRORS: list[Exception] = []


def program(env: ResolvedEnvironment) -> Callable[[], Any]:
    """The inline Pulumi program: aiinfra.program's, its outputs exported (kubeconfig as a secret). A
    ComponentInputError is kept, so that `up` re-raises it and the CLI prints its problems."""
    from aiinfra import program as environment_program

    run = environment_program.program(env, export=True)

    def guarded() -> Any:
        from aiinfra.components.base.errors import ComponentInputError

        try:
            return run()
        except ComponentInputError as err:
            INPUT_ERRORS.append(err)
            raise

    return guarded


def _options(t: Target, prog: Callable[[], None] | None):
    from pulumi import automation as auto

    settings = auto.ProjectSettings(name=PROJECT, runtime="python", backend=auto.ProjectBackend(url=t.backend))
    return auto.LocalWorkspaceOptions(
        work_dir=str(t.work_dir),
        program=prog,
        env_vars=t.env_vars,
        secrets_provider=None if is_cloud_service(t.backend) else "passphrase",
        project_settings=settings,
        pulumi_command=t.command,
    )


def open_stack(t: Target, create: bool, delete_data: bool = False):
    """create: create-or-select and write the provider config (up); otherwise the stack must exist."""
    from pulumi import automation as auto

    env = with_data_deleted(t.env) if delete_data else t.env
    opts = _options(t, program(env))
    try:
        if create:
            stack = auto.create_or_select_stack(t.stack_name, project_name=PROJECT, program=program(env), opts=opts)
            stack.set_all_config({k: auto.ConfigValue(v) for k, v in stack_config(t.env).items()})
            return stack
        return auto.select_stack(t.stack_name, project_name=PROJECT, program=program(env), opts=opts)
    except auto.errors.StackNotFoundError:
        raise NoSuchEnvironment(
            f"environment {t.stack_name!r} has no stack in {t.backend}; nothing is deployed there",
            notes=["`aiinfra up SPEC` creates it; --backend / AIINFRA_BACKEND_URL choose another state backend."],
        ) from None
    except auto.errors.CommandError as exc:
        raise command_failure(t, exc) from None


def command_failure(t: Target, exc: Exception) -> DeployError:
    """Map a Pulumi CLI failure to a message the user can act on."""
    from pulumi import automation as auto

    text = str(exc)
    if isinstance(exc, auto.errors.ConcurrentUpdateError):
        locks = lock_holders(t.backend, t.stack_name)
        who = "; ".join(describe_lock(lock) for lock in locks) or "another update"
        return StackBusy(
            f"environment {t.stack_name!r} is being updated by another run ({who}); refusing to start a second one",
            fixes=[
                "wait for the other run to finish, then run the command again",
                f"if no run is active (it was killed and left its lock): {t.pulumi_hint('cancel', '--yes')}",
            ],
            notes=["`aiinfra status SPEC` shows the lock and any interrupted operations."],
        )
    if "passphrase" in text and ("incorrect" in text or "must be set" in text or "decrypt" in text):
        return PassphraseMissing(
            "the passphrase does not open this environment's secrets",
            fixes=[f"export {PASSPHRASE_VAR} (or {PASSPHRASE_FILE_VAR}) to the passphrase the stack was created with"],
        )
    lines = [line for line in text.splitlines() if line.strip()]
    tail = [line.strip() for line in lines if "error" in line.lower()][-5:] or lines[-5:]
    return DeployError("the Pulumi CLI failed:\n  " + "\n  ".join(tail))
