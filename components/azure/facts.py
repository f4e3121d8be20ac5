"""Azure's facts: the names, capabilities, patterns and settings the spec and every other layer read about
Azure, with no hooks (those are profile.py's), so the spec's schema is built without loading the profile."""

from __future__ import annotations

from aiinfra.clouds import declare
from aiinfra.components.base.facts import Capability, CapacityErrors, CloudFacts, ReservationShape

GUID_PATTERN = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
RESOURCE_GROUP_PATTERN = r"^[-\w.()]{1,89}[-\w()]$"
# GPU-operator components AKS has no use for.
_AKS_UNUSED = {
    "migManager": {"enabled": False},
    "vgpuDeviceManager": {"enabled": False},
    "vfioManager": {"enabled": False},
    "sandboxDevicePlugin": {"enabled": False},
}


@declare
class AzureFacts(CloudFacts):
    name = "azure"
    display = "Azure"
    article = "an Azure"
    kubernetes = "AKS"
    # AKS quotas: 1,000 nodes per node pool (VM scale set, single placement group off; learn.microsoft.com/azure/aks/quotas-skus-regions,
    # hashicorp/terraform-provider-azurerm#9198).
    max_pool_nodes = 1000
    max_pool_nodes_source = "AKS limit: nodes per node pool"
    order = 30
    sdk_module = "pulumi_azure_native"
    pulumi_package = "azure-native"
    example_region = "eastus"
    terms = {"network": "VNet", "nat": "NAT gateway", "bucket": "Blob container", "registry": "Azure Container Registry", "identity": "managed identity (workload identity)"}
    starter_settings = """\nazure:\n  resource_group: {name}-rg   # created if missing; default: <name>-rg\n  # subscription_id: 00000000-0000-0000-0000-000000000000   # default: the one `az login` selected\n"""

    settings = "aiinfra.components.azure.settings:AzureSettings"
    account_field = "subscription_id"

    pattern_words = {
        GUID_PATTERN: "a subscription ID, which is a GUID such as 0f0e0d0c-0b0a-4909-8807-060504030201",
        RESOURCE_GROUP_PATTERN: "up to 90 letters, digits, and - _ . ( ), not ending with a period",
    }
    backend_scheme = "azblob://"
    bucket_scheme = "az"
    bucket_type_prefixes = ("azure-native:storage:",)
    credential_fixes = (
        "az login && az account set --subscription <subscription-id>",
        "export ARM_CLIENT_ID=<app-id> ARM_CLIENT_SECRET=<secret> ARM_TENANT_ID=<tenant> ARM_SUBSCRIPTION_ID=<subscription-id>",
    )
    verify_command = ("az", "account", "show", "--output", "json")
    unverifiable_sources = ("ARM_USE",)
    # Rows per azure.gpu_driver (gpu_stack). aks (gpuProfile.driver Install): the node image carries the driver and
    # the NVIDIA container runtime; an operator toolkit would rewrite containerd's config, which uninstalling the
    # operator cannot undo (mlops-addons.md §2 "managed-driver clouds"; the containerd detail is from the
    # aks-rdma-infiniband docs page configurations/gpu-operator, not in shared/reference: verified: false).
    # none (gpuProfile.driver None): the operator owns driver and toolkit (gpu-fabrics.md §3.3).
    dra_driver_root = {"azure-aks": "/", "azure-none": "/run/nvidia/driver"}
    gpu_operator_values = {
        "azure-aks": {**_AKS_UNUSED, "driver": {"enabled": False}, "toolkit": {"enabled": False}},
        "azure-none": {**_AKS_UNUSED, "driver": {"enabled": True}, "toolkit": {"enabled": True}},
    }
    # Only where the operator installs the toolkit (it creates the RuntimeClass); AKS-managed nodes run GPUs
    # through containerd's default runtime (verified: false, no live AKS run yet).
    nvidia_runtime_class = {"azure-aks": False, "azure-none": True}
    storage_class = None  # managed-csi is the AKS default
    autoscalers = {"cluster-autoscaler": "AKS cluster autoscaler", "nap": "AKS node auto-provisioning (NodePool {pool})"}
    default_autoscaler = "cluster-autoscaler"
    capabilities = {
        "fabrics": Capability(True, "InfiniBand with GPUDirect RDMA on ND-series VMs (Network Operator + GPU operator driver)", ("infiniband",)),
        "spot": Capability(True, "Spot VM scale sets on AKS node pools (AKS taints spot nodes itself)"),
        "reservations": Capability(True, "capacity reservation groups by ARM id"),
        "zoneless_regions": Capability(True, "some Azure regions (e.g. westus, northcentralus) have no availability zones; pools there are not zone-pinned"),
        "capacity_blocks": Capability(
            False, "block-type capacity reservations need compute API 2025-04-01 (not in azure-native 3.x's default module) and are in private preview on AKS"
        ),
        "flex_start": Capability(False, "AKS has no flex-start node pools"),
        "queued_provisioning": Capability(False, "AKS has no queued provisioning of node pools"),
    }
    reservation = ReservationShape(
        r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/capacityReservationGroups/[^/]+$",
        "the resource id of a capacity reservation group",
        "/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/capacityReservationGroups/h100-crg",
    )
    # ARM deployment errors of a VM scale set: "Allocation failed. We do not have sufficient capacity for the
    # requested VM size in this region" (AllocationFailed, Azure/AKS#1272), ZonalAllocationFailed, the
    # OverconstrainedZonalAllocationRequest of jenkins-infra/helpdesk#3584, and SkuNotAvailable ("The requested
    # size ... is currently not available in location 'eastus' zones '1,2,3'", Azure/AKS#1444).
    capacity_errors = CapacityErrors(
        capacity=(r"\bAllocationFailed\b", r"ZonalAllocationFailed", r"Overconstrained(Zonal)?AllocationRequest", r"SkuNotAvailable",
                  r"do not have sufficient capacity for the requested VM size", r"is currently not available in location"),
        quota=(r"QuotaExceeded", r"exceeding approved .* quota", r"aka\.ms/cpu-quota"),
    )
