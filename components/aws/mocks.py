"""Mock answers for pulumi-aws resources and invokes."""

from __future__ import annotations

import base64
from typing import Any

from aiinfra.components.base.mocks import autoname, hexid

ACCOUNT = "123456789012"


def defaults(m, module, kind, name, inputs, out, h):
    rid = f"{kind.lower()[:6]}-{h}"
    out.setdefault("arn", f"arn:aws:{module}:{m.region}:{ACCOUNT}:{kind.lower()}/{rid}")
    out.setdefault("tagsAll", inputs.get("tags", {}))
    return rid


def _vpc(m, name, inputs, out, h):
    rid = f"vpc-{h}"
    out.update(arn=f"arn:aws:ec2:{m.region}:{ACCOUNT}:vpc/{rid}", defaultSecurityGroupId=f"sg-{h[::-1]}", mainRouteTableId=f"rtb-{h[1:]}0", ownerId=ACCOUNT)
    return rid


def _subnet(m, name, inputs, out, h):
    rid = f"subnet-{h}"
    out.update(arn=f"arn:aws:ec2:{m.region}:{ACCOUNT}:subnet/{rid}", availabilityZoneId=f"use1-az{int(h[:2], 16) % 6 + 1}")
    return rid


def _eip(m, name, inputs, out, h):
    out.update(publicIp=f"3.{int(h[:2], 16)}.{int(h[2:4], 16)}.{int(h[4:6], 16)}", allocationId=f"eipalloc-{h}")
    return f"eipalloc-{h}"


def _security_group(m, name, inputs, out, h):
    out.setdefault("name", autoname(name, h))
    rid = f"sg-{h}"
    out["arn"] = f"arn:aws:ec2:{m.region}:{ACCOUNT}:security-group/{rid}"
    return rid


def _launch_template(m, name, inputs, out, h):
    out.setdefault("name", autoname(name, h))
    out.update(latestVersion=1, defaultVersion=1)
    rid = f"lt-{h}"
    out["arn"] = f"arn:aws:ec2:{m.region}:{ACCOUNT}:launch-template/{rid}"
    return rid


def _placement_group(m, name, inputs, out, h):
    out.setdefault("name", autoname(name, h))
    out["placementGroupId"] = f"pg-{h}"
    out["arn"] = f"arn:aws:ec2:{m.region}:{ACCOUNT}:placement-group/{out['name']}"
    return out["name"]


def _kms_key(m, name, inputs, out, h):
    key_id = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{h[15:17]}0-{hexid(name, 12)}"
    out.update(keyId=key_id, arn=f"arn:aws:kms:{m.region}:{ACCOUNT}:key/{key_id}")
    return key_id


def _iam_role(m, name, inputs, out, h):
    out.setdefault("name", autoname(name, h))
    out.update(arn=f"arn:aws:iam::{ACCOUNT}:role/{out['name']}", uniqueId=f"AROA{h.upper()[:17]}")
    return out["name"]


def _oidc_provider(m, name, inputs, out, h):
    host = str(inputs.get("url", "")).removeprefix("https://")
    out["arn"] = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    return out["arn"]


def _eks_cluster(m, name, inputs, out, h):
    cname = inputs.get("name") or autoname(name, h)
    oidc = hexid(cname, 32).upper()
    out.update(
        name=cname,
        arn=f"arn:aws:eks:{m.region}:{ACCOUNT}:cluster/{cname}",
        endpoint=f"https://{oidc}.gr7.{m.region}.eks.amazonaws.com",
        certificateAuthority={"data": base64.b64encode(f"-----BEGIN CERTIFICATE-----\n{oidc}\n-----END CERTIFICATE-----\n".encode()).decode()},
        identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{m.region}.amazonaws.com/id/{oidc}"}]}],
        platformVersion="eks.1",
        status="ACTIVE",
    )
    out["vpcConfig"] = {**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": f"sg-{hexid(cname + 'cluster', 17)}", "vpcId": f"vpc-{h}"}
    return cname


def _node_group(m, name, inputs, out, h):
    ng = inputs.get("nodeGroupName") or autoname(name, h)
    cluster = inputs.get("clusterName", "cluster")
    out.update(nodeGroupName=ng, status="ACTIVE", arn=f"arn:aws:eks:{m.region}:{ACCOUNT}:nodegroup/{cluster}/{ng}/{hexid(ng, 8)}")
    return f"{cluster}:{ng}"


def _bucket(m, name, inputs, out, h):
    bucket = inputs.get("bucket") or autoname(name, h)
    out.update(
        bucket=bucket,
        arn=f"arn:aws:s3:::{bucket}",
        bucketDomainName=f"{bucket}.s3.amazonaws.com",
        bucketRegionalDomainName=f"{bucket}.s3.{m.region}.amazonaws.com",
        region=m.region,
    )
    return bucket


def _ecr_repository(m, name, inputs, out, h):
    repo = inputs.get("name") or autoname(name, h)
    out.update(arn=f"arn:aws:ecr:{m.region}:{ACCOUNT}:repository/{repo}", registryId=ACCOUNT, repositoryUrl=f"{ACCOUNT}.dkr.ecr.{m.region}.amazonaws.com/{repo}")
    return repo


def _log_group(m, name, inputs, out, h):
    group = inputs.get("name") or autoname(name, h)
    out["arn"] = f"arn:aws:logs:{m.region}:{ACCOUNT}:log-group:{group}"
    return group


def _lustre(m, name, inputs, out, h):
    rid = f"fs-{h}"
    out.update(dnsName=f"{rid}.fsx.{m.region}.amazonaws.com", mountName=hexid(name, 8), arn=f"arn:aws:fsx:{m.region}:{ACCOUNT}:file-system/{rid}")
    return rid


RESOURCES = {
    "fsx_LustreFileSystem": _lustre,
    "ec2_Vpc": _vpc,
    "ec2_Subnet": _subnet,
    "ec2_Eip": _eip,
    "ec2_SecurityGroup": _security_group,
    "ec2_LaunchTemplate": _launch_template,
    "ec2_PlacementGroup": _placement_group,
    "kms_Key": _kms_key,
    "iam_Role": _iam_role,
    "iam_OpenIdConnectProvider": _oidc_provider,
    "eks_Cluster": _eks_cluster,
    "eks_NodeGroup": _node_group,
    "s3_Bucket": _bucket,
    "ecr_Repository": _ecr_repository,
    "cloudwatch_LogGroup": _log_group,
}


def _caller_identity(m, args: dict[str, Any]) -> dict[str, Any]:
    return {"accountId": ACCOUNT, "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/aiinfra-deployer/offline", "userId": "AROAOFFLINE:offline", "id": ACCOUNT}


def _session_context(m, args):
    return {
        "arn": args.get("arn"),
        "issuerArn": f"arn:aws:iam::{ACCOUNT}:role/aiinfra-deployer",
        "issuerId": "AROAOFFLINE",
        "issuerName": "aiinfra-deployer",
        "sessionName": "offline",
        "id": args.get("arn"),
    }


def _partition(m, args):
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"}


def _region(m, args):
    return {"name": m.region, "region": m.region, "id": m.region, "endpoint": f"ec2.{m.region}.amazonaws.com"}


def _instance_type_offerings(m, args):
    types = [v for f in args.get("filters", []) if f.get("name") == "instance-type" for v in f.get("values", [])]
    zones = [z for t in types for z in m.offered_zones(t)]
    return {"id": m.region, "locations": zones, "instanceTypes": types * len(zones), "locationTypes": ["availability-zone"] * len(zones)}


INVOKES = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:iam/getSessionContext:getSessionContext": _session_context,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": _instance_type_offerings,
}
