"""Saving and resuming a training run: every rank's part of a checkpoint, where a rerun starts, and what
changed since the checkpoint was saved. A checkpoint problem is a CheckpointError with one line that says what
to do; train.main turns it into exit status 2."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

import torch

from . import checkpoint as ckpt

if TYPE_CHECKING:
    from .train import Dist, Trainer

RESTART_HINT = "pass --checkpoint a new URL, or --restart to delete the checkpoints there and train from step 0"


def rng_state(device: torch.device) -> dict:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def save(store: ckpt.CheckpointStore, trainer: Trainer, step: int, meta: dict) -> None:
    """Every rank writes its RNG state; rank 0 writes model, optimizer and meta, then the manifest
    of all of them (sizes and sha256) and the pointer. A failed write on any rank stops all of them."""
    d = trainer.dist
    files, error = {}, None
    try:
        rng = f"rng-{d.rank:05d}.pt"
        files[rng] = store.write(step, rng, ckpt.to_bytes(rng_state(d.device)))
        if d.main:
            files["model.pt"] = store.write(step, "model.pt", ckpt.to_bytes({"config": trainer.cfg.as_dict(), "state_dict": trainer.model.state_dict()}))
            files["optimizer.pt"] = store.write(step, "optimizer.pt", ckpt.to_bytes(trainer.optimizer.state_dict()))
            files["meta.json"] = store.write(step, "meta.json", ckpt.save_json({**meta, "step": step, "world_size": d.world, "model": trainer.cfg.as_dict()}))
    except Exception as err:  # noqa: BLE001 - reported once, by rank 0, with what to do
        error = f"rank {d.rank}: {ckpt.reason(err)}"
    written = d.exchange((error, files))
    failed = next((e for e, _ in written if e), None)
    if failed is None and d.main:
        try:
            store.commit(step, {name: entry for _, f in written for name, entry in f.items()})
        except Exception as err:  # noqa: BLE001
            failed = f"rank 0: {ckpt.reason(err)}"
    d.agree(None if failed is None else
            f"writing checkpoint step {step} to {store.url} failed ({failed}); training stopped there. "
            f"Fix the location (space, permissions) and rerun: it resumes from the last checkpoint that verifies")


def restore(store: ckpt.CheckpointStore, trainer: Trainer, step: int, files: dict[str, bytes] | None = None) -> None:
    """Load a step into the trainer. files: the step's bytes, already verified (rank 0 has them from
    choosing the step); otherwise they are read and checked against the step's manifest."""
    d = trainer.dist
    rng = f"rng-{d.rank:05d}.pt"
    if files is None:
        manifest = store.manifest(step)
        files = {n: store.read(step, n, manifest) for n in ("model.pt", "optimizer.pt", rng) if n in manifest["files"]}
    saved = ckpt.from_bytes(files["model.pt"])
    if saved["config"] != trainer.cfg.as_dict():
        raise ckpt.CheckpointError(f"checkpoint {store.url} step {step} holds a model {saved['config']}, not {trainer.cfg.as_dict()}: "
                                   f"pass the model flags it was trained with, or {RESTART_HINT}")
    trainer.model.load_state_dict(saved["state_dict"])
    trainer.optimizer.load_state_dict(ckpt.from_bytes(files["optimizer.pt"]))
    if rng in files:
        set_rng_state(ckpt.from_bytes(files[rng]), d.device)
    else:
        log(d, f"warning: no RNG state for rank {d.rank} at step {step} (world size changed); keeping a fresh one")


def open_store(args, dist: Dist) -> ckpt.CheckpointStore:
    """The checkpoint store, once every process has written and deleted a probe file there."""
    store, error = None, None
    try:
        store = ckpt.CheckpointStore(args.checkpoint, keep=args.keep)
        store.probe(f"rank{dist.rank}-")
    except ckpt.CheckpointError as err:
        error = (f"{err}. Fix: pass a --checkpoint URL this job may write to (for a bucket: that it exists, and that this "
                 f"identity may write to it; endpoint and account options go in AIINFRA_STORAGE_OPTIONS)")
    except Exception as err:  # noqa: BLE001 - a bad URL or bad storage options
        error = f"cannot open --checkpoint {args.checkpoint}: {ckpt.reason(err)}"
    dist.agree(error)
    return store


def choose_start(store: ckpt.CheckpointStore, args, dist: Dist) -> tuple[int, dict[str, bytes] | None, dict]:
    """(step to resume from, 0 for none; that step's verified files and its meta.json on rank 0).
    Rank 0 decides, saying which steps it passed over and why; every rank gets its answer."""
    decision, files, meta = (0, None), None, {}
    if dist.main:
        try:
            if args.restart:
                removed = store.clear()
                if removed:
                    log(dist, f"--restart: deleted {len(removed)} checkpoint(s) at {store.url} "
                              f"({ckpt.step_dir(removed[0])} to {ckpt.step_dir(removed[-1])}); training from step 0")
                found = None
            else:
                found = store.resume_point()
        except ckpt.CheckpointError as err:
            decision = (0, f"{err}. Fix: {RESTART_HINT}")
        except Exception as err:  # noqa: BLE001 - no permission, no network
            decision = (0, f"cannot read the checkpoints at {store.url}: {ckpt.reason(err)}")
        else:
            if found is not None:
                for note in found.skipped:
                    log(dist, f"warning: {note}")
                if found.skipped:
                    log(dist, f"warning: resuming from {ckpt.step_dir(found.step)}, the newest complete checkpoint whose sha256 checksums verify")
                decision, files = (found.step, None), found.files
                meta = json.loads(files["meta.json"]) if "meta.json" in files else {}
    start, error = dist.share(decision)
    if error:
        raise ckpt.CheckpointError(error)
    if start > args.steps:
        raise ckpt.CheckpointError(f"--steps {args.steps} < saved step {start} at {store.url}: nothing to train. "
                                   f"Fix: pass --steps above {start} to train on; or {RESTART_HINT}")
    return start, files, meta


def describe_resume(start: int, args, meta: dict, now: dict, dist: Dist) -> list[str]:
    """What differs from the run that saved the checkpoint, as log lines."""
    lines = []
    was_world, was_batch = meta.get("world_size"), meta.get("batch_size")
    if was_world and was_batch and (was_world, was_batch) != (dist.world, now["batch_size"]):
        lines.append(f"resuming step {start} of {args.steps} saved with world size {was_world}, now {dist.world}: effective batch changes "
                     f"from {was_world * was_batch} to {dist.world * now['batch_size']} sequences per step "
                     f"({was_batch} per process before, {now['batch_size']} now); losses will differ from an uninterrupted run")
    changed = [f"--{k.replace('_', '-')} {meta[k]} -> {now[k]}" for k in ("steps", "warmup_steps", "lr", "seed", "data")
               if k in meta and meta[k] != now[k]]
    if changed:
        lines.append(f"resuming step {start} with settings that differ from the run that saved it: {', '.join(changed)}")
    return lines


def log(dist: Dist, message: str) -> None:
    if dist.main:
        print(message, flush=True)
