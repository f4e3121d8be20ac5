"""Real deployments through Pulumi's Automation API and the Pulumi CLI.

One Pulumi stack per environment (the spec's `name`) in project `aiinfra`, running an inline
program that builds `Environment(spec.name, env)`. State goes to a local file backend in the
user's data directory unless a backend URL is given; secrets use the passphrase provider.
Nothing here prints: callers get results and `DeployError`s carrying the exact commands that fix them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from aiinfra.resolve import ResolvedEnvironment

PROJECT = "aiinfra"
BACKEND_VAR = "AIINFRA_BACKEND_URL"
DATA_DIR_VAR = "AIINFRA_DATA_DIR"
SKIP_CREDENTIALS_VAR = "AIINFRA_SKIP_CREDENTIALS_CHECK"
PASSPHRASE_VAR = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_VAR = "PULUMI_CONFIG_PASSPHRASE_FILE"
BACKEND_SCHEMES = ("file://", "s3://", "gs://", "azblob://", "https://", "http://")
# State buckets need the credentials of the cloud that hosts them.
BACKEND_CLOUD = {"s3://": "aws", "gs://": "gcp", "azblob://": "azure"}
SECRET_OUTPUTS = {"kubeconfig"}
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


# --- where things live -------------------------------------------------------------------------


def data_dir() -> Path:
    override = os.environ.get(DATA_DIR_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("aiinfra", appauthor=False)


def log_dir() -> Path:
    if os.environ.get(DATA_DIR_VAR):
        return data_dir() / "logs"
    import platformdirs

    return platformdirs.user_log_path("aiinfra", appauthor=False)


def default_backend() -> str:
    return (data_dir() / "state").as_uri()


def backend_url(flag: str | None = None) -> str:
    """--backend, then AIINFRA_BACKEND_URL, then PULUMI_BACKEND_URL, then the local file backend."""
    url = flag or os.environ.get(BACKEND_VAR) or os.environ.get("PULUMI_BACKEND_URL") or default_backend()
    if not url.startswith(BACKEND_SCHEMES):
        raise BadBackend(
            f"unsupported backend URL {url!r}",
            notes=["use file:///path, s3://bucket, gs://bucket, azblob://container or https://api.pulumi.com (Pulumi Cloud)"],
        )
    if url.startswith("file://"):
        local_path(url).mkdir(parents=True, exist_ok=True)
    return url


def local_path(url: str) -> Path:
    rest = url[len("file://"):]
    return Path(rest).expanduser() if rest.startswith("~") else Path(rest)


def is_cloud_service(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def workspace_dir(stack: str) -> Path:
    """Pulumi.yaml and Pulumi.<stack>.yaml of the inline program live here, one folder per environment."""
    path = data_dir() / "workspaces" / stack
    path.mkdir(parents=True, exist_ok=True)
    return path


def passphrase_file() -> Path:
    return data_dir() / "passphrase"


# --- secrets -------------------------------------------------------------------------------------


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


# --- credentials ---------------------------------------------------------------------------------


@dataclass
class CredentialCheck:
    cloud: str
    ok: bool
    source: str | None
    fixes: list[str] = field(default_factory=list)
    detail: str | None = None


def _file_with(path: Path, needle: str) -> bool:
    try:
        return path.is_file() and needle in path.read_text(errors="replace")
    except OSError:
        return False


def _aws_source(env: Mapping[str, str], home: Path) -> str | None:
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return "AWS_ACCESS_KEY_ID"
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") and env.get("AWS_ROLE_ARN"):
        return "AWS_WEB_IDENTITY_TOKEN_FILE"
    if env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        return "container credentials"
    creds = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
    config = Path(env.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    if _file_with(creds, "aws_access_key_id"):
        return str(creds)
    if any(_file_with(config, k) for k in ("sso_session", "sso_start_url", "role_arn", "credential_process", "aws_access_key_id")):
        return str(config)
    return None


def _gcp_source(env: Mapping[str, str], home: Path) -> str | None:
    path = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if path and Path(path).is_file():
        return "GOOGLE_APPLICATION_CREDENTIALS"
    for var in ("GOOGLE_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN"):
        if env.get(var):
            return var
    adc = Path(env.get("CLOUDSDK_CONFIG") or home / ".config" / "gcloud") / "application_default_credentials.json"
    return str(adc) if adc.is_file() else None


def _azure_source(env: Mapping[str, str], home: Path) -> str | None:
    for prefix in ("ARM", "AZURE"):
        if env.get(f"{prefix}_CLIENT_ID") and (
            env.get(f"{prefix}_CLIENT_SECRET") or env.get(f"{prefix}_CLIENT_CERTIFICATE_PATH") or env.get(f"{prefix}_FEDERATED_TOKEN_FILE")
        ):
            return f"{prefix}_CLIENT_ID"
    if env.get("ARM_USE_OIDC") == "true" or env.get("ARM_USE_MSI") == "true":
        return "ARM_USE_OIDC" if env.get("ARM_USE_OIDC") == "true" else "ARM_USE_MSI"
    profile = Path(env.get("AZURE_CONFIG_DIR") or home / ".azure") / "azureProfile.json"
    return str(profile) if _file_with(profile, '"subscriptions"') and not _file_with(profile, '"subscriptions": []') else None


_SOURCES = {"aws": _aws_source, "gcp": _gcp_source, "azure": _azure_source}
_FIXES = {
    "aws": [
        "aws configure                      # access keys",
        "aws sso login --profile <profile> && export AWS_PROFILE=<profile>",
    ],
    "gcp": [
        "gcloud auth application-default login",
        "export GOOGLE_APPLICATION_CREDENTIALS=/path/to/service-account.json",
    ],
    "azure": [
        "az login && az account set --subscription <subscription-id>",
        "export ARM_CLIENT_ID=<app-id> ARM_CLIENT_SECRET=<secret> ARM_TENANT_ID=<tenant> ARM_SUBSCRIPTION_ID=<subscription-id>",
    ],
}
# Asks the cloud who we are, where its CLI is installed: catches expired SSO sessions and tokens.
_VERIFY = {
    "aws": ["aws", "sts", "get-caller-identity", "--output", "json"],
    "gcp": ["gcloud", "auth", "application-default", "print-access-token"],
    "azure": ["az", "account", "show", "--output", "json"],
}


def check_credentials(
    cloud: str,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    which: Callable[[str], str | None] = shutil.which,
    run: Callable[[list[str]], int] | None = None,
) -> CredentialCheck:
    """Is there a credential source for this cloud, and (where the cloud's CLI is installed) does it work?"""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if environ.get(SKIP_CREDENTIALS_VAR):
        return CredentialCheck(cloud, True, f"{SKIP_CREDENTIALS_VAR} set")
    source = _SOURCES[cloud](environ, home)
    if source is None:
        return CredentialCheck(cloud, False, None, _FIXES[cloud], f"no {cloud} credentials found in the environment or the CLI's config files")
    verify = _VERIFY[cloud]
    if which(verify[0]) is None or source.startswith(("AWS_WEB_IDENTITY", "ARM_USE", "container")):
        return CredentialCheck(cloud, True, source)
    run = run or _run_quiet
    if run(verify) != 0:
        return CredentialCheck(cloud, False, source, _FIXES[cloud], f"`{' '.join(verify)}` failed with the credentials from {source} (expired session?)")
    return CredentialCheck(cloud, True, source)


def _run_quiet(cmd: list[str]) -> int:
    try:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False).returncode
    except (OSError, subprocess.TimeoutExpired):
        return 1


def require_credentials(clouds: Iterable[str], **kwargs: Any) -> list[CredentialCheck]:
    checks = [check_credentials(c, **kwargs) for c in dict.fromkeys(clouds)]
    bad = [c for c in checks if not c.ok]
    if bad:
        raise CredentialsMissing(
            "; ".join(f"{c.cloud}: {c.detail}" for c in bad),
            fixes=[f for c in bad for f in c.fixes],
            notes=[f"set {SKIP_CREDENTIALS_VAR}=1 to skip this check (e.g. on a machine with an instance role)"],
        )
    return checks


def clouds_needed(env: ResolvedEnvironment, backend: str) -> list[str]:
    needed = [env.spec.cloud]
    for scheme, cloud in BACKEND_CLOUD.items():
        if backend.startswith(scheme):
            needed.append(cloud)
    return needed


# --- the Pulumi CLI --------------------------------------------------------------------------------


def pulumi_command():
    """The Pulumi CLI on PATH, or PulumiMissing saying how to install it. Called before anything else."""
    from pulumi import automation as auto

    try:
        return auto.PulumiCommand()
    except (FileNotFoundError, PermissionError):
        raise PulumiMissing(
            "the Pulumi CLI is not installed (no `pulumi` on PATH); nothing was deployed",
            fixes=INSTALL_PULUMI,
            notes=["`aiinfra preview SPEC` and `aiinfra cost SPEC` work without it."],
        ) from None
    except subprocess.CalledProcessError as exc:
        raise PulumiMissing(f"`pulumi version` failed (exit {exc.returncode}); reinstall the Pulumi CLI", fixes=INSTALL_PULUMI) from None
    except auto.errors.InvalidVersionError as exc:
        raise PulumiMissing(f"unsupported Pulumi CLI: {exc}", fixes=INSTALL_PULUMI) from None


# --- stacks ----------------------------------------------------------------------------------------


def stack_config(env: ResolvedEnvironment) -> dict[str, str]:
    """Provider configuration of the environment's stack."""
    spec = env.spec
    if spec.cloud == "aws":
        return {"aws:region": spec.region}
    if spec.cloud == "gcp":
        cfg = {"gcp:region": spec.region}
        if spec.gcp.project:
            cfg["gcp:project"] = spec.gcp.project
        return cfg
    cfg = {"azure-native:location": spec.region}
    if spec.azure.subscription_id:
        cfg["azure-native:subscriptionId"] = spec.azure.subscription_id
    return cfg


def with_data_deleted(env: ResolvedEnvironment) -> ResolvedEnvironment:
    """The same environment with `storage.delete_with_environment` on: data unprotected, not retained, force-destroyed."""
    storage = env.spec.storage.model_copy(update={"delete_with_environment": True})
    return dataclasses.replace(env, spec=env.spec.model_copy(update={"storage": storage}))


def program(env: ResolvedEnvironment) -> Callable[[], None]:
    """The inline Pulumi program: the environment's component, its outputs exported (kubeconfig as a secret)."""

    def run() -> None:
        import pulumi

        from aiinfra.components import Environment

        built = Environment(env.spec.name, env)
        for key, value in built.outputs.items():
            pulumi.export(key, pulumi.Output.secret(value) if key in SECRET_OUTPUTS else value)

    return run


@dataclass
class Target:
    """One environment on one backend: what every operation needs to reach its stack."""

    env: ResolvedEnvironment
    backend: str
    env_vars: dict[str, str]
    command: Any

    @property
    def stack_name(self) -> str:
        return self.env.spec.name

    @property
    def work_dir(self) -> Path:
        return workspace_dir(self.stack_name)

    def pulumi_hint(self, *args: str) -> str:
        """A copy-pasteable raw `pulumi` command against this environment's stack."""
        return f"cd {self.work_dir} && PULUMI_BACKEND_URL={self.backend} pulumi {' '.join(args)} --stack {self.stack_name}"


def target(env: ResolvedEnvironment, backend: str, command: Any, environ: Mapping[str, str] | None = None) -> Target:
    env_vars = {"PULUMI_BACKEND_URL": backend, "PULUMI_SKIP_UPDATE_CHECK": "true", **passphrase_env(backend, environ)}
    return Target(env, backend, env_vars, command)


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
            notes=[f"`aiinfra status SPEC` shows the lock and any interrupted operations."],
        )
    if "passphrase" in text and ("incorrect" in text or "must be set" in text or "decrypt" in text):
        return PassphraseMissing(
            "the passphrase does not open this environment's secrets",
            fixes=[f"export {PASSPHRASE_VAR} (or {PASSPHRASE_FILE_VAR}) to the passphrase the stack was created with"],
        )
    lines = [line for line in text.splitlines() if line.strip()]
    tail = [line.strip() for line in lines if "error" in line.lower()][-5:] or lines[-5:]
    return DeployError("the Pulumi CLI failed:\n  " + "\n  ".join(tail))


# --- state: locks, pending operations, data resources ---------------------------------------------


def lock_holders(backend: str, stack: str) -> list[dict[str, Any]]:
    """Lock files of a file backend (pid, username, hostname, timestamp); remote backends can't be read here."""
    if not backend.startswith("file://"):
        return []
    root = local_path(backend) / ".pulumi" / "locks"
    found = []
    for path in sorted(root.rglob("*.json")) if root.is_dir() else []:
        if path.parent.name != stack:
            continue
        try:
            lock = json.loads(path.read_text())
        except (OSError, ValueError):
            lock = {}
        lock["path"] = str(path)
        lock["stale"] = _is_stale(lock)
        found.append(lock)
    return found


def _is_stale(lock: Mapping[str, Any]) -> bool | None:
    """A lock of this host whose process is gone is stale; other hosts' locks can't be judged."""
    if lock.get("hostname") != socket.gethostname() or not isinstance(lock.get("pid"), int):
        return None
    try:
        os.kill(lock["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def describe_lock(lock: Mapping[str, Any]) -> str:
    who = f"pid {lock.get('pid')} of {lock.get('username', '?')}@{lock.get('hostname', '?')} since {lock.get('timestamp', '?')}"
    return who + (" — stale: that process is gone" if lock.get("stale") else "")


def pending_operations(deployment: Mapping[str, Any] | None) -> list[dict[str, str]]:
    ops = (deployment or {}).get("pending_operations") or []
    return [{"type": op.get("type", "?"), "urn": op.get("resource", {}).get("urn", "?")} for op in ops]


def resources(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return list((deployment or {}).get("resources") or [])


def managed(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Cloud resources in the state: no root stack, components or providers."""
    return [r for r in resources(deployment) if r.get("custom") and not r.get("type", "").startswith("pulumi:providers:")]


def data_resources(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What `down` keeps: resources protected or retained on delete (buckets, their key and settings)."""
    return [r for r in managed(deployment) if r.get("protect") or r.get("retainOnDelete")]


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def component_label(type_token: str, name: str, environment: str) -> str:
    """`Network`, `ObjectStorage`, `GpuNodePool llm-train-train`: the type, and the name where it says more."""
    short = type_token.split(":")[-1]
    return short if name in ("", environment) else f"{short} {name}"


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""


def bucket_names(deployment: Mapping[str, Any] | None) -> list[str]:
    """Physical names of the kept buckets (S3 `bucket`, GCS `name`, Azure containers/accounts `name`)."""
    names = []
    for r in data_resources(deployment):
        t = r.get("type", "")
        if t in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "gcp:storage/bucket:Bucket") or t.startswith("azure-native:storage:"):
            out = r.get("outputs") or {}
            names.append(str(out.get("bucket") or out.get("name") or urn_name(r["urn"])))
    return names


def export(stack) -> dict[str, Any]:
    return stack.export_stack().deployment or {}


CLOUD_PACKAGES = {"aws": "aws", "gcp": "gcp", "azure": "azure-native"}


def refuse_if_other_cloud(t: Target, deployment: Mapping[str, Any]) -> None:
    """Two specs with one `name:` on different clouds would share a stack: `up` would replace one with the other."""
    mine = CLOUD_PACKAGES[t.env.spec.cloud]
    others = sorted({r["type"].split(":")[0] for r in managed(deployment)} & set(CLOUD_PACKAGES.values()) - {mine})
    if others:
        raise DeployError(
            f"stack {t.stack_name!r} in {t.backend} holds {', '.join(others)} resources, but this spec deploys to {t.env.spec.cloud}; "
            "refusing to replace one environment with another",
            fixes=["give this spec its own `name:`", "or deploy it to another state backend with --backend"],
        )


def refuse_if_interrupted(t: Target, deployment: Mapping[str, Any]) -> None:
    ops = pending_operations(deployment)
    if not ops:
        return
    listed = [f"{op['type']} {op['urn']}" for op in ops]
    raise PendingOperations(
        f"a previous run on {t.stack_name!r} was interrupted with {len(ops)} operation(s) in flight:\n  " + "\n  ".join(listed),
        fixes=[
            "aiinfra refresh SPEC                 # reconcile updates/deletes with the cloud",
            "aiinfra refresh SPEC --clear-pending # also drop pending creates (check the cloud console for orphans first)",
            f"{t.pulumi_hint('stack', 'export', '--file', 'state.json')}   # then edit and `pulumi stack import --file state.json`",
        ],
    )


# --- progress and logs -----------------------------------------------------------------------------


@dataclass
class ResourceProgress:
    urn: str
    type: str
    op: str
    status: str  # running | done | failed
    group: str


class EventLog:
    """Follows Pulumi's engine events: per-resource state grouped by top-level component, failures,
    and every event and output line appended to the run's log file."""

    def __init__(self, log_path: Path, on_change: Callable[["EventLog"], None] | None = None):
        self.path = log_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        self.parents: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.resources: dict[str, ResourceProgress] = {}
        self.failures: list[tuple[str, str]] = []
        self.summary: dict[str, int] | None = None
        self.on_change = on_change

    def close(self) -> None:
        self._file.close()

    def know(self, deployment: Mapping[str, Any]) -> None:
        """Parents from the state: deletes arrive children first, before their components' events."""
        for r in resources(deployment):
            if r.get("parent"):
                self.parents[r["urn"]] = r["parent"]

    def line(self, text: str) -> None:
        self._file.write(text + "\n")
        self._file.flush()

    def group_of(self, urn: str) -> str:
        """The component right under the Environment (network, cluster, a GPU pool, storage...)."""
        node = urn
        for _ in range(64):
            parent = self.parents.get(node)
            if parent is None:
                break
            if urn_type(parent) == ENVIRONMENT_TYPE:
                return component_label(urn_type(node), urn_name(node), urn_name(parent))
            node = parent
        types = urn.split("::")[2].split("$") if urn.count("::") >= 3 else []
        if ENVIRONMENT_TYPE in types[:-1] and types.index(ENVIRONMENT_TYPE) + 1 < len(types) - 1:
            return component_label(types[types.index(ENVIRONMENT_TYPE) + 1], "", "")
        return "environment"

    def __call__(self, event) -> None:
        """Runs on the Automation API's event thread: an exception here would stop the progress, so none escapes."""
        try:
            self._handle(event)
        except Exception as exc:  # noqa: BLE001
            self.line(f"aiinfra: could not follow an engine event: {exc!r}")

    def _handle(self, event) -> None:
        self.line(json.dumps(_event_dict(event), default=str))
        changed = False
        for meta, status in (
            (event.resource_pre_event and event.resource_pre_event.metadata, "running"),
            (event.res_outputs_event and event.res_outputs_event.metadata, "done"),
            (event.res_op_failed_event and event.res_op_failed_event.metadata, "failed"),
        ):
            if not meta:
                continue
            state = meta.new or meta.old
            if state and state.parent:
                self.parents[meta.urn] = state.parent
            if meta.type.startswith("pulumi:") or (state is not None and state.custom is False):
                self.names.setdefault(meta.urn, urn_name(meta.urn))
                continue
            op = meta.op.value if hasattr(meta.op, "value") else str(meta.op)
            if op in ("same", "read", "refresh") and status == "running":
                continue
            prev = self.resources.get(meta.urn)
            self.resources[meta.urn] = ResourceProgress(meta.urn, meta.type, op if status == "running" or prev is None else prev.op, status, self.group_of(meta.urn))
            changed = True
        d = event.diagnostic_event
        if d and d.severity == "error":
            self.failures.append((d.urn or "", d.message.strip()))
            changed = True
        if event.summary_event:
            self.summary = dict(event.summary_event.resource_changes or {})
        if changed and self.on_change:
            self.on_change(self)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.resources.values():
            c = out.setdefault(r.group, {"running": 0, "done": 0, "failed": 0})
            c[r.status] += 1
        return out


def _event_dict(event) -> Any:
    """An EngineEvent as JSON-ready data (the Automation API parses events but cannot write them back)."""
    if event is None or isinstance(event, (str, int, float, bool)):
        return event.value if isinstance(event, Enum) else event
    if isinstance(event, dict):
        return {str(k): _event_dict(v) for k, v in event.items()}
    if isinstance(event, (list, tuple)):
        return [_event_dict(v) for v in event]
    if hasattr(event, "__dict__"):
        return {k: _event_dict(v) for k, v in vars(event).items() if v is not None}
    return repr(event)


def new_log_path(stack: str, operation: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return log_dir() / f"{stack}-{operation}-{stamp}.log"


# --- operations ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    log_path: Path
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    kept_buckets: list[str] = field(default_factory=list)
    error: str | None = None
    steps: list[str] = field(default_factory=list)


def up(t: Target, log: EventLog) -> Outcome:
    from pulumi import automation as auto

    stack = open_stack(t, create=True)
    deployment = export(stack)
    refuse_if_other_cloud(t, deployment)
    refuse_if_interrupted(t, deployment)
    try:
        result = stack.up(on_output=log.line, on_event=log, color="never")
    except auto.errors.ConcurrentUpdateError as exc:
        raise command_failure(t, exc) from None
    except auto.errors.CommandError as exc:
        return Outcome(False, log.path, log.summary or {}, failures=log.failures, error=command_failure(t, exc).message)
    changes = dict(result.summary.resource_changes or {}) if result.summary else (log.summary or {})
    return Outcome(True, log.path, changes, outputs=dict(result.outputs))


def down_plan(t: Target) -> tuple[Any, dict[str, Any]]:
    stack = open_stack(t, create=False)
    deployment = export(stack)
    refuse_if_interrupted(t, deployment)
    return stack, deployment


def down(t: Target, stack, deployment: Mapping[str, Any], log: EventLog, delete_data: bool) -> Outcome:
    """Destroy the environment, keeping protected data unless delete_data.

    Keeping: `destroy --exclude-protected` leaves every protected resource and what it depends on in
    the cloud and in the state, so the next `up` reuses the buckets. Deleting: a targeted `up` of the
    data resources with storage.delete_with_environment switched on clears protect and
    retain_on_delete and sets force_destroy, then a full `destroy` really deletes them.
    """
    from pulumi import automation as auto

    outcome = Outcome(True, log.path)
    log.know(deployment)
    data = data_resources(deployment)
    if delete_data and data:
        unlocked = open_stack(t, create=False, delete_data=True)
        outcome.steps.append("up --target <data resources> (protect, retain_on_delete and force_destroy flipped)")
        try:
            unlocked.up(target=[r["urn"] for r in data], on_output=log.line, on_event=log, color="never")
        except auto.errors.ConcurrentUpdateError as exc:
            raise command_failure(t, exc) from None
        except auto.errors.CommandError as exc:
            outcome.ok = False
            outcome.error = "could not lift the data protection, so nothing was destroyed: " + command_failure(t, exc).message
            outcome.failures = log.failures
            return outcome
        stack = unlocked
    keep = not delete_data and bool(data)
    outcome.steps.append("destroy --continue-on-error" + (" --exclude-protected" if keep else ""))
    try:
        stack.destroy(exclude_protected=keep or None, continue_on_error=True, on_output=log.line, on_event=log, color="never")
    except auto.errors.ConcurrentUpdateError as exc:
        raise command_failure(t, exc) from None
    except auto.errors.CommandError as exc:
        outcome.ok = False
        outcome.error = command_failure(t, exc).message
    outcome.failures = log.failures
    outcome.changes = log.summary or {}
    after = export(stack)
    outcome.kept = data_resources(after)
    outcome.kept_buckets = bucket_names(after)
    leftovers = [r for r in managed(after) if r not in outcome.kept]
    if leftovers:
        outcome.ok = False
        outcome.failures = outcome.failures or [(r["urn"], "still in the state after destroy") for r in leftovers]
    if delete_data and outcome.kept:
        outcome.ok = False
    return outcome


def refresh(t: Target, log: EventLog, clear_pending: bool) -> Outcome:
    from pulumi import automation as auto

    stack = open_stack(t, create=False)
    try:
        result = stack.refresh(clear_pending_creates=clear_pending or None, on_output=log.line, on_event=log, color="never")
    except auto.errors.ConcurrentUpdateError as exc:
        raise command_failure(t, exc) from None
    except auto.errors.CommandError as exc:
        return Outcome(False, log.path, failures=log.failures, error=command_failure(t, exc).message)
    changes = dict(result.summary.resource_changes or {}) if result.summary else {}
    left = pending_operations(export(stack))
    outcome = Outcome(not left, log.path, changes, failures=log.failures)
    if left:
        outcome.error = f"{len(left)} pending create(s) remain; run again with --clear-pending once you have checked the cloud for orphans"
    return outcome


def outputs(t: Target) -> dict[str, Any]:
    """{name: {"value": ..., "secret": bool}}"""
    stack = open_stack(t, create=False)
    try:
        return {k: {"value": v.value, "secret": v.secret} for k, v in stack.outputs().items()}
    except Exception as exc:  # noqa: BLE001
        from pulumi import automation as auto

        if isinstance(exc, auto.errors.CommandError):
            raise command_failure(t, exc) from None
        raise


def status(t: Target) -> dict[str, Any]:
    from pulumi import automation as auto

    stack = open_stack(t, create=False)
    try:
        last = stack.info(show_secrets=False)
        deployment = export(stack)
    except auto.errors.CommandError as exc:
        raise command_failure(t, exc) from None
    data = data_resources(deployment)
    return {
        "environment": t.stack_name,
        "backend": t.backend,
        "last_update": None
        if last is None
        else {
            "kind": last.kind,
            "result": last.result,
            "start_time": last.start_time.isoformat() if last.start_time else None,
            "end_time": last.end_time.isoformat() if last.end_time else None,
            "resource_changes": last.resource_changes,
        },
        "resources": len(managed(deployment)),
        "data_resources": len(data),
        "buckets": bucket_names(deployment),
        "pending_operations": pending_operations(deployment),
        "locks": lock_holders(t.backend, t.stack_name),
        "locks_readable": t.backend.startswith("file://"),
    }
