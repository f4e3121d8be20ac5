"""`aiinfra discover` on a recorded 1,000-node cluster: a local server answering like a Kubernetes API server
(tests/components/existing/kube_server.py) pages out 1,000 copies of the recorded H100 node, 500 a page, through
the real `kubernetes` client; then the resolver reads the snapshot as a catalog, chooses the labels that select a
pool of all 1,000 nodes (components/existing/selector.py) and a live preview's drift check lists the nodes again and
compares them (components/existing/drift.py). Prints seconds; asserts nothing.
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
from types import SimpleNamespace

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
    from aiinfra.catalog.snapshot import catalog_data, parse, read_node, rules
    from aiinfra.components.existing.discover import discover, live_nodes
    from aiinfra.components.existing.drift import changes
    from aiinfra.components.existing.selector import choose

    print(f"import kubernetes client + aiinfra: {time.perf_counter() - t0:.2f} s")
    nodes = cluster(a.nodes)
    with tempfile.TemporaryDirectory() as tmp, KubeServer(nodes=nodes) as server:
        kc = str(server.kubeconfig(Path(tmp) / "kc"))
        times, parse_times, select_times, drift_times = [], [], [], []
        for _ in range(a.runs):
            start = time.perf_counter()
            snap = discover(kc, "cw-prod")
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            parsed = parse(snap, "bench")
            catalog_data("existing", parsed, "cw-prod", {"H100": 6.155}, "bench")
            parse_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            chosen = choose({n.name: n.labels for n in parsed.nodes}, [n.name for n in parsed.nodes], rules()["selector"])
            select_times.append(time.perf_counter() - start)
            pool = SimpleNamespace(name="train", selected_nodes=tuple(n.name for n in parsed.nodes), node_selector=chosen.labels)
            start = time.perf_counter()
            found = changes(parsed, [read_node(i) for i in live_nodes(kc, "cw-prod")], [pool], rules()["selector"]["volatile"])
            drift_times.append(time.perf_counter() - start)
        pages = sum(1 for r in server.requests if r.startswith("GET /api/v1/nodes")) // 2
    size = len(json.dumps(snap, indent=1, sort_keys=True))
    print(f"discover {a.nodes} nodes: median {statistics.median(times):.3f} s over {a.runs} runs ({pages // a.runs} pages each), snapshot {size / 1e6:.2f} MB")
    print(f"snapshot -> catalog: median {statistics.median(parse_times):.3f} s")
    print(f"selector of a pool of all {a.nodes} nodes ({', '.join(f'{k}={v}' for k, v in chosen.labels.items())}): median {statistics.median(select_times) * 1000:.1f} ms")
    print(f"drift check (list the nodes again, compare): median {statistics.median(drift_times):.3f} s, {len(found)} changes")


if __name__ == "__main__":
    main()
