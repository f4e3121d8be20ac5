"""Rules over the resources the EKS environment creates (shared/reference/security-baseline.md §1 rows 1-19).

IDs in `refs` are checkov 3.3.30 check IDs as the baseline lists them; the ECR ones are checkov's Terraform
checks for `aws_ecr_repository` and are not in the baseline (named here from checkov's catalogue, unverified).
"""

from __future__ import annotations

import json
from typing import Any

from aiinfra.policy.model import (
    Expect,
    PoolView,
    Resource,
    Rule,
    absent_or_false,
    equals,
    is_true,
    non_empty,
    protected,
    taint_text,
)

CLUSTER = "aws:eks/cluster:Cluster"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
BUCKET = "aws:s3/bucket:Bucket"
COMPONENT = "no spec field turns this off: restore it in components/aws/{}"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")


def _endpoint(r: Resource) -> list[str]:
    if not is_true(r.get("vpcConfig.endpointPublicAccess")):
        return []
    cidrs = r.get("vpcConfig.publicAccessCidrs") or []
    if not cidrs or "0.0.0.0/0" in cidrs:
        return ["the API endpoint is public and open to 0.0.0.0/0 (no publicAccessCidrs)"]
    return []


def _no_public_ips(r: Resource) -> list[str]:
    return [f"network interface {i} gets a public IP" for i, v in enumerate(r.all("networkInterfaces[].associatePublicIpAddress")) if is_true(v)]


def _policy_arn(r: Resource) -> list[str]:
    arn = str(r.get("policyArn", ""))
    name = arn.rsplit("/", 1)[-1]
    return [f"attaches {name}: no role aiinfra creates needs account-wide admin rights"] if name in ADMIN_POLICIES else []


def _statements(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return []
    if not isinstance(doc, dict):
        return []
    stmts = doc.get("Statement") or []
    return [s for s in ([stmts] if isinstance(stmts, dict) else stmts) if isinstance(s, dict)]


def _trust(r: Resource) -> list[str]:
    out = []
    for s in _statements(r.get("assumeRolePolicy")):
        principal = s.get("Principal")
        if s.get("Effect") == "Allow" and (principal == "*" or isinstance(principal, dict) and "*" in (principal.get("AWS"), principal.get("Federated"))):
            out.append("the trust policy lets any principal assume the role")
    return out


def _tls_only(r: Resource) -> list[str]:
    stmts = _statements(r.get("policy"))
    out = []
    if not any(s.get("Effect") == "Deny" and "false" == str((s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() for s in stmts):
        out.append("the bucket policy does not deny requests without TLS (aws:SecureTransport false)")
    if any(s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"}) for s in stmts):
        out.append("the bucket policy allows any principal")
    return out


def _logging(r: Resource) -> list[str]:
    target = r.get("targetBucket")
    if not target:
        return ["no target bucket for access logs"]
    return ["logs into the bucket it logs"] if target == r.get("bucket") else []


def _network_policy(r: Resource) -> list[str]:
    if r.get("addonName") != "vpc-cni":
        return []
    raw = r.get("configurationValues") or "{}"
    try:
        config = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except ValueError:
        config = {}
    if str(config.get("enableNetworkPolicy", "")).lower() == "true":
        return []
    return ["the vpc-cni add-on does not enforce network policies (configurationValues.enableNetworkPolicy)"]


RULES = [
    Rule("AI-AWS-001", "EKS API endpoint is private or limited to listed ranges", "high", "mandatory", (CLUSTER,),
         "set cluster.public_endpoint: false, or list your ranges in cluster.public_access_cidrs", ("CKV_AWS_38", "CKV_AWS_39"),
         expect=(Expect("vpcConfig.endpointPrivateAccess", is_true, "must be true", bad=False),), check=_endpoint),
    Rule("AI-AWS-002", "EKS secrets are envelope-encrypted with a KMS key", "high", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (encryptionConfig)"), ("CKV_AWS_58",),
         expect=(Expect("encryptionConfig.resources", lambda v: isinstance(v, list) and "secrets" in v, "must include secrets", bad=[]),
                 Expect("encryptionConfig.provider.keyArn", non_empty, "must name a KMS key", bad="")),),
    Rule("AI-AWS-003", "KMS keys rotate yearly", "medium", "mandatory", ("aws:kms/key:Key",),
         COMPONENT.format("cluster.py / storage.py (enableKeyRotation)"), ("CKV_AWS_7",),
         expect=(Expect("enableKeyRotation", is_true, "must be true", bad=False),)),
    Rule("AI-AWS-004", "EKS control-plane logs every log type", "medium", "mandatory", (CLUSTER,),
         COMPONENT.format("cluster.py (enabledClusterLogTypes)"), ("CKV_AWS_37",),
         expect=(Expect("enabledClusterLogTypes", lambda v: set(LOG_TYPES) <= set(v or ()), f"must include {', '.join(LOG_TYPES)}", bad=["api"]),)),
    Rule("AI-AWS-005", "EKS access entries only; the creator gets no hidden admin", "medium", "mandatory", (CLUSTER,),
         "grant admins through cluster.admins (access entries)", ("EKS best practices: access entries",),
         expect=(Expect("accessConfig.authenticationMode", equals("API"), "must be API", bad="API_AND_CONFIG_MAP"),
                 Expect("accessConfig.bootstrapClusterCreatorAdminPermissions", absent_or_false, "must be false", bad=True))),
    Rule("AI-AWS-006", "Node metadata service needs IMDSv2 tokens and one hop (pods cannot reach it)", "high", "mandatory", (LAUNCH_TEMPLATE,),
         COMPONENT.format("gpu_pool.py (metadataOptions)") + "; pods get AWS access through identity.service_account",
         ("CKV_AWS_79", "CKV_AWS_341"),
         expect=(Expect("metadataOptions.httpTokens", equals("required"), "must be required", bad="optional"),
                 Expect("metadataOptions.httpPutResponseHopLimit", lambda v: v is not None and int(v) <= 1, "must be 1", bad=2))),
    Rule("AI-AWS-007", "Node volumes are encrypted", "high", "mandatory", (LAUNCH_TEMPLATE,),
         COMPONENT.format("gpu_pool.py (blockDeviceMappings)"), ("CKV_AWS_8",),
         expect=(Expect("blockDeviceMappings[].ebs.encrypted", is_true, "must be true", bad="false"),)),
    Rule("AI-AWS-008", "Nodes get no public IP addresses", "high", "mandatory", (SUBNET, LAUNCH_TEMPLATE),
         COMPONENT.format("network.py / gpu_pool.py"), ("CKV_AWS_88",),
         expect=(Expect("mapPublicIpOnLaunch", absent_or_false, "must be false", bad=True),), check=_no_public_ips),
    Rule("AI-AWS-009", "Node groups allow no SSH remote access", "medium", "mandatory", (NODE_GROUP,),
         COMPONENT.format("gpu_pool.py (remoteAccess)"), ("CKV_AWS_100",),
         expect=(Expect("remoteAccess", lambda v: v is None, "must be absent", bad={"ec2SshKey": "key"}),)),
    Rule("AI-AWS-010", "No role gets an administrator policy", "critical", "mandatory", ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",),
         COMPONENT.format("identity.py / cluster.py (policyArn)"), ("CKV_AWS_274",), check=_policy_arn),
    Rule("AI-AWS-011", "Roles trust named services, not any principal", "high", "mandatory", ("aws:iam/role:Role",),
         COMPONENT.format("identity.py (assumeRolePolicy)"), ("CKV_AWS_60", "CKV_AWS_61"), check=_trust),
    Rule("AI-AWS-012", "S3 public access is blocked four ways", "critical", "mandatory", ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",),
         COMPONENT.format("storage.py (BucketPublicAccessBlock)"), ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
         expect=tuple(Expect(k, is_true, "must be true", bad=False) for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))),
    Rule("AI-AWS-013", "S3 buckets are encrypted at rest", "high", "mandatory",
         ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",),
         COMPONENT.format("storage.py (server-side encryption)"), ("CKV_AWS_19", "CKV_AWS_145"),
         expect=(Expect("rules[].applyServerSideEncryptionByDefault.sseAlgorithm", equals("aws:kms", "aws:kms:dsse", "AES256"), "must be aws:kms or AES256", bad=""),)),
    Rule("AI-AWS-014", "S3 data buckets keep object versions", "medium", "mandatory", ("aws:s3/bucketVersioning:BucketVersioning",),
         COMPONENT.format("storage.py (BucketVersioning)"), ("CKV_AWS_21",),
         expect=(Expect("versioningConfiguration.status", equals("Enabled"), "must be Enabled", bad="Suspended"),)),
    Rule("AI-AWS-015", "S3 bucket policies require TLS and allow no anonymous principal", "high", "mandatory", ("aws:s3/bucketPolicy:BucketPolicy",),
         COMPONENT.format("storage.py (bucket policy)"), ("CKV_AWS_70", "CKV_AWS_379"), check=_tls_only),
    Rule("AI-AWS-016", "S3 ACLs are off (bucket owner enforced)", "medium", "mandatory", ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",),
         COMPONENT.format("storage.py (BucketOwnershipControls)"), ("CKV2_AWS_65",),
         expect=(Expect("rule.objectOwnership", equals("BucketOwnerEnforced"), "must be BucketOwnerEnforced", bad="ObjectWriter"),)),
    Rule("AI-AWS-017", "S3 access logs go to a separate bucket", "low", "advisory", ("aws:s3/bucketLogging:BucketLogging",),
         COMPONENT.format("storage.py (BucketLogging)"), ("CKV_AWS_18",), check=_logging),
    Rule("AI-AWS-018", "ECR scans images on push", "medium", "mandatory", ("aws:ecr/repository:Repository",),
         COMPONENT.format("registry.py (imageScanningConfiguration)"), ("CKV_AWS_163 (checkov catalogue, not in the baseline)",),
         expect=(Expect("imageScanningConfiguration.scanOnPush", is_true, "must be true", bad=False),)),
    Rule("AI-AWS-019", "ECR tags are immutable", "medium", "mandatory", ("aws:ecr/repository:Repository",),
         COMPONENT.format("registry.py (imageTagMutability)") + "; push a new tag (workload.images.tag) instead of moving one",
         ("CKV_AWS_51 (checkov catalogue, not in the baseline)",),
         expect=(Expect("imageTagMutability", equals("IMMUTABLE"), "must be IMMUTABLE", bad="MUTABLE"),
                 Expect("forceDelete", absent_or_false, "must be false", bad=True))),
    Rule("AI-AWS-020", "Data buckets survive `down` and are never emptied by a destroy", "high", "advisory", (BUCKET,),
         "set storage.delete_with_environment: false (the default)", ("security-baseline.md §3",), check=protected),
    Rule("AI-AWS-021", "Pods can use Kubernetes network policies", "medium", "advisory", ("aws:eks/addon:Addon",),
         COMPONENT.format("cluster.py (vpc-cni configurationValues.enableNetworkPolicy)"),
         ("EKS best practices: network policy",),
         check=_network_policy),
]


def pool(r: Resource) -> PoolView:
    labels = r.get("labels") or {}
    scaling = r.get("scalingConfig") or {}
    return PoolView(
        name=labels.get("aiinfra.dev/pool", r.name), gpu="aiinfra.dev/gpu" in labels, spot=r.get("capacityType") == "SPOT",
        nodes_min=int(scaling.get("minSize", 0)), nodes_max=int(scaling.get("maxSize", 0)),
        taints=tuple(taint_text(t) for t in r.get("taints") or []), fabric=labels.get("aiinfra.dev/fabric"),
        placement_domains=len(r.get("subnetIds") or []), labels=labels,
    )


POOLS = {NODE_GROUP: pool}  # Karpenter NodePools: aiinfra.components.base.policy.karpenter_pool, as on AKS
