"""`aiinfra graph SPEC`: a picture of an environment as Mermaid (GitHub renders it in job summaries and
Markdown), Graphviz DOT, or SVG through Graphviz's `dot`.

Built from the resolved spec and the platform plan, not by running the Pulumi program: `validate`'s
work plus the plan (benchmarks/bench_output.py), a fraction of `preview`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

INSTALL_GRAPHVIZ = "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS); or use --format mermaid or dot"


@dataclass
class Node:
    id: str
    lines: list[str]
    kind: str = "component"


@dataclass
class Group:
    id: str
    label: str
    members: list[Node | Group] = field(default_factory=list)


@dataclass
class Graph:
    title: str
    root: Group
    edges: list[tuple[str, str, str]] = field(default_factory=list)


def safe_id(prefix: str, name: str) -> str:
    """Mermaid and DOT identifiers: letters, digits and underscores only, never a keyword like `end`."""
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"


def _pool_lines(p, money, co2: dict | None = None) -> list[str]:
    from aiinfra.resolve.capacity import paid_nodes

    what = f"{p.gpus_per_node} × {p.gpu}" if p.gpu else f"CPU, {p.vcpus} vCPU"
    nodes = f"{p.nodes_min} node{'s' if p.nodes_min != 1 else ''}" if p.nodes_min == p.nodes_max else f"{p.nodes_min}..{p.nodes_max} nodes"
    lines = [f"pool {p.name}" + (" (system)" if p.system else ""), f"{p.instance_type} · {what}", f"{nodes} · {p.capacity}"]
    if p.fabric:
        lines.append(f"{p.fabric.kind.upper()} {p.fabric.interfaces}× · {p.fabric.gbps} Gbps")
    if p.hourly_usd_per_node is not None:
        lo, hi = (p.hourly_usd_per_node * n for n in paid_nodes(p.capacity, p.nodes_min, p.nodes_max))
        total = money(lo) if lo == hi else f"{money(lo) if lo else '$0'}–{money(hi)}"
        lines.append(f"{money(p.hourly_usd_per_node)}/h per node · {total}/h")
    else:
        lines.append("unpriced")
    if co2 is not None:
        from aiinfra.report.energy import amount

        lo, hi = co2["kgco2e_per_hour_min"], co2["kgco2e_per_hour_max"]
        lines.append(f"{amount(lo) if lo == hi else amount(lo) + '–' + amount(hi)} kgCO2e/h" if co2["unknown"] is None else "kgCO2e unknown")
    return lines


def total_text(env, money) -> str:
    """The environment's hourly total as `aiinfra cost` gives it (one computation: aiinfra.report.preview.estimate)."""
    from aiinfra.report.preview import estimate

    cost = estimate(env)["cost"]
    lo, hi = cost["hourly_usd_min"], cost["hourly_usd_max"]
    span = money(lo) if lo == hi else f"{money(lo)}–{money(hi)}"
    return f"{span}/h" + (" + unpriced" if cost["unpriced"] else "")


def build(env, plan) -> Graph:
    """The environment's components and how they connect: network, cluster with pools and add-ons, storage,
    registry and the workload identity."""
    from aiinfra import clouds
    from aiinfra.cli.views import money

    spec = env.spec
    cloud = spec.cloud
    profile = clouds.get(cloud)
    terms = profile.terms
    g = Graph(f"{spec.name} on {cloud} {spec.region} · {total_text(env, money)}", Group("env", f"{spec.name} · {cloud} {spec.region}"))
    net = spec.network
    network = Group("network", f"{terms['network']} {net.cidr} · {len(env.zones)} zones · {terms['nat']} ({net.nat_gateways})")
    access = "public + private API endpoint" if spec.cluster.public_endpoint else "private API endpoint"
    cluster = Group("cluster", f"{profile.kubernetes} {spec.cluster.kubernetes_version} cluster")
    cluster.members.append(Node("control_plane", [f"{profile.kubernetes} control plane", access], "control"))
    from aiinfra.report.energy import summary

    co2 = {r["name"]: r for r in summary(env)["pools"]}
    for p in env.pools:
        node = Node(safe_id("pool", p.name), _pool_lines(p, money, co2.get(p.name)), "gpu" if p.gpu else "pool")
        cluster.members.append(node)
        g.edges.append(("control_plane", node.id, ""))
    if plan.releases or plan.manifests:
        platform = Group("platform", "platform add-ons (Helm)")
        for r in plan.releases:
            platform.members.append(Node(safe_id("addon", r.key), [r.key, f"{r.ref.version} · ns {r.ns}"], "addon"))
        for m in plan.manifests:
            platform.members.append(Node(safe_id("manifest", m.key), [m.key, "manifest"], "addon"))
        cluster.members.append(platform)
        system = next((p for p in env.pools if p.system), None)
        if system:
            g.edges.append((safe_id("pool", system.name), "platform", "runs"))
    network.members.append(cluster)
    g.root.members.append(network)

    identity = Node("identity", [f"service account {spec.identity.namespace}/{spec.identity.service_account}", terms['identity']], "identity")
    g.root.members.append(identity)
    g.edges.append(("control_plane", "identity", "federates"))
    if spec.storage.buckets or env.filesystems:
        storage = Group("storage", "storage" + (" (deleted with the environment)" if spec.storage.delete_with_environment else " (kept on down)"))
        for b in spec.storage.buckets:
            node = Node(safe_id("bucket", b), [f"{terms['bucket']} {b}"], "bucket")
            storage.members.append(node)
            g.edges.append(("identity", node.id, "read/write"))
        _filesystems(env, g, storage, money)
        g.root.members.append(storage)
        if plan.has("mlflow"):
            from aiinfra.components.kubernetes.addons.tracking import choose_artifact_bucket

            bucket = choose_artifact_bucket(list(spec.storage.buckets))
            if bucket:
                g.edges.append((safe_id("addon", "mlflow"), safe_id("bucket", bucket), "artifacts"))
    if spec.registry.repositories:
        g.root.members.append(Node("registry", [terms['registry'], "repositories: " + ", ".join(spec.registry.repositories)], "registry"))
        g.edges.append(("registry", "cluster", "images"))
    return g


def _filesystems(env, g: Graph, storage: Group, money) -> None:
    """Each file system, the pools whose pods mount its claim (training on the GPU pools, the Ray data job on its
    pool: aiinfra.manifests.data) and the bucket it imports from."""
    from aiinfra.manifests.data import data_pool

    mounting = [p for p in env.pools if p.gpu and not p.system]
    if env.spec.mlops.data == "ray" and env.pools:
        ray = data_pool(env)
        mounting += [ray] if ray not in mounting else []
    for fs in env.filesystems:
        price = "unpriced" if fs.monthly_usd is None else f"{money(fs.monthly_usd)}/month"
        node = Node(safe_id("fs", fs.name), [f"{fs.service} {fs.name}", f"{fs.size_tib:g} TiB · {fs.throughput} MB/s/TiB", price], "filesystem")
        storage.members.append(node)
        for p in mounting:
            g.edges.append((safe_id("pool", p.name), node.id, f"mounts {fs.mount_path}"))
        if fs.import_from:
            g.edges.append((safe_id("bucket", fs.import_from), node.id, "imports"))


# -- Mermaid ----------------------------------------------------------------------------------------

MERMAID_STYLE = {
    "gpu": "fill:#e8f5e9,stroke:#2e7d32",
    "pool": "fill:#f5f5f5,stroke:#616161",
    "control": "fill:#e3f2fd,stroke:#1565c0",
    "addon": "fill:#fff8e1,stroke:#f9a825",
    "bucket": "fill:#f3e5f5,stroke:#6a1b9a",
    "filesystem": "fill:#fce4ec,stroke:#ad1457",
    "registry": "fill:#f3e5f5,stroke:#6a1b9a",
    "identity": "fill:#fce4ec,stroke:#ad1457",
}


def mermaid_text(text: str) -> str:
    """A label inside "...": Mermaid's entity codes for the characters that end or break it."""
    for ch, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;")):
        text = text.replace(ch, code)
    return text


def to_mermaid(g: Graph) -> str:
    out = ["---", f"title: {json.dumps(g.title, ensure_ascii=False)}", "---", "flowchart LR"]
    kinds: dict[str, list[str]] = {}

    def emit(item, depth: int) -> None:
        pad = "  " * depth
        if isinstance(item, Group):
            out.append(f'{pad}subgraph {item.id}["{mermaid_text(item.label)}"]')
            for m in item.members:
                emit(m, depth + 1)
            out.append(f"{pad}end")
        else:
            out.append(f'{pad}{item.id}["{"<br/>".join(mermaid_text(x) for x in item.lines)}"]')
            kinds.setdefault(item.kind, []).append(item.id)

    emit(g.root, 1)
    for a, b, label in g.edges:
        out.append(f'  {a} -->|"{mermaid_text(label)}"| {b}' if label else f"  {a} --> {b}")
    for kind, ids in kinds.items():
        if kind in MERMAID_STYLE:
            out.append(f"  classDef {kind} {MERMAID_STYLE[kind]}")
            out.append(f"  class {','.join(ids)} {kind}")
    return "\n".join(out) + "\n"


def to_markdown(g: Graph) -> str:
    return f"### {g.title}\n\n```mermaid\n{to_mermaid(g)}```\n"


# -- Graphviz ---------------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(g: Graph) -> str:
    out = [
        "digraph aiinfra {",
        f'  graph [rankdir=LR, compound=true, fontname="Helvetica", labelloc=t, label="{dot_text(g.title)}"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    fill = {k: v.split(",")[0].removeprefix("fill:") for k, v in MERMAID_STYLE.items()}
    anchors: dict[str, str] = {}

    def emit(item, depth: int) -> None:
        pad = "  " * depth
        if isinstance(item, Group):
            anchors[item.id] = first_leaf(item)
            out.append(f"{pad}subgraph cluster_{item.id} {{")
            out.append(f'{pad}  label="{dot_text(item.label)}"; style="rounded"; color="#9e9e9e";')
            for m in item.members:
                emit(m, depth + 1)
            out.append(f"{pad}}}")
            return
        label = "\\n".join(dot_text(x) for x in item.lines)
        out.append(f'{pad}"{item.id}" [label="{label}", fillcolor="{fill.get(item.kind, "#f5f5f5")}"];')

    emit(g.root, 1)
    for a, b, label in g.edges:
        attrs = [f'label="{dot_text(label)}"'] if label else []
        if a in anchors:
            attrs.append(f"ltail=cluster_{a}")
        if b in anchors:
            attrs.append(f"lhead=cluster_{b}")
        out.append(f'  "{anchors.get(a, a)}" -> "{anchors.get(b, b)}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def first_leaf(group: Group) -> str:
    """DOT edges join nodes: an edge to a group is drawn to its first node, clipped at the group's frame."""
    for m in group.members:
        return m.id if isinstance(m, Node) else first_leaf(m)
    return group.id


class GraphvizMissing(Exception):
    pass


def to_svg(dot: str) -> str:
    """SVG from Graphviz's `dot`; GraphvizMissing when it is not installed."""
    import shutil
    import subprocess

    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing("Graphviz's `dot` is not on PATH: --format svg needs it")
    proc = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"`dot -Tsvg` failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout
