"""The GKE cluster (components/gcp/cluster.py): private, encrypted, Workload Identity, Dataplane V2, node account."""

from __future__ import annotations

import json

import pulumi
import pytest
from gcphelpers import PROJECT, REGION, T_CLUSTER, T_KEY, T_KEY_IAM, T_POOL, T_PROJECT_IAM, T_SA, ZONES, run

from aiinfra.components.gcp.cluster import Cluster, ClusterArgs
from aiinfra.components.gcp.mocks import project_number

NETWORK = f"projects/{PROJECT}/global/networks/env-vpc"
SUBNET = f"projects/{PROJECT}/regions/{REGION}/subnetworks/env-nodes"


def _cluster(**kw):
    holder = {}
    args = dict(project=PROJECT, region=REGION, network=NETWORK, subnetwork=SUBNET, zones=ZONES[:2], tags={"aiinfra.dev/environment": "env"})
    args.update(kw)

    def program():
        c = Cluster("env", ClusterArgs(**args))
        holder["c"] = c
        return {"kubeconfig": c.kubeconfig, "endpoint": c.endpoint, "kubeconfig_secret": pulumi.Output.from_input(c.kubeconfig.is_secret())}

    return run(program), holder


@pytest.fixture(scope="module")
def private():
    return _cluster()


def test_private_nodes_and_private_endpoint_by_default(private):
    c = private[0].one(T_CLUSTER).inputs
    assert c["privateClusterConfig"] == {"enablePrivateNodes": True, "enablePrivateEndpoint": True}
    assert c["masterAuthorizedNetworksConfig"] == {"cidrBlocks": [], "gcpPublicCidrsAccessEnabled": False}
    assert c["masterAuth"]["clientCertificateConfig"] == {"issueClientCertificate": False}
    assert c["enableLegacyAbac"] is False


def test_public_endpoint_only_for_listed_cidrs():
    c = _cluster(public_endpoint=True, public_access_cidrs=["203.0.113.0/24"])[0].one(T_CLUSTER).inputs
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert [b["cidrBlock"] for b in c["masterAuthorizedNetworksConfig"]["cidrBlocks"]] == ["203.0.113.0/24"]
    with pytest.raises(Exception, match="public_access_cidrs"):
        _cluster(public_endpoint=True)


def test_release_channel_version_and_regional(private):
    c = private[0].one(T_CLUSTER).inputs
    assert c["releaseChannel"] == {"channel": "REGULAR"}
    assert c["minMasterVersion"].startswith("1.35.")
    assert c["location"] == REGION and c["project"] == PROJECT and c["name"] == "env"
    assert c["removeDefaultNodePool"] is True


def test_workload_identity_dataplane_v2_shielded_nodes(private):
    c = private[0].one(T_CLUSTER).inputs
    assert c["workloadIdentityConfig"] == {"workloadPool": f"{PROJECT}.svc.id.goog"}
    assert c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert c["enableShieldedNodes"] is True
    assert "enableMultiNetworking" not in c
    assert c["networkingMode"] == "VPC_NATIVE"
    assert c["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    assert (c["network"], c["subnetwork"]) == (NETWORK, SUBNET)


def test_multi_networking_and_dcgm_when_asked():
    c = _cluster(multi_networking=True, gpu_monitoring=True)[0].one(T_CLUSTER).inputs
    assert c["enableMultiNetworking"] is True and c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert "DCGM" in c["monitoringConfig"]["enableComponents"] and c["monitoringConfig"]["managedPrometheus"] == {"enabled": True}


def test_secrets_encrypted_with_a_rotated_kms_key_gke_may_use(private):
    result = private[0]
    c = result.one(T_CLUSTER)
    key = result.one(T_KEY)
    assert c.inputs["databaseEncryption"]["state"] == "ENCRYPTED"
    assert c.inputs["databaseEncryption"]["keyName"] == f"{key.inputs['keyRing']}/cryptoKeys/{c.inputs['databaseEncryption']['keyName'].rsplit('/', 1)[-1]}"
    assert key.inputs["rotationPeriod"] == "7776000s" and key.inputs["purpose"] == "ENCRYPT_DECRYPT"
    grant = result.one(T_KEY_IAM)
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant.inputs["member"] == f"serviceAccount:service-{project_number(PROJECT)}@container-engine-robot.iam.gserviceaccount.com"
    assert grant.urn in c.options["depends_on"]


def test_deletion_protection_follows_the_spec(private):
    assert private[0].one(T_CLUSTER).inputs["deletionProtection"] is True
    assert _cluster(deletion_protection=False)[0].one(T_CLUSTER).inputs["deletionProtection"] is False


def test_dedicated_node_account_with_minimal_role(private):
    result = private[0]
    sa = result.one(T_SA)
    email = f"{sa.inputs['accountId']}@{PROJECT}.iam.gserviceaccount.com"
    assert sa.inputs["accountId"] == "env-nodes"
    roles = [(r.inputs["role"], r.inputs["member"]) for r in result.of_type(T_PROJECT_IAM)]
    assert roles == [("roles/container.defaultNodeServiceAccount", f"serviceAccount:{email}")]
    assert result.one(T_CLUSTER).inputs["nodeConfig"]["serviceAccount"] == email
    system = result.one(T_POOL)
    assert system.inputs["nodeConfig"]["serviceAccount"] == email
    assert system.inputs["nodeConfig"]["machineType"] == "e2-standard-4"
    assert system.inputs["nodeLocations"] == ZONES[:2] and system.inputs["autoscaling"]["totalMinNodeCount"] == 2


def test_admins_get_cluster_admin_and_must_be_iam_members():
    result, _ = _cluster(admins=["group:ml-admins@example.com"])
    admin = [r for r in result.of_type(T_PROJECT_IAM) if r.inputs["role"] == "roles/container.clusterAdmin"]
    assert [a.inputs["member"] for a in admin] == ["group:ml-admins@example.com"]
    with pytest.raises(Exception, match="IAM members"):
        _cluster(admins=["arn:aws:iam::123456789012:role/ops"])


def test_kubeconfig_is_secret_and_uses_gke_auth_plugin(private):
    result, holder = private
    kc = json.loads(result.outputs["kubeconfig"])
    user = kc["users"][0]["user"]
    assert user["exec"]["command"] == "gke-gcloud-auth-plugin" and user["exec"]["provideClusterInfo"] is True
    assert kc["current-context"] == f"gke_{PROJECT}_{REGION}_env"
    assert kc["clusters"][0]["cluster"]["server"] == "https://" + result.outputs["endpoint"]
    assert kc["clusters"][0]["cluster"]["certificate-authority-data"]
    assert result.outputs["kubeconfig_secret"] is True
    for word in ("token:", '"token"', "password", "client-key-data", "client-certificate-data"):
        assert word not in result.outputs["kubeconfig"]


def test_gateway_api_on_only_for_cache_aware_routing(private):
    """GKE's managed Gateway (mlops.routing: cache-aware) needs the cluster's Gateway API; off, the field is not set."""
    c = _cluster(gateway_api=True)[0].one(T_CLUSTER).inputs
    assert c["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    assert "gatewayApiConfig" not in private[0].one(T_CLUSTER).inputs
