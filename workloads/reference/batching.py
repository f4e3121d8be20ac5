"""Continuous batching: requests join the running batch between decode steps and leave it as soon
as their last token is out, so a request never waits for a whole batch to finish and the GPU keeps
every free row busy. The host reads the device only when a row finishes or joins."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def _pad_left(t: torch.Tensor, width: int, dim: int, value=0) -> torch.Tensor:
    if width == 0:
        return t
    pad = [0, 0] * (t.dim() - 1 - dim) + [width, 0]
    return F.pad(t, pad, value=value)


class Running:
    """The rows being generated together, each with its own left padding, positions, KV cache,
    sampling temperature and token budget."""

    def __init__(self, model, generator: torch.Generator | None = None):
        self.model = model
        self.generator = generator
        self.device = next(model.parameters()).device
        self.tags: list[Any] = []
        self.left: list[int] = []  # tokens each row still has to produce
        self.made: list[int] = []  # tokens each row produced so far
        self._clear()

    def _clear(self) -> None:
        self.caches: list[list[torch.Tensor]] | None = None
        self.real = self.last_pos = self.logits = self.temps = self.history = None

    def __len__(self) -> int:
        return len(self.tags)

    @property
    def width(self) -> int:
        """Cache columns held per row (left padding included)."""
        return 0 if self.real is None else self.real.shape[1]

    @torch.no_grad()
    def admit(self, tags: list[Any], prompts: list[bytes], max_tokens: list[int], temperatures: list[float]) -> None:
        """Prefill new rows together and add them to the batch. Each prompt keeps its last
        block_size - max_tokens bytes, so every position it reaches exists."""
        cfg, device = self.model.cfg, self.device
        kept = []
        for prompt, n in zip(prompts, max_tokens, strict=True):
            if not 1 <= n < cfg.block_size:
                raise ValueError(f"max_tokens must be from 1 to {cfg.block_size - 1}, below the model's context of {cfg.block_size}")
            kept.append(prompt[-(cfg.block_size - n):] if prompt else b"\n")
        B, T0 = len(kept), max(len(p) for p in kept)
        idx = torch.zeros(B, T0, dtype=torch.long)
        real = torch.zeros(B, T0, dtype=torch.bool)
        for i, p in enumerate(kept):
            idx[i, T0 - len(p):] = torch.tensor(list(p), dtype=torch.long)
            real[i, T0 - len(p):] = True
        idx, real = idx.to(device), real.to(device)
        positions = (real.long().cumsum(1) - 1).clamp(min=0)
        causal = torch.ones(T0, T0, dtype=torch.bool, device=device).tril()
        eye = torch.eye(T0, dtype=torch.bool, device=device)
        mask = (causal & real[:, None, None, :]) | eye  # a pad row attends to itself, never to nothing
        caches: list[list[torch.Tensor]] = [[] for _ in self.model.blocks]
        logits = self.model(idx, positions=positions, mask=mask, caches=caches)[:, -1, :256].float()
        temps = torch.tensor(temperatures, dtype=torch.float32, device=device)
        history = torch.zeros(B, 0 if self.history is None else self.history.shape[1], dtype=torch.long, device=device)
        new = {"caches": caches, "real": real, "last_pos": positions[:, -1:], "logits": logits, "temps": temps, "history": history}
        if self.caches is None:
            self.caches, self.real, self.last_pos = caches, real, new["last_pos"]
            self.logits, self.temps, self.history = logits, temps, history
        else:
            self._join(new)
        self.tags += tags
        self.left += list(max_tokens)
        self.made += [0] * B

    def _join(self, new: dict) -> None:
        width = max(self.width, new["real"].shape[1])
        mine, theirs = width - self.width, width - new["real"].shape[1]
        self.caches = [[torch.cat([_pad_left(a, mine, 2), _pad_left(b, theirs, 2)]) for a, b in zip(old, add, strict=True)]
                       for old, add in zip(self.caches, new["caches"], strict=True)]
        self.real = torch.cat([_pad_left(self.real, mine, 1, False), _pad_left(new["real"], theirs, 1, False)])
        self.last_pos = torch.cat([self.last_pos, new["last_pos"]])
        self.logits = torch.cat([self.logits, new["logits"]])
        self.temps = torch.cat([self.temps, new["temps"]])
        self.history = torch.cat([self.history, new["history"]])

    @torch.no_grad()
    def step(self) -> list[tuple[Any, bytes]]:
        """Sample one token for every row, hand back the rows that are done, and run the model one
        position further for the others."""
        logits, temps = self.logits, self.temps
        greedy = logits.argmax(-1)
        probs = torch.softmax(logits / temps.clamp(min=1e-5)[:, None], dim=-1)
        sampled = torch.multinomial(probs, 1, generator=self.generator).squeeze(1)
        nxt = torch.where(temps > 0, sampled, greedy)
        self.sampled = nxt  # one token per row, in the row order before this step
        self.history = torch.cat([self.history, nxt[:, None]], dim=1)
        self.left = [n - 1 for n in self.left]
        self.made = [n + 1 for n in self.made]
        done = [i for i, n in enumerate(self.left) if n == 0]
        finished, kept = self._finish(done) if done else ([], None)
        if not self.tags:
            return finished
        if kept is not None:
            nxt = nxt[kept]
        self.last_pos = self.last_pos + 1
        self.real = torch.cat([self.real, torch.ones(len(self.tags), 1, dtype=torch.bool, device=self.device)], dim=1)
        self.logits = self.model(nxt[:, None], positions=self.last_pos, mask=self.real[:, None, None, :], caches=self.caches)[:, -1, :256].float()
        return finished

    def drop(self, rows: list[int]) -> None:
        """Stop generating these rows (their clients went away)."""
        if rows:
            self._finish(rows)

    def _finish(self, rows: list[int]) -> tuple[list[tuple[Any, bytes]], torch.Tensor | None]:
        """Take rows out of the batch: their outputs, and the indices of the rows kept (None when none are)."""
        gone = set(rows)
        history = self.history.tolist()
        out = [(self.tags[i], bytes(history[i][len(history[i]) - self.made[i]:])) for i in rows]
        keep = [i for i in range(len(self.tags)) if i not in gone]
        self.tags = [self.tags[i] for i in keep]
        self.left = [self.left[i] for i in keep]
        self.made = [self.made[i] for i in keep]
        if not keep:
            self._clear()
            return out, None
        k = torch.tensor(keep, dtype=torch.long, device=self.device)
        self.real, self.last_pos, self.logits, self.temps = self.real[k], self.last_pos[k], self.logits[k], self.temps[k]
        self.history = self.history[k, self.history.shape[1] - max(self.made):] if max(self.made) else self.history[k, :0]
        start = int(self.real.any(0).long().argmax())  # columns every remaining row pads are dropped
        self.real = self.real[:, start:]
        self.caches = [[t[k][:, :, start:] for t in layer] for layer in self.caches]
        return out, k


@torch.no_grad()
def generate(model, prompts: list[bytes], max_tokens: list[int], temperatures: list[float], generator=None) -> list[bytes]:
    """Continue a batch of byte prompts together; each row stops at its own max_tokens."""
    running = Running(model, generator)
    running.admit(list(range(len(prompts))), prompts, max_tokens, temperatures)
    outs: dict[int, bytes] = {}
    while running:
        outs.update(running.step())
    return [outs[i] for i in range(len(prompts))]
