"""The server's generation engine: loads the newest verified checkpoint and runs continuous batching
on one worker thread, so the HTTP event loop stays responsive."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import checkpoint as ckpt

if TYPE_CHECKING:
    from .serve import Metrics


@dataclass
class Pending:
    prompt: bytes
    max_tokens: int
    temperature: float
    future: asyncio.Future = field(repr=False)
    tokens: asyncio.Queue | None = field(default=None, repr=False)  # streamed requests: each token as it is sampled
    arrived: float = field(default_factory=time.perf_counter)
    last: float | None = None  # when its latest token was sampled


class Engine:
    """Loads the model and runs batches on one worker thread, so the event loop stays responsive."""

    def __init__(self, args, metrics: Metrics):
        self.args, self.metrics = args, metrics
        self.model = None
        self.step: int | None = None
        self.error: str | None = None
        self.loaded_at: float | None = None
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")

    @property
    def block_size(self) -> int:
        return self.model.cfg.block_size

    def load(self) -> bool:
        import torch

        from .model import GPT, ModelConfig

        store = ckpt.CheckpointStore(self.args.checkpoint)
        try:
            found = store.resume_point(["model.pt"])
        except ckpt.CheckpointError as err:
            self.error = f"{err}; waiting for one that verifies"
            return False
        if found is None:
            self.error = f"no checkpoint at {store.url} yet"
            return False
        for note in found.skipped:
            print(f"warning: {note}", flush=True)
        step = found.step
        saved = ckpt.from_bytes(found.files.pop("model.pt"))
        cuda = torch.cuda.is_available() if self.args.device == "auto" else self.args.device == "cuda"
        device = torch.device("cuda" if cuda else "cpu")
        model = GPT(ModelConfig.from_dict(saved["config"]))
        model.load_state_dict(saved["state_dict"])
        model = model.to(device, dtype=torch.bfloat16 if cuda else torch.float32).eval()
        self.generator = torch.Generator(device=device).manual_seed(self.args.seed)
        self.step, self.error, self.loaded_at = step, None, time.time()
        self.model = model  # last: readiness and requests test it
        self.metrics.step.set(step)
        print(f"loaded step {step} from {store.url} on {device}", flush=True)
        return True

    def status(self) -> str:
        """Why the model is not loaded yet: the last attempt's error, or that the first attempt is under way."""
        return self.error or f"loading the newest checkpoint from {self.args.checkpoint}"

    async def load_until_ready(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                if await loop.run_in_executor(self.pool, self.load):
                    return
            except Exception as err:  # noqa: BLE001 - readiness reports it; keep retrying
                self.error = f"{type(err).__name__}: {err}"
            print(f"not ready: {self.error}; retrying in {self.args.poll_seconds}s", flush=True)
            await asyncio.sleep(self.args.poll_seconds)

    def enqueue(self, prompt: bytes, max_tokens: int, temperature: float, stream: bool = False) -> Pending:
        loop = asyncio.get_running_loop()
        item = Pending(prompt, max_tokens, temperature, loop.create_future(), asyncio.Queue() if stream else None)
        self.queue.put_nowait(item)
        self.metrics.queue.set(self.queue.qsize())
        return item

    async def submit(self, prompt: bytes, max_tokens: int, temperature: float) -> bytes:
        return await self.enqueue(prompt, max_tokens, temperature).future

    async def batches(self) -> None:
        """Continuous batching: waiting requests join the running batch between decode steps (the
        first one into an idle engine waits up to --max-wait-ms for company), and each leaves as
        soon as its last token is out."""
        from .batching import Running

        loop = asyncio.get_running_loop()
        limit, wait = self.args.max_batch_size, self.args.max_wait_ms / 1000
        running: Running | None = None
        while True:
            if running is None or not running:
                batch = [await self.queue.get()]
                deadline = loop.time() + wait
                while len(batch) < limit:
                    left = deadline - loop.time()
                    if not self.queue.empty():
                        batch.append(self.queue.get_nowait())
                        continue
                    if left <= 0:
                        break
                    try:
                        batch.append(await asyncio.wait_for(self.queue.get(), left))
                    except asyncio.TimeoutError:
                        break
            else:
                batch = []
                while len(running) + len(batch) < limit and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
            self.metrics.queue.set(self.queue.qsize())
            batch = [p for p in batch if not p.future.done()]  # clients that went away
            if running is None:
                running = Running(self.model, self.generator)
            if batch:
                self.metrics.batch_size.observe(len(batch))
                t0 = time.perf_counter()
                await self._admit(loop, running, batch)
                self.metrics.batch_seconds.observe(time.perf_counter() - t0)
            if not running:
                continue
            try:
                finished = await loop.run_in_executor(self.pool, self._decode, running)
            except Exception as err:  # noqa: BLE001 - isolate it: redo each running request on its own
                pending = list(running.tags)
                print(f"warning: decoding {len(pending)} running requests failed ({type(err).__name__}: {err}); "
                      "generating them again one at a time", flush=True)
                self.metrics.batch_retries.inc()
                running = None
                outs = await loop.run_in_executor(self.pool, self._generate_each, pending)
                finished = list(zip(pending, outs, strict=True))
            self.metrics.running.set(len(running) if running is not None else 0)
            for p, out in finished:
                if p.future.done():
                    continue
                if isinstance(out, Exception):
                    p.future.set_exception(out)
                else:
                    self.metrics.tokens.inc(len(out))
                    p.future.set_result(out)

    async def _admit(self, loop, running, batch: list[Pending]) -> None:
        """Prefill a group of new requests; if the group fails, admit each on its own so a request
        that fails does so alone."""
        try:
            await loop.run_in_executor(self.pool, self._prefill, running, batch)
            return
        except Exception as err:  # noqa: BLE001
            if len(batch) == 1:
                batch[0].future.set_exception(err)
                return
            print(f"warning: a batch of {len(batch)} failed ({type(err).__name__}: {err}); admitting its requests one at a time", flush=True)
            self.metrics.batch_retries.inc()
        for p in batch:
            try:
                await loop.run_in_executor(self.pool, self._prefill, running, [p])
            except Exception as err:  # noqa: BLE001 - this request's own failure
                p.future.set_exception(err)

    def _prefill(self, running, batch: list[Pending]) -> None:
        if self.args.fail_prompt is not None and any(p.prompt == self.args.fail_prompt.encode() for p in batch):
            raise RuntimeError(f"fault injection: a batch with prompt {self.args.fail_prompt!r}")
        running.admit(batch, [p.prompt for p in batch], [p.max_tokens for p in batch], [p.temperature for p in batch])

    def _decode(self, running, most: int = 16) -> list[tuple[Pending, bytes]]:
        """Decode steps until a row finishes, a request is waiting to join, or `most` steps."""
        running.drop([i for i, p in enumerate(running.tags) if p.future.done()])
        finished: list[tuple[Pending, bytes]] = []
        for _ in range(most):
            if not running:
                break
            rows = list(running.tags)
            finished += running.step()
            self._sampled(rows, running.sampled)
            if finished or self.queue.qsize():
                break
        return finished

    def _sampled(self, rows: list[Pending], tokens) -> None:
        """Time to first token and between tokens for every row; streamed rows get their token. The host reads
        the sampled tokens only when a row streams (on a GPU the clock then also waits for the device)."""
        now = time.perf_counter()
        for p in rows:
            if p.last is None:
                self.metrics.ttft.observe(now - p.arrived)
            else:
                self.metrics.itl.observe(now - p.last)
            p.last = now
        if any(p.tokens is not None for p in rows):
            for p, tok in zip(rows, tokens.tolist(), strict=True):
                if p.tokens is not None:
                    p.future.get_loop().call_soon_threadsafe(p.tokens.put_nowait, tok)

    def _generate_each(self, batch: list[Pending]) -> list[bytes | Exception]:
        from .batching import generate

        outs: list[bytes | Exception] = []
        for p in batch:
            try:
                if self.args.fail_prompt is not None and p.prompt == self.args.fail_prompt.encode():
                    raise RuntimeError(f"fault injection: prompt {self.args.fail_prompt!r}")
                outs.append(generate(self.model, [p.prompt], [p.max_tokens], [p.temperature], generator=self.generator)[0])
            except Exception as err:  # noqa: BLE001 - this request's own failure
                outs.append(err)
        return outs
