"""`aiinfra discover` on a recorded 1,000-node cluster: a local server answering like a Kubernetes API server
(tests/components/existing/kube_server.py) pages out 1,000 copies of the recorded H100 node, 500 a page, through
the real `kubernetes` client; then the resolver reads the snapshot as a catalog. Prints seconds; asserts nothing.
Run: python benchmarks/bench_discover.py [--nodes N] [--runs N]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "components" / "existing"))

from kube_server import FIXTURES, KubeServer  # noqa: E402


def cluster(n: int) -> list[dict]:
    gpu = json.loads((FIXTURES / "nodes-1.json").read_text())["items"][2]
    out = []
    for i in range(n):
        node = copy.deepcopy(gpu)
        node["metadata"]["name"] = f"g{i:04d}-h100"
        node["metadata"]["labels"]["kubernetes.io/hostname"] = node["metadata"]["name"]
        out.append(node)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    t0 = time.perf_counter()
    from aiinfra.catalog.snapshot import catalog_data, parse
    from aiinfra.components.existing.discover import discover

    print(f"import kubernetes client + aiinfra: {time.perf_counter() - t0:.2f} s")
    nodes = cluster(a.nodes)
    with tempfile.TemporaryDirectory() as tmp, KubeServer(nodes=nodes) as server:
        kc = str(server.kubeconfig(Path(tmp) / "kc"))
        times, parse_times = [], []
        for _ in range(a.runs):
            start = time.perf_counter()
            snap = discover(kc, "cw-prod")
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            catalog_data("existing", parse(snap, "bench"), "cw-prod", {"H100": 6.155}, "bench")
            parse_times.append(time.perf_counter() - start)
        pages = sum(1 for r in server.requests if r.startswith("GET /api/v1/nodes"))
    size = len(json.dumps(snap, indent=1, sort_keys=True))
    print(f"discover {a.nodes} nodes: median {statistics.median(times):.3f} s over {a.runs} runs ({pages // a.runs} pages each), snapshot {size / 1e6:.2f} MB")
    print(f"snapshot -> catalog: median {statistics.median(parse_times):.3f} s")


if __name__ == "__main__":
    main()
