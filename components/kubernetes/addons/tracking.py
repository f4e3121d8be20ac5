"""MLflow with a PostgreSQL database and its artifacts in the environment's bucket."""

from __future__ import annotations

from typing import Any, Mapping

from aiinfra import clouds
from aiinfra.components.kubernetes.addons.model import KubeObject
from aiinfra.resolve.result import ResolvedEnvironment

MLFLOW_DB = "mlflow-db"


MLFLOW_ARTIFACT_PATH = "mlflow"


ARTIFACT_BUCKET_PREFERENCE = ("artifacts", "mlflow", "checkpoints")


def choose_artifact_bucket(names: list[str]) -> str | None:
    for wanted in ARTIFACT_BUCKET_PREFERENCE:
        for n in names:
            if wanted in n:
                return n
    return names[0] if names else None


def artifact_values(url: str, account: str | None = None) -> dict[str, Any]:
    """MLflow's artifact root in the bucket, reached through the server's workload identity (no keys)."""
    scheme, _, rest = url.partition("://")
    bucket = rest.split("/", 1)[0]
    profile = next((p for p in clouds.all_profiles() if p.bucket_scheme == scheme), None)
    if profile is None:
        raise ValueError(f"MLflow cannot store artifacts at {url!r}")
    return {"proxiedArtifactStorage": True, **profile.artifact_root(bucket, account, MLFLOW_ARTIFACT_PATH)}


def mlflow_values(env: ResolvedEnvironment, artifact_root: Any, pod_labels: Mapping[str, str]) -> dict[str, Any]:
    ns = env.namespace
    values: dict[str, Any] = {
        "fullnameOverride": "mlflow",
        # The environment's workload service account carries the cloud identity with bucket access.
        "serviceAccount": {"create": False, "name": env.service_account},
        "backendStore": {
            "databaseMigration": True,
            "databaseConnectionCheck": True,
            "postgres": {"enabled": True, "host": f"{MLFLOW_DB}-rw.{ns}.svc.cluster.local", "port": 5432, "database": "mlflow"},
            # CloudNativePG writes the owner's credentials to <cluster>-app (keys username/password).
            "existingDatabaseSecret": {"name": f"{MLFLOW_DB}-app"},
        },
        "artifactRoot": artifact_root,
    }
    if pod_labels:
        values["extraPodLabels"] = dict(pod_labels)
    extra_env = clouds.get(env.cloud).mlflow_env(env.spec)
    if extra_env:
        values["extraEnvVars"] = extra_env
    return values


def mlflow_url(env: ResolvedEnvironment) -> str:
    return f"http://mlflow.{env.namespace}.svc.cluster.local:80"


def mlflow_database(env: ResolvedEnvironment) -> KubeObject:
    return KubeObject(
        "mlflow-db",
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Cluster",
            "metadata": {"name": MLFLOW_DB, "namespace": env.namespace},
            "spec": {
                "instances": 1,
                "storage": {"size": "20Gi"},
                "bootstrap": {"initdb": {"database": "mlflow", "owner": "mlflow"}},
            },
        },
        ["cloudnative-pg"],
    )
