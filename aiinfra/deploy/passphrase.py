"""The passphrase that encrypts a stack's secrets in self-managed backends."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Mapping

from aiinfra.deploy.backends import is_cloud_service, passphrase_file
from aiinfra.deploy.errors import PASSPHRASE_FILE_VAR, PASSPHRASE_VAR, PassphraseMissing


def passphrase_env(backend: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The passphrase variables to hand to Pulumi; Pulumi Cloud encrypts with its own keys and needs none.

    Never falls back to an empty passphrase: an unset one is an error that says how to set it.
    """
    environ = os.environ if environ is None else environ
    if is_cloud_service(backend):
        return {}
    if environ.get(PASSPHRASE_VAR):
        return {PASSPHRASE_VAR: environ[PASSPHRASE_VAR]}
    if environ.get(PASSPHRASE_FILE_VAR):
        path = Path(environ[PASSPHRASE_FILE_VAR]).expanduser()
        if not path.is_file():
            raise PassphraseMissing(f"{PASSPHRASE_FILE_VAR} points to {path}, which does not exist")
        return {PASSPHRASE_FILE_VAR: str(path)}
    generated = passphrase_file()
    if generated.is_file():
        return {PASSPHRASE_FILE_VAR: str(generated)}
    raise PassphraseMissing(
        "no passphrase for the environment's secrets (the kubeconfig and any secret config are encrypted with it)",
        fixes=[
            f"export {PASSPHRASE_VAR}='<a long random string>'",
            f"export {PASSPHRASE_FILE_VAR}=/path/to/passphrase-file",
            "aiinfra up SPEC   # interactively: offers to generate one",
        ],
        notes=[
            f"aiinfra can generate one into {generated} (mode 0600).",
            "Keep it safe: without it the state's secrets cannot be decrypted. Teams sharing a backend share the passphrase.",
        ],
    )


def generate_passphrase() -> Path:
    path = passphrase_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(32) + "\n")
    return path
