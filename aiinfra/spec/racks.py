"""Field descriptions of the rack-scale GPU options (GB200/GB300 NVL72, DRA, Kueue TAS); the rules that need the
catalog are aiinfra.resolve.racks."""

DRA_DOC = (
    "whole GPUs through Kubernetes DRA (the NVIDIA DRA driver, resource.k8s.io/v1, Kubernetes >= 1.34) instead of the "
    "device plugin, which is then off on these nodes; default: off. NVLink-domain pools (GB200/GB300) always run the "
    "DRA driver for their ComputeDomains"
)
NVLINK_DOC = (
    "GB200/GB300 pools: whole (the pool is a whole number of NVLink domains, e.g. 18 nodes = one NVL72) or partial "
    "(the pool is part of a domain, e.g. 2 nodes to try it out: jobs still get a ComputeDomain over the nodes they have)"
)
TAS_DOC = (
    "Kueue topology-aware scheduling: a Topology of the cloud's node labels, multi-node GPU pools' flavors naming it "
    "and training jobs placed inside one block; default: on where a pool is an NVLink domain and the cloud labels "
    "its topology (GKE, EKS; AKS has no topology labels)"
)
