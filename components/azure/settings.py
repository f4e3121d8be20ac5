"""The spec's `azure:` section; its patterns and how errors word them live in profile.py."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aiinfra.components.azure.facts import GUID_PATTERN, RESOURCE_GROUP_PATTERN


class AzureSettings(BaseModel):
    """Where an Azure environment lives; ignored on other clouds."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    subscription_id: str | None = Field(
        default=None,
        pattern=GUID_PATTERN,
        description="Azure subscription ID; else $AZURE_SUBSCRIPTION_ID, $ARM_SUBSCRIPTION_ID or the az CLI's default "
        "subscription; offline commands use a placeholder, `up` needs a real one",
    )
    resource_group: str | None = Field(
        default=None,
        pattern=RESOURCE_GROUP_PATTERN,
        description="resource group to create the environment in; defaults to <name>-rg",
    )
    gpu_driver: Literal["aks", "none"] | None = Field(
        default=None,
        description="GPU driver on GPU node pools: AKS-managed, or none so that the NVIDIA GPU Operator installs it; "
        "left out: none where an InfiniBand pool needs the operator's driver with GPUDirect RDMA, else aks",
    )
    etcd_kms: bool = Field(default=True, description="encrypt Kubernetes secrets in etcd with a Key Vault key (KMS)")
    container_insights: bool = Field(
        default=True,
        description="send container logs, Kubernetes events and inventory to a Log Analytics workspace (Container insights); "
        "Log Analytics bills per GB ingested, which `cost` does not price",
    )
    lustre_principal_id: str | None = Field(
        default=None,
        pattern=GUID_PATTERN,
        description="object ID of your tenant's 'HPC Cache Resource Provider' service principal, through which Azure "
        "Managed Lustre reads the container it imports from (`az ad sp list --display-name \"HPC Cache Resource "
        "Provider\" --query [0].id -o tsv`); left out, offline commands use a placeholder and `up` fails at the role assignment",
    )
