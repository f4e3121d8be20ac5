"""The offline engine: runs the real Pulumi program in-process under Pulumi's mocks.

Every resource is captured as the provider would receive it (type token, camelCase inputs)
together with its resource options, and the mocks answer with realistic outputs (ARNs, IDs,
endpoints) so that code which reads them runs as it would on `pulumi up`. Nothing leaves
the machine and no credentials are needed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

ACCOUNT = "123456789012"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass
class CapturedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "options": self.options,
        }


@dataclass
class RunResult:
    resources: list[CapturedResource]
    outputs: dict[str, Any]

    def of_type(self, token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> CapturedResource:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {token}{' named ' + name if name else ''}, found {len(found)}")
        return found[0]

    def children_of(self, urn: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.parent == urn]


def _clean(value: Any) -> Any:
    """Wire values as JSON-friendly data: integral floats back to ints, unknowns named."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value == UNKNOWN:
        return "<computed>"
    return value


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


class CloudMocks:
    """Realistic provider outputs for the resource types aiinfra creates, stable across runs."""

    def __init__(self, cloud: str, region: str, zones: list[str], offered_zones: Callable[[str], list[str]]):
        self.cloud = cloud
        self.region = region
        self.zones = zones
        self.offered_zones = offered_zones

    # -- resources -------------------------------------------------------
    def outputs(self, token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        out = dict(inputs)
        provider, _, rest = token.partition(":")
        module = rest.split("/")[0].split(":")[0]
        kind = token.rsplit(":", 1)[-1]
        h = _hex(f"{token}::{name}", 17)
        handler = getattr(self, f"_{provider}_{module}_{kind}".replace("-", "_"), None)
        if provider == "aws":
            rid = f"{kind.lower()[:6]}-{h}"
            out.setdefault("arn", f"arn:aws:{module}:{self.region}:{ACCOUNT}:{kind.lower()}/{rid}")
            out.setdefault("tagsAll", inputs.get("tags", {}))
        else:
            rid = f"{name}-{h[:8]}"
        if handler is not None:
            rid = handler(name, inputs, out, h) or rid
        return rid, out

    def _autoname(self, name: str, h: str) -> str:
        return f"{name}-{h[:7]}"

    def _aws_ec2_Vpc(self, name, inputs, out, h):
        rid = f"vpc-{h}"
        out.update(arn=f"arn:aws:ec2:{self.region}:{ACCOUNT}:vpc/{rid}", defaultSecurityGroupId=f"sg-{h[::-1]}", mainRouteTableId=f"rtb-{h[1:]}0", ownerId=ACCOUNT)
        return rid

    def _aws_ec2_Subnet(self, name, inputs, out, h):
        rid = f"subnet-{h}"
        out.update(arn=f"arn:aws:ec2:{self.region}:{ACCOUNT}:subnet/{rid}", availabilityZoneId=f"use1-az{int(h[:2], 16) % 6 + 1}")
        return rid

    def _aws_ec2_Eip(self, name, inputs, out, h):
        out.update(publicIp=f"3.{int(h[:2], 16)}.{int(h[2:4], 16)}.{int(h[4:6], 16)}", allocationId=f"eipalloc-{h}")
        return f"eipalloc-{h}"

    def _aws_ec2_SecurityGroup(self, name, inputs, out, h):
        out.setdefault("name", self._autoname(name, h))
        rid = f"sg-{h}"
        out["arn"] = f"arn:aws:ec2:{self.region}:{ACCOUNT}:security-group/{rid}"
        return rid

    def _aws_ec2_LaunchTemplate(self, name, inputs, out, h):
        out.setdefault("name", self._autoname(name, h))
        out.update(latestVersion=1, defaultVersion=1)
        rid = f"lt-{h}"
        out["arn"] = f"arn:aws:ec2:{self.region}:{ACCOUNT}:launch-template/{rid}"
        return rid

    def _aws_ec2_PlacementGroup(self, name, inputs, out, h):
        out.setdefault("name", self._autoname(name, h))
        out["placementGroupId"] = f"pg-{h}"
        out["arn"] = f"arn:aws:ec2:{self.region}:{ACCOUNT}:placement-group/{out['name']}"
        return out["name"]

    def _aws_kms_Key(self, name, inputs, out, h):
        key_id = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{h[15:17]}0-{_hex(name, 12)}"
        out.update(keyId=key_id, arn=f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{key_id}")
        return key_id

    def _aws_iam_Role(self, name, inputs, out, h):
        out.setdefault("name", self._autoname(name, h))
        out.update(arn=f"arn:aws:iam::{ACCOUNT}:role/{out['name']}", uniqueId=f"AROA{h.upper()[:17]}")
        return out["name"]

    def _aws_iam_OpenIdConnectProvider(self, name, inputs, out, h):
        host = str(inputs.get("url", "")).removeprefix("https://")
        out["arn"] = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
        return out["arn"]

    def _aws_eks_Cluster(self, name, inputs, out, h):
        cname = inputs.get("name") or self._autoname(name, h)
        oidc = _hex(cname, 32).upper()
        out.update(
            name=cname,
            arn=f"arn:aws:eks:{self.region}:{ACCOUNT}:cluster/{cname}",
            endpoint=f"https://{oidc}.gr7.{self.region}.eks.amazonaws.com",
            certificateAuthority={"data": base64.b64encode(f"-----BEGIN CERTIFICATE-----\n{oidc}\n-----END CERTIFICATE-----\n".encode()).decode()},
            identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/{oidc}"}]}],
            platformVersion="eks.1",
            status="ACTIVE",
        )
        out["vpcConfig"] = {**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": f"sg-{_hex(cname + 'cluster', 17)}", "vpcId": f"vpc-{h}"}
        return cname

    def _aws_eks_NodeGroup(self, name, inputs, out, h):
        ng = inputs.get("nodeGroupName") or self._autoname(name, h)
        cluster = inputs.get("clusterName", "cluster")
        out.update(nodeGroupName=ng, status="ACTIVE", arn=f"arn:aws:eks:{self.region}:{ACCOUNT}:nodegroup/{cluster}/{ng}/{_hex(ng, 8)}")
        return f"{cluster}:{ng}"

    def _aws_s3_Bucket(self, name, inputs, out, h):
        bucket = inputs.get("bucket") or self._autoname(name, h)
        out.update(
            bucket=bucket,
            arn=f"arn:aws:s3:::{bucket}",
            bucketDomainName=f"{bucket}.s3.amazonaws.com",
            bucketRegionalDomainName=f"{bucket}.s3.{self.region}.amazonaws.com",
            region=self.region,
        )
        return bucket

    def _aws_ecr_Repository(self, name, inputs, out, h):
        repo = inputs.get("name") or self._autoname(name, h)
        out.update(
            arn=f"arn:aws:ecr:{self.region}:{ACCOUNT}:repository/{repo}",
            registryId=ACCOUNT,
            repositoryUrl=f"{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/{repo}",
        )
        return repo

    def _aws_cloudwatch_LogGroup(self, name, inputs, out, h):
        group = inputs.get("name") or self._autoname(name, h)
        out["arn"] = f"arn:aws:logs:{self.region}:{ACCOUNT}:log-group:{group}"
        return group

    # -- invokes ---------------------------------------------------------
    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/aiinfra-deployer/offline", "userId": "AROAOFFLINE:offline", "id": ACCOUNT}
        if token == "aws:iam/getSessionContext:getSessionContext":
            return {
                "arn": args.get("arn"),
                "issuerArn": f"arn:aws:iam::{ACCOUNT}:role/aiinfra-deployer",
                "issuerId": "AROAOFFLINE",
                "issuerName": "aiinfra-deployer",
                "sessionName": "offline",
                "id": args.get("arn"),
            }
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region, "endpoint": f"ec2.{self.region}.amazonaws.com"}
        if token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
            types = [v for f in args.get("filters", []) if f.get("name") == "instance-type" for v in f.get("values", [])]
            zones = [z for t in types for z in self.offered_zones(t)]
            return {"id": self.region, "locations": zones, "instanceTypes": types * len(zones), "locationTypes": ["availability-zone"] * len(zones)}
        raise NotImplementedError(f"the offline engine has no answer for invoke {token}; add one to aiinfra.engine.CloudMocks")


def run(program: Callable[[], Any], mocks: CloudMocks, project: str = "aiinfra", stack: str = "dev", preview: bool = True) -> RunResult:
    """Run a Pulumi program under mocks and return what it registered, with options, and its outputs."""
    import pulumi
    from pulumi.runtime import mocks as pmocks
    from pulumi.runtime import settings

    lock = threading.Lock()
    captured: dict[str, CapturedResource] = {}

    class _Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            rid, out = mocks.outputs(args.typ, args.name, args.inputs)
            return (rid if args.custom else None), out

        def call(self, args: pulumi.runtime.MockCallArgs):
            return mocks.invoke(args.token, dict(args.args))

    class _Monitor(pmocks.MockMonitor):
        def RegisterResource(self, request):
            from pulumi.runtime import rpc

            response = super().RegisterResource(request)
            raw_inputs = rpc.deserialize_properties(request.object)
            with lock:
                captured[response.urn] = CapturedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent or None,
                    custom=bool(request.custom),
                    inputs=_clean(raw_inputs),
                    options={
                        "protect": request.protect if request.HasField("protect") else None,
                        "retain_on_delete": request.retainOnDelete if request.HasField("retainOnDelete") else None,
                        "ignore_changes": list(request.ignoreChanges),
                        "depends_on": list(request.dependencies),
                        "additional_secret_outputs": list(request.additionalSecretOutputs),
                    },
                )
            return response

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    m = _Mocks()
    outputs: dict[str, Any] = {}
    try:
        pulumi.runtime.set_mocks(m, project=project, stack=stack, preview=preview, monitor=_Monitor(m))

        def body() -> Any:
            result = program() or {}
            return pulumi.Output.from_input(result).apply(outputs.update)

        pulumi.runtime.test(body)()
    finally:
        settings.reset_options()
        asyncio.set_event_loop(None)
        loop.close()
    return RunResult(resources=_tree_order(captured), outputs=_clean(outputs))


def _tree_order(captured: dict[str, CapturedResource]) -> list[CapturedResource]:
    """Parents before children, siblings by type and name: registration order depends on thread timing."""
    kids: dict[str | None, list[CapturedResource]] = {}
    for r in captured.values():
        if r.type == "pulumi:pulumi:Stack":
            continue
        parent = r.parent if r.parent in captured and captured[r.parent].type != "pulumi:pulumi:Stack" else None
        kids.setdefault(parent, []).append(r)
    out: list[CapturedResource] = []

    def walk(parent: str | None) -> None:
        for r in sorted(kids.get(parent, []), key=lambda r: (not r.custom, r.type, r.name)):
            out.append(r)
            walk(r.urn)

    walk(None)
    return out
