"""Rules over the resources the AKS environment creates (shared/reference/security-baseline.md §1 rows 28-32)."""

from __future__ import annotations

import dataclasses

from aiinfra.policy.model import Expect, PoolView, Resource, Rule, absent_or_false, equals, is_false, is_true, non_empty, protected

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
COMPONENT = "no spec field turns this off: restore it in components/azure/{}"


def _private(r: Resource) -> list[str]:
    if is_true(r.get("apiServerAccessProfile.enablePrivateCluster")) or r.get("apiServerAccessProfile.authorizedIPRanges"):
        return []
    return ["the API server is public and open to any address (no private cluster, no authorizedIPRanges)"]


def _node_ips(r: Resource) -> list[str]:
    values = r.all("agentPoolProfiles[].enableNodePublicIP") if r.type == CLUSTER else [r.get("enableNodePublicIP")]
    return ["nodes get public IP addresses (enableNodePublicIP)" for v in values if is_true(v)]


def _host_encryption(r: Resource) -> list[str]:
    values = r.all("agentPoolProfiles[].enableEncryptionAtHost") if r.type == CLUSTER else [r.get("enableEncryptionAtHost")]
    return ["temp disks and caches are not encrypted (enableEncryptionAtHost)" for v in values if not is_true(v)]


def _no_shared_key(r: Resource) -> list[str]:
    """Shared key access stays off, except on an account that a Managed Lustre file system imports from
    (its HSM reads the container through an account SAS); the component tags that account with the reason."""
    if r.get("allowSharedKeyAccess") is False:
        return []
    if r.get("allowSharedKeyAccess") is True and (r.get("tags") or {}).get("aiinfra.dev/shared-key") == "lustre-hsm-import":
        return []
    return [f"allowSharedKeyAccess must be false (got {r.get('allowSharedKeyAccess')!r})"]


def _deny_by_default(r: Resource) -> list[str]:
    action = r.get("networkRuleSet.defaultAction")
    return [] if r.get("publicNetworkAccess") == "Disabled" or action == "Deny" else [f"networkRuleSet.defaultAction must be Deny (got {action!r})"]


RULES = [
    Rule("AI-AZ-001", "AKS API server is private or limited to listed ranges", "high", "mandatory", (CLUSTER,),
         "set cluster.public_endpoint: false, or list your ranges in cluster.public_access_cidrs", ("CKV_AZURE_115", "CKV_AZURE_6"), check=_private),
    Rule("AI-AZ-002", "AKS nodes get no public IP addresses", "high", "mandatory", (CLUSTER, AGENT_POOL),
         COMPONENT.format("cluster.py / gpu_pool.py (enableNodePublicIP)"), ("CKV_AZURE_143",), check=_node_ips),
    Rule("AI-AZ-003", "Entra ID and Azure RBAC only: no local accounts", "high", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (aadProfile, disableLocalAccounts)") + "; grant people access with cluster.admins",
         ("CKV_AZURE_141", "CKV_AZURE_5"),
         expect=(Expect("disableLocalAccounts", is_true, "must be true", bad=False), Expect("enableRBAC", is_true, "must be true", bad=False),
                 Expect("aadProfile.enableAzureRBAC", is_true, "must be true", bad=False))),
    # Advisory: the spec can opt out (azure.etcd_kms: false, for throwaway clusters), and that choice is the user's.
    Rule("AI-AZ-004", "AKS secrets are encrypted with a Key Vault key (KMS)", "high", "advisory", (CLUSTER,),
         "set azure.etcd_kms: true (the default)", ("security-baseline.md §1 row 29 (KMS etcd encryption)",),
         expect=(Expect("securityProfile.azureKeyVaultKms.enabled", is_true, "must be true", bad=False),
                 Expect("securityProfile.azureKeyVaultKms.keyId", non_empty, "must name a key", bad=""))),
    Rule("AI-AZ-005", "Workload identity instead of keys", "high", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (securityProfile.workloadIdentity)") + "; pods get cloud access through identity.service_account",
         ("security-baseline.md §1 row 29 (workload identity)",),
         expect=(Expect("securityProfile.workloadIdentity.enabled", is_true, "must be true", bad=False),
                 Expect("oidcIssuerProfile.enabled", is_true, "must be true", bad=False))),
    Rule("AI-AZ-006", "Node temp disks and caches are encrypted at the host", "medium", "mandatory", (CLUSTER, AGENT_POOL),
         COMPONENT.format("cluster.py / gpu_pool.py (enableEncryptionAtHost)"), ("CKV_AZURE_227",), check=_host_encryption),
    Rule("AI-AZ-007", "Cluster and node images upgrade on a channel", "medium", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (autoUpgradeProfile)"), ("CKV_AZURE_171",),
         expect=(Expect("autoUpgradeProfile.upgradeChannel", lambda v: v not in (None, "", "none"), "must be set", bad="none"),
                 Expect("autoUpgradeProfile.nodeOSUpgradeChannel", equals("NodeImage", "SecurityPatch"), "must be NodeImage or SecurityPatch", bad="None"))),
    Rule("AI-AZ-008", "Network policies are enforced", "medium", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (networkProfile.networkPolicy)"), ("CKV_AZURE_7",),
         expect=(Expect("networkProfile.networkPolicy", lambda v: v not in (None, "", "none"), "must be set", bad="none"),)),
    Rule("AI-AZ-009", "Azure Policy add-on audits the cluster", "low", "advisory", (CLUSTER,),
         COMPONENT.format("cluster.py (addonProfiles.azurepolicy)"), ("CKV_AZURE_116",),
         expect=(Expect("addonProfiles.azurepolicy.enabled", is_true, "must be true", bad=False),)),
    Rule("AI-AZ-010", "Container logs go to Azure Monitor", "low", "advisory", (CLUSTER,),
         "set azure: {container_insights: true} (the default; Log Analytics bills per GB ingested), or waive the rule with a reason",
         ("CKV_AZURE_4",),
         expect=(Expect("addonProfiles.omsagent.enabled", is_true, "must be true", bad=False),)),
    Rule("AI-AZ-011", "Storage account: TLS 1.2 only, no public blobs, no shared keys", "critical", "mandatory", (ACCOUNT,),
         COMPONENT.format("storage.py"), ("CKV_AZURE_3", "CKV_AZURE_44", "CKV_AZURE_190", "CKV2_AZURE_40", "CKV2_AZURE_47"),
         expect=(Expect("enableHttpsTrafficOnly", is_true, "must be true", bad=False), Expect("minimumTlsVersion", equals("TLS1_2", "TLS1_3"), "must be TLS1_2", bad="TLS1_0"),
                 Expect("allowBlobPublicAccess", is_false, "must be false", bad=True)), check=_no_shared_key),
    Rule("AI-AZ-012", "Storage account denies network access by default", "high", "mandatory", (ACCOUNT,),
         COMPONENT.format("storage.py (networkRuleSet)"), ("CKV_AZURE_35",),
         check=_deny_by_default),
    Rule("AI-AZ-013", "Storage account encrypts twice (infrastructure encryption)", "medium", "mandatory", (ACCOUNT,),
         COMPONENT.format("storage.py (encryption)"), ("security-baseline.md §1 row 31",),
         expect=(Expect("encryption.requireInfrastructureEncryption", is_true, "must be true", bad=False),)),
    Rule("AI-AZ-014", "Blobs keep versions and deleted blobs and containers are recoverable", "medium", "mandatory",
         ("azure-native:storage:BlobServiceProperties",), COMPONENT.format("storage.py (BlobServiceProperties)"), ("CKV2_AZURE_38",),
         expect=(Expect("isVersioningEnabled", is_true, "must be true", bad=False), Expect("deleteRetentionPolicy.enabled", is_true, "must be true", bad=False),
                 Expect("containerDeleteRetentionPolicy.enabled", is_true, "must be true", bad=False))),
    Rule("AI-AZ-015", "Blob containers are private", "critical", "mandatory", (CONTAINER,),
         COMPONENT.format("storage.py (publicAccess)"), ("CKV_AZURE_34",),
         expect=(Expect("publicAccess", lambda v: v in (None, "None"), "must be None", bad="Blob"),)),
    Rule("AI-AZ-016", "Data storage survives `down`", "high", "advisory", (ACCOUNT, CONTAINER),
         "set storage.delete_with_environment: false (the default)", ("security-baseline.md §3",), check=protected),
    Rule("AI-AZ-017", "Container registry: no admin user, no anonymous pulls", "high", "mandatory", ("azure-native:containerregistry:Registry",),
         COMPONENT.format("registry.py"), ("CKV_AZURE_137 (checkov catalogue, not in the baseline)",),
         expect=(Expect("adminUserEnabled", absent_or_false, "must be false", bad=True), Expect("anonymousPullEnabled", absent_or_false, "must be false", bad=True))),
    Rule("AI-AZ-018", "Key Vault keys cannot be purged early", "medium", "mandatory", ("azure-native:keyvault:Vault",),
         COMPONENT.format("cluster.py (Key Vault)"), ("CKV_AZURE_42", "CKV_AZURE_110 (checkov catalogue, not in the baseline)"),
         expect=(Expect("properties.enablePurgeProtection", is_true, "must be true", bad=False), Expect("properties.enableSoftDelete", lambda v: v is None or is_true(v), "must be true", bad=False))),
]


def pool(r: Resource) -> PoolView:
    labels = r.get("nodeLabels") or {}
    count = int(r.get("count") or 0)
    auto = is_true(r.get("enableAutoScaling"))
    view = PoolView(
        name=labels.get("aiinfra.dev/pool", str(r.get("agentPoolName") or r.name)), gpu="aiinfra.dev/gpu" in labels,
        spot=r.get("scaleSetPriority") == "Spot",
        nodes_min=int(r.get("minCount") or 0) if auto else count, nodes_max=int(r.get("maxCount") or 0) if auto else count,
        taints=tuple(r.get("nodeTaints") or ()), fabric=labels.get("aiinfra.dev/fabric"),
        placement_domains=max(1, len(r.get("availabilityZones") or [])), labels=labels,  # zone-less: one scale set, one IB domain
        needs="built-in",
    )
    held = int((r.get("tags") or {}).get("aiinfra.dev/nodes-max") or 0)  # cluster.autoscaling: none
    return dataclasses.replace(view, nodes_max=held, needs="nothing") if held > view.nodes_max else view


POOLS = {AGENT_POOL: pool}
