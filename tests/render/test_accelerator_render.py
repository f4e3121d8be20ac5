"""Rendered manifests on non-NVIDIA pools (issue 14): each pod requests its accelerator's resource (never
nvidia.com/gpu), tolerates its taint, selects its labels, carries its runtime environment; the all-reduce acceptance
job runs per family in the vendor's PyTorch image; multi-host TPU slices are JobSets with the TPU worker variables."""

from __future__ import annotations

from renderhelpers import env_of, find, pods

from aiinfra.resolve import accelerators

NEURON = {"key": "aws.amazon.com/neuron", "operator": "Exists", "effect": "NoSchedule"}
TPU = {"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}
AMD = {"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def main(pod: dict) -> dict:
    return pod["spec"]["containers"][0]


def test_neuron_pods(rendered):
    ms = rendered["neuron"]
    p = pods(ms)
    train = p["allreduce-train-runtime-node"]
    c = main(train)
    assert c["resources"]["limits"]["aws.amazon.com/neuron"] == "16" and c["resources"]["limits"]["vpc.amazonaws.com/efa"] == "8"
    assert "nvidia.com/gpu" not in c["resources"]["limits"]
    assert train["spec"]["tolerations"] == [NEURON] and train["spec"]["schedulerName"] == "my-scheduler"
    assert c["image"] == accelerators.family("neuron").image and c["command"] == ["torchrun", "/opt/aiinfra/allreduce.py"]
    assert c["args"][-2:] == ["--backend", "xla"]
    env = env_of(c)
    assert env["FI_PROVIDER"] == "efa" and env["NEURON_RT_NUM_CORES"] == "32" and env["PJRT_DEVICE"] == "NEURON"
    assert find(ms, "TrainJob", "allreduce-train")["spec"]["trainer"]["numProcPerNode"] == 32
    infer = main(p["allreduce-infer-runtime-node"])
    assert infer["resources"]["limits"]["aws.amazon.com/neuron"] == "1" and env_of(infer)["NEURON_RT_NUM_CORES"] == "2"
    script = find(ms, "ConfigMap", "aiinfra-allreduce")["data"]["allreduce.py"]
    assert '"xla"' in script and {"name": "aiinfra-script", "mountPath": "/opt/aiinfra", "readOnly": True} in c["volumeMounts"]
    # the NVIDIA L4 pool beside it keeps its own resource and taint
    serve_limits = find(rendered["neuron-jobset-kserve"], "InferenceService")["spec"]["predictor"]["containers"][0]["resources"]["limits"]
    assert serve_limits["aws.amazon.com/neuron"] == "1" and "nvidia.com/gpu" not in serve_limits


def test_multi_host_tpu_slice_is_a_jobset_with_tpu_worker_variables(rendered):
    ms = rendered["tpu"]
    assert not [m for m in ms if m["kind"] == "TrainJob"]  # TPU jobs are JobSets whatever mlops.training says
    js = find(ms, "JobSet", "allreduce-slice")
    job = js["spec"]["replicatedJobs"][0]["template"]["spec"]
    assert job["parallelism"] == job["completions"] == 2
    pod = job["template"]
    assert pod["spec"]["nodeSelector"] == {"aiinfra.dev/pool": "slice", "cloud.google.com/gke-tpu-accelerator": "tpu-v5p-slice", "cloud.google.com/gke-tpu-topology": "2x2x2"}
    assert pod["spec"]["tolerations"] == [TPU]
    c = main(pod)
    assert c["resources"]["limits"]["google.com/tpu"] == "4" and c["image"] == accelerators.family("tpu").image
    env = env_of(c)
    assert env["PJRT_DEVICE"] == "TPU" and env["PET_NPROC_PER_NODE"] == "1"
    assert env["TPU_WORKER_HOSTNAMES"] == "allreduce-slice-node-0-0.allreduce-slice,allreduce-slice-node-0-1.allreduce-slice"
    assert any(e["name"] == "TPU_WORKER_ID" and "job-completion-index" in e["valueFrom"]["fieldRef"]["fieldPath"] for e in c["env"])
    train = find(ms, "JobSet", "wl-gcp-train")["spec"]["replicatedJobs"][0]["template"]["spec"]
    assert train["parallelism"] == 2  # the whole slice trains
    serve = find(ms, "Deployment")["spec"]["template"]
    assert main(serve)["resources"]["limits"]["google.com/tpu"] == "4"  # one process drives every chip of the VM


def test_mi300x_pods_request_amd_gpus_and_run_rccl_in_the_rocm_image(rendered):
    p = pods(rendered["mi300x"])
    pod = p["allreduce-mi-node"]
    c = main(pod)
    assert c["resources"]["limits"]["amd.com/gpu"] == "8" and c["resources"]["limits"]["rdma/ib"] == "8"
    assert "nvidia.com/gpu" not in str(pod)
    assert pod["spec"]["tolerations"] == [AMD]
    assert c["image"] == accelerators.family("amd").image
    env = env_of(c)
    assert env["HSA_FORCE_FINE_GRAIN_PCIE"] == "1" and env["NCCL_IB_DISABLE"] == "0"
    assert "--backend" not in c["args"]  # ROCm's torch answers to nccl (RCCL) by default
