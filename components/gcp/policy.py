"""Rules over the resources the GKE environment creates (shared/reference/security-baseline.md §1 rows 19-27)."""

from __future__ import annotations

import dataclasses

from aiinfra.policy.model import Expect, PoolView, Resource, Rule, absent_or_false, equals, is_true, non_empty, protected, taint_text

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
BUCKET = "gcp:storage/bucket:Bucket"
REGISTRY = "gcp:artifactregistry/repository:Repository"
COMPONENT = "no spec field turns this off: restore it in components/gcp/{}"
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
MAX_ROTATION_S = 90 * 24 * 3600


def _private(r: Resource) -> list[str]:
    if is_true(r.get("privateClusterConfig.enablePrivateEndpoint")) or r.get("masterAuthorizedNetworksConfig.cidrBlocks"):
        return []
    return ["the control plane has a public endpoint open to any address (no private endpoint, no authorized networks)"]


def _network_policy(r: Resource) -> list[str]:
    if r.get("datapathProvider") == "ADVANCED_DATAPATH" or is_true(r.get("networkPolicy.enabled")):
        return []
    return ["no network policy enforcement (datapathProvider ADVANCED_DATAPATH or networkPolicy.enabled)"]


def _node_sa(r: Resource) -> list[str]:
    sa = str(r.get("nodeConfig.serviceAccount") or "")
    if not sa or sa == "default" or sa.endswith("-compute@developer.gserviceaccount.com"):
        return ["nodes run as the default compute service account"]
    return []


def _bucket_logging(r: Resource) -> list[str]:
    if (r.get("labels") or {}).get("aiinfra-dev_bucket") == "access-logs":
        return []  # the log bucket itself: logging it into itself is what CKV_GCP_63 forbids
    target = r.get("logging.logBucket")
    if not target:
        return ["no access-log bucket (logging.logBucket)"]
    return ["logs into itself"] if target == r.get("name") else []


def _public_member(r: Resource) -> list[str]:
    members = [r.get("member")] + list(r.get("members") or [])
    return [f"grants {r.get('role')} to {m}" for m in members if m in PUBLIC_MEMBERS]


def _rotation(r: Resource) -> list[str]:
    period = str(r.get("rotationPeriod") or "")
    if not period.endswith("s") or not period[:-1].isdigit():
        return ["no rotation period"]
    return [] if int(period[:-1]) <= MAX_ROTATION_S else [f"rotates every {int(period[:-1]) // 86400} days (at most 90)"]


def _workload_identity(r: Resource) -> list[str]:
    if r.type == CLUSTER:
        return [] if r.get("workloadIdentityConfig.workloadPool") else ["workloadIdentityConfig.workloadPool must be set"]
    mode = r.get("nodeConfig.workloadMetadataConfig.mode")
    return [] if mode == "GKE_METADATA" else [f"nodeConfig.workloadMetadataConfig.mode must be GKE_METADATA (got {mode!r})"]


def _upgrades(r: Resource) -> list[str]:
    if r.type == CLUSTER:
        return [] if r.get("releaseChannel.channel") not in (None, "", "UNSPECIFIED") else ["releaseChannel.channel must be set"]
    # GKE refuses auto-repair on flex-start pools (a repaired node would be a new flex-start request).
    keys = ("autoUpgrade",) if is_true(r.get("nodeConfig.flexStart")) else ("autoUpgrade", "autoRepair")
    return [f"management.{k} must be true" for k in keys if not is_true(r.get(f"management.{k}"))]


def _shielded(r: Resource) -> list[str]:
    if r.type == CLUSTER:
        return [] if is_true(r.get("enableShieldedNodes")) else ["enableShieldedNodes must be true"]
    keys = ("enableSecureBoot", "enableIntegrityMonitoring")
    return [f"nodeConfig.shieldedInstanceConfig.{k} must be true" for k in keys if not is_true(r.get(f"nodeConfig.shieldedInstanceConfig.{k}"))]


RULES = [
    Rule("AI-GCP-001", "GKE nodes are private and the control plane is private or limited to listed ranges", "high", "mandatory", (CLUSTER,),
         "set cluster.public_endpoint: false, or list your ranges in cluster.public_access_cidrs",
         ("CKV_GCP_64", "CKV_GCP_18", "CKV_GCP_20", "CKV_GCP_25"),
         expect=(Expect("privateClusterConfig.enablePrivateNodes", is_true, "must be true", bad=False),), check=_private),
    Rule("AI-GCP-002", "GKE secrets are encrypted with a Cloud KMS key", "high", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (databaseEncryption)"), ("CIS GKE 5.3.1",),
         expect=(Expect("databaseEncryption.state", equals("ENCRYPTED"), "must be ENCRYPTED", bad="DECRYPTED"),
                 Expect("databaseEncryption.keyName", non_empty, "must name a key", bad=""))),
    Rule("AI-GCP-003", "Workload Identity on, node metadata hidden from pods", "high", "mandatory", (CLUSTER, NODE_POOL),
         COMPONENT.format("cluster.py / gpu_pool.py") + "; pods get cloud access through identity.service_account", ("CKV_GCP_69",),
         check=_workload_identity),
    Rule("AI-GCP-004", "GKE nodes upgrade and repair themselves on a release channel", "medium", "mandatory", (CLUSTER, NODE_POOL),
         COMPONENT.format("cluster.py / gpu_pool.py"), ("CKV_GCP_10", "CKV_GCP_9", "CKV_GCP_70", "CIS GKE 5.5.4"),
         check=_upgrades),
    Rule("AI-GCP-005", "Shielded GKE nodes with secure boot and integrity monitoring", "medium", "mandatory", (CLUSTER, NODE_POOL),
         COMPONENT.format("cluster.py / gpu_pool.py (shieldedInstanceConfig)"), ("CKV_GCP_71", "CKV_GCP_68", "CKV_GCP_72", "CIS GKE 5.5.5"),
         check=_shielded),
    Rule("AI-GCP-006", "Nodes run Container-Optimized OS as a dedicated service account", "medium", "mandatory", (NODE_POOL,),
         COMPONENT.format("gpu_pool.py (nodeConfig)"), ("CKV_GCP_22", "CIS GKE 5.2.1"),
         expect=(Expect("nodeConfig.imageType", lambda v: str(v or "").upper().startswith("COS"), "must be COS_CONTAINERD", bad="UBUNTU_CONTAINERD"),), check=_node_sa),
    Rule("AI-GCP-007", "No legacy ABAC and no client certificates", "high", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py"), ("CKV_GCP_7", "CKV_GCP_13"),
         expect=(Expect("enableLegacyAbac", absent_or_false, "must be false", bad=True),
                 Expect("masterAuth.clientCertificateConfig.issueClientCertificate", absent_or_false, "must be false", bad=True))),
    Rule("AI-GCP-008", "Network policies are enforced (Dataplane V2)", "medium", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (datapathProvider)"), ("CKV_GCP_12",), check=_network_policy),
    Rule("AI-GCP-009", "Buckets have uniform access and enforced public access prevention", "critical", "mandatory", (BUCKET,),
         COMPONENT.format("storage.py"), ("CKV_GCP_29", "CKV_GCP_114"),
         expect=(Expect("uniformBucketLevelAccess", is_true, "must be true", bad=False),
                 Expect("publicAccessPrevention", equals("enforced"), "must be enforced", bad="inherited"))),
    Rule("AI-GCP-010", "Buckets keep object versions", "medium", "mandatory", (BUCKET,),
         COMPONENT.format("storage.py (versioning)"), ("CKV_GCP_78",),
         expect=(Expect("versioning.enabled", is_true, "must be true", bad=False),)),
    Rule("AI-GCP-011", "Buckets are encrypted with the environment's Cloud KMS key", "high", "mandatory", (BUCKET,),
         COMPONENT.format("storage.py (encryption)"), ("security-baseline.md §1 row 27 (CMEK)",),
         expect=(Expect("encryption.defaultKmsKeyName", non_empty, "must name a key", bad=""),)),
    Rule("AI-GCP-012", "Data buckets log access to a separate bucket", "low", "advisory", (BUCKET,),
         COMPONENT.format("storage.py (logging)"), ("CKV_GCP_62", "CKV_GCP_63"), check=_bucket_logging),
    Rule("AI-GCP-013", "No bucket is readable by allUsers or allAuthenticatedUsers", "critical", "mandatory",
         ("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"),
         "remove the public member; grant access through identity.service_account", ("CKV_GCP_28",), check=_public_member),
    Rule("AI-GCP-014", "Data buckets survive `down` and are never emptied by a destroy", "high", "advisory", (BUCKET,),
         "set storage.delete_with_environment: false (the default)", ("security-baseline.md §3",), check=protected),
    Rule("AI-GCP-015", "Artifact Registry scans images", "medium", "mandatory", (REGISTRY,),
         COMPONENT.format("registry.py (vulnerabilityScanningConfig)"), ("Artifact Analysis: automatic scanning",),
         expect=(Expect("vulnerabilityScanningConfig.enablementConfig", lambda v: v != "DISABLED", "must not be DISABLED", bad="DISABLED"),)),
    Rule("AI-GCP-016", "Artifact Registry tags are immutable", "medium", "mandatory", (REGISTRY,),
         COMPONENT.format("registry.py (dockerConfig)") + "; push a new tag (workload.images.tag) instead of moving one", ("Artifact Registry: immutable tags",),
         expect=(Expect("dockerConfig.immutableTags", is_true, "must be true", bad=False),)),
    Rule("AI-GCP-017", "Cloud KMS keys rotate at least every 90 days", "medium", "mandatory", ("gcp:kms/cryptoKey:CryptoKey",),
         COMPONENT.format("cluster.py / storage.py (rotationPeriod)"), ("CKV_GCP_43 (checkov catalogue, not in the baseline)",), check=_rotation),
    Rule("AI-GCP-018", "Control-plane and workload logs go to Cloud Logging", "medium", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (loggingConfig)"), ("CIS GKE 5.7.1",),
         expect=(Expect("loggingConfig.enableComponents", lambda v: {"SYSTEM_COMPONENTS", "APISERVER"} <= set(v or ()),
                        "must include SYSTEM_COMPONENTS and APISERVER", bad=["WORKLOADS"]),)),
]


def pool(r: Resource) -> PoolView:
    labels = r.get("nodeConfig.labels") or {}
    scaling = r.get("autoscaling") or {}
    count = int(r.get("nodeCount") or r.get("initialNodeCount") or 0)
    zones = list(r.get("nodeLocations") or [])
    view = PoolView(
        name=labels.get("aiinfra.dev/pool", r.name), gpu=bool(r.get("nodeConfig.guestAccelerators")) or "aiinfra.dev/gpu" in labels,
        spot=is_true(r.get("nodeConfig.spot")) or is_true(r.get("nodeConfig.preemptible")),
        nodes_min=int(scaling.get("totalMinNodeCount", scaling.get("minNodeCount", count))),
        nodes_max=int(scaling.get("totalMaxNodeCount", scaling.get("maxNodeCount", count))),
        taints=tuple(taint_text(t) for t in r.get("nodeConfig.taints") or []), fabric=labels.get("aiinfra.dev/fabric"),
        placement_domains=len(zones), labels=labels,  # no nodeLocations: the whole region (0)
        needs="provisioning-request" if is_true(r.get("queuedProvisioning.enabled")) else "built-in",
    )
    held = int((r.get("nodeConfig.resourceLabels") or {}).get("aiinfra-dev_nodes-max") or 0)  # cluster.autoscaling: none
    return dataclasses.replace(view, nodes_max=held, needs="nothing") if held > view.nodes_max else view


POOLS = {NODE_POOL: pool}
