"""Train the reference language model with DDP under torchrun (or as one plain process).

    torchrun --nproc-per-node 8 -m aiinfra.workloads.reference.train --checkpoint s3://bucket/run1

Checkpoints (model, optimizer, step, every rank's RNG state) go to --checkpoint every
--checkpoint-every steps; a job started on a URL that already holds one resumes from it: from the
step `latest` names, or when that is missing or fails its checksums, from the newest step that
verifies. It never starts over on a URL that holds checkpoints unless --restart says so.
Batches are a function of (seed, step), so a resumed run repeats an uninterrupted one's losses.
On SIGTERM (spot reclaim, capacity-block end, node drain) every rank finishes the step in flight, the
run checkpoints that step and exits with status 143; the next run resumes there (preempt.py).

A checkpoint problem (an unwritable URL, no usable checkpoint, --steps below the saved step) stops
every process with exit status 2; rank 0 prints one `error: ...` line that says what to do.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

import torch

from . import checkpoint as ckpt
from .data import DEFAULT_MAX_BYTES, batch, load_tokens
from .model import (
    GPT,
    PRESETS,
    configure_optimizer,
    flops_per_token,
    num_params,
    preset,
)
from .preempt import EXIT_PREEMPTED, Preemption
from .resume import RESTART_HINT, choose_start, describe_resume, log, open_store, restore, save  # noqa: F401  (RESTART_HINT: re-exported)

# Training defaults per preset: (per-process batch size, learning rate).
DEFAULTS = {"tiny": (16, 1e-3), "gpt2-124m": (16, 6e-4)}
EXIT_ERROR = 2  # every process stops; rank 0 printed one `error:` line


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m aiinfra.workloads.reference.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint URL: s3://, gs://, az://, file:// or a path")
    p.add_argument("--data", default=None, help="corpus URL (file, folder or glob); default: this Python's standard library sources")
    p.add_argument("--data-max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="read at most this many corpus bytes")
    p.add_argument("--steps", type=int, default=1000, help="train until this many optimizer steps in total")
    p.add_argument("--checkpoint-every", type=int, default=100, help="write a checkpoint every K steps (and at the end)")
    p.add_argument("--keep", type=int, default=3, help="keep the newest K checkpoints")
    p.add_argument("--restart", action="store_true",
                   help="delete the checkpoints at --checkpoint and train from step 0 (without it, a URL with checkpoints resumes, "
                        "and one whose checkpoints are all unusable is an error)")
    p.add_argument("--model", choices=["auto", *PRESETS], default="auto", help="size preset; auto: gpt2-124m on CUDA, tiny on CPU")
    p.add_argument("--n-layer", type=int)
    p.add_argument("--n-head", type=int)
    p.add_argument("--n-embd", type=int)
    p.add_argument("--vocab-size", type=int)
    p.add_argument("--batch-size", type=int, help="sequences per process per step (global batch = this × processes)")
    p.add_argument("--seq-len", type=int, help="tokens per sequence; also the model's context (default: the preset's)")
    p.add_argument("--lr", type=float, help="peak learning rate (warmup, then cosine decay to 10%%)")
    p.add_argument("--warmup-steps", type=int, help="default: 10%% of --steps, at most 100")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--log-every", type=int, default=10, help="print step, loss, tokens/s and MFU every N steps")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--compile", choices=["auto", "on", "off"], default="auto", help="torch.compile; auto: on for CUDA")
    p.add_argument("--peak-tflops", type=float, help="peak bf16 TFLOP/s per device for MFU; default: the GPU catalog")
    p.add_argument("--mlflow", action="store_true", help="log params and metrics to MLFLOW_TRACKING_URI")
    p.add_argument("--fail-at-step", type=int, help=argparse.SUPPRESS)  # fault injection for tests
    p.add_argument("--fail-rank", type=int, default=-1, help=argparse.SUPPRESS)
    return p


@dataclass
class Dist:
    rank: int = 0
    local_rank: int = 0
    world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()

    def exchange(self, obj) -> list:
        """Every rank's obj (picklable), on every rank."""
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        torch.distributed.all_gather_object(out, obj)
        return out

    def share(self, obj):
        """Rank 0's obj, on every rank."""
        if self.world == 1:
            return obj
        box = [obj]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def agree(self, error: str | None) -> None:
        """A collective: when any rank has an error, every rank raises the first one, so all stop together."""
        first = next((e for e in self.exchange(error) if e), None)
        if first:
            raise ckpt.CheckpointError(first)

    def mean(self, value: torch.Tensor) -> float:
        if self.world > 1:
            value = value.detach().clone()
            torch.distributed.all_reduce(value)
            value /= self.world
        return value.item()


def init_distributed(device: str) -> Dist:
    """nccl when CUDA is present, else gloo; a plain process (no RANK in env) runs alone."""
    use_cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if use_cuda and not torch.cuda.is_available():
        raise SystemExit("--device cuda but CUDA is not available")
    if "RANK" not in os.environ:
        return Dist(device=torch.device("cuda", 0) if use_cuda else torch.device("cpu"))
    rank, local_rank, world = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"]), int(os.environ["WORLD_SIZE"])
    if use_cuda:
        torch.cuda.set_device(local_rank)
    dev = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    torch.distributed.init_process_group("nccl" if use_cuda else "gloo", device_id=dev if use_cuda else None)
    return Dist(rank=rank, local_rank=local_rank, world=world, device=dev)


def peak_flops(device: torch.device, override_tflops: float | None) -> float | None:
    """Peak dense bf16 FLOP/s of one device, from --peak-tflops, AIINFRA_PEAK_TFLOPS or the GPU catalog."""
    tflops = override_tflops or float(os.environ.get("AIINFRA_PEAK_TFLOPS") or 0)
    if not tflops and device.type == "cuda":
        tflops = catalog_tflops(torch.cuda.get_device_name(device)) or 0
    return tflops * 1e12 if tflops else None


def catalog_tflops(device_name: str) -> float | None:
    """bf16 TFLOP/s of a CUDA device name such as "NVIDIA H100 80GB HBM3", from aiinfra's GPU catalog.
    The longest catalog spelling found in the name wins ("A100-80GB" over "A100"). PCIe parts
    match their SXM sibling (an H100 PCIe peaks below the 989 listed), so MFU there reads low."""
    try:
        from aiinfra import catalog
    except ImportError:
        return None
    name = device_name.upper().replace(" ", "-")
    spellings = sorted(((s.upper(), g) for g in catalog.gpus().values() for s in [g.name, *g.aliases]), key=lambda t: -len(t[0]))
    for spelling, gpu in spellings:
        if spelling in name:
            return gpu.bf16_tflops
    return None


class Trainer:
    """Model, optimizer and the step function; no I/O, so benchmarks can drive it directly."""

    def __init__(self, cfg, *, data: torch.Tensor, batch_size: int, lr: float, steps: int, warmup: int, weight_decay: float,
                 grad_clip: float, seed: int, dist: Dist, compile: bool):
        self.cfg, self.data, self.dist = cfg, data, dist
        self.batch_size, self.seq_len = batch_size, cfg.block_size
        self.lr, self.steps, self.warmup, self.grad_clip, self.seed = lr, steps, warmup, grad_clip, seed
        torch.manual_seed(seed)
        self.model = GPT(cfg).to(dist.device)
        self.optimizer = configure_optimizer(self.model, lr, weight_decay, dist.device.type)
        net = self.model
        if dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            net = DistributedDataParallel(net, device_ids=[dist.local_rank] if dist.device.type == "cuda" else None)
        self.net = torch.compile(net) if compile else net
        cuda = dist.device.type == "cuda"
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else nullcontext()
        self.tokens_per_step = batch_size * self.seq_len * dist.world
        self.flops_per_token = flops_per_token(cfg, num_params(self.model), self.seq_len)

    def lr_at(self, step: int) -> float:
        if step <= self.warmup:
            return self.lr * step / max(1, self.warmup)
        progress = min(1.0, (step - self.warmup) / max(1, self.steps - self.warmup))
        return self.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    def step(self, step: int) -> torch.Tensor:
        """One optimizer step (numbered from 1) on the batch that belongs to it; returns this rank's loss."""
        x, y = batch(self.data, seed=self.seed, step=step, global_batch=self.batch_size * self.dist.world,
                     seq_len=self.seq_len, rank=self.dist.rank, world=self.dist.world)
        x, y = x.to(self.dist.device, non_blocking=True), y.to(self.dist.device, non_blocking=True)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(step)
        with self.autocast:
            _, loss = self.net(x, y)
        loss.backward()
        if self.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.keep < 1 or args.checkpoint_every < 1 or args.steps < 1:
        parser.error("--keep, --checkpoint-every and --steps must be at least 1")
    dist = init_distributed(args.device)
    try:
        return run(args, dist)
    except ckpt.CheckpointError as err:  # every rank raises it together (Dist.agree / share)
        if dist.main:
            print("error: " + " ".join(str(err).split()), file=sys.stderr, flush=True)  # one line, whatever the message holds
        dist.barrier()  # the others exit once it is printed, before torchrun stops the job
        return EXIT_ERROR
    finally:
        if dist.world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def run(args, dist: Dist) -> int:
    cuda = dist.device.type == "cuda"
    name = args.model if args.model != "auto" else ("gpt2-124m" if cuda else "tiny")
    cfg = preset(name, n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd, vocab_size=args.vocab_size, block_size=args.seq_len)
    batch_size, lr = args.batch_size or DEFAULTS[name][0], args.lr or DEFAULTS[name][1]
    warmup = args.warmup_steps if args.warmup_steps is not None else min(100, args.steps // 10)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    random.seed(args.seed)
    store = open_store(args, dist)
    start, files, saved_meta = choose_start(store, args, dist)
    meta = {"seed": args.seed, "batch_size": batch_size, "lr": lr, "data": args.data or "stdlib", "steps": args.steps, "warmup_steps": warmup}
    if start == args.steps:
        log(dist, f"checkpoint step {start} at {store.url} already reaches --steps {args.steps}: nothing to train")
        return 0
    data, source = load_tokens(args.data, args.data_max_bytes)
    trainer = Trainer(cfg, data=data, batch_size=batch_size, lr=lr, steps=args.steps, warmup=warmup, weight_decay=args.weight_decay,
                      grad_clip=args.grad_clip, seed=args.seed, dist=dist, compile=args.compile == "on" or (args.compile == "auto" and cuda))
    log(dist, f"model {name} {num_params(trainer.model) / 1e6:.2f}M params, {dist.world} process(es) on {dist.device.type}, "
              f"global batch {batch_size * dist.world}×{cfg.block_size} tokens, corpus {len(data)} tokens ({source})")
    if start:
        error = None
        try:
            restore(store, trainer, start, files)
        except ckpt.CheckpointError as err:
            error = str(err)
        except ckpt.Unusable as err:  # changed since rank 0 verified it
            error = f"rank {dist.rank}: {ckpt.step_dir(start)} at {store.url} changed while it was being loaded ({err}); rerun"
        except Exception as err:  # noqa: BLE001
            error = f"rank {dist.rank}: cannot load {ckpt.step_dir(start)} from {store.url}: {ckpt.reason(err)}"
        dist.agree(error)
        del files
        log(dist, f"resumed from step {start} ({store.url})")
        for line in describe_resume(start, args, saved_meta, meta, dist):
            log(dist, line)
    peak = peak_flops(dist.device, args.peak_tflops)
    tracker = _mlflow(args, name, cfg, batch_size, lr, dist) if args.mlflow and dist.main else None
    fail_rank = args.fail_rank % dist.world
    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"

    stop = Preemption()
    t0, since, saved = time.perf_counter(), start, start
    for step in range(start + 1, args.steps + 1):
        loss = trainer.step(step)
        if step % args.log_every == 0 or step == args.steps:
            mean_loss = dist.mean(loss)
            if cuda:
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            tps = trainer.tokens_per_step * (step - since) / dt
            mfu = tps / dist.world * trainer.flops_per_token / peak if peak else None
            log(dist, f"step {step}/{args.steps} loss {mean_loss:.6f} lr {trainer.lr_at(step):.3e} tokens/s {tps:,.0f} "
                      f"mfu {'n/a' if mfu is None else f'{100 * mfu:.1f}%'}")
            if tracker:
                tracker.log_metrics({"loss": mean_loss, "tokens_per_s": tps, **({"mfu": mfu} if mfu else {})}, step=step)
            t0, since = time.perf_counter(), step
        if step % args.checkpoint_every == 0 or step == args.steps:
            c0 = time.perf_counter()
            save(store, trainer, step, meta)
            log(dist, f"checkpoint step {step} saved to {store.url} in {time.perf_counter() - c0:.2f}s")
            t0 += time.perf_counter() - c0
            saved = step
        if step < args.steps and stop.agreed(dist):
            return _preempted(store, trainer, step, meta, saved, stop, dist)
        if args.fail_at_step == step and dist.rank == fail_rank and first_attempt:
            print(f"fault injection: killing rank {dist.rank} (pid {os.getpid()}) after step {step}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    if tracker:
        tracker.end_run()
    log(dist, f"done at step {args.steps}")
    return 0


def _preempted(store, trainer: Trainer, step: int, meta: dict, saved: int, stop: Preemption, dist: Dist) -> int:
    """Checkpoint the step just finished (unless it was saved already) and leave with EXIT_PREEMPTED."""
    c0 = time.perf_counter()
    if saved != step:
        save(store, trainer, step, meta)
    took, since = time.perf_counter() - c0, stop.since_signal()
    log(dist, f"preempted by {stop.name}: checkpoint step {step} saved to {store.url} in {took:.2f}s"
              + (f" ({since:.2f}s after the signal)" if since is not None else "") + f"; the next run resumes from step {step}")
    return EXIT_PREEMPTED


def _mlflow(args, name, cfg, batch_size, lr, dist):
    try:
        import mlflow
    except ImportError:
        raise SystemExit("--mlflow needs the mlflow package (pip install mlflow)") from None
    mlflow.start_run()
    mlflow.log_params({"model": name, **cfg.as_dict(), "batch_size": batch_size, "world_size": dist.world, "lr": lr,
                       "steps": args.steps, "seed": args.seed, "checkpoint": args.checkpoint, "data": args.data or "stdlib"})
    return mlflow


if __name__ == "__main__":
    code = main()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # After a finished run (process group destroyed, output flushed), gloo's threads can still abort the
        # interpreter's own shutdown ("terminate called without an active exception", SIGABRT), which torchrun
        # reports as a failed job. Leave without running C++ destructors: there is nothing left to do.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
