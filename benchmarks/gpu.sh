#!/usr/bin/env bash
# The reference workload's GPU benchmarks in one go, for a machine with one NVIDIA GPU and PyTorch:
# training throughput and MFU against a plain loop, a real checkpointed torchrun job that is stopped
# and resumed, and serving throughput. Prints numbers; logs go to $OUT (default /tmp/aiinfra-gpu).
#   benchmarks/gpu.sh [peak bf16 TFLOP/s of the GPU, default 989 (H100 SXM)]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/aiinfra-gpu}
PEAK=${1:-989}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" AIINFRA_PEAK_TFLOPS="$PEAK"
section() { echo; echo "== $1 ($(date +%T))"; }

section gpu
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"

section "bench_train gpt2-124m"
timeout 240 $PY benchmarks/bench_train.py --device cuda --model gpt2-124m --steps 30 --rounds 3 --peak-tflops "$PEAK" 2>&1 | tee "$OUT/bench_train.txt"

section "torchrun job: 120 steps with checkpoints, then resume to 160"
CK="file://$OUT/ckpt"
rm -rf "$OUT/ckpt"
job() { timeout 200 $PY -m aiinfra.workloads.reference.launch --standalone --nproc-per-node 1 -m aiinfra.workloads.reference.train \
        --checkpoint "$CK" --model gpt2-124m --checkpoint-every 60 --log-every 20 "$@"; }
job --steps 120 2>&1 | tee "$OUT/train.txt" | grep -E "step|checkpoint|resum|error|MFU" | tail -12
job --steps 160 2>&1 | tee "$OUT/resume.txt" | grep -E "step|checkpoint|resum|error|MFU" | tail -6
du -sh "$OUT/ckpt" 2>/dev/null

section "bench_serve gpt2-124m"
timeout 180 $PY benchmarks/bench_serve.py --device cuda --model gpt2-124m --requests 64 --levels 1,8,32 2>&1 | tee "$OUT/bench_serve.txt"
rm -rf "$OUT/ckpt"
