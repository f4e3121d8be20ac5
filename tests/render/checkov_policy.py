"""The curated checkov set for rendered manifests, and every exception with its reason, in one place.

Sources: shared/reference/security-baseline.md §2 (checkov IDs and GPU-workload notes),
templates/fabrics.yaml (what each fabric needs and why).
"""

CHECKS = {
    "CKV_K8S_8": "liveness probe (serving)",
    "CKV_K8S_9": "readiness probe (serving)",
    "CKV_K8S_10": "CPU requests",
    "CKV_K8S_11": "CPU limits",
    "CKV_K8S_12": "memory requests",
    "CKV_K8S_13": "memory limits",
    "CKV_K8S_14": "fixed image tag, never latest",
    "CKV_K8S_16": "not privileged",
    "CKV_K8S_17": "no host PID namespace",
    "CKV_K8S_18": "no host IPC namespace",
    "CKV_K8S_19": "no host network",
    "CKV_K8S_20": "no privilege escalation",
    "CKV_K8S_21": "not in the default namespace",
    "CKV_K8S_22": "read-only root filesystem",
    "CKV_K8S_23": "no root containers",
    "CKV_K8S_25": "no added capabilities",
    "CKV_K8S_28": "NET_RAW dropped",
    "CKV_K8S_29": "pod security context",
    "CKV_K8S_30": "container security context",
    "CKV_K8S_31": "seccomp RuntimeDefault",
    "CKV_K8S_37": "no capabilities assigned",
    "CKV_K8S_38": "service-account token not mounted",
    "CKV_K8S_40": "high UID",
}

NOT_CHECKED = {
    "CKV_K8S_15": "imagePullPolicy Always: serving sets it; training images are large and tag-pinned, nodes keep them cached",
    "CKV_K8S_43": "digest-pinned images: the images are the environment's own, pushed with fixed tags; digests are a release decision",
}

# Exceptions by the kind of pod; a pod gets the union of the sets that apply to it.
ALLOWED = {
    "batch": {
        "CKV_K8S_8": "training and fabric-test pods are batch: a liveness probe would kill a rank blocked in NCCL setup",
        "CKV_K8S_9": "batch pods take no traffic, so readiness means nothing",
    },
    "trainjob": {
        "CKV_K8S_38": "a TrainJob runtime patch cannot set automountServiceAccountToken; the ServiceAccount sets it false",
    },
    "rdma": {
        "CKV_K8S_16": "gIB RDMA: the cluster-toolkit gIB example runs the NCCL container privileged (fabrics.yaml)",
        "CKV_K8S_20": "a privileged container cannot also set allowPrivilegeEscalation: false",
        "CKV_K8S_23": "privileged RDMA container runs as root",
        "CKV_K8S_28": "privileged: capabilities are not dropped",
        "CKV_K8S_37": "privileged: capabilities are not dropped (checkov counts that as assigned)",
        "CKV_K8S_40": "runs as uid 0",
    },
    "infiniband": {
        "CKV_K8S_23": "IPC_LOCK is effective only for root (no ambient capabilities)",
        "CKV_K8S_25": "IPC_LOCK: IB memory registration fails at the default 64 KB locked-memory limit",
        "CKV_K8S_40": "runs as uid 0, as above",
    },
    # The RxDM sidecar also runs as uid 0 (container-level runAsNonRoot: false); checkov reads the
    # pod-level runAsNonRoot and does not flag it, so no exception is listed for that.
    "tcpxo": {
        "CKV_K8S_11": "RxDM sidecar: no CPU limit on the GPUDirect receive datapath",
        "CKV_K8S_22": "RxDM sidecar writes into its image",
        "CKV_K8S_25": "RxDM sidecar needs NET_ADMIN and NET_BIND_SERVICE",
        "CKV_K8S_28": "RxDM sidecar keeps its default capabilities besides the two it adds",
        "CKV_K8S_37": "NET_ADMIN, NET_BIND_SERVICE, as above",
    },
}
