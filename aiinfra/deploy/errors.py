"""Names of the deploy layer and the errors it raises, each carrying the commands that fix it."""

from __future__ import annotations

from typing import Iterable

from aiinfra import clouds

PROJECT = "aiinfra"
BACKEND_VAR = "AIINFRA_BACKEND_URL"
DATA_DIR_VAR = "AIINFRA_DATA_DIR"
SKIP_CREDENTIALS_VAR = "AIINFRA_SKIP_CREDENTIALS_CHECK"
PASSPHRASE_VAR = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_VAR = "PULUMI_CONFIG_PASSPHRASE_FILE"
# State buckets need the credentials of the cloud that hosts them (each profile's backend_scheme).
BACKEND_CLOUD = {p.backend_scheme: p.name for p in clouds.all_profiles() if p.backend_scheme}
BACKEND_SCHEMES = ("file://", *BACKEND_CLOUD, "https://", "http://")
ENVIRONMENT_TYPE = "aiinfra:index:Environment"
INSTALL_PULUMI = [
    "curl -fsSL https://get.pulumi.com | sh",
    "brew install pulumi/tap/pulumi   # macOS",
]


class DeployError(Exception):
    """A failure the user can fix: what happened, and the commands that fix it."""

    exit_code = 1

    def __init__(self, message: str, fixes: Iterable[str] = (), notes: Iterable[str] = ()):
        super().__init__(message)
        self.message = message
        self.fixes = list(fixes)
        self.notes = list(notes)


class PulumiMissing(DeployError):
    pass


class CredentialsMissing(DeployError):
    pass


class PassphraseMissing(DeployError):
    pass


class StackBusy(DeployError):
    pass


class PendingOperations(DeployError):
    pass


class NoSuchEnvironment(DeployError):
    pass


class BadBackend(DeployError):
    exit_code = 2
