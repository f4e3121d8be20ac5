"""Real deployments through Pulumi's Automation API and the Pulumi CLI.

One Pulumi stack per environment (the spec's `name`) in project `aiinfra`, running an inline
program that builds `Environment(spec.name, env)`. State goes to a local file backend in the
user's data directory unless a backend URL is given; secrets use the passphrase provider.
Nothing here prints: callers get results and `DeployError`s carrying the exact commands that fix them."""

from __future__ import annotations

from aiinfra.deploy.backends import (  # noqa: F401
    backend_url,
    data_dir,
    default_backend,
    is_cloud_service,
    local_path,
    log_dir,
    passphrase_file,
    workspace_dir,
)
from aiinfra.deploy.credentials import (  # noqa: F401
    CredentialCheck,
    check_credentials,
    clouds_needed,
    require_credentials,
)
from aiinfra.deploy.errors import (  # noqa: F401
    BACKEND_CLOUD,
    BACKEND_SCHEMES,
    BACKEND_VAR,
    DATA_DIR_VAR,
    ENVIRONMENT_TYPE,
    INSTALL_PULUMI,
    PASSPHRASE_FILE_VAR,
    PASSPHRASE_VAR,
    PROJECT,
    SKIP_CREDENTIALS_VAR,
    BadBackend,
    CredentialsMissing,
    DeployError,
    NoSuchEnvironment,
    PassphraseMissing,
    PendingOperations,
    PulumiMissing,
    StackBusy,
)
from aiinfra.deploy.operations import (  # noqa: F401
    Outcome,
    down,
    down_plan,
    outputs,
    refresh,
    status,
    up,
)
from aiinfra.deploy.passphrase import (  # noqa: F401
    generate_passphrase,
    passphrase_env,
)
from aiinfra.deploy.progress import (  # noqa: F401
    EventLog,
    ResourceProgress,
    new_log_path,
)
from aiinfra.deploy.stack import (  # noqa: F401
    command_failure,
    open_stack,
    program,
    pulumi_command,
    stack_config,
    with_data_deleted,
)
from aiinfra.deploy.state import (  # noqa: F401
    CLOUD_PACKAGES,
    bucket_names,
    component_label,
    data_resources,
    describe_lock,
    export,
    lock_holders,
    managed,
    pending_operations,
    refuse_if_interrupted,
    refuse_if_other_cloud,
    resources,
    urn_name,
    urn_type,
)
from aiinfra.deploy.target import Target, target  # noqa: F401
