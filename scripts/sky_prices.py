"""Turn SkyPilot catalog CSVs (catalogs/v<N>/<cloud>/vms.csv) into aiinfra's regional price files.

    python scripts/sky_prices.py gcp path/to/vms.csv --commit <sha> --date YYYY-MM-DD [-o aiinfra/catalog/data/prices/gcp.yaml]
    python scripts/sky_prices.py aws vms.csv --commit <sha> --date ... --skip p4d,p5 [-o .../prices/aws.yaml]
    python scripts/sky_prices.py aws v8-rows.csv --catalog-version 8 --only p4d,p5 --commit <sha> --date ... [-o .../prices/aws.sky8.yaml]
    python scripts/sky_prices.py azure zz_generated.pricing.go --source karpenter --commit <sha> --date ... [-o .../prices/azure.karpenter.yaml]

Only the instance types aiinfra's catalog lists are kept, per region: on-demand as the CSV has it, spot as the
lowest over the region's zones. AWS and Azure rows are the whole VM (one row per zone on AWS, per region on
Azure); `--skip` leaves out families repriced after the snapshot (AWS's June 2025 P4/P5 cut), so a stale figure
never fills a newer catalog's gap, and `--only` keeps just those families (the rows read from a newer snapshot, written
as <cloud>.sky<N>.yaml beside the older file; the newer file fills a figure first). `--source karpenter` reads Azure/karpenter-provider-azure's generated price
table instead (Azure Retail Prices API, every region, on-demand only): SkyPilot's Azure CSVs cover US regions
only. GCP prices a GPU VM as a host row (vCPU + RAM, the machine type) plus a GPU row
(empty InstanceType, AcceleratorName and count); the two are summed. SkyPilot's GCP fetcher takes the first SKU
whose description matches, which in some regions is a discounted (DWS/flex-start-like) SKU rather than the list
price (market-2026.md §1.2): a GPU row below DISCOUNTED_BELOW of the highest figure for the same GPU and count
is dropped, and that region stays unpriced (shown "priced as <reference region>") rather than ranked cheap.
The CSVs themselves are not committed: the output names the commit and date it was made from.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

# Where each input comes from: the price file's source key, what it is, and the file's place upstream.
SOURCES = {
    "sky": {"key": "SKY{version}-{CLOUD}", "repo": "skypilot-org/skypilot-catalog", "path": "catalogs/v{version}/{cloud}/vms.csv"},
    "karpenter": {"key": "KARP-AZ-REGIONS", "repo": "Azure/karpenter-provider-azure", "path": "pkg/providers/pricing/zz_generated.pricing.go"},
}

DISCOUNTED_BELOW = 0.6
# aiinfra's canonical GPU name -> SkyPilot's AcceleratorName on GCP; a3-megagpu's H100 has its own SKU.
SKY_GPU = {"A100": "A100", "A100-80GB": "A100-80GB", "H100": "H100", "H200": "H200", "L4": "L4", "T4": "T4", "B200": "B200"}
SKY_GPU_BY_TYPE = {"a3-megagpu-8g": "H100-MEGA"}


def _num(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


def _low(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def per_region(rows: Iterable[dict[str, str]], key) -> dict[tuple, dict[str, dict[str, float | None]]]:
    """key(row) -> {region: {on_demand, spot (lowest over zones)}} for the rows key() does not skip (None)."""
    out: dict[tuple, dict[str, dict[str, float | None]]] = defaultdict(dict)
    for row in rows:
        k = key(row)
        if k is None:
            continue
        here = out[k].setdefault(row["Region"], {"on_demand": None, "spot": None})
        here["on_demand"] = here["on_demand"] if here["on_demand"] is not None else _num(row["Price"])
        here["spot"] = _low(here["spot"], _num(row["SpotPrice"]))
    return out


def simple(rows: list[dict[str, str]], types: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """AWS and Azure: one row per type and zone (AWS) or region (Azure), the whole VM's price."""
    found = per_region(rows, lambda r: (r["InstanceType"],) if r["InstanceType"] in types else None)
    return {k[0]: v for k, v in found.items()}


def _list_only(gpu_rows: dict[tuple, dict[str, dict[str, float | None]]]) -> dict[tuple, dict[str, dict[str, float | None]]]:
    """Each GPU row set without the regions whose on-demand figure looks like the discounted first-match SKU."""
    kept = {}
    for k, regions in gpu_rows.items():
        top = max((f["on_demand"] for f in regions.values() if f["on_demand"] is not None), default=None)
        kept[k] = {r: f for r, f in regions.items() if top is None or (f["on_demand"] is not None and f["on_demand"] >= DISCOUNTED_BELOW * top)}
    return kept


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a + b, 5)


def gcp(rows: list[dict[str, str]], types: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """GCP: host row + GPU row summed per region; CPU types are their host row."""
    hosts = per_region(rows, lambda r: (r["InstanceType"],) if r["InstanceType"] else None)
    gpus = _list_only(per_region(rows, lambda r: (r["AcceleratorName"], int(float(r["AcceleratorCount"]))) if not r["InstanceType"] and r["AcceleratorName"] else None))
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for name, t in types.items():
        host = hosts.get((t.get("machine_type") or name,), {})
        if not t.get("gpu"):
            if host:
                out[name] = host
            continue
        sky = SKY_GPU_BY_TYPE.get(name) or SKY_GPU.get(t["gpu"])
        gpu = gpus.get((sky, t["gpu_count"]), {}) if sky else {}
        both = {r: {f: _add(host[r][f], gpu[r][f]) for f in ("on_demand", "spot")} for r in host if r in gpu}
        priced = {r: v for r, v in both.items() if v["on_demand"] is not None}
        if priced:
            out[name] = priced
    return out


def azure(rows: list[dict[str, str]], types: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Azure: as AWS, but a spot figure at or above on-demand is SkyPilot's placeholder where Azure quotes no
    spot price (every H100 row), not a price: it is dropped, so spot stays unpriced there."""
    found = simple(rows, types)
    for regions in found.values():
        for f in regions.values():
            if f["spot"] is not None and f["on_demand"] is not None and f["spot"] >= f["on_demand"]:
                f["spot"] = None
    return found


CONVERT = {"aws": simple, "azure": azure, "gcp": gcp}


def karpenter_rows(text: str) -> list[dict[str, str]]:
    """Rows in vms.csv's shape from karpenter-provider-azure's zz_generated.pricing.go: one per region and size
    (`initialOnDemandPrices["<region>"] = map[string]float64{"<size>": <price>, ...}`); no spot figures."""
    rows = []
    for region, body in re.findall(r'initialOnDemandPrices\["([a-z0-9]+)"\]\s*=\s*map\[string\]float64\{(.*?)\n\t\}', text, re.S):
        rows += [{"InstanceType": name, "Region": region, "Price": price, "SpotPrice": ""} for name, price in re.findall(r'"([^"]+)":\s*([0-9.]+)', body)]
    if not rows:
        raise SystemExit("no initialOnDemandPrices[...] maps found: not a karpenter-provider-azure zz_generated.pricing.go")
    return rows


def skipping(rows: list[dict[str, str]], families: Iterable[str]) -> list[dict[str, str]]:
    """The rows without the named families (the part of the type name before the dot: p5 -> p5.48xlarge, p5.4xlarge)."""
    skip = set(families)
    return [r for r in rows if r["InstanceType"].split(".")[0] not in skip]


def only(rows: list[dict[str, str]], families: Iterable[str]) -> list[dict[str, str]]:
    """The rows of the named families only (none named: all rows)."""
    keep = set(families)
    return [r for r in rows if not keep or r["InstanceType"].split(".")[0] in keep]


def convert(cloud: str, rows: list[dict[str, str]], types: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    found = CONVERT[cloud](rows, types)
    return {name: dict(sorted(found[name].items())) for name in types if found.get(name)}


def source_of(cloud: str, kind: str, commit: str, date: str, version: str = "7", skipped: Iterable[str] = (), note: str = "", kept: Iterable[str] = ()) -> dict[str, str]:
    """The price file's `source`: key, what, version (commit), as_of and url of the upstream file."""
    src = SOURCES[kind]
    path = src["path"].format(version=version, cloud=cloud)
    how = {
        "gcp": "per region, spot the lowest over zones; host row + GPU row summed, discounted first-match GPU SKUs dropped",
        "aws": "per region, spot the lowest over zones",
        "azure": "per region (Azure rows have no zones)" if kind == "sky" else "per region, on-demand only (Azure Retail Prices API, Linux consumption)",
    }[cloud]
    left_out = sorted(skipped)
    if left_out:
        how += f"; families {', '.join(left_out)} left out (repriced after this snapshot)"
    if kept:
        how += f"; families {', '.join(sorted(kept))} only"
    if note:
        how += f"; {note}"
    return {
        "key": src["key"].format(version=version, CLOUD=cloud.upper().replace("AZURE", "AZ")),
        "what": f"{src['repo']} {path}, {how}",
        "version": commit,
        "as_of": date,
        "url": f"https://github.com/{src['repo']}/blob/{commit}/{path}",
    }


def render(cloud: str, prices: dict[str, dict[str, dict[str, float | None]]], commit: str, date: str, source: dict[str, str] | None = None) -> str:
    """The price file as YAML text, one flow mapping per region so that a diff shows one line per figure."""
    def fig(v: float | None) -> str:
        return "null" if v is None else repr(v)

    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    source = source or source_of(cloud, "sky", commit, date)
    lines = [
        f"# Regional {cloud} prices generated by scripts/sky_prices.py from {source['what'].split(',')[0]};",
        "# laid over the cloud file's null figures by aiinfra/catalog/regional.py. Do not edit by hand: rerun the script.",
        "source:",
        f"  key: {source['key']}",
        f"  what: {quoted(source['what'])}",
        f"  version: {source['version']}",
        f"  as_of: {quoted(source['as_of'])}",
        f"  url: {source['url']}",
        "prices:",
    ]
    for name, regions in prices.items():
        lines.append(f"  {name}:")
        lines += [f"    {r}: {{on_demand: {fig(v['on_demand'])}, spot: {fig(v['spot'])}}}" for r, v in regions.items()]
    return "\n".join(lines) + "\n"


def catalog_types(cloud: str) -> dict[str, dict[str, Any]]:
    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "aiinfra" / "catalog" / "data" / f"{cloud}.yaml").read_text())
    return data["instance_types"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cloud", choices=sorted(CONVERT))
    ap.add_argument("input", type=Path, help="a vms.csv of the SkyPilot catalog (or a recorded excerpt of one), or with --source karpenter a zz_generated.pricing.go")
    ap.add_argument("--source", choices=sorted(SOURCES), default="sky")
    ap.add_argument("--catalog-version", default="7", help="the SkyPilot catalog version the CSV is from (catalogs/v<N>/)")
    ap.add_argument("--commit", required=True, help="the upstream commit the input is from")
    ap.add_argument("--date", required=True, help="that commit's date (or, where it is not visible, what is known of it)")
    ap.add_argument("--skip", default="", help="comma-separated type families to leave out (repriced after the snapshot)")
    ap.add_argument("--only", default="", help="comma-separated type families to keep, the others left out (rows read from a newer snapshot)")
    ap.add_argument("--note", default="", help="what else to say of the input in the source's `what` (e.g. which rows were read)")
    ap.add_argument("-o", "--out", type=Path, help="write here (default: stdout)")
    args = ap.parse_args(argv)
    if args.source == "karpenter" and args.cloud != "azure":
        ap.error("--source karpenter reads Azure's price table: cloud must be azure")
    if args.source == "karpenter":
        rows = karpenter_rows(args.input.read_text())
    else:
        with args.input.open(newline="") as f:
            rows = list(csv.DictReader(f))
    skipped = [f for f in args.skip.split(",") if f]
    kept = [f for f in args.only.split(",") if f]
    source = source_of(args.cloud, args.source, args.commit, args.date, args.catalog_version, skipped, args.note, kept)
    text = render(args.cloud, convert(args.cloud, only(skipping(rows, skipped), kept), catalog_types(args.cloud)), args.commit, args.date, source)
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
