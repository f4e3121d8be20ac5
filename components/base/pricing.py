"""What every cloud's price fetcher shares: what to price, what came back, and one HTTP client that turns a bad
answer (an error status, HTML, a cut-off body, a dead host) into a PriceSourceError with a sentence, not a traceback.

The fetchers live in components/<cloud>/pricing.py; aiinfra.catalog.refresh calls them with plain data, so they
never read the catalog.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

TIMEOUT_S = 60
USER_AGENT = "aiinfra-catalog-refresh"

# progress(advance, total): advance units done (pages, items or bytes, the fetcher's choice); total where known.
Progress = Callable[[float, "float | None"], None]


def no_progress(advance: float, total: float | None = None) -> None:
    """The default: report nothing."""


class PriceSourceError(Exception):
    """A price source that could not be read: the message says which source, what went wrong and what to try."""


@dataclass(frozen=True)
class Want:
    """One catalog instance type to price: where, and what it is made of (GCP sums host and GPU SKUs)."""

    name: str
    regions: tuple[str, ...]
    vcpus: int
    memory_gib: float
    gpu_count: int = 0
    accelerator_type: str | None = None
    machine_type: str | None = None


@dataclass
class Fetched:
    """Prices one source returned: {type: {region: {"on_demand": x, "spot": y}}}, and what it could not price."""

    source: str
    prices: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    unpriced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    items_read: int = 0

    def put(self, name: str, region: str, kind: str, usd: float) -> None:
        self.prices.setdefault(name, {}).setdefault(region, {})[kind] = round(usd, 6)

    def missing(self, wanted: Mapping[str, Want], kinds: tuple[str, ...]) -> None:
        """List every wanted (type, region, kind) that got no price, as "type region kind"."""
        for w in wanted.values():
            for region in w.regions:
                got = self.prices.get(w.name, {}).get(region, {})
                self.unpriced += [f"{w.name} {region} {k.replace('_', '-')}" for k in kinds if k not in got]


def session():
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    return s


def _failure(what: str, url: str, exc: Exception) -> PriceSourceError:
    """A sentence for a request that got no complete answer."""
    import requests

    where = url.split("?")[0]
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return PriceSourceError(f"{what}: the answer from {where} broke off before its end (truncated)")
    if isinstance(exc, requests.Timeout):
        return PriceSourceError(f"{what}: {where} gave no answer within {TIMEOUT_S} s")
    if isinstance(exc, requests.ConnectionError):
        return PriceSourceError(f"{what}: cannot connect to {where} (offline, or a proxy or firewall in the way?)")
    return PriceSourceError(f"{what}: {where}: {type(exc).__name__}")


def get_json(http: Any, url: str, what: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> Any:
    """GET a JSON document; every way it can go wrong becomes a PriceSourceError naming `what`."""
    import requests

    try:
        response = http.get(url, params=params, headers=headers, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise _failure(what, url, exc) from exc
    _check_status(response, what)
    kind = response.headers.get("Content-Type", "")
    body = response.content
    if "html" in kind or body.lstrip()[:1] == b"<":
        raise PriceSourceError(f"{what}: {response.url.split('?')[0]} answered HTML, not JSON (a proxy or login page?)")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise PriceSourceError(f"{what}: the answer from {response.url.split('?')[0]} is not complete JSON ({exc.msg}, byte {exc.pos})") from exc
    except UnicodeDecodeError as exc:
        raise PriceSourceError(f"{what}: the answer from {response.url.split('?')[0]} is not UTF-8 text (byte {exc.start})") from exc


def _check_status(response: Any, what: str) -> None:
    if response.status_code >= 400:
        snippet = response.text[:160].strip().replace("\n", " ")
        raise PriceSourceError(f"{what}: {response.url.split('?')[0]} answered HTTP {response.status_code}" + (f": {snippet}" if snippet else ""))


def stream_lines(http: Any, url: str, what: str, progress: Progress = no_progress) -> Iterator[str]:
    """GET a large text file line by line (AWS's regional offer files run to hundreds of MB), reporting bytes.
    A body shorter than its Content-Length is an error (urllib3 enforces the length), not a partial price list."""
    import requests

    try:
        response = http.get(url, stream=True, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise _failure(what, url, exc) from exc
    with response:
        _check_status(response, what)
        if "html" in response.headers.get("Content-Type", ""):
            raise PriceSourceError(f"{what}: {url} answered HTML, not a price file")
        length = response.headers.get("Content-Length")
        total = float(length) if length and length.isdigit() else None
        try:
            for line in response.iter_lines(chunk_size=1 << 16):
                progress(len(line) + 1, total)
                yield line.decode("utf-8")
        except requests.RequestException as exc:
            raise _failure(what, url, exc) from exc


class SourceSkipped(PriceSourceError):
    """A source that was not asked at all (no credential for it): the refresh says why and goes on."""
