"""AWS's facts: the names, capabilities, patterns and settings the spec and every other layer read about
AWS, with no hooks (those are profile.py's), so the spec's schema is built without loading the profile."""

from __future__ import annotations

from aiinfra.clouds import declare
from aiinfra.components.base.facts import Capability, CapacityErrors, CloudFacts, ReservationShape


@declare
class AwsFacts(CloudFacts):
    name = "aws"
    display = "AWS"
    article = "an AWS"
    kubernetes = "EKS"
    order = 10
    sdk_module = "pulumi_aws"
    pulumi_package = "aws"
    example_region = "us-east-1"
    terms = {"network": "VPC", "nat": "NAT gateway", "bucket": "S3 bucket", "registry": "ECR", "identity": "IAM role (EKS Pod Identity)"}
    backend_scheme = "s3://"
    bucket_scheme = "s3"
    bucket_types = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
    credential_fixes = (
        "aws configure                      # access keys",
        "aws sso login --profile <profile> && export AWS_PROFILE=<profile>",
    )
    verify_command = ("aws", "sts", "get-caller-identity", "--output", "json")
    unverifiable_sources = ("AWS_WEB_IDENTITY", "container")
    # EKS AL2023 NVIDIA AMIs ship the driver and container toolkit (and the EFA host software).
    dra_driver_root = {"aws": "/"}
    gpu_operator_values = {
        "aws": {
            "driver": {"enabled": False},
            "toolkit": {"enabled": False},
            "devicePlugin": {"env": [{"name": "MOFED_ENABLED", "value": "false"}, {"name": "GDRCOPY_ENABLED", "value": "true"}]},
            "mig": {"strategy": "mixed"},
        },
    }
    nvidia_runtime_class = {"aws": False}
    # EKS >= 1.30 marks no default StorageClass: add an encrypted gp3 one.
    storage_class = {
        "name": "gp3-encrypted",
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "fsType": "ext4"},
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    autoscalers = {"karpenter": "Karpenter NodePool {pool}", "cluster-autoscaler": "Cluster Autoscaler (node group {pool})"}
    default_autoscaler = "karpenter"
    down_first = ("kubernetes:karpenter.sh/v1:NodePool", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    capabilities = {
        "fabrics": Capability(True, "EFA on p4d/p4de/p5/p5e/p5en instances, in a cluster placement group", ("efa",)),
        "spot": Capability(True, "EC2 Spot capacity on managed node groups (capacity_type SPOT)"),
        "reservations": Capability(True, "EC2 On-Demand Capacity Reservations / Capacity Blocks by reservation id (launch template target)"),
        "zoneless_regions": Capability(False, "every AWS region has availability zones"),
        "capacity_blocks": Capability(True, "EC2 Capacity Blocks for ML on EKS managed node groups (capacity type CAPACITY_BLOCK, launch template market type capacity-block)"),
        "flex_start": Capability(False, "EC2 has no flex-start node pools; Capacity Blocks for ML sell GPUs for a fixed window instead"),
        "queued_provisioning": Capability(False, "EKS managed node groups have no queued provisioning (it is GKE's flex-start mode)"),
    }
    # ODCR and Capacity Block ids (BOTO ec2 model: CapacityReservationId).
    # A targeted On-Demand Capacity Reservation is in one availability zone (EC2 user guide, "capacity reservations").
    reservation = ReservationShape(
        r"^cr-([0-9a-f]{8}|[0-9a-f]{17})$", "an EC2 capacity reservation id (cr- and 17 hex digits)", "cr-0a1b2c3d4e5f67890",
        zonal="an EC2 capacity reservation is in one availability zone: a node group over the network's zones would launch nodes outside it",
        zone_lookup="aws ec2 describe-capacity-reservations --capacity-reservation-ids <id>",
    )
    # EC2 RunInstances as an EKS node group or ASG reports it, e.g. "InsufficientInstanceCapacity - We currently do
    # not have sufficient p4d.24xlarge capacity in the Availability Zone you requested (us-east-1a)"
    # (aws/containers-roadmap#2204; red-hat-storage/ocs-ci#9263); a type missing from the zone is "Unsupported".
    capacity_errors = CapacityErrors(
        capacity=(r"InsufficientInstanceCapacity", r"InsufficientCapacity", r"InsufficientHostCapacity",
                  r"do not have sufficient \S+ capacity in the Availability Zone", r"Unsupported.*not supported in your requested Availability Zone"),
        quota=(r"VcpuLimitExceeded", r"requested more vCPU capacity than your current vCPU limit", r"InstanceLimitExceeded"),
        failed_zone=(r"Availability Zone you requested \(([a-z0-9-]+)\)", r"requested Availability Zone \(([a-z0-9-]+)\)"),
    )
    # Largest capacity block (BOTO DescribeCapacityBlockOfferings: up to 64 instances per block).
    capacity_block_max_nodes = 64
    # EKS service quotas, "Nodes per managed node group": 450 (not adjustable; docs.aws.amazon.com/eks/latest/userguide/service-quotas.html).
    max_pool_nodes = 450
    max_pool_nodes_source = "EKS service quota: nodes per managed node group"
