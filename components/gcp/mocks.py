"""Mock answers for pulumi-gcp resources and invokes. The project comes from the spec (m.settings["project"])."""

from __future__ import annotations

import base64
import ipaddress
import re
from typing import Any

from aiinfra.components.base.mocks import autoname, hexid

DEFAULT_PROJECT = "offline-project"
COMPUTE = "https://www.googleapis.com/compute/v1"


def project_of(m, inputs: dict[str, Any] | None = None) -> str:
    return (inputs or {}).get("project") or m.settings.get("project") or DEFAULT_PROJECT


def project_number(project: str) -> str:
    return str(int(hexid(project, 10), 16))[:12].rjust(12, "1")


def defaults(m, module, kind, name, inputs, out, h):
    out.setdefault("project", project_of(m, inputs))
    if "labels" in inputs:
        out.setdefault("effectiveLabels", inputs["labels"])
        out.setdefault("pulumiLabels", inputs["labels"])
    return None


def _named(inputs, out, name, h, key="name"):
    out[key] = inputs.get(key) or autoname(name, h)
    return out[key]


def _network(m, name, inputs, out, h):
    p, n = project_of(m, inputs), _named(inputs, out, name, h)
    rid = f"projects/{p}/global/networks/{n}"
    out.update(selfLink=f"{COMPUTE}/{rid}", numericId=str(int(h[:12], 16)), gatewayIpv4="")
    out.setdefault("mtu", 1460)
    return rid


def _subnetwork(m, name, inputs, out, h):
    p, n = project_of(m, inputs), _named(inputs, out, name, h)
    region = inputs.get("region") or m.region
    rid = f"projects/{p}/regions/{region}/subnetworks/{n}"
    cidr = inputs.get("ipCidrRange")
    gateway = str(next(ipaddress.ip_network(cidr).hosts())) if cidr else ""
    out.update(selfLink=f"{COMPUTE}/{rid}", gatewayAddress=gateway, region=region, subnetworkId=int(h[:8], 16))
    return rid


def _router(m, name, inputs, out, h):
    p, n = project_of(m, inputs), _named(inputs, out, name, h)
    rid = f"projects/{p}/regions/{inputs.get('region') or m.region}/routers/{n}"
    out["selfLink"] = f"{COMPUTE}/{rid}"
    return rid


def _router_nat(m, name, inputs, out, h):
    n = _named(inputs, out, name, h)
    return f"{project_of(m, inputs)}/{inputs.get('region') or m.region}/{inputs.get('router')}/{n}"


def _firewall(m, name, inputs, out, h):
    p, n = project_of(m, inputs), _named(inputs, out, name, h)
    rid = f"projects/{p}/global/firewalls/{n}"
    out["selfLink"] = f"{COMPUTE}/{rid}"
    return rid


def _cluster(m, name, inputs, out, h):
    p, n = project_of(m, inputs), _named(inputs, out, name, h)
    loc = inputs.get("location") or m.region
    rid = f"projects/{p}/locations/{loc}/clusters/{n}"
    private = inputs.get("privateClusterConfig", {}).get("enablePrivateEndpoint", False)
    endpoint = f"10.{int(h[:2], 16)}.{int(h[2:4], 16)}.2" if private else f"34.{int(h[:2], 16)}.{int(h[2:4], 16)}.{int(h[4:6], 16)}"
    ca = base64.b64encode(f"-----BEGIN CERTIFICATE-----\n{hexid(rid, 48)}\n-----END CERTIFICATE-----\n".encode()).decode()
    out.update(
        selfLink=f"https://container.googleapis.com/v1/{rid}",
        endpoint=endpoint,
        masterAuth={**inputs.get("masterAuth", {}), "clusterCaCertificate": ca},
        masterVersion=inputs.get("minMasterVersion", ""),
        location=loc,
        labelFingerprint=h[:8],
        operation="",
    )
    return rid


def _node_pool(m, name, inputs, out, h):
    n = _named(inputs, out, name, h)
    cluster = str(inputs.get("cluster", "cluster"))
    base = cluster if cluster.startswith("projects/") else f"projects/{project_of(m, inputs)}/locations/{inputs.get('location') or m.region}/clusters/{cluster}"
    rid = f"{base}/nodePools/{n}"
    out["instanceGroupUrls"] = [f"{COMPUTE}/projects/{project_of(m, inputs)}/zones/{z}/instanceGroupManagers/gke-{n}-{h[:8]}-grp" for z in inputs.get("nodeLocations", [])]
    out["managedInstanceGroupUrls"] = out["instanceGroupUrls"]
    return rid


def _key_ring(m, name, inputs, out, h):
    n = _named(inputs, out, name, h)
    return f"projects/{project_of(m, inputs)}/locations/{inputs.get('location') or m.region}/keyRings/{n}"


def _crypto_key(m, name, inputs, out, h):
    n = _named(inputs, out, name, h)
    return f"{inputs.get('keyRing')}/cryptoKeys/{n}"


def _service_account(m, name, inputs, out, h):
    p = project_of(m, inputs)
    account = inputs.get("accountId") or autoname(name, h)[:30]
    email = f"{account}@{p}.iam.gserviceaccount.com"
    out.update(email=email, name=f"projects/{p}/serviceAccounts/{email}", uniqueId=str(int(h[:15], 16)).rjust(21, "1")[:21], member=f"serviceAccount:{email}")
    return out["name"]


def _bucket(m, name, inputs, out, h):
    bucket = _named(inputs, out, name, h)
    out.update(url=f"gs://{bucket}", selfLink=f"https://www.googleapis.com/storage/v1/b/{bucket}", location=str(inputs.get("location", m.region)).upper())
    return bucket


def _repository(m, name, inputs, out, h):
    p = project_of(m, inputs)
    loc = inputs.get("location") or m.region
    repo = inputs.get("repositoryId") or autoname(name, h)
    rid = f"projects/{p}/locations/{loc}/repositories/{repo}"
    out.update(name=repo, registryUri=f"{loc}-docker.pkg.dev/{p}/{repo}", createTime="2025-01-01T00:00:00Z")
    return rid


def _iam_member(m, name, inputs, out, h):
    out["etag"] = f"BwY{h[:9]}="
    target = next((str(inputs[k]) for k in ("cryptoKeyId", "bucket", "repository", "serviceAccountId", "project") if k in inputs), name)
    return f"{target}/{inputs.get('role')}/{inputs.get('member')}"


def _lustre(m, name, inputs, out, h):
    ip = f"172.16.{int(h[:2], 16) % 4}.{int(h[2:4], 16) % 250 + 2}"
    out.update(mountPoint=f"{ip}@tcp:/{inputs.get('filesystem', 'lustre')}", state="ACTIVE")
    return f"projects/{project_of(m, inputs)}/locations/{inputs.get('location')}/instances/{inputs.get('instanceId')}"


def _custom_role(m, name, inputs, out, h):
    rid = f"projects/{project_of(m, inputs)}/roles/{inputs.get('roleId') or autoname(name, h)}"
    out.update(name=rid, deleted=False)
    return rid


def _service_identity(m, name, inputs, out, h):
    """Google-managed service agents: service-<project number>@gcp-sa-<service>.iam.gserviceaccount.com."""
    p = project_of(m, inputs)
    email = f"service-{project_number(p)}@gcp-sa-{str(inputs.get('service', '')).split('.')[0]}.iam.gserviceaccount.com"
    out.update(email=email, member=f"serviceAccount:{email}")
    return f"projects/{p}/services/{inputs.get('service')}"


def _global_address(m, name, inputs, out, h):
    out.setdefault("name", f"{name}-{h[:7]}")
    out.setdefault("address", "172.16.0.0")
    return f"projects/{project_of(m, inputs)}/global/addresses/{out['name']}"


RESOURCES = {
    "lustre_Instance": _lustre,
    "compute_GlobalAddress": _global_address,
    "compute_Network": _network,
    "compute_Subnetwork": _subnetwork,
    "compute_Router": _router,
    "compute_RouterNat": _router_nat,
    "compute_Firewall": _firewall,
    "container_Cluster": _cluster,
    "container_NodePool": _node_pool,
    "kms_KeyRing": _key_ring,
    "kms_CryptoKey": _crypto_key,
    "kms_CryptoKeyIAMMember": _iam_member,
    "serviceaccount_Account": _service_account,
    "serviceaccount_IAMMember": _iam_member,
    "projects_IAMMember": _iam_member,
    "projects_IAMCustomRole": _custom_role,
    "projects_ServiceIdentity": _service_identity,
    "storage_Bucket": _bucket,
    "storage_BucketIAMMember": _iam_member,
    "artifactregistry_Repository": _repository,
    "artifactregistry_RepositoryIamMember": _iam_member,
}


def _project(m, args):
    p = args.get("projectId") or project_of(m)
    return {
        "projectId": p, "number": project_number(p), "name": p, "id": f"projects/{p}", "orgId": "", "folderId": "", "billingAccount": "",
        "autoCreateNetwork": True, "deletionPolicy": "PREVENT", "labels": {}, "effectiveLabels": {}, "pulumiLabels": {}, "tags": {},
    }


def _client_config(m, args):
    return {"project": project_of(m), "region": m.region, "zone": m.zones[0] if m.zones else "", "accessToken": "offline", "id": "offline", "defaultLabels": {}}


def _machine_types(m, args):
    """The machine type, if the filter names one that the zone offers (from the catalog via m.offered_zones)."""
    from aiinfra import catalog

    zone = args.get("zone", "")
    match = re.search(r'name\s*=\s*"?([a-z0-9-]+)"?', args.get("filter", ""))
    wanted = match.group(1) if match else None
    types = []
    if wanted and zone in m.offered_zones(wanted):
        cat = catalog.cloud_catalog("gcp")
        it = cat.instance_types.get(wanted) or next((t for t in cat.instance_types.values() if t.machine_type == wanted), None)
        bundled = it is not None and it.gpu and not it.machine_type
        types.append(
            {
                "name": wanted,
                "guestCpus": it.vcpus if it else 4,
                "memoryMb": int((it.memory_gib if it else 16) * 1024),
                "accelerators": [{"guestAcceleratorType": it.accelerator_type, "guestAcceleratorCount": it.gpu_count}] if bundled else [],
                "architecture": "X86_64",
                "bundledLocalSsds": [],
                "deprecateds": [],
                "description": f"{wanted} (offline)",
                "isSharedCpus": False,
                "maximumPersistentDisks": 128,
                "maximumPersistentDisksSizeGb": 263168,
                "selfLink": f"{COMPUTE}/projects/{project_of(m, args)}/zones/{zone}/machineTypes/{wanted}",
            }
        )
    return {"filter": args.get("filter"), "id": f"{zone}/{wanted}", "machineTypes": types, "project": project_of(m, args), "zone": zone}


def _engine_versions(m, args):
    prefix = args.get("versionPrefix") or "1.35."
    latest = f"{prefix}5-gke.1200000"
    channels = {c: latest for c in ("RAPID", "REGULAR", "STABLE")}
    return {
        "defaultClusterVersion": latest, "id": args.get("location") or m.region, "latestMasterVersion": latest, "latestNodeVersion": latest,
        "location": args.get("location") or m.region, "project": project_of(m, args), "releaseChannelDefaultVersion": channels,
        "releaseChannelLatestVersion": channels, "releaseChannelUpgradeTargetVersion": channels,
        "validMasterVersions": [latest, f"{prefix}4-gke.1100000"], "validNodeVersions": [latest], "versionPrefix": prefix,
    }


def _storage_agent(m, args):
    p = args.get("project") or project_of(m)
    email = f"service-{project_number(p)}@gs-project-accounts.iam.gserviceaccount.com"
    return {"emailAddress": email, "id": email, "member": f"serviceAccount:{email}", "project": p, "userProject": None}


INVOKES = {
    "gcp:organizations/getProject:getProject": _project,
    "gcp:organizations/getClientConfig:getClientConfig": _client_config,
    "gcp:compute/getMachineTypes:getMachineTypes": _machine_types,
    "gcp:container/getEngineVersions:getEngineVersions": _engine_versions,
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": _storage_agent,
}
