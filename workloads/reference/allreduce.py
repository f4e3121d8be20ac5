"""Fabric acceptance test: time all_reduce over torch.distributed and report bus bandwidth.

Run under torchrun on every node: nccl on GPUs, gloo on CPUs. Bandwidth follows nccl-tests'
convention (doc/PERFORMANCE.md): algbw = bytes / time, busbw = algbw * 2(n-1)/n, which is what
each rank's link must carry in a ring all-reduce, so it compares with a link's peak whatever n is.
A multi-node all-reduce is bounded by each node's fabric bandwidth (NVLink inside a node is
faster), so the peak to compare with is the fabric's per-node bandwidth (--peak-gbps, Gbit/s).
Rank 0 prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def bus_bandwidth(size_bytes: int, seconds: float, world_size: int) -> tuple[float, float]:
    """(algbw, busbw) in GB/s (10^9 bytes per second) for one all-reduce of size_bytes."""
    algbw = size_bytes / seconds / 1e9
    factor = 2 * (world_size - 1) / world_size if world_size > 1 else 0.0
    return algbw, algbw * factor


def _sig(x: float) -> float:
    """Six significant digits: decimal rounding would erase slow (CPU) bandwidths and skew their ratios."""
    return float(f"{x:.6g}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=float, default=256, help="message size in MiB")
    p.add_argument("--iters", type=int, default=20, help="timed iterations")
    p.add_argument("--warmup", type=int, default=5, help="untimed iterations first")
    p.add_argument("--peak-gbps", type=float, default=None, help="the fabric's per-node peak in Gbit/s")
    p.add_argument("--backend", choices=["nccl", "gloo", "xla"], default=None, help="default: nccl with CUDA (ROCm's RCCL too), else gloo; xla on TPU and Neuron")
    args = p.parse_args(argv)
    if args.size_mb <= 0 or args.iters < 1 or args.warmup < 0:
        p.error("--size-mb must be > 0, --iters >= 1, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> dict | None:
    import torch
    import torch.distributed as dist

    args = parse_args(argv)
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if backend == "xla":
        # torch-xla (TPU) and torch-neuronx (Trainium, Inferentia) register the "xla" process group; PJRT_DEVICE picks the chip.
        import torch_xla.core.xla_model as xm
        import torch_xla.distributed.xla_backend  # noqa: F401

        device = xm.xla_device()
        dist.init_process_group("xla", init_method="xla://")
    elif backend == "nccl":
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
        dist.init_process_group(backend=backend)
    else:
        device = torch.device("cpu")
        dist.init_process_group(backend=backend)
    # XLA devices have no native float64.
    wide = torch.float32 if backend == "xla" else torch.float64
    try:
        world = dist.get_world_size()
        numel = int(args.size_mb * 1024 * 1024) // 4
        buf = torch.ones(numel, dtype=torch.float32, device=device)

        def sync() -> None:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            elif backend == "xla":
                xm.mark_step()
                xm.wait_device_ops()

        for _ in range(args.warmup):
            dist.all_reduce(buf)
        sync()
        dist.barrier()
        start = time.perf_counter()
        for _ in range(args.iters):
            dist.all_reduce(buf)
        sync()
        elapsed = (time.perf_counter() - start) / args.iters
        # The slowest rank sets the collective's time.
        t = torch.tensor([elapsed], dtype=wide, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        seconds = float(t.item())
        # Correctness on a fresh tensor: the timed buffer's values grow as world^iters.
        check = torch.full((1024,), float(dist.get_rank() + 1), dtype=wide, device=device)
        dist.all_reduce(check)
        correct = bool(torch.all(check == world * (world + 1) / 2).item())
        size_bytes = numel * 4
        algbw, busbw = bus_bandwidth(size_bytes, seconds, world)
        result = {
            "test": "all_reduce",
            "backend": backend,
            "world_size": world,
            "nodes": int(os.environ.get("GROUP_WORLD_SIZE", os.environ.get("PET_NNODES", "1"))),
            "size_bytes": size_bytes,
            "iters": args.iters,
            "time_us": round(seconds * 1e6, 1),
            "algbw_gbps": _sig(algbw * 8),
            "busbw_GBps": _sig(busbw),
            "busbw_gbps": _sig(busbw * 8),
            "peak_gbps": args.peak_gbps,
            "fraction_of_peak": _sig(busbw * 8 / args.peak_gbps) if args.peak_gbps else None,
            "correct": correct,
        }
        if dist.get_rank() == 0:
            print(json.dumps(result), flush=True)
        return result
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
