"""The data layer under mocks on every cloud: the file system's properties, network and security rules, the import
link, the CSI add-ons, protection like the buckets', and the PV/PVCs validated against the Kubernetes schemas."""

from __future__ import annotations

import json

import pytest

from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

kubernetes_validate = pytest.importorskip("kubernetes_validate")

REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}
T_PV = "kubernetes:core/v1:PersistentVolume"
T_PVC = "kubernetes:core/v1:PersistentVolumeClaim"
T_CHART = "kubernetes:helm.sh/v4:Chart"


def _spec(cloud: str, size: float = 36, delete: bool = False) -> str:
    return (
        f"name: data\ncloud: {cloud}\nregion: {REGIONS[cloud]}\n"
        "node_pools: [{name: train, gpu: 'H100:8', nodes: {min: 0, max: 2}}]\n"
        "storage:\n  buckets: [datasets, checkpoints]\n  mount_buckets: true\n"
        f"  delete_with_environment: {str(delete).lower()}\n"
        f"  filesystems:\n    - {{name: scratch, kind: lustre, size_tib: {size}, import_from: datasets}}\n"
        "mlops: {data: ray}\n"
    )


@pytest.fixture(scope="module", params=list(REGIONS))
def built(request):
    env = resolve(parse_spec(_spec(request.param)))
    return request.param, env, run_offline(env)


def by_name(result, token):
    return {r.name: r for r in result.of_type(token)}


def test_aws_lustre_is_persistent_2_in_the_gpu_zone_with_the_env_key():
    env = resolve(parse_spec(_spec("aws")))
    result = run_offline(env)
    fs = result.one("aws:fsx/lustreFileSystem:LustreFileSystem")
    i = fs.inputs
    assert (i["deploymentType"], i["storageType"], i["storageCapacity"], i["perUnitStorageThroughput"]) == ("PERSISTENT_2", "SSD", 36000, 125)
    assert i["kmsKeyId"].startswith("arn:aws:kms:") and len(result.of_type("aws:kms/key:Key")) == 2, "the buckets' key, no new one"
    subnet = result.one("aws:ec2/subnet:Subnet", f"data-private-{env.filesystems[0].zone}")
    assert subnet.inputs["availabilityZone"] == env.filesystems[0].zone
    (np,) = [r for r in result.of_type("kubernetes:karpenter.sh/v1:NodePool") if r.name == "data-karpenter-train-nodepool"]
    zones = [q["values"] for q in np.inputs["spec"]["template"]["spec"]["requirements"] if q["key"] == "topology.kubernetes.io/zone"]
    assert zones == [[env.filesystems[0].zone]], "Karpenter launches the GPU pool's nodes in the file system's zone"
    assert fs.options["protect"] and fs.options["retain_on_delete"]


def test_aws_security_group_admits_lustre_from_nodes_only():
    result = run_offline(resolve(parse_spec(_spec("aws"))))
    sg_id = result.one("aws:fsx/lustreFileSystem:LustreFileSystem").inputs["securityGroupIds"][0]
    rules = [r.inputs for r in result.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.inputs["securityGroupId"] == sg_id]
    assert {(r["fromPort"], r["toPort"]) for r in rules} == {(988, 988), (1018, 1023)}
    assert all(r["ipProtocol"] == "tcp" and "cidrIpv4" not in r for r in rules)
    peers = {r["referencedSecurityGroupId"] for r in rules}
    assert len(peers) == 2 and sg_id in peers, "the cluster's node security group and the file system itself, nothing else"


def test_aws_bucket_link_and_mountpoint_addon():
    result = run_offline(resolve(parse_spec(_spec("aws"))))
    dra = result.one("aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation").inputs
    bucket = result.one("aws:s3/bucket:Bucket", "data-datasets")
    assert dra["dataRepositoryPath"].startswith("s3://data-datasets") and dra["fileSystemPath"] == "/datasets"
    assert dra["s3"]["autoImportPolicy"]["events"] == ["NEW", "CHANGED", "DELETED"] and dra["deleteDataInFilesystem"] is False
    assert bucket is not None
    addon = result.one("aws:eks/addon:Addon", "data-s3-mount").inputs
    assert addon["addonName"] == "aws-mountpoint-s3-csi-driver"
    assert addon["podIdentityAssociations"][0]["serviceAccount"] == "s3-csi-driver-sa"
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy", "data-s3-mount").inputs["policy"])
    resources = {r for s in policy["Statement"] for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])}
    assert all("data-datasets" in r or "data-checkpoints" in r or ":key/" in r for r in resources), "scoped to the env's buckets and key"
    chart = by_name(result, T_CHART)["data-aws-fsx-csi-driver"].inputs
    assert (chart["chart"], chart["version"], chart["namespace"]) == ("aws-fsx-csi-driver", "1.17.0", "kube-system")


def test_gcp_managed_lustre_with_gke_support_and_csi_addons():
    result = run_offline(resolve(parse_spec(_spec("gcp"))))
    i = result.one("gcp:lustre/instance:Instance").inputs
    assert (i["capacityGib"], i["perUnitStorageThroughput"], i["gkeSupportEnabled"], i["filesystem"]) == ("36000", "500", True, "scratch")
    assert i["network"].endswith("/global/networks/" + i["network"].rsplit("/", 1)[-1]) and i["network"].startswith("projects/")
    assert result.one("gcp:servicenetworking/connection:Connection").inputs["service"] == "servicenetworking.googleapis.com"
    fw = result.one("gcp:compute/firewall:Firewall", "data-lustre").inputs
    assert fw["allows"] == [{"ports": ["988", "6988"], "protocol": "tcp"}] and fw["sourceRanges"][0].endswith("/22")
    addons = result.one("gcp:container/cluster:Cluster").inputs["addonsConfig"]
    assert addons["lustreCsiDriverConfig"] == {"enabled": True, "enableLegacyLustrePort": True}
    assert addons["gcsFuseCsiDriverConfig"] == {"enabled": True}
    job = result.one("kubernetes:batch/v1:Job").inputs
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:4] == ["lustre", "instances", "import-data", "data-scratch"] and any(a.startswith("--gcs-path-uri=gs://data-datasets") for a in args)


def test_gcp_cluster_without_filesystems_has_no_lustre_addon():
    text = _spec("gcp").split("  filesystems:")[0] + "mlops: {data: none}\n"
    addons = run_offline(resolve(parse_spec(text))).one("gcp:container/cluster:Cluster").inputs["addonsConfig"]
    assert "lustreCsiDriverConfig" not in addons


def test_azure_amlfs_in_its_own_subnet_importing_from_the_container():
    result = run_offline(resolve(parse_spec(_spec("azure"))))
    i = result.one("azure-native:storagecache:AmlFilesystem").inputs
    assert (i["sku"]["name"], i["storageCapacityTiB"], i["zones"]) == ("AMLFS-Durable-Premium-500", 36, ["1"])
    assert i["filesystemSubnet"].endswith("/subnets/lustre-scratch")
    assert i["maintenanceWindow"] == {"dayOfWeek": "Sunday", "timeOfDayUTC": "02:00"}
    assert i["hsm"]["settings"]["container"].endswith("/containers/datasets")
    assert i["hsm"]["settings"]["loggingContainer"].endswith("/containers/lustre-logs")
    subnet = result.one("azure-native:network:Subnet", "data-scratch-lustre").inputs
    assert subnet["addressPrefix"] == "10.0.144.0/26"  # 20-40 TiB needs a /26 (Learn amlfs-prerequisites)
    rules = result.one("azure-native:storage:StorageAccount").inputs["networkRuleSet"]["virtualNetworkRules"]
    assert any(r["virtualNetworkResourceId"].endswith("/subnets/lustre-scratch") for r in rules)
    files = [r.inputs["file"] for r in result.of_type("kubernetes:yaml/v2:ConfigFile") if "azurelustre" in r.inputs["file"]]
    assert len(files) == 6 and all("9011a5fc83654e814d014b029598082ed0165dc2" in f for f in files)
    profile = result.one("azure-native:containerservice:ManagedCluster").inputs["storageProfile"]
    assert profile["blobCSIDriver"] == {"enabled": True}


def test_file_systems_are_protected_like_buckets_unless_delete_with_environment(built):
    cloud, env, result = built
    data_types = ("fsx/lustreFileSystem", "lustre/instance", "storagecache:AmlFilesystem")
    systems = [r for r in result.resources if any(t in r.type for t in data_types)]
    assert len(systems) == 1 and systems[0].options["protect"] and systems[0].options["retain_on_delete"]
    loose = run_offline(resolve(parse_spec(_spec(cloud, delete=True))))
    (fs,) = [r for r in loose.resources if any(t in r.type for t in data_types)]
    assert not fs.options["protect"] and not fs.options["retain_on_delete"]


def test_outputs_show_mount_details(built):
    cloud, env, result = built
    out = result.outputs["filesystems"]["scratch"]
    assert out["path"] == "/mnt/scratch" and out["claim"] == "fs-scratch" and out["import_from"] == "datasets"
    assert "@tcp:/" in out["mount"]
    assert result.outputs["volumes"] == {"bucket-checkpoints": "ml/bucket-checkpoints", "bucket-datasets": "ml/bucket-datasets", "fs-scratch": "ml/fs-scratch"}


def test_volumes_pass_kubernetes_validate_and_bind(built):
    cloud, env, result = built
    pvs, pvcs = by_name(result, T_PV), by_name(result, T_PVC)
    assert set(pvcs) == {"data-pvc-fs-scratch", "data-pvc-bucket-datasets", "data-pvc-bucket-checkpoints"}
    for r in [*pvs.values(), *pvcs.values()]:
        kubernetes_validate.validate(r.inputs, "1.33.0", strict=True)
    for claim in ("fs-scratch", "bucket-datasets"):
        pv, pvc = pvs[f"data-pv-{claim}"].inputs, pvcs[f"data-pvc-{claim}"].inputs
        assert pvc["spec"]["volumeName"] == pv["metadata"]["name"] and pv["spec"]["claimRef"] == {"name": claim, "namespace": "ml"}
        assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    drivers = {"aws": "fsx.csi.aws.com", "gcp": "lustre.csi.storage.gke.io", "azure": "azurelustre.csi.azure.com"}
    assert pvs["data-pv-fs-scratch"].inputs["spec"]["csi"]["driver"] == drivers[cloud]


def test_kuberay_from_its_chart(built):
    cloud, env, result = built
    chart = by_name(result, T_CHART)["data-kuberay-operator"].inputs
    assert (chart["chart"], chart["version"], chart["namespace"]) == ("kuberay-operator", "1.7.0", "ray-system")


def test_no_data_layer_no_change():
    text = "name: plain\ncloud: aws\nregion: us-east-1\nstorage: {buckets: [a]}\n"
    result = run_offline(resolve(parse_spec(text)))
    assert "filesystems" not in result.outputs and "volumes" not in result.outputs
    assert not result.of_type(T_PV)
