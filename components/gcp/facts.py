"""GCP's facts: the names, capabilities, patterns and settings the spec and every other layer read about
GCP, with no hooks (those are profile.py's), so the spec's schema is built without loading the profile."""

from __future__ import annotations

from aiinfra.clouds import declare
from aiinfra.components.base.facts import Capability, CapacityErrors, CloudFacts, ReservationShape

PROJECT_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"


@declare
class GcpFacts(CloudFacts):
    name = "gcp"
    display = "GCP"
    article = "a GCP"
    kubernetes = "GKE"
    # GKE quotas and limits, "Nodes per node pool zone": 1,000 (cloud.google.com/kubernetes-engine/quotas; not re-read in this session: unverified).
    max_pool_nodes = 1000
    max_pool_nodes_per_zone = True
    max_pool_nodes_source = "GKE limit: nodes per node pool per zone (unverified)"
    order = 20
    sdk_module = "pulumi_gcp"
    pulumi_package = "gcp"
    example_region = "us-central1"
    terms = {"network": "VPC network", "nat": "Cloud NAT", "bucket": "GCS bucket", "registry": "Artifact Registry", "identity": "Google service account (Workload Identity)"}
    starter_settings = """\ngcp:\n  project: {project}   # the GCP project ID to create the environment in\n"""

    settings = "aiinfra.components.gcp.settings:GcpSettings"
    account_field = "project"
    placeholder_in_program = True

    pattern_words = {PROJECT_PATTERN: "a GCP project ID: 6 to 30 lowercase letters, digits and hyphens, starting with a letter (e.g. my-ml-project)"}
    backend_scheme = "gs://"
    bucket_scheme = "gs"
    bucket_types = ("gcp:storage/bucket:Bucket",)
    credential_fixes = (
        "gcloud auth application-default login",
        "export GOOGLE_APPLICATION_CREDENTIALS=/path/to/service-account.json",
    )
    verify_command = ("gcloud", "auth", "application-default", "print-access-token")
    accelerator_type_required = True
    # GKE installs the driver (node pool gpu_driver_version) into /home/kubernetes/bin/nvidia on COS and runs
    # its own managed device plugin; the operator adds DCGM metrics and feature discovery, not a second
    # device plugin. Not run on a live GKE cluster yet (verified: false).
    dra_driver_root = {"gcp": "/home/kubernetes/bin/nvidia"}
    # GKE installs no driver on DRA GPU pools (node pool gpu_driver_version INSTALLATION_DISABLED, GKE "set-up-dra"):
    # Google's COS installer DaemonSet does, into /home/kubernetes/bin/nvidia, on GPU nodes without GKE's
    # cloud.google.com/gke-gpu-driver-version label; the A4X (arm64 Grace) variant is its own file.
    dra_driver_installers = {"x86_64": "nvidia-driver-installer-cos", "arm64": "nvidia-driver-installer-cos-a4x"}
    # The machine types each installer's nodeAffinity admits (node.kubernetes.io/instance-type In [...]; an
    # architecture not named here: any GPU node without GKE's driver label). The A4X file names A4X (GB200) only,
    # and the repository has no installer for A4X Max (a4x-maxgpu-4g-metal, GB300 bare metal) at HEAD 992db812
    # (2026-06-11): so a `dra: true` pool of another arm64 type would get no driver, and preflight refuses it.
    # Source: GoogleCloudPlatform/container-engine-accelerators 2dd8fc9b nvidia-driver-installer/cos/daemonset-preloaded-latest-a4x.yaml.
    dra_driver_installer_types = {"arm64": ("a4x-highgpu-4g", "a4x-highgpu-4g-nolssd")}
    gpu_operator_values = {
        "gcp": {
            "driver": {"enabled": False},
            "devicePlugin": {"enabled": False},
            "hostPaths": {"driverInstallDir": "/home/kubernetes/bin/nvidia"},
            "toolkit": {"installDir": "/home/kubernetes/bin/nvidia"},
            "cdi": {"enabled": True},
        },
    }
    nvidia_runtime_class = {"gcp": False}
    storage_class = None  # standard-rwo (pd-balanced, encrypted at rest) is the GKE default
    autoscalers = {"cluster-autoscaler": "GKE autoscaler"}
    default_autoscaler = "cluster-autoscaler"
    capabilities = {
        "fabrics": Capability(True, "GPUDirect-TCPX (A3 High), TCPXO (A3 Mega) and RDMA (A3 Ultra, A4) over extra GPU NIC networks", ("tcpx", "tcpxo", "rdma")),
        "spot": Capability(True, "Spot VMs on GKE node pools (node_config.spot)"),
        "reservations": Capability(True, "specific Compute Engine reservations by name (reservation_affinity)"),
        "zoneless_regions": Capability(False, "every GCP region has zones"),
        "capacity_blocks": Capability(False, "Compute Engine has no capacity-block purchase; use a reservation (with a block: {id, block}) or flex-start"),
        "flex_start": Capability(True, "Dynamic Workload Scheduler flex-start node pools (node_config.flex_start, autoscaled from zero, up to 7 days per node)"),
        "queued_provisioning": Capability(True, "flex-start with queued provisioning: nodes only through ProvisioningRequests (Kueue)"),
    }
    # GKE's managed Gateway: the cluster's Gateway API (gateway_api_config, standard channel) with the regional internal
    # Application Load Balancer class gke-l7-rilb, which needs a proxy-only subnet in the network (components/gcp/
    # network.py) and supports InferencePool backends; GKE has the InferencePool CRD from 1.34.0-gke.1626000, so
    # aiinfra applies it only below 1.34 (a 1.34 cluster on an earlier patch lacks it: unverified which patch a new
    # cluster gets). The llm-d router chart's `gke` provider adds the HealthCheckPolicy for the pool.
    # Sources: k8s-ai-2026.md §7.3 (llm-d guides/prereq/gateways/gke.md @a14492ca1b1a).
    inference_gateway = {
        "gateway_class": "gke-l7-rilb",
        "provider": "gke",
        "charts": [],
        "manifests": ["inference-extension-crds"],
        "crd_builtin_from": "1.34",
        "annotations": {},
        "request_timeout": False,  # the chart leaves HTTPRoute timeouts out on GKE ("Unused when provider.name is gke")
        "why": "GKE's managed Gateway (class gke-l7-rilb, an internal regional load balancer; the cluster's Gateway API on)",
    }
    pool_zones = "region"  # the VPC's subnets are regional: a node pool may use any zone of the region
    # Compute Engine reservation names (RFC 1035), optionally one of their blocks (reservation_affinity values).
    reservation = ReservationShape(
        r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", "a Compute Engine reservation name (lowercase letters, digits, hyphens)", "my-h100-reservation", blocks=True,
        # Compute Engine reservations are zonal: only nodes in the reservation's zone consume it.
        zonal="a Compute Engine reservation is in one zone: a node pool over the region's zones would create nodes outside it",
        zone_lookup="gcloud compute reservations describe <name>",
    )
    # GKE node pool creation as the IGM reports it: "[GCE_STOCKOUT]: Instance '...' creation failed: The zone
    # '...' does not have enough resources available to fulfill the request" (tranquilitybase-io/tb-gcp#589,
    # GoogleCloudPlatform/cluster-toolkit#6278); Compute's code ZONE_RESOURCE_POOL_EXHAUSTED(_WITH_DETAILS)
    # (kubernetes/k8s.io#9834).
    capacity_errors = CapacityErrors(
        capacity=(r"ZONE_RESOURCE_POOL_EXHAUSTED", r"GCE_STOCKOUT", r"does not have enough resources available to fulfill the request",
                  r"currently unavailable in the \S+ zone"),
        quota=(r"QUOTA_EXCEEDED", r"Quota '[A-Z0-9_]+' exceeded"),
        failed_zone=(r"zones/([a-z0-9-]+)' does not have enough resources", r"unavailable in the ([a-z0-9-]+) zone", r"fulfill request: ([a-z0-9-]+)"),
    )
