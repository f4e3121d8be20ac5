"""Training throughput of the reference workload's pipeline against a plain PyTorch loop of the
same model in the same process, and MFU on a GPU.

"Ours" is aiinfra.workloads.reference.train.Trainer.step (per-step batch sampling from the corpus,
host-to-device copy, LR schedule, grad clipping) with the trainer's loss sync every --log-every
steps. "Plain" is the textbook loop on one pre-made device batch: forward, backward, clip, AdamW.
Both see the same machine state: on CUDA, rounds of --steps alternate (tokens/s over each round,
median of rounds); on CPU (--mode steps), single steps alternate and each side's median step time
counts, which keeps a shared, noisy CPU from deciding the ratio. Prints numbers; asserts nothing.
Targets: ours/plain >= 0.95; MFU of gpt2-124m on one H100/H200 >= 45%.

Run: python benchmarks/bench_train.py [--device cuda] [--model gpt2-124m] [--steps 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from aiinfra.workloads.reference.data import as_tensor, read_corpus
from aiinfra.workloads.reference.model import (
    GPT,
    configure_optimizer,
    num_params,
    preset,
)
from aiinfra.workloads.reference.train import DEFAULTS, Dist, Trainer, peak_flops


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--model", choices=["tiny", "gpt2-124m"])
    p.add_argument("--batch-size", type=int)
    p.add_argument("--seq-len", type=int)
    p.add_argument("--steps", type=int, default=30, help="timed steps per round")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps before each round (compilation, allocator)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--compile", choices=["auto", "on", "off"], default="auto")
    p.add_argument("--peak-tflops", type=float)
    p.add_argument("--mode", choices=["auto", "rounds", "steps"], default="auto", help="auto: rounds on CUDA, steps on CPU")
    args = p.parse_args()

    device = torch.device(args.device)
    cuda = device.type == "cuda"
    name = args.model or ("gpt2-124m" if cuda else "tiny")
    cfg = preset(name, block_size=args.seq_len)
    batch_size = args.batch_size or DEFAULTS[name][0]
    compile_ = args.compile == "on" or (args.compile == "auto" and cuda)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
    data = as_tensor(read_corpus(None, 16 << 20))
    total = args.rounds * (args.warmup + args.steps) + 1

    ours = Trainer(cfg, data=data, batch_size=batch_size, lr=DEFAULTS[name][1], steps=total, warmup=0, weight_decay=0.1,
                   grad_clip=1.0, seed=0, dist=Dist(device=device), compile=compile_)
    torch.manual_seed(0)
    plain_model = GPT(cfg).to(device)
    plain_net = torch.compile(plain_model) if compile_ else plain_model
    plain_opt = configure_optimizer(plain_model, DEFAULTS[name][1], 0.1, device.type)
    x = torch.randint(0, 256, (batch_size, cfg.block_size), device=device)
    y = torch.randint(0, 256, (batch_size, cfg.block_size), device=device)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else nullcontext

    def plain_step():
        with autocast():
            _, loss = plain_net(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(plain_model.parameters(), 1.0)
        plain_opt.step()
        plain_opt.zero_grad(set_to_none=True)
        return loss.detach()

    step_no = 0

    def ours_step():
        nonlocal step_no
        step_no += 1
        loss = ours.step(step_no)
        if step_no % args.log_every == 0:
            loss.item()  # what train.py does at each log line
        return loss

    def timed(fn) -> float:
        for _ in range(args.warmup):
            fn()
        sync(device)
        t0 = time.perf_counter()
        for _ in range(args.steps):
            last = fn()
        last.item()
        sync(device)
        return batch_size * cfg.block_size * args.steps / (time.perf_counter() - t0)

    results: dict[str, list[float]] = {"ours": [], "plain": []}
    tokens = batch_size * cfg.block_size
    mode = args.mode if args.mode != "auto" else ("rounds" if cuda else "steps")
    if mode == "rounds":
        for _ in range(args.rounds):
            results["ours"].append(timed(ours_step))
            results["plain"].append(timed(plain_step))
    else:
        for _ in range(args.warmup):
            ours_step().item()
            plain_step().item()
        for i in range(args.rounds * args.steps):
            order = [("ours", ours_step), ("plain", plain_step)][:: 1 if i % 2 else -1]
            for key, fn in order:
                sync(device)
                t0 = time.perf_counter()
                fn().item()
                sync(device)
                results[key].append(tokens / (time.perf_counter() - t0))

    peak = peak_flops(device, args.peak_tflops)
    n = num_params(ours.model)
    print(f"device {device.type}{' ' + torch.cuda.get_device_name(device) if cuda else ''}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, compile {compile_}, bf16 autocast {cuda}")
    print(f"model {name}: {n / 1e6:.1f}M params, batch {batch_size}×{cfg.block_size}, {args.rounds} rounds × {args.steps} steps, mode {mode}")
    for key in ("ours", "plain"):
        tps = statistics.median(results[key])
        mfu = f"{100 * tps * ours.flops_per_token / peak:.1f}%" if peak else "n/a (no peak FLOP/s for this device)"
        spread = f"p10 {statistics.quantiles(results[key], n=10)[0]:,.0f}, p90 {statistics.quantiles(results[key], n=10)[-1]:,.0f}"
        print(f"{key:>6}: {tps:12,.0f} tokens/s median ({spread})  MFU {mfu}")
    print(f"ratio ours/plain: {statistics.median(results['ours']) / statistics.median(results['plain']):.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
